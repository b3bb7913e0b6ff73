"""states.cases.first_record: a case's first record of an event, appended in this transaction or stored,
without flushing; in a tick's batch, the stored ones of every claimed case read at once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import select

from models.db import UnitOfWork, get_engine
from models.rows import write_new_rows
from models.tables import AuditRecord, Case
from states.cases import first_record, start_batch
from states.engine import Actor, Context, append_audit
from tests.prefect_fixtures import announced_call, register_organisations

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def _append(session, case: Case, event_name: str) -> AuditRecord:
    ctx = Context(session=session, actor=Actor("Anna Urzędniczka", "officer"), now=NOW)
    return append_audit(ctx, case, event=event_name, subject="case", from_state=None, to_state=None, basis="")


def _audit_queries(url: str, work) -> tuple[object, int]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        if "audit_log" in statement:
            seen.append(statement)

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        return work(), len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_first_record_finds_stored_and_appended_records_and_flushes_nothing(db_url):
    register_organisations(db_url)
    code = announced_call(db_url, offers=0, members=False)
    with UnitOfWork(db_url) as uow:
        session = uow.session
        case = session.exec(select(Case).where(Case.code == code)).one()
        stored = first_record(session, case, "announce")
        assert stored is not None and stored.event == "announce"
        assert first_record(session, case, "never_happened") is None

        later, _ = _audit_queries(db_url, lambda: _append(session, case, "note"))
        found, queries = _audit_queries(db_url, lambda: first_record(session, case, "note"))
        assert found is later and queries == 1  # the stored ones read; the held one found without writing it
        write_new_rows(session)
        _append(session, case, "note")
        assert first_record(session, case, "note") is later  # written since, still the first


def test_in_a_batch_the_stored_records_of_every_claimed_case_are_read_once(db_url):
    register_organisations(db_url)
    codes = [announced_call(db_url, offers=0, members=False) for _ in range(3)]
    with UnitOfWork(db_url) as uow:
        session = uow.session
        cases = session.exec(select(Case).where(Case.code.in_(codes)).order_by(Case.id)).all()
        start_batch(session, cases)
        firsts, queries = _audit_queries(db_url, lambda: [first_record(session, c, "announce") for c in cases])
        assert queries == 1
        assert [(r.case_id, r.event) for r in firsts] == [(c.id, "announce") for c in cases]
        appended = _append(session, cases[0], "note")
        found, queries = _audit_queries(db_url, lambda: [first_record(session, c, "note") for c in cases])
        assert found == [appended, None, None] and queries == 1
        uow.session.rollback()  # a rolled-back record is forgotten with what was kept
        assert first_record(session, cases[0], "note") is None
