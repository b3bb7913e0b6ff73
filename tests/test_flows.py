"""The Prefect layer over the domain: the tick flow, the evaluation forms, artifacts, events, failed steps.

Every test runs against one Prefect test harness for the whole session (tests/prefect_fixtures.py), and
on SQLite and PostgreSQL (the ``db_url`` fixture).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from flows.evaluation import decision_label
from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case, Deadline, Score
from tests.prefect_fixtures import (  # noqa: F401  (prefect_api is a fixture)
    announced_call,
    call_in_scoring,
    events_of_run,
    prefect_api,
    proof,
    register_organisations,
    waiting_form,
)

pytestmark = pytest.mark.usefixtures("prefect_api")


def rows(url: str, query):
    with get_engine(normalise_url(url)).connect() as conn:
        return conn.execute(query).all()


def fired_events(url: str, event: str) -> list[tuple[str, int]]:
    """(case code, audit id) of every audit record of ``event``, in the order they were written."""
    return [(r.code, r.id) for r in rows(url, sa.select(Case.code, AuditRecord.id).join(Case, Case.id == AuditRecord.case_id)
                                         .where(AuditRecord.event == event).order_by(AuditRecord.id))]


def run_tick(url: str, at: str, batch_size: int = 500) -> dict:
    from flows.tick import tick_flow

    return asyncio.run(tick_flow(at=at, batch_size=batch_size, database_url=url))


def test_tick_fires_due_deadlines_across_cases_in_batches_once_and_in_due_order(db_url):
    register_organisations(db_url)
    # Three calls whose offer deadlines fall on three different days; one has no offer (it is invalidated).
    codes = [announced_call(db_url, offers=2, offer_deadline="2026-02-06", members=False),
             announced_call(db_url, offers=0, offer_deadline="2026-01-23", members=False),
             announced_call(db_url, offers=1, offer_deadline="2026-01-30", members=False)]

    early = run_tick(db_url, "2026-01-10T12:00+01:00")
    assert early["fired"] == 0 and fired_events(db_url, "close_offers") == []

    # A late tick (a month after the first deadline) catches up on everything due meanwhile, in due order,
    # across several batches of one transaction each.
    late = run_tick(db_url, "2026-02-20T12:00+01:00", batch_size=2)
    assert late["fired"] == 3 and late["batches"] == 2 and late["cases"] == 3
    assert 0 < late["seconds_in_transactions"]  # what the flow spent in its batches, for Prefect's share (B1)
    assert [code for code, _ in fired_events(db_url, "close_offers")] == [codes[1], codes[2], codes[0]]
    states = dict(rows(db_url, sa.select(Case.code, Case.state)))
    assert [states[c] for c in codes] == ["formal_review", "invalidated", "formal_review"]

    again = run_tick(db_url, "2026-02-20T12:05+01:00")
    assert again["fired"] == 0 and again["skipped"] == 0
    assert len(fired_events(db_url, "close_offers")) == 3
    unfired = rows(db_url, sa.select(Deadline.id).where(Deadline.fired_at.is_(None)))
    assert unfired == []


def test_tick_emits_its_transitions_grouped_and_summaries_follow(sqlite_url):
    from tests.conftest import empty_tables

    empty_tables(sqlite_url)
    register_organisations(sqlite_url)
    code = announced_call(sqlite_url, offers=2, members=False)
    started = datetime.now(UTC) - timedelta(seconds=1)
    from flows.tick import tick_flow

    state = asyncio.run(tick_flow(at="2026-01-24T08:00+01:00", database_url=sqlite_url, return_state=True))
    assert state.result()["fired"] == 1

    from prefect.artifacts import Artifact

    from flows.artifacts import ranking_key, summary_key

    # its transitions (coop.deadlines.late: test_watchdog)
    found = events_of_run(state.state_details.flow_run_id, started, prefixes=["coop.case."])
    assert [e.event for e in found] == ["coop.case.close_offers"]
    assert found[0].resource.id == "coop.tick"  # found through its flow run: Prefect related it to the run
    assert found[0].payload == {"count": 1, "transitions": [
        {"case": code, "subject": "case", "from": "announced", "to": "formal_review"}]}

    assert artifact_since(summary_key(code), started) is None  # the tick only fires; summaries follow it
    from flows.summaries import case_summaries_flow

    refreshed = asyncio.run(case_summaries_flow(database_url=sqlite_url))
    assert refreshed["cases"] == [code]
    assert asyncio.run(case_summaries_flow(database_url=sqlite_url))["cases"] == []  # nothing new since
    summary = Artifact.get(summary_key(code))
    assert summary is not None and summary.key == "sprawa-ok-2026-001"
    assert "formal_review" in summary.data and "Ocena formalna" in summary.data and "urzędnik" in summary.data
    assert "2026-01-23 23:59:59 (+01:00)" in summary.data  # the offer deadline, in Warsaw time with its offset
    # nothing scored yet: no ranking table (a table of blanks says nothing), the summary says why
    assert "Komisja konkursowa nie oceniła jeszcze żadnej oferty" in summary.data
    assert "Etap konkursu: „ocena formalna”." in summary.data
    assert artifact_since(ranking_key(code), started) is None


def artifact_since(key: str, since: datetime):
    """The latest version of an artifact made after ``since``: the harness keeps other tests' artifacts."""
    from prefect.artifacts import Artifact

    found = Artifact.get(key)
    return found if found is not None and found.created >= since else None


