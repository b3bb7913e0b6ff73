"""Housekeeping on demand (flows/housekeeping.py): the tick asks for a dispatch or a summaries run when the engine
has work for one, and the deployments run one at a time.

The domain's questions (a message due in the outbox; audit records past the summaries' mark) run on SQLite and
PostgreSQL; so does the whole request path, with ticks run under the tick deployment on the Prefect test server.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from models.tables import CommitteeMember
from tests.notification_helpers import OFFICERS, SmtpServer, closed_calls, configure, free_port, outbox
from tests.prefect_fixtures import prefect_api  # noqa: F401  (one Prefect harness for the session)

DISPATCH = "coop-notifications-dispatch/notifications-dispatch"
SUMMARIES = "coop-case-summaries/case-summaries"
LATER = datetime(2026, 2, 1, tzinfo=UTC)  # after every message the scenarios queue


def test_a_message_is_waiting_when_pending_due_and_unleased(db_url):
    from notifications.dispatcher import claim_batch, work_waiting

    assert not work_waiting(LATER, url=db_url)  # an empty outbox
    closed_calls(db_url, 1)  # the tick invalidates the call: one message to the officers
    [message] = outbox(db_url)
    assert message.status == "pending"
    assert not work_waiting(message.next_attempt_at - timedelta(seconds=1), url=db_url)  # not due yet
    assert work_waiting(message.next_attempt_at, url=db_url)
    claim = claim_batch(LATER, worker="test", url=db_url)
    assert claim.ids == [message.id]
    assert not work_waiting(LATER, url=db_url)  # a dispatcher holds it: it sends it
    engine = get_engine(normalise_url(db_url))
    table = Notification.__table__
    with engine.begin() as conn:  # its holder died: the lease ran out
        conn.execute(sa.update(table).values(claimed_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert work_waiting(LATER, url=db_url)
    with engine.begin() as conn:  # failed for good: nothing left to send
        conn.execute(sa.update(table).values(status="failed", claimed_by=None, claimed_until=None))
    assert not work_waiting(LATER, url=db_url)


def test_records_after_a_mark(db_url):
    from flows.summaries import records_after
    from models.tables import AuditRecord
    from states.engine import SCHEDULER, execute

    def after(mark: int) -> bool:
        return execute(records_after, mark, actor=SCHEDULER, url=db_url, readonly=True)

    assert not after(0)
    closed_calls(db_url, 1)
    with get_engine(normalise_url(db_url)).connect() as conn:
        top = conn.execute(sa.select(sa.func.max(AuditRecord.__table__.c.id))).scalar_one()
    assert after(0) and after(top - 1)
    assert not after(top)


@pytest.mark.usefixtures("prefect_api")
def test_a_tick_under_its_deployment_requests_housekeeping_only_when_there_is_work(db_url, monkeypatch):
    """Nothing waiting: no request. A tick that queued a message and recorded steps: one dispatch run and one
    summaries run requested. A request made while a run of the same deployment holds its slot: cancelled before
    it starts. Once the work is done, nothing more is requested."""
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Pending, Running
    from prefect.variables import Variable

    from flows.launcher import deployments
    from flows.summaries import case_summaries_flow, mark_name
    from notifications.dispatcher import dispatch

    planned = {d.name: d for d in deployments(60) if d.name in ("tick", "notifications-dispatch", "case-summaries")}
    ids = {name: deployment.apply() for name, deployment in planned.items()}
    Variable.set(mark_name(db_url), 0, overwrite=True)  # the tables were emptied: a fresh audit log
    started = asyncio.run(_runs(ids))
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)  # a deployment's run takes no database_url (flows/doors.py)

    def tick_at(at: str) -> dict:
        state = asyncio.run(_tick_under_deployment(ids["tick"], {"at": at}))
        assert state.is_completed(), state.message
        return state.result()

    assert tick_at("2026-01-10T08:00+01:00")["requested"] == []  # an empty engine
    assert _same(asyncio.run(_runs(ids)), started)

    closed_calls(db_url, 1)  # officers' commands, then `coop tick` (no Prefect): audit records, a message queued
    first = tick_at("2026-01-24T08:10+01:00")
    assert first["requested"] == [DISPATCH, SUMMARIES]
    runs = asyncio.run(_runs(ids))
    new = {name: [r for r in runs[name].values() if r.id not in started[name]] for name in runs}
    assert [len(new[n]) for n in ("notifications-dispatch", "case-summaries")] == [1, 1]
    [dispatch_run], [summaries_run] = new["notifications-dispatch"], new["case-summaries"]
    assert all(r.parameters == {} and r.state.is_scheduled() for r in (dispatch_run, summaries_run))

    async def hold_and_collide() -> list:
        """A worker starts both requested runs; a tick requests again meanwhile; the new runs try to start."""
        async with get_client() as client:
            for run in (dispatch_run, summaries_run):
                assert (await client.set_flow_run_state(run.id, Pending())).status.value == "ACCEPT"
                assert (await client.set_flow_run_state(run.id, Running())).status.value == "ACCEPT"
        second = (await _tick_under_deployment(ids["tick"], {"at": "2026-01-24T08:11+01:00"}))
        assert (await second.aresult())["requested"] == [DISPATCH, SUMMARIES]  # the work is still there: asked again
        runs = await _runs(ids)
        answers = []
        async with get_client() as client:
            for name, holder in (("notifications-dispatch", dispatch_run), ("case-summaries", summaries_run)):
                [collider] = [r for r in runs[name].values() if r.id not in started[name] and r.id != holder.id]
                answers.append(await client.set_flow_run_state(collider.id, Pending()))
            for holder in (dispatch_run, summaries_run):
                await client.set_flow_run_state(holder.id, Completed())
        return answers

    answers = asyncio.run(hold_and_collide())
    assert [a.status.value for a in answers] == ["REJECT", "REJECT"]
    assert all(a.state.is_cancelled() and "concurrency limit" in a.details.reason for a in answers)

    server = SmtpServer(free_port()).start()  # the housekeeping done, as the requested runs would do it
    configure(monkeypatch, server.port, db_url)
    try:
        assert dispatch(LATER, url=db_url).sent == 1 and len(server.inbox.to(OFFICERS)) == 1
    finally:
        server.stop()
    assert asyncio.run(case_summaries_flow(database_url=db_url))["cases"]
    before = asyncio.run(_runs(ids))
    assert tick_at("2026-01-24T08:12+01:00")["requested"] == []
    assert _same(asyncio.run(_runs(ids)), before)
    Variable.set(mark_name(db_url), 0, overwrite=True)  # the next test empties the tables: ids start again


@pytest.mark.usefixtures("prefect_api")
def test_an_officers_step_under_its_deployment_requests_a_dispatch(sqlite_url, monkeypatch):
    """Finishing the formal review tells the committee to score: the step's run asks for a dispatch at once."""
    from prefect import get_client
    from prefect.flow_engine import run_flow

    from coop.demo import OFFICER
    from flows.launcher import deployments
    from flows.steps import case_step_flow
    from states.engine import execute
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from states.tick import tick
    from tests.conftest import empty_tables
    from tests.prefect_fixtures import announced_call, register_organisations

    empty_tables(sqlite_url)
    register_organisations(sqlite_url)
    code = announced_call(sqlite_url, offers=1)
    tick("2026-01-24T08:00+01:00", url=sqlite_url)
    execute(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="accept"), actor=OFFICER,
            at="2026-01-26T10:00+01:00", url=sqlite_url)
    with get_engine(normalise_url(sqlite_url)).begin() as conn:  # whatever was queued so far has been sent
        conn.execute(sa.update(Notification.__table__).values(status="sent"))
        # the members' addresses (a message to a person without one is never sent: it is recorded undeliverable)
        conn.execute(sa.update(CommitteeMember.__table__).values(email="komisja@leszno.example"))
    ids = {d.name: d.apply() for d in deployments(60) if d.name in ("case-step", "notifications-dispatch")}
    before = asyncio.run(_runs(ids))
    monkeypatch.setenv("COOP_DATABASE_URL", sqlite_url)  # a deployment's run takes no database_url
    parameters = {"code": code, "step": "finish_formal_review", "at": "2026-02-02T09:00+01:00"}
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(ids["case-step"], parameters=parameters)
    # The run suspends for the officer's proof (flows/steps.py), is resumed with it and run again, as a worker would.
    from prefect.exceptions import Pause
    from prefect.flow_runs import resume_flow_run

    from tests.prefect_fixtures import proof, waiting_form

    with pytest.raises(Pause):  # the process would exit here
        run_flow(case_step_flow, flow_run=run, parameters=parameters, return_type="state")
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run.id).state
    assert waiting_form(state) == "confirm-1"
    resume_flow_run(run.id, run_input={"proof": proof(run.id, "confirm-1", "Anna Urzędniczka", "officer")})
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run.id)
    state = run_flow(case_step_flow, flow_run=run, parameters=parameters, return_type="state")
    assert state.is_completed(), state.message
    assert {m.template for m in outbox(sqlite_url) if m.status == "pending"} >= {"scoring_to_do"}
    runs = asyncio.run(_runs(ids))["notifications-dispatch"]
    assert len(runs.keys() - before["notifications-dispatch"].keys()) == 1


