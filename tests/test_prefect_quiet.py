"""Prefect's UI made quiet and right (issue 21): forms that open themselves, summaries that name what exists.

The forms' opening runs ticks under the tick deployment on the Prefect test harness (started once for the
session, flows/opening.py); the rest needs no server.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.prefect_fixtures import prefect_api  # noqa: F401  (one Prefect harness for the session)

FORMAL = "coop-formal-review/formal-review"
SCORING = "coop-committee-scoring/committee-scoring"


# --- item 5: the summary sends officers only to deployments the engine serves ------------------------------------

def _served_names() -> set[str]:
    from flows.launcher import deployments

    served = set()
    for deployment in deployments(60):
        flow_name = deployment.flow_name
        served |= {flow_name, f"{flow_name}/{deployment.name}", deployment.name}
    return served


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_every_flow_or_deployment_a_summary_names_is_served(lang, monkeypatch):
    """Every name of the coop-… kind in any state's summary (both languages) is a flow or deployment `coop serve`
    serves: the Polish catalogue once sent officers to "coop-ocena-formalna", which does not exist."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from flows.artifacts import NEXT_ACTION, summary_markdown
    monkeypatch.setenv("COOP_LANG", lang)
    served = _served_names()
    if True:
        for state in NEXT_ACTION:
            view = {"code": "OK/2026/001", "title": "T", "state": state, "budget": Decimal("1.00"),
                    "offer_deadline": datetime(2026, 1, 23, tzinfo=UTC), "selection_date": None, "offer_states": {}, "offers": 0,
                    "deadlines": [], "is_call": False}
            text = summary_markdown(view)
            named = set(re.findall(r"coop-[a-z]+(?:-[a-z]+)*(?:/[a-z]+(?:-[a-z]+)*)?", text))
            assert named <= served, (state, named - served)
            if state in ("formal_review", "substantive_review"):
                assert named & {FORMAL, SCORING}, text  # the officer is told where the form waits


# --- item 6: a call entering a state that waits on people opens its forms by itself ------------------------------