def publish_artifacts(url: str, code: str) -> int:
    """The case's artifacts, made inside a flow run as the flows make them."""
    from prefect import flow

    from flows.artifacts import publish_case_artifacts

    @flow(name="coop-test-artifacts", persist_result=False)
    def publish() -> int:
        return publish_case_artifacts([code], url=url)

    return publish()


def test_a_call_with_no_scored_offer_has_no_ranking_table_and_its_summary_says_why(db_url, monkeypatch):
    from flows.artifacts import ranking_key, summary_key

    register_organisations(db_url)
    code = call_in_scoring(db_url)  # the committee may score, nobody has yet (the demo's OK/2026/004)
    started = datetime.now(UTC)
    assert publish_artifacts(db_url, code) == 1
    assert artifact_since(ranking_key(code), started) is None
    summary = artifact_since(summary_key(code), started).data
    assert "## Ranking (art. 15 ust. 1)" in summary
    assert "Komisja konkursowa nie oceniła jeszcze żadnej oferty, więc ranking jest pusty." in summary
    assert "Etap konkursu: „ocena merytoryczna”." in summary
    assert f"Tabela rankingu (artefakt `{ranking_key(code)}`) pojawi się, gdy komisja oceni pierwszą ofertę." in summary
    assert "None" not in summary

    monkeypatch.setenv("COOP_LANG", "en")
    again = datetime.now(UTC)
    publish_artifacts(db_url, code)
    assert artifact_since(ranking_key(code), again) is None
    assert "The committee has not scored any offer yet" in artifact_since(summary_key(code), again).data


def test_the_ranking_table_of_the_demos_settled_call_lists_every_scored_offer(db_url):
    import json

    from coop.demo import run_open_call
    from flows.artifacts import ranking_key, summary_key

    code = run_open_call(db_url).code
    from prefect.artifacts import Artifact

    publish_artifacts(db_url, code)  # the latest version: the other backend's run may have made this same one
    table = json.loads(Artifact.get(ranking_key(code)).data)
    assert [(r["rank"], r["offer"], r["points"], r["percent"], r["passed"], r["state"]) for r in table] == [
        (1, 1, "39.00", "86.67", True, "settled"), (2, 6, "38.00", "84.44", True, "settled"),
        (3, 2, "35.00", "77.78", True, "settled"), (4, 3, "32.00", "71.11", True, "settled"),
        (5, 4, "13.00", "28.89", False, "not_selected")]
    summary = Artifact.get(summary_key(code)).data
    assert f"Ocenione oferty: 5; próg 60% osiągnęły: 4. Tabela: artefakt `{ranking_key(code)}`." in summary


def _wait_for_paused(flow_run_id, key_prefix: str, seen: set):
    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(flow_run_id)

    for _ in range(400):
        run = asyncio.run(read())
        if run.state.is_paused() and run.state.state_details.pause_key not in seen:
            seen.add(run.state.state_details.pause_key)
            return run
        if run.state.is_final():
            return run
        time.sleep(0.1)
    raise AssertionError(f"flow run never paused: {run.state}")