@pytest.mark.usefixtures("prefect_api")
def test_a_tick_outside_a_deployment_requests_nothing(sqlite_url):
    from tests.conftest import empty_tables

    empty_tables(sqlite_url)
    closed_calls(sqlite_url, 1)
    from flows.tick import tick_flow

    result = asyncio.run(tick_flow(at="2026-01-24T08:10+01:00", database_url=sqlite_url))
    assert [m.status for m in outbox(sqlite_url)] == ["pending"]  # work waiting, but no deployment to ask
    assert result["requested"] == []


@pytest.mark.usefixtures("prefect_api")
def test_housekeeping_has_no_schedule_no_trigger_and_one_run_at_a_time():
    """Both in `coop serve` and in prefect.yaml; a slot whose holder is marked Crashed (as the crashed-run
    automation does) is free again at once."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled, Crashed, Pending, Running

    from flows.launcher import deployments

    production = {d["name"]: d for d in yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "prefect.yaml").read_text())["deployments"]}
    for planned in [d for d in deployments(60) if d.name in ("notifications-dispatch", "case-summaries")]:
        assert not planned.schedules and not planned.triggers
        entry = production[planned.name]
        assert "schedules" not in entry and "triggers" not in entry
        assert entry["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
        async def crash_frees_the_slot(deployment_id):
            async with get_client() as client:
                deployment = await client.read_deployment(deployment_id)
                holder, blocked, waiting = [await client.create_flow_run_from_deployment(deployment_id)
                                            for _ in range(3)]
                answers = [await client.set_flow_run_state(holder.id, Pending()),
                           await client.set_flow_run_state(holder.id, Running()),
                           await client.set_flow_run_state(blocked.id, Pending())]
                await client.set_flow_run_state(holder.id, Crashed())  # as a change-flow-run-state automation does
                answers.append(await client.set_flow_run_state(waiting.id, Pending()))
                await client.set_flow_run_state(waiting.id, Cancelled())  # the slot free for the session's next tests
                return deployment, answers

        deployment, answers = asyncio.run(crash_frees_the_slot(planned.apply()))
        assert (deployment.global_concurrency_limit.limit,
                deployment.concurrency_options.collision_strategy.value) == (1, "CANCEL_NEW")
        assert [a.status.value for a in answers] == ["ACCEPT", "ACCEPT", "REJECT", "ACCEPT"]


async def _tick_under_deployment(deployment_id, parameters: dict):
    """A run of the tick deployment, executed here as a worker's process would execute it."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow

    from flows.tick import tick_flow

    async with get_client() as client:
        run = await client.create_flow_run_from_deployment(deployment_id, parameters=parameters)
    return await run_flow(tick_flow, flow_run=run, parameters=parameters, return_type="state")


async def _runs(ids: dict) -> dict[str, dict]:
    """The flow runs of the housekeeping deployments by id, by deployment name."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    async with get_client() as client:
        return {name: {r.id: r for r in await client.read_flow_runs(deployment_filter=DeploymentFilter(
                    id=DeploymentFilterId(any_=[ids[name]])))}
                for name in ("notifications-dispatch", "case-summaries") if name in ids}


def _same(runs: dict, earlier: dict) -> bool:
    """No run was added to either deployment."""
    return all(runs[name].keys() == earlier[name].keys() for name in runs)