async def _tick_under_deployment(deployment_id, at: str):
    """A run of the tick deployment, executed here as a worker's process would execute it."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow

    from flows.tick import tick_flow

    async with get_client() as client:
        run = await client.create_flow_run_from_deployment(deployment_id, parameters={"at": at})
    return await run_flow(tick_flow, flow_run=run, parameters={"at": at}, return_type="state")


async def _form_runs(ids: dict) -> dict[str, list]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    async with get_client() as client:
        return {name: await client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[ids[name]]))) for name in ("formal-review", "committee-scoring")}


@pytest.mark.usefixtures("prefect_api")
def test_a_call_entering_review_or_scoring_opens_its_forms_once(db_url, monkeypatch):
    """The tick closes the offers: one formal review run waits for the officer. The officer finishes the formal
    review in the CLI (no Prefect event): the next tick opens one scoring run per seat of the committee. Later
    ticks open nothing more, and a mark lost (the variable reset) opens no second form."""
    from prefect.variables import Variable

    from coop.demo import MEMBERS, OFFICER
    from flows.launcher import deployments
    from flows.opening import mark_name
    from states import inputs
    from states.engine import execute
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from tests.prefect_fixtures import announced_call, register_organisations

    wanted = ("tick", "formal-review", "committee-scoring")
    ids = {d.name: d.apply() for d in deployments(60) if d.name in wanted}
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)  # a deployment's run takes no database_url (flows/doors.py)
    Variable.set(mark_name(db_url), 0, overwrite=True)  # the tables were emptied: a fresh audit log
    before = {name: {r.id for r in runs} for name, runs in asyncio.run(_form_runs(ids)).items()}

    def new_runs() -> dict[str, list]:
        return {name: [r for r in runs if r.id not in before[name]]
                for name, runs in asyncio.run(_form_runs(ids)).items()}

    def tick_at(at: str) -> dict:
        state = asyncio.run(_tick_under_deployment(ids["tick"], at))
        assert state.is_completed(), state.message
        return state.result()

    register_organisations(db_url)
    code = announced_call(db_url, offers=2)
    assert tick_at("2026-01-20T08:00+01:00")["forms"] == []  # offers still being received: nobody waits
    assert new_runs() == {"formal-review": [], "committee-scoring": []}

    [key] = tick_at("2026-01-24T08:00+01:00")["forms"]  # the offers closed
    assert key.startswith(f"{FORMAL} {code} ")
    runs = new_runs()
    assert [(r.parameters, r.state.is_scheduled()) for r in runs["formal-review"]] == [({"code": code}, True)]
    assert runs["committee-scoring"] == []

    for number in (1, 2):
        execute(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number,
                decision="accept"), actor=OFFICER, at="2026-01-26T10:00+01:00", url=db_url)
    execute(open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), actor=OFFICER,
            at="2026-02-02T09:00+01:00", url=db_url)  # the CLI's step: no Prefect event at all
    opened = tick_at("2026-02-02T09:05+01:00")["forms"]
    assert [k.split()[:2] + k.split()[3:] for k in opened] == [
        [SCORING, code, f"#{seat}"] for seat in range(1, len(MEMBERS) + 1)]
    runs = new_runs()
    assert len(runs["formal-review"]) == 1
    assert [r.parameters for r in runs["committee-scoring"]] == [{"code": code}] * len(MEMBERS)

    assert tick_at("2026-02-02T09:10+01:00")["forms"] == []  # nothing new entered
    Variable.set(mark_name(db_url), 0, overwrite=True)  # the mark lost: the requests are made again ...
    assert len(tick_at("2026-02-02T09:15+01:00")["forms"]) == len(MEMBERS)
    runs = new_runs()  # ... and Prefect answers them with the runs already open: no second form
    assert (len(runs["formal-review"]), len(runs["committee-scoring"])) == (1, len(MEMBERS))
    Variable.set(mark_name(db_url), 0, overwrite=True)  # the next test empties the tables: ids start again


def test_a_tick_outside_a_deployment_opens_no_form(sqlite_url):
    """`coop tick` and tests run the tick flow directly: there is no deployment to ask, so no form is opened."""
    from flows.tick import tick_flow
    from tests.conftest import empty_tables

    empty_tables(sqlite_url)
    assert "forms" in asyncio.run(tick_flow(at="2026-01-24T08:00+01:00", database_url=sqlite_url))


# --- item 7: quiet — no failed runs for what nobody can send, automations named, summaries not piling up ----------

def _artifact_versions(key: str, since) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return [a for a in found if a.created >= since]


def _publish(url: str, code: str) -> int:
    from prefect import flow

    from flows.artifacts import publish_case_artifacts

    @flow(name="coop-test-artifacts", persist_result=False)
    def publish() -> int:
        return publish_case_artifacts([code], url=url)

    return publish()


@pytest.mark.usefixtures("prefect_api")
def test_a_message_nobody_can_send_is_a_recorded_status_not_a_failed_run(db_url, monkeypatch):
    """Committee members appointed without an e-mail: their messages are recorded undeliverable when queued; a
    pending one left by an older engine becomes undeliverable at dispatch with no failed task run; the case's
    summary tells the officer who was not told of what, in Polish."""
    import sqlalchemy as sa
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.artifacts import summary_key
    from flows.dispatch import dispatch_flow
    from models.db import get_engine, normalise_url
    from models.notification_tables import Notification
    from tests.notification_helpers import SmtpServer, configure, free_port, outbox
    from tests.prefect_fixtures import call_in_scoring, register_organisations

    monkeypatch.setenv("COOP_LANG", "pl")
    register_organisations(db_url)
    code = call_in_scoring(db_url, offers=1)
    rows = outbox(db_url)
    lacking = [r for r in rows if not r.recipient and r.channel == "email" and r.audience == "member"]
    assert lacking and {r.status for r in lacking} == {"undeliverable"}
    assert all(r.attempts == 0 and r.closed_at is not None and "no address" in r.last_error for r in lacking)

    table = Notification.__table__
    with get_engine(normalise_url(db_url)).begin() as conn:  # as an older engine queued it: pending, no address
        conn.execute(sa.update(table).where(table.c.id == lacking[0].id).values(status="pending", closed_at=None,
                                                                                last_error=None))
    server = SmtpServer(free_port()).start()
    configure(monkeypatch, server.port, db_url)
    try:
        state = asyncio.run(dispatch_flow(at="2026-03-01T08:00+01:00", database_url=db_url, return_state=True))
    finally:
        server.stop()
    assert state.is_completed()
    totals = state.result()
    assert (totals["undeliverable"], totals["failed"]) == (1, [])
    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(
            any_=[state.state_details.flow_run_id])))
    assert tasks and not [t for t in tasks if t.state.is_failed()]
    assert {r.status for r in outbox(db_url) if r.id == lacking[0].id} == {"undeliverable"}
    from coop.demo import OFFICER
    from notifications.handlers import ListNotifications, list_notifications
    from states.engine import execute

    listed = execute(list_notifications, ListNotifications.parse(code=code, status=("undeliverable",), limit=100),
                     actor=OFFICER, url=db_url, readonly=True)  # what `coop notifications list` shows the officer
    assert {row["id"] for row in listed} == {r.id for r in lacking} and all(row["recipient"] == "—" for row in listed)

    from prefect.artifacts import Artifact

    _publish(db_url, code)
    summary = Artifact.get(summary_key(code))  # the latest version (the other backend's run may have made it)
    assert "## Powiadomienia" in summary.data
    assert "nie wysłano, odbiorca nie ma adresu" in summary.data.lower()
    assert "niedoręczalne" in summary.data


@pytest.mark.usefixtures("prefect_api")
def test_a_summary_gets_a_new_version_only_when_its_content_changes(sqlite_url):
    from datetime import UTC, datetime

    from coop.demo import OFFICER
    from flows.artifacts import summary_key
    from states.engine import execute
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from tests.conftest import empty_tables
    from tests.prefect_fixtures import announced_call, register_organisations

    empty_tables(sqlite_url)
    register_organisations(sqlite_url)
    code = announced_call(sqlite_url, offers=2)
    started = datetime.now(UTC)
    for _ in range(3):  # refreshed three times, nothing changed: one version
        _publish(sqlite_url, code)
    assert len(_artifact_versions(summary_key(code), started)) == 1
    from states.tick import tick

    tick("2026-01-24T08:00+01:00", url=sqlite_url)
    execute(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="accept"),
            actor=OFFICER, at="2026-01-26T10:00+01:00", url=sqlite_url)
    _publish(sqlite_url, code)
    _publish(sqlite_url, code)
    versions = _artifact_versions(summary_key(code), started)
    assert len(versions) == 2 and "formal_review" in max(versions, key=lambda a: a.created).data


def test_automations_are_named_for_what_they_do_and_no_deployment_has_a_trigger():
    """No two automations of one name, none of Prefect's generated `<deployment>__automation_1` kind: every
    automation the engine installs is declared in deploy/automations/ with a name and a description."""
    from flows.automations import load_automations
    from flows.launcher import deployments

    declared = load_automations()
    names = [a["name"] for a in declared]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"coop-[a-z]+(-[a-z]+)+", n) and "__automation_" not in n for n in names)
    assert all(a.get("description", "").strip() for a in declared)
    assert all(not d.triggers and not d.schedules for d in deployments(60) if d.name != "tick")


# --- item 3: the Prefect server on PostgreSQL whenever the engine's database is -----------------------------------

def test_the_prefect_database_beside_the_engines():
    from flows.launcher import prefect_database_url

    assert prefect_database_url("sqlite:////tmp/coop.db") is None
    assert prefect_database_url("postgresql://coop:s3cret@db.example:5433/coop?sslmode=require") == \
        "postgresql+asyncpg://coop:s3cret@db.example:5433/coop_prefect"


def test_coop_serve_on_a_postgresql_engine_runs_prefect_on_postgresql(tmp_path):
    """`coop serve` with the engine on PostgreSQL: the Prefect server's state is in `<engine db>_prefect` (made by
    coop serve), no SQLite file of Prefect's is made; the password is never printed."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL, scratch_postgresql
    from tests.serving import free_port, serve_env, start_serve, stop_serve

    with scratch_postgresql("coop_serve_pg") as url:
        prefect_db = url.rsplit("/", 1)[1] + "_prefect"
        port = free_port()
        serve = start_serve(port, serve_env(tmp_path, url), "--no-demo")
        try:
            with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{prefect_db}") as conn:
                tables = {row[0] for row in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
            assert {"flow_run", "deployment", "artifact"} <= tables
            assert not list((tmp_path / "prefect").glob("*.db"))  # no SQLite of Prefect's
        finally:
            output = stop_serve(serve, timeout=60)
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{prefect_db}" WITH (FORCE)')
        assert f"/{prefect_db}" in output and "Traceback" not in output


# --- item 8: form fields with Polish titles, bounds and choices the UI shows --------------------------------------

def test_form_fields_keep_polish_titles_bounds_and_choices():
    """The schema Prefect's UI draws a form from: a field given an initial value keeps its Polish title and minimum
    and stays required; points are a number between 0 and the maximum with a step (no "float | str" choice);
    the decision is chosen by its Polish name and recorded by the engine's identifier."""
    from decimal import Decimal

    from flows.evaluation import FormalReviewForm, decision_code, score_form
    from states.rule_sets import Criterion

    review = FormalReviewForm.with_initial_data(description="opis", offer=2).model_json_schema()
    offer = review["properties"]["offer"]
    assert (offer["title"], offer["minimum"], offer["default"]) == ("Numer oferty", 1, 2)
    assert {"offer", "decision"} <= set(review["required"])
    assert review["properties"]["decision"]["enum"] == [
        "poprawna formalnie (przyjęta)", "odrzucona z przyczyn formalnych", "wezwanie do uzupełnienia braków"]
    assert [decision_code(v) for v in review["properties"]["decision"]["enum"]] == ["accept", "reject", "correct"]

    quality = Criterion(key="quality", basis="art. 15 ust. 1 pkt 2", label_pl="Jakość realizacji",
                        label_en="Quality", max_points=Decimal("10"))
    form = score_form([quality]).with_initial_data(description="opis", offer=1)
    points = form.model_json_schema()["properties"]["quality"]
    assert "anyOf" not in points and points["type"] == "number"
    assert (points["minimum"], points["maximum"], points["multipleOf"]) == (0, 10, 0.5)
    assert points["title"] == "Jakość realizacji (najwyżej 10 pkt)"
    assert form(offer=1, quality=7.5, proof="").quality == Decimal("7.5")
    for wrong in (-3, 11):
        with pytest.raises(ValueError):
            form(offer=1, quality=wrong, proof="")


def test_the_forms_table_of_offers_shows_organisation_title_and_state_by_name():
    from flows.evaluation import _offers_table

    table = _offers_table([{"number": 1, "organisation": "Stowarzyszenie | Razem", "title": "Festyn\nrodzinny",
                            "state": "formally_accepted", "requested": "10000.00", "conflict": None,
                            "scored": False}],
                          ["number", "organisation", "title", "requested", "state", "conflict", "scored"])
    head, rule, row = table.strip().splitlines()
    assert head.count("|") == 8 and "organizacja" in head
    assert row.count("|") == 8 and "Stowarzyszenie / Razem" in row and "Festyn rodzinny" in row
    assert "10 000,00 PLN" in row and "formally_accepted" not in row and "„" in row


@pytest.mark.usefixtures("prefect_api")
def test_a_refused_step_says_the_refusal_in_polish_without_a_traceback(sqlite_url):
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    from tests.conftest import empty_tables
    from tests.prefect_fixtures import announced_call, register_organisations
    from tests.test_flows import _step_answered

    empty_tables(sqlite_url)
    register_organisations(sqlite_url)
    code = announced_call(sqlite_url, offers=1)
    state, _ = _step_answered(sqlite_url, {"code": code, "step": "finish_formal_review",
                                           "at": "2026-01-20T10:00+01:00"}, [("Anna Urzędniczka", "officer")])
    assert state.is_failed() and "\n" not in state.message and "nie można wykonać" in state.message
    def logged() -> str:
        APILogWorker.drain_all(timeout=10)
        with get_client(sync_client=True) as client:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(
                any_=[state.state_details.flow_run_id])))
        return "\n".join(log.message for log in logs)

    # The run's refusal line is the sync point: the engine's log of the step is written before the run ends, so a
    # traceback it printed would be there with it (the closing "Finished in state" line came late, or not at all,
    # in a loaded worker of the whole suite).
    text = logged()
    for _ in range(120):
        if "nie można wykonać" in text:
            break
        time.sleep(0.5)
        text = logged()
    assert "nie można wykonać" in text
    assert "Traceback" not in text and "Traceback" not in logged()