def _find_run(name_prefix: str, after: datetime):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    async def find():
        async with get_client() as client:
            found = await client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=name_prefix)))
            return [run for run in found if run.created and run.created >= after]

    for _ in range(200):
        found = asyncio.run(find())
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no flow run named like {name_prefix}")


def _resume(flow_run_id, run_input: dict) -> None:
    from prefect.flow_runs import resume_flow_run

    resume_flow_run(flow_run_id, run_input=run_input)


def _answer(run, run_input: dict, person: str, role: str = "committee_member") -> None:
    """Submit the waiting form as ``person`` would: with the proof ``coop form proof`` gives them for it."""
    _resume(run.id, {**run_input, "proof": proof(run.id, waiting_form(run.state), person, role)})


def _description(run) -> str:
    """The waiting form's description. Prefect pauses the run first and stores the form's description just
    after, so a reader that saw the pause may have to wait a moment for it."""
    from prefect.input.run_input import keyset_from_paused_state, read_flow_run_input

    for _ in range(100):
        shown = read_flow_run_input(keyset_from_paused_state(run.state)["description"], run.id)
        if shown is not None:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"no description for the form {run.state.state_details.pause_key}")


def test_scoring_form_refuses_a_conflict_and_an_out_of_range_score_then_records_valid_ones(db_url, monkeypatch):
    from flows.evaluation import scoring_flow

    monkeypatch.delenv("COOP_DESK_URL", raising=False)  # the desk's own default address

    register_organisations(db_url)
    code = call_in_scoring(db_url, offers=2)
    member = "Ewa Nowak"
    results: dict = {}
    started = datetime.now(UTC) - timedelta(seconds=1)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(lambda: results.update(value=scoring_flow(
        code=code, member=member, at="2026-02-05T09:00+01:00", poll_interval=1, database_url=db_url)),))
    thread.start()
    try:
        run = _find_run(f"{code} · ocena komisji", started)
        seen: set = set()
        paused = _wait_for_paused(run.id, "", seen)
        assert paused.state.state_details.run_input_keyset  # the UI shows a form
        assert waiting_form(paused.state) == "declare-1" and f"coop form proof {run.id} declare-1" in _description(paused)
        # the form sends the member to the desk's page of the case first (docs/desk.md: why the desk)
        assert f"[http://127.0.0.1:4210/sprawy/{code}](http://127.0.0.1:4210/sprawy/{code})" in _description(paused)
        _answer(paused, {"conflicts": [2], "note": "członek zarządu oferenta"}, member)  # KPA art. 24 declarations

        points = {"capacity": 8, "costs": 8, "quality": 8, "own_funds": 3, "contribution": 4, "track_record": 4}
        paused = _wait_for_paused(run.id, "", seen)
        before = rows(db_url, sa.select(sa.func.count()).select_from(Score))[0][0]
        _answer(paused, {"offer": 2, **points}, member)  # a conflict: refused exactly like the CLI refuses it
        paused = _wait_for_paused(run.id, "", seen)
        description = _description(paused)
        assert "Odmowa" in description and "art. 24" in description  # the conflict's refusal, with its basis
        # Above the criterion's maximum or below zero: the form itself refuses it (its bounds, shown by the UI);
        # the run keeps waiting on the same form and nothing reaches the engine (issue 21).
        for wrong in ({"capacity": 50}, {"capacity": -3}):
            with pytest.raises(Exception, match="capacity"):
                _answer(paused, {"offer": 1, **points, **wrong}, member)
        assert rows(db_url, sa.select(sa.func.count()).select_from(Score))[0][0] == before  # nothing written

        _answer(paused, {"offer": 1, **points}, member)
        thread.join(timeout=120)
    finally:
        thread.join(timeout=1)
    assert results["value"]["outcome"] == "complete" and results["value"]["recorded"] == 2
    scored = rows(db_url, sa.select(AuditRecord.event, AuditRecord.subject, AuditRecord.actor)
                  .where(AuditRecord.event.in_(("score", "declare_conflicts"))).order_by(AuditRecord.id))
    assert [tuple(r) for r in scored] == [("declare_conflicts", "member:Ewa Nowak", member),
                                          ("score", "offer:1", member)]


