"""The evaluation forms as deployed: the run SUSPENDS between forms and every resume is a new process.

Each step of a run here is what a process worker does with it: ``python -m prefect.engine`` with the run's id,
in a process of its own, which runs the flow from the start until it suspends at the next form (the process
exits) or finishes. Answers go in through Prefect's API (``resume_flow_run(..., run_input=...)``), as the UI
sends them. The processes use different ``PREFECT_HOME`` and local result storage ("workers" a, b and c), so
nothing a replay needs may come from a worker's own disk. What counts is the engine's database: every answer
recorded exactly once, a refused one never.

One Prefect harness for the session (tests/prefect_fixtures.py); SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case, CommitteeMember, ConflictDeclaration, Offer
from states.engine import Actor, execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from tests.prefect_fixtures import call_in_scoring, proof, register_organisations, waiting_form

ROOT = Path(__file__).resolve().parents[1]
MEMBER = "Ewa Nowak"
POINTS = {"capacity": 8, "costs": 8, "quality": 8, "own_funds": 3, "contribution": 4, "track_record": 4}


def rows(url: str, query) -> list[tuple]:
    with get_engine(normalise_url(url)).connect() as conn:
        return [tuple(r) for r in conn.execute(query).all()]


def member_steps(url: str) -> list[tuple[str, str]]:
    """(event, subject) of every declaration and score in the audit log, in the order they were written."""
    return rows(url, sa.select(AuditRecord.event, AuditRecord.subject)
                .where(AuditRecord.event.in_(("declare_conflicts", "score"))).order_by(AuditRecord.id))


def form_keys(url: str) -> list[str]:
    from models.command_log import CommandRecord

    return sorted(k for (k,) in rows(url, sa.select(CommandRecord.key).where(CommandRecord.key.like("form:%"))))


class Deployed:
    """One committee-scoring run of the deployment ``coop serve`` and prefect.yaml make, driven step by step."""

    def __init__(self, api: str, folder: Path, parameters: dict) -> None:
        from prefect.deployments import run_deployment

        from flows.doors import close_doors
        from flows.launcher import deployments

        [planned] = [d for d in deployments(60) if d.name == "committee-scoring"]
        planned.apply()
        close_doors(simulation=True)  # as coop serve does on its simulation database: `at` still taken
        self.api, self.folder = api, folder
        self.database_url = parameters.pop("database_url")  # the engine's settings give it, never a parameter
        self.run_id = run_deployment("coop-committee-scoring/committee-scoring", parameters=parameters, timeout=0).id

    def work(self, worker: str) -> str:
        """Execute the run in a new process, as a process worker would; returns the run's state name after."""
        home = self.folder / worker
        env = {**os.environ, "PREFECT_API_URL": self.api, "PREFECT_HOME": str(home),
               "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT__FLOW_RUN_ID": str(self.run_id), "COOP_DATABASE_URL": self.database_url}
        done = subprocess.run([sys.executable, "-m", "prefect.engine"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        state = self.state()
        assert done.returncode == 0 and state.name in ("Suspended", "Completed"), (state, done.stdout[-4000:],
                                                                                    done.stderr[-4000:])
        return state.name

    def state(self):
        from prefect import get_client

        with get_client(sync_client=True) as client:
            return client.read_flow_run(self.run_id).state

    def answer(self, run_input: dict, person: str | None = MEMBER, proof_code: str | None = None) -> None:
        """Submit the form as the UI does. Prefect's server keeps the input only when it ACCEPTs the resume; a
        WAIT or ABORT answer drops it without an error to the client (resume_flow_run raises on REJECT only; read
        in prefect/server/api/flow_runs.py). So the answer is re-sent, as a person would press Submit again, until
        the run has left its suspended state; the engine's record is what the test checks."""
        import time

        from prefect import get_client
        from prefect.client.schemas.objects import StateType

        if proof_code is None and person is not None:
            proof_code = proof(self.run_id, waiting_form(self.state()), person)
        run_input = {**run_input, "proof": proof_code or ""}
        outcomes = []
        for _ in range(5):
            with get_client(sync_client=True) as client:
                if client.read_flow_run(self.run_id).state.type != StateType.PAUSED:
                    return
                result = client.resume_flow_run(self.run_id, run_input=run_input)
                outcomes.append((result.status.value, getattr(result.details, "reason", None)))
                if client.read_flow_run(self.run_id).state.type != StateType.PAUSED:
                    return
            time.sleep(1)
        raise AssertionError(f"the run was not resumed: {outcomes}")

    def flow_run(self):
        from prefect import get_client

        with get_client(sync_client=True) as client:
            return client.read_flow_run(self.run_id)

    def form_description(self) -> str:
        from prefect.input.run_input import keyset_from_paused_state, read_flow_run_input

        return read_flow_run_input(keyset_from_paused_state(self.state())["description"], self.run_id)


def withdraw_conflict(url: str, code: str, number: int) -> None:
    """The member's conflict for offer ``number`` is gone (no command withdraws a declaration: the row is edited,
    standing for any change of the case after a refusal that would let the same answer through)."""
    engine = get_engine(normalise_url(url))
    with engine.begin() as conn:
        offer = sa.select(Offer.id).join(Case, Case.id == Offer.case_id).where(Case.code == code, Offer.number == number)
        seat = sa.select(CommitteeMember.id).join(Case, Case.id == CommitteeMember.case_id).where(
            Case.code == code, CommitteeMember.name == MEMBER)
        changed = conn.execute(sa.update(ConflictDeclaration).where(ConflictDeclaration.offer_id == offer.scalar_subquery(),
                                                                    ConflictDeclaration.member_id == seat.scalar_subquery())
                               .values(conflict=False)).rowcount
    assert changed == 1


def test_each_answer_is_recorded_once_whichever_process_resumes_the_suspended_form(db_url, prefect_api, tmp_path):
    register_organisations(db_url)
    code = call_in_scoring(db_url, offers=3)
    run = Deployed(prefect_api, tmp_path, {"code": code, "at": "2026-02-05T09:00+01:00", "database_url": db_url})

    # Whose run it is: the first form asks only for a proof. Someone off the committee is refused, then the
    # member's proof binds the run to her.
    assert run.work("a") == "Suspended"
    assert waiting_form(run.state()) == "identify-1"
    run.answer({}, person="Adam Obcy")
    assert run.work("a") == "Suspended"
    shown = run.form_description()
    assert "Odmowa" in shown and "Adam Obcy nie jest członkiem komisji" in shown and "art. 15 ust. 2a" in shown
    run.answer({})
    assert run.work("a") == "Suspended"  # the KPA art. 24 declarations, now Ewa Nowak's
    assert waiting_form(run.state()) == "declare-3" and MEMBER in run.flow_run().name
    # Another member's proof for her form: refused, nothing recorded.
    run.answer({"conflicts": [3], "note": "członek zarządu oferenta"}, person="Jan Kowalski")
    assert run.work("b") == "Suspended"
    assert member_steps(db_url) == [] and "Dowód należy do Jan Kowalski" in run.form_description()
    run.answer({"conflicts": [3], "note": "członek zarządu oferenta"})
    assert run.work("a") == "Suspended"  # the declaration recorded; the first scoring form
    assert member_steps(db_url) == [("declare_conflicts", f"member:{MEMBER}")]
    run.answer({"offer": 1, **POINTS})
    # The re-run replays the declaration (now recorded, so the case no longer asks for one) and then the score:
    # both recorded, each once (issue 21: the score waited under one key while the re-run asked another).
    assert run.work("a") == "Suspended"
    assert member_steps(db_url) == [("declare_conflicts", f"member:{MEMBER}"), ("score", "offer:1")]

    run.answer({"offer": 3, **POINTS})  # refused: the member declared a conflict for offer 3
    assert run.work("b") == "Suspended"  # another worker, its own (empty) local storage
    assert member_steps(db_url) == [("declare_conflicts", f"member:{MEMBER}"), ("score", "offer:1")]
    shown = run.form_description()
    assert "Odmowa" in shown and "art. 15 ust. 2d" in shown  # the refusal on top of the next form

    # What refused the answer changes; the answer given then must not be executed again by a later replay.
    withdraw_conflict(db_url, code, 3)
    run.answer({"offer": 2, **POINTS})  # the correction: an offer the member may score
    assert run.work("c") == "Suspended"  # a fresh process, empty storage: replays forms 1-6, records form 7
    assert member_steps(db_url) == [("declare_conflicts", f"member:{MEMBER}"), ("score", "offer:1"),
                                    ("score", "offer:2")]
    assert form_keys(db_url) == sorted(f"form:{run.run_id}:{key}" for key in ("declare-4", "score-5", "score-7"))
    assert "Odmowa" not in run.form_description()  # offer 3, now scorable, is asked for afresh

    # The last answer is overtaken: before the run resumes, the member scores offer 3 at the CLI. The answer is
    # still handled, refused as already scored (not lost without a word), and the run ends.
    run.answer({"offer": 3, **POINTS, "capacity": 1})
    execute(open_call_handlers.score_offer, open_call_inputs.ScoreOffer.parse(code=code, number=3, member=MEMBER, points=POINTS),
            actor=Actor(MEMBER, "committee_member"), at="2026-02-05T10:00+01:00", url=db_url)
    assert run.work("a") == "Completed"  # back on the first worker, whose storage holds its older results
    assert member_steps(db_url)[3:] == [("score", "offer:3")]
    assert len(form_keys(db_url)) == 3
    from prefect.input import read_flow_run_input

    assert read_flow_run_input("form-8-outcome", run.run_id)["refused"] == f"Członek komisji {MEMBER} już ocenił ofertę nr 3"
    actors = rows(db_url, sa.select(AuditRecord.actor).where(AuditRecord.event.in_(("declare_conflicts", "score"))))
    assert {a for (a,) in actors} == {MEMBER}


def test_no_deployment_takes_a_database_an_identity_or_on_a_real_database_a_moment(db_url, prefect_api, tmp_path):
    """The doors as the API keeps them (flows/doors.py): a run of a deployment given ``database_url``,
    ``officer`` or ``member`` is refused by Prefect's API (409) and no run is made; ``at`` is taken on a
    simulation database's deployments and refused on a real one's."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.exceptions import PrefectHTTPStatusError

    from flows.doors import close_doors
    from flows.launcher import deployments

    ids = {d.name: d.apply() for d in deployments(60)}
    rows_closed = close_doors(simulation=True)
    assert {r["name"] for r in rows_closed} >= {"coop-tick/tick", "coop-case-step/case-step",
                                                 "coop-committee-scoring/committee-scoring"}
    assert close_doors(simulation=True) == [{**r, "action": "unchanged"} for r in rows_closed]  # again: nothing

    def runs_of(client, name):
        return client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[ids[name]])))

    refused = [("tick", {"database_url": "sqlite:////tmp/elsewhere.db"}),
               ("case-step", {"code": "OK/2026/001", "step": "finish_formal_review", "officer": "Prezydent Miasta"}),
               ("committee-scoring", {"code": "OK/2026/001", "member": "Jan Kowalski"}),
               ("formal-review", {"code": "OK/2026/001", "officer": "Jan Kowalski"}),
               ("notifications-dispatch", {"database_url": db_url})]
    with get_client(sync_client=True) as client:
        before = {name: len(runs_of(client, name)) for name, _ in refused}
        for name, parameters in refused:
            try:
                client.create_flow_run_from_deployment(ids[name], parameters=parameters)
            except PrefectHTTPStatusError as error:
                assert error.response.status_code == 409, error.response.text
                assert "Validation failed" in error.response.text
            else:
                raise AssertionError(f"{name} took {parameters}")
        assert {name: len(runs_of(client, name)) for name, _ in refused} == before  # nothing made, nothing runs
        # A simulation database's deployment still takes a moment; a real database's does not.
        made = client.create_flow_run_from_deployment(ids["tick"], parameters={"at": "2026-02-05T09:00+01:00"})
        client.delete_flow_run(made.id)
        close_doors(simulation=False)
        try:
            client.create_flow_run_from_deployment(ids["tick"], parameters={"at": "2027-01-16T00:00:01+01:00"})
        except PrefectHTTPStatusError as error:
            assert error.response.status_code == 409
        else:
            raise AssertionError("a real database's tick took `at`")
    close_doors(simulation=True)