@pytest.mark.parametrize("entrypoint, read", [("flows/summaries.py:case_summaries_flow", "recorded_since"),
                                              ("flows/summaries.py:case_summaries_flow", "records_after"),
                                              ("flows/evaluation.py:scoring_flow", "scoring_view")])
def test_a_flow_loaded_by_its_path_keeps_its_reads_names_in_the_matrix(entrypoint, read):
    """A served deployment loads its flow's file by path (module "summaries", not "flows.summaries"): the reads
    defined there must still be found in the authorization matrix, or the scheduler is refused them (every
    summaries run of an idle `coop serve` failed so)."""
    from prefect.flows import load_flow_from_entrypoint

    from states.authorization import MATRIX, command_name

    loaded = load_flow_from_entrypoint(entrypoint)
    name = command_name(loaded.fn.__globals__[read])
    assert name.startswith("flows.") and name in MATRIX


def test_the_served_prefect_server_schedules_minutes_ahead_not_an_hour(tmp_path, monkeypatch):
    """An hour of scheduled ticks (60 runs) filled the UI's first page of runs; coop serve's server keeps five
    minutes ahead, and an operator's own setting wins."""
    import subprocess

    from flows import launcher

    seen = []
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kwargs: seen.append(kwargs["env"]))
    monkeypatch.delenv("PREFECT_SERVER_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME", raising=False)
    monkeypatch.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
    launcher.start_server("127.0.0.1", 4999, tmp_path / "log", "coop:x")
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME", "PT10M")
    launcher.start_server("127.0.0.1", 4999, tmp_path / "log", "coop:x", "postgresql+asyncpg://u@h/db_prefect")
    ahead = [env["PREFECT_SERVER_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME"] for env in seen]
    assert ahead == ["PT300S", "PT10M"]
    from prefect.settings.models.server.services import ServerServicesSchedulerSettings

    # as Prefect's server reads it (a bare "300" made the server exit at start)
    assert ServerServicesSchedulerSettings(min_scheduled_time=ahead[0]).min_scheduled_time.total_seconds() == 300
    assert "PREFECT_API_DATABASE_CONNECTION_URL" not in seen[0]  # SQLite: Prefect's own file in PREFECT_HOME
    assert seen[1]["PREFECT_API_DATABASE_CONNECTION_URL"].endswith("/db_prefect")