def test_a_form_answer_without_the_assigned_persons_valid_proof_is_refused_and_nothing_recorded(db_url):
    """No proof, another person's, one for another form or another run, an expired one, a forged one: each
    refused before the engine executes anything, the reason (Polish) on top of the next form; then the member's
    own proof records the declaration as them."""
    from datetime import UTC as utc

    from flows.evaluation import scoring_flow
    from states.form_proofs import issue_form_proof
    from tests.conftest import dump

    register_organisations(db_url)
    code = call_in_scoring(db_url, offers=2)
    member = "Ewa Nowak"
    results: dict = {}
    started = datetime.now(UTC) - timedelta(seconds=1)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(lambda: results.update(value=scoring_flow(
        code=code, member=member, at="2026-02-05T09:00+01:00", poll_interval=1, database_url=db_url)),))
    thread.start()
    declaration = {"conflicts": [1, 2], "note": "członek zarządu obu oferentów"}  # then nothing left to score
    try:
        run = _find_run(f"{code} · ocena komisji", started)
        seen: set = set()
        paused = _wait_for_paused(run.id, "", seen)
        before = dump(db_url)

        def forged(form: str) -> str:
            head, payload, mac = proof(run.id, form, member).split(".")
            return f"{head}.{payload}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}"

        attempts = [
            (lambda form: "", "Brak dowodu"),
            (lambda form: proof(run.id, form, "Jan Kowalski"), "Dowód należy do Jan Kowalski"),
            (lambda form: proof(run.id, "score-9", member), "innego formularza"),
            (lambda form: proof("00000000-0000-0000-0000-000000000000", form, member), "innego przebiegu"),
            (lambda form: issue_form_proof(member, str(run.id), form, datetime.now(utc) - timedelta(hours=1),
                                           timedelta(minutes=15), role="committee_member"), "wygasł"),
            (forged, "nie jest ważny"),
        ]
        for make, reason in attempts:
            given = make(waiting_form(paused.state))
            _resume(run.id, {**declaration, "proof": given})
            paused = _wait_for_paused(run.id, "", seen)
            shown = _description(paused)
            assert "Odmowa" in shown and reason in shown, shown
            assert not given or given not in shown  # the code itself is never shown back
            assert dump(db_url) == before  # nothing recorded
        _answer(paused, declaration, member)
        thread.join(timeout=120)
    finally:
        thread.join(timeout=1)
    assert results["value"]["outcome"] == "complete" and results["value"]["recorded"] == 1
    declared = rows(db_url, sa.select(AuditRecord.event, AuditRecord.actor).where(
        AuditRecord.event == "declare_conflicts"))
    assert [tuple(r) for r in declared] == [("declare_conflicts", member)]


def test_formal_review_form_records_decisions_through_the_domain_until_none_is_pending(db_url, monkeypatch):
    from flows.evaluation import formal_review_flow

    monkeypatch.setenv("COOP_DESK_URL", "https://biurko.leszno.example/")  # the desk's public address

    register_organisations(db_url)
    code = announced_call(db_url, offers=2)
    run_tick(db_url, "2026-01-24T08:00+01:00")
    results: dict = {}
    started = datetime.now(UTC) - timedelta(seconds=1)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(lambda: results.update(
        value=formal_review_flow(code=code, at="2026-01-26T10:00+01:00", poll_interval=1, database_url=db_url)),))
    thread.start()
    officer = "Anna Urzędniczka"
    try:
        run = _find_run(f"{code} · ocena formalna", started)
        seen: set = set()
        paused = _wait_for_paused(run.id, "", seen)
        description = _description(paused)  # every form points the officer to the desk's page of the case, first
        assert description.index(f"https://biurko.leszno.example/sprawy/{code})") < description.index("coop form proof")
        assert "Odpowiedz na biurku" in description
        _answer(paused, {"offer": 1, "decision": decision_label("reject")}, officer, "officer")  # no defects listed: refused
        paused = _wait_for_paused(run.id, "", seen)
        _answer(paused, {"offer": 1, "decision": decision_label("accept")}, officer, "officer")
        paused = _wait_for_paused(run.id, "", seen)
        _answer(paused, {"offer": 2, "decision": decision_label("reject"), "defects": ["brak podpisu"]}, "Piotr Zieliński", "officer")
        thread.join(timeout=120)
    finally:
        thread.join(timeout=1)
    assert results["value"] == {"code": code, "outcome": "complete", "recorded": 2, "state": "formal_review"}
    offers = rows(db_url, sa.text("SELECT number, state FROM offers ORDER BY number"))
    assert [tuple(o) for o in offers] == [(1, "formally_accepted"), (2, "formally_rejected")]
    # Each answer recorded as the officer its proof names.
    actors = rows(db_url, sa.select(AuditRecord.event, AuditRecord.actor).where(
        AuditRecord.event.in_(("accept_formally", "reject_formally"))).order_by(AuditRecord.id))
    assert [tuple(a) for a in actors] == [("accept_formally", officer), ("reject_formally", "Piotr Zieliński")]
    # Each answer recorded under its form's key (flow run and form number): an answer executed again finds it
    # instead of recording it twice. The refused first answer: nothing in the log (the flow keeps its outcome).
    from models.command_log import CommandRecord

    keys = rows(db_url, sa.select(CommandRecord.key, CommandRecord.handler).where(CommandRecord.key.like("form:%")))
    assert sorted(tuple(k) for k in keys) == [(f"form:{run.id}:review-{n}", "states.open_call_commands:review_offer")
                                              for n in (2, 3)]


