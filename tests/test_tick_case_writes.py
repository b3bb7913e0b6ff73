"""The tick writes its batch's changed cases itself, one statement per set of changed columns, and keeps
each case's optimistic lock: a case changed since it was read fails the batch, which is claimed again.
Its fired deadlines are one statement per set of new values."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select

from models.db import UnitOfWork, get_engine
from models.notification_tables import Notification
from models.rows import write_changed_cases, write_changed_deadlines
from models.tables import Case, Deadline
from states.cases import load_case
from states.engine import SCHEDULER, execute
from states.queries import verify_cases
from states.tick import tick
from tests.prefect_fixtures import announced_call, register_organisations


def _case(url: str, code: str) -> Case:
    with UnitOfWork(url, readonly=True) as uow:
        case = load_case(uow.session, code)
        uow.session.expunge(case)
        return case


def test_changed_cases_are_written_once_with_their_version_bumped(db_url):
    register_organisations(db_url)
    codes = [announced_call(db_url, offers=0, members=False) for _ in range(3)]
    before = {code: _case(db_url, code) for code in codes}
    with UnitOfWork(db_url) as uow:
        cases = {code: load_case(uow.session, code) for code in codes}
        cases[codes[0]].title, cases[codes[1]].title = "Pierwszy", "Drugi"
        cases[codes[1]].task_area = "kultura"  # another set of columns: another statement
        write_changed_cases(uow.session)
        assert cases[codes[0]] not in uow.session and cases[codes[2]] in uow.session
        uow.commit()  # the unit of work writes nothing again: its own versioned UPDATE would find no row
    after = {code: _case(db_url, code) for code in codes}
    assert (after[codes[0]].title, after[codes[1]].title, after[codes[1]].task_area) == ("Pierwszy", "Drugi", "kultura")
    assert [after[c].row_version - before[c].row_version for c in codes] == [1, 1, 0]


def test_a_case_changed_since_it_was_read_fails_the_write(db_url):
    register_organisations(db_url)
    code = announced_call(db_url, offers=0, members=False)
    with UnitOfWork(db_url) as uow:
        case = load_case(uow.session, code)
        case.title = "Zmieniony"
        set_committed_value(case, "row_version", case.row_version - 1)  # as if read before another commit
        with pytest.raises(StaleDataError):
            write_changed_cases(uow.session)
    assert _case(db_url, code).title != "Zmieniony"


def test_a_tick_writes_its_cases_and_new_rows_one_statement_per_table(db_url):
    register_organisations(db_url)
    codes = [announced_call(db_url, offers=1, members=False) for _ in range(2)]
    before = {code: _case(db_url, code) for code in codes}
    writes: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany):
        words = statement.split()
        if words[0].upper() in ("UPDATE", "INSERT"):
            writes.append((words[1] if words[0].upper() == "UPDATE" else words[2]).strip('"'))

    engine = get_engine(db_url)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        report = tick("2026-01-24T08:00+01:00", url=db_url)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert report.fired == 2
    # each fired call: its state and chain head, one audit record, the officers' message; both deadlines fired.
    # Each table is one statement (one executemany).
    assert sorted(writes) == ["audit_log", "cases", "deadlines", "notifications"], writes
    ids = [before[code].id for code in codes]
    with UnitOfWork(db_url, readonly=True) as uow:
        rows = {c.code: c for c in uow.session.exec(select(Case).where(Case.code.in_(codes)))}
        assert {code: rows[code].row_version - before[code].row_version for code in codes} == {code: 1 for code in codes}
        assert {rows[code].state for code in codes} == {"formal_review"}
        assert {code: rows[code].audit_seq - before[code].audit_seq for code in codes} == {code: 1 for code in codes}
        fired = uow.session.exec(select(Deadline).where(Deadline.case_id.in_(ids), Deadline.kind == "offers_close")).all()
        assert [(d.outcome, d.fired_at is not None) for d in fired] == [("fired", True)] * 2
        messages = uow.session.exec(select(Notification).where(Notification.case_id.in_(ids),
                                                               Notification.created_at >= report.now)).all()
        assert sorted(m.case_id for m in messages) == sorted(ids)
    assert execute(verify_cases, actor=SCHEDULER, url=db_url) == {"verified": 2, "broken": []}  # the chains hold


def test_changed_deadlines_are_written_one_statement_per_set_of_values(db_url):
    register_organisations(db_url)
    codes = [announced_call(db_url, offers=0, members=False) for _ in range(3)]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.split()[0].upper() == "UPDATE":
            statements.append(statement)

    outcomes = ("fired", "fired", "cancelled")
    with UnitOfWork(db_url) as uow:
        deadlines = uow.session.exec(select(Deadline).join(Case).where(Case.code.in_(codes))
                                     .order_by(Deadline.id)).all()
        assert len(deadlines) == 3
        moment = max(d.due_at for d in deadlines)
        for deadline, outcome in zip(deadlines, outcomes, strict=True):
            deadline.fired_at, deadline.outcome = moment, outcome
        engine = get_engine(db_url)
        event.listen(engine, "before_cursor_execute", seen)
        try:
            write_changed_deadlines(uow.session)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert not any(d in uow.session for d in deadlines)  # written: the commit must not write them again
        uow.commit()
    assert len(statements) == 2, statements  # (moment, fired) and (moment, cancelled)
    with UnitOfWork(db_url, readonly=True) as uow:
        stored = {d.id: (d.fired_at, d.outcome) for d in uow.session.exec(select(Deadline).where(
            Deadline.id.in_([d.id for d in deadlines])))}
    assert stored == {d.id: (moment, o) for d, o in zip(deadlines, outcomes, strict=True)}


def test_a_claimed_case_reads_its_settings_only_when_a_handler_asks(db_url, monkeypatch):
    """The claim leaves a call's settings (its criteria) unread; a handler that reads them gets what is stored."""
    from states import procedures

    register_organisations(db_url)
    code = announced_call(db_url, offers=2, members=False)
    stored = _case(db_url, code).settings
    assert stored["criteria"]  # a call's criteria: what the claim no longer parses
    seen = []
    handlers = procedures.deadline_handlers()

    def reading_offers_close(ctx, case, deadline):
        loaded_by_claim = "settings" in case.__dict__
        seen.append((loaded_by_claim, case.settings))
        return handlers["offers_close"](ctx, case, deadline)

    monkeypatch.setattr(procedures, "deadline_handlers", lambda: {**handlers, "offers_close": reading_offers_close})
    report = tick("2026-01-24T08:00+01:00", url=db_url)
    assert report.fired == 1 and report.skipped == 0
    assert seen == [(False, stored)]
    assert _case(db_url, code).settings == stored  # and the write of the fired case left them as they were
