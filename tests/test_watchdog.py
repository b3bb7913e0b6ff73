"""The watchdog figure (issue 23): the age of the oldest due, unfired deadline — the domain query (its plan on
the tick's index), who may read it, ``coop deadlines late`` for monitoring outside Prefect, and the tick's
reading at its start (result, artifact, the ``coop.deadlines.late`` event)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import coop.core_cli  # noqa: F401  (registers the command groups on the app)
from coop.cli import app
from models.db import get_engine, normalise_url
from models.tables import Case, Deadline
from states.engine import Actor
from states.errors import NotPermitted
from states.local_time import as_moment
from states.tick import due_deadlines, tick, watch
from tests.conftest import dump
from tests.prefect_fixtures import announced_call, clone_due_calls, events_of_run, register_organisations

DEADLINE = Deadline.__table__


def reference(url: str, now: datetime) -> tuple[int, tuple | None]:
    """The figure the slow way: every deadline read and filtered here."""
    with get_engine(normalise_url(url)).connect() as conn:
        rows = conn.execute(sa.select(DEADLINE.c.id, DEADLINE.c.due_at, DEADLINE.c.fired_at, DEADLINE.c.kind,
                                      Case.__table__.c.code).join(Case.__table__)).all()
    due = sorted((as_moment(r.due_at), r.id, r.code, r.kind) for r in rows
                 if r.fired_at is None and as_moment(r.due_at) <= now)
    return len(due), (due[0][0], due[0][2], due[0][3]) if due else None


def test_the_figure_is_the_oldest_due_unfired_deadline_in_due_order(db_url):
    register_organisations(db_url)
    first = announced_call(db_url, offers=1, offer_deadline="2026-01-23", members=False)
    second = announced_call(db_url, offers=0, offer_deadline="2026-01-26", members=False)

    early = watch("2026-01-20T12:00+01:00", url=db_url)
    assert (early.due, early.case, early.age_seconds) == (0, None, 0.0)

    at = datetime.fromisoformat("2026-01-24T00:09:59+01:00")
    figure = watch(at, url=db_url)
    assert (figure.case, figure.kind, figure.due) == (first, "offers_close", 1)
    assert figure.age_seconds == 600.0  # due 2026-01-23 23:59:59 Warsaw time
    assert reference(db_url, at) == (1, (figure.oldest_due_at, first, "offers_close"))

    later = datetime.fromisoformat("2026-01-28T12:00+01:00")
    both = watch(later, url=db_url)
    assert (both.case, both.due) == (first, 2)
    assert reference(db_url, later) == (both.due, (both.oldest_due_at, first, "offers_close"))

    tick("2026-01-24T08:00+01:00", url=db_url)  # the first call's deadline fired: no longer waiting
    after = watch(later, url=db_url)
    assert after.case == second and after.kind == "offers_close"
    assert reference(db_url, later) == (after.due, (after.oldest_due_at, second, "offers_close"))
    assert after.age_seconds == (later - after.oldest_due_at).total_seconds()


def _statements(url: str, now: datetime) -> list[tuple[str, object]]:
    """The statements ``due_deadlines`` sends, with their parameters, as the database receives them."""
    engine = get_engine(normalise_url(url))
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):  # not the session's BEGIN
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        from sqlmodel import Session

        with Session(engine) as session:
            due_deadlines(session, now)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return sent


def test_the_query_reads_the_ticks_index_and_no_fired_row(db_url):
    """20,000 fired deadlines, 2,000 not yet due (of as many cases) and one due: the plan searches the partial
    index of unfired rows in due order and finds the case by its key, never scans a table (EXPLAIN QUERY PLAN on
    SQLite, EXPLAIN after ANALYZE on PostgreSQL)."""
    register_organisations(db_url)
    code = announced_call(db_url, offers=0, members=False)
    clone_due_calls(db_url, code, 2000, datetime(2030, 1, 1, tzinfo=UTC))
    engine = get_engine(normalise_url(db_url))
    old = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        case_id = conn.execute(sa.select(Case.__table__.c.id).where(Case.__table__.c.code == code)).scalar_one()
        conn.execute(sa.insert(DEADLINE), [
            {"case_id": case_id, "kind": "offers_close", "due_at": old + timedelta(minutes=i), "basis": "",
             "fired_at": old + timedelta(minutes=i), "outcome": "fired"} for i in range(20_000)])
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE deadlines")
            conn.exec_driver_sql("ANALYZE cases")
    now = datetime.fromisoformat("2026-02-01T00:00+01:00")
    statements = _statements(db_url, now)
    assert len(statements) == 2  # the oldest, then the count
    with engine.connect() as conn:
        for statement, parameters in statements:
            if engine.dialect.name == "sqlite":
                plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
                assert "ix_deadlines_due_unfired" in plan and "SCAN deadlines" not in plan, plan
                assert "SCAN" not in plan.replace("SCAN deadlines", ""), plan  # nor the cases: by primary key
            else:
                plan = " | ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
                assert "ix_deadlines_due_unfired" in plan and "Seq Scan" not in plan, plan
    assert (due_deadlines_now := watch(now, url=db_url)).due == 1 and due_deadlines_now.case == code


@pytest.mark.parametrize("role", ["officer", "auditor", "scheduler"])
def test_officers_auditors_and_the_scheduler_may_read_it(db_url, role):
    assert watch("2026-01-20T12:00+01:00", url=db_url, actor=Actor("Ktoś", role)).due == 0


@pytest.mark.parametrize("role", ["public", "applicant", "committee_member"])
def test_other_roles_may_not(db_url, role):
    with pytest.raises(NotPermitted):
        watch("2026-01-20T12:00+01:00", url=db_url, actor=Actor("Ktoś", role))


def test_a_real_database_is_watched_at_its_own_time_whatever_moment_is_claimed(real_db_url):
    from decimal import Decimal

    from states.engine import execute
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from tests.people_fixtures import person

    officer, _ = person(real_db_url, "anna", "Anna Urzędniczka", "officer")  # a real database: a proven person
    code = execute(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Aktywność lokalna", task_area="pożytek publiczny",
                                                    budget=Decimal("1000.00")), actor=officer, url=real_db_url)["code"]
    engine = get_engine(normalise_url(real_db_url))
    with engine.begin() as conn:  # due ten minutes ago
        case_id = conn.execute(sa.select(Case.__table__.c.id).where(Case.__table__.c.code == code)).scalar_one()
        conn.execute(sa.insert(DEADLINE).values(case_id=case_id, kind="offers_close", basis="",
                                                due_at=datetime.now(UTC) - timedelta(minutes=10)))
    figure = watch("2026-01-01T00:00Z", url=real_db_url)  # a claimed moment is not the database's: not used
    assert figure.case == code
    assert abs((figure.now - datetime.now(UTC)).total_seconds()) < 60
    assert 600 <= figure.age_seconds < 600 + 60


# --- coop deadlines late ---------------------------------------------------------------------------------------


def cli(url: str, *args: str, lang: str = "pl", role: str = "officer"):
    return CliRunner().invoke(app, ["deadlines", "late", *args], env={
        "COOP_DATABASE_URL": url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": role, "COOP_LANG": lang})


def test_the_command_prints_the_figure_and_exits_1_when_late(db_url):
    register_organisations(db_url)
    code = announced_call(db_url, offers=1, members=False)
    before = dump(db_url)

    none = cli(db_url, "--at", "2026-01-20T12:00+01:00")
    assert none.exit_code == 0 and "Żaden zapadły termin nie czeka" in none.output

    within = cli(db_url, "--at", "2026-01-24T00:01:59+01:00")  # 120 s after the offer deadline: not over it
    assert within.exit_code == 0, within.output
    assert f"najstarszy ({code}, offers_close, zapadł 2026-01-23 23:59:59 (+01:00)) czeka 120 s" in within.output

    late = cli(db_url, "--at", "2026-01-24T00:10:00+01:00", "--threshold", "300", lang="en")
    assert late.exit_code == 1, late.output
    assert late.output.startswith("Deadlines are late: 1 due and not fired; the oldest") and "601 s" in late.output

    as_json = cli(db_url, "--at", "2026-01-24T00:10:00+01:00", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.output) == {
        "now": "2026-01-24T00:10:00+01:00", "due": 1, "oldest_due_at": "2026-01-23T23:59:59+01:00", "case": code,
        "kind": "offers_close", "age_seconds": 601.0, "threshold_seconds": 120.0, "late": True}
    assert dump(db_url) == before  # a read


def test_the_command_refuses_other_roles_and_a_negative_threshold(db_url):
    refused = cli(db_url, "--at", "2026-01-20T12:00+01:00", role="public")
    assert refused.exit_code == 5 and "Traceback" not in refused.output
    bad = cli(db_url, "--threshold", "-1")
    assert bad.exit_code == 2


# --- the tick reads it at its start ----------------------------------------------------------------------------


def test_a_late_tick_reports_the_wait_in_its_result_artifact_and_an_event(db_url):
    from prefect.artifacts import Artifact

    from flows.tick import tick_flow

    register_organisations(db_url)
    code = announced_call(db_url, offers=1, members=False)
    on_time = asyncio.run(tick_flow(at="2026-01-24T00:00:59+01:00", database_url=db_url, interval_seconds=60))
    assert on_time["fired"] == 1
    assert on_time["late"] == {"now": "2026-01-24T00:00:59+01:00", "due": 1, "oldest_due_at": "2026-01-23T23:59:59+01:00",
                               "case": code, "kind": "offers_close", "age_seconds": 60.0, "threshold_seconds": 120,
                               "late": False}

    second = announced_call(db_url, offers=0, offer_deadline="2026-01-26", members=False)
    started = datetime.now(UTC) - timedelta(seconds=1)
    state = asyncio.run(tick_flow(at="2026-01-27T00:05:00+01:00", database_url=db_url, interval_seconds=60,
                                  return_state=True))
    result = state.result()
    assert result["late"]["late"] is True and result["late"]["case"] == second and result["late"]["age_seconds"] == 301.0
    assert result["fired"] >= 1  # measured before firing: then fired as ever
    artifact = Artifact.get("tick")
    assert f"Terminy są opóźnione: zapadłe i niewykonane: {result['late']['due']}; najstarszy ({second}, offers_close" \
           in artifact.data and "ponad próg 120 s" in artifact.data

    found = events_of_run(state.state_details.flow_run_id, started, names=["coop.deadlines.late"], limit=10)
    assert [e.event for e in found] == ["coop.deadlines.late"]
    assert found[0].resource.id == "coop.deadlines"
    assert found[0].payload == {"age_seconds": 301.0, "case": second, "kind": "offers_close",
                                "due_at": "2026-01-26T23:59:59+01:00", "due": result["late"]["due"],
                                "threshold_seconds": 120}