def _step_answered(sqlite_url, parameters: dict, answers: list[tuple[str, str]]):
    """Run an officer's step in a thread, answer its proof forms with (person, role) in turn; its final state."""
    from flows.steps import case_step_flow
    from tests.prefect_fixtures import quick_pauses

    results: dict = {}
    started = datetime.now(UTC) - timedelta(seconds=1)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(lambda: results.update(
        value=case_step_flow(**parameters, database_url=sqlite_url, return_state=True)),))
    with quick_pauses():
        thread.start()
        try:
            run = _find_run(f"{parameters['code']} · {parameters['step']}", started)
            seen: set = set()
            shown = []
            for person, role in answers:
                paused = _wait_for_paused(run.id, "", seen)
                if paused.state.is_final():
                    break
                shown.append(_description(paused))
                _answer(paused, {}, person, role)
            thread.join(timeout=120)
        finally:
            thread.join(timeout=1)
    return results["value"], shown


def test_a_refused_step_is_a_failed_run_with_the_domain_message(sqlite_url):
    from tests.conftest import dump, empty_tables

    empty_tables(sqlite_url)
    register_organisations(sqlite_url)
    code = announced_call(sqlite_url, offers=1)
    before = dump(sqlite_url)
    state, _ = _step_answered(sqlite_url, {"code": code, "step": "finish_formal_review",
                                           "at": "2026-01-20T10:00+01:00"}, [("Anna Urzędniczka", "officer")])
    assert state.is_failed()
    assert state.message.startswith(f"{code}: tego kroku nie można wykonać w stanie „ogłoszony”; można go wykonać "
                                    "tylko w stanie „ocena formalna”")
    assert dump(sqlite_url) == before

    run_tick(sqlite_url, "2026-01-24T08:00+01:00")
    # A committee member's proof does not make an officer; then an offer still pending: the machine's validator
    # refuses, citing the law.
    state, shown = _step_answered(sqlite_url, {"code": code, "step": "finish_formal_review",
                                               "at": "2026-01-26T10:00+01:00"},
                                  [("Ewa Nowak", "committee_member"), ("Anna Urzędniczka", "officer")])
    assert state.is_failed() and "art. 15 ust. 1" in state.message and "1" in state.message
    assert "Odmowa" not in shown[0]
    assert all(f"/sprawy/{code}](" in description for description in shown)  # the step's page on the desk


def test_the_tick_flow_fires_bulk_due_deadlines_on_both_backends(db_url):
    from tests.prefect_fixtures import clone_due_calls, empty_template

    register_organisations(db_url)
    template = empty_template(db_url)
    codes = clone_due_calls(db_url, template, 120, datetime(2026, 1, 24, tzinfo=UTC))
    result = run_tick(db_url, "2026-01-25T00:00Z", batch_size=50)
    assert result["fired"] == 120 and result["batches"] == 3
    invalidated = rows(db_url, sa.select(sa.func.count()).select_from(Case).where(Case.state == "invalidated"))[0][0]
    assert invalidated == 120 and len(set(codes)) == 120
    from states.engine import Actor, execute
    from states.queries import verify_cases

    assert execute(verify_cases, actor=Actor("audytor", "auditor"), url=db_url, readonly=True)["broken"] == []
    _ = Decimal  # money values are not needed here


def test_the_tick_fires_in_one_completed_task_run(sqlite_url):
    """The tick's task runs its batches in a worker thread and awaits them: still one task run of the flow run,
    completed. (The thread keeps the run's context: the events it emits are related to the flow run, see
    test_tick_emits_its_transitions_grouped_and_summaries_follow.)"""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.tick import tick_flow
    from tests.conftest import empty_tables

    empty_tables(sqlite_url)
    register_organisations(sqlite_url)
    for _ in range(3):
        announced_call(sqlite_url, offers=1, members=False)
    state = asyncio.run(tick_flow(at="2026-01-24T08:00+01:00", batch_size=2, database_url=sqlite_url,
                                  return_state=True))
    assert state.is_completed() and state.result()["fired"] == 3 and state.result()["batches"] == 2

    async def task_runs():
        async with get_client() as client:
            return await client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))

    for _ in range(60):  # task run states reach the API asynchronously (as events)
        runs = asyncio.run(task_runs())
        if runs and runs[0].state is not None and runs[0].state.is_completed():
            break
        time.sleep(0.5)
    assert [(r.name, r.state.type.value) for r in runs] == [("fire-due-deadlines", "COMPLETED")]


def test_a_tick_run_is_named_and_reported_in_warsaw_time(sqlite_url):
    """The UI shows runs in local time: a tick's name, its artifact and its result say Warsaw time with the
    offset, in winter and in summer, whether ``at`` was given in UTC or the run was scheduled (UTC in Prefect)."""
    from prefect.artifacts import Artifact
    from prefect.client.orchestration import get_client

    from flows.tick import tick_flow, tick_run_name
    from tests.conftest import empty_tables

    async def flow_run(state):
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)

    empty_tables(sqlite_url)
    register_organisations(sqlite_url)
    announced_call(sqlite_url, offers=1, members=False)
    winter = asyncio.run(tick_flow(at="2026-01-24T07:00Z", database_url=sqlite_url, return_state=True))
    assert winter.result()["fired"] == 1 and winter.result()["now"] == "2026-01-24T08:00:00+01:00"
    assert asyncio.run(flow_run(winter)).name == "tick 2026-01-24 08:00 (+01:00)"
    assert Artifact.get("tick").data.startswith("# Harmonogram 2026-01-24 08:00 (+01:00)\n")

    summer = asyncio.run(tick_flow(at="2026-07-24T08:00:30+02:00", database_url=sqlite_url, return_state=True))
    assert summer.result()["now"] == "2026-07-24T08:00:30+02:00"
    assert asyncio.run(flow_run(summer)).name == "tick 2026-07-24 08:00:30 (+02:00)"

    empty_tables(sqlite_url)  # a run without ``at`` fires at the real now: nothing may be due
    scheduled = asyncio.run(tick_flow(database_url=sqlite_url, return_state=True))
    run = asyncio.run(flow_run(scheduled))
    assert run.name == tick_run_name(None, run.expected_start_time) != "tick"
    assert run.name.endswith(("(+01:00)", "(+02:00)"))

    assert tick_run_name(None, datetime(2026, 1, 24, 7, 0, tzinfo=UTC)) == "tick 2026-01-24 08:00 (+01:00)"
    assert tick_run_name(None, datetime(2026, 7, 24, 6, 0, tzinfo=UTC)) == "tick 2026-07-24 08:00 (+02:00)"
    assert tick_run_name("jutro", None) == "tick jutro"  # refused by the flow itself, named as given


def test_the_tick_deployment_on_a_real_database_refuses_a_future_at(real_db_url):
    """The tick's ``at`` parameter (a what-if on a simulation) is refused on a real database: its run fails with
    the rule, nothing is fired; without it the tick runs at the database's time."""
    from flows.tick import tick_flow
    from tests.conftest import dump

    before = dump(real_db_url)
    state = asyncio.run(tick_flow(at="2099-12-31T23:00Z", database_url=real_db_url, return_state=True))
    assert state.is_failed() and "2100-01-01 00:00 (+01:00)" in state.message
    assert dump(real_db_url) == before
    now = asyncio.run(tick_flow(database_url=real_db_url))["now"]
    assert abs(datetime.fromisoformat(now) - datetime.now(UTC)) < timedelta(minutes=1)
