"""New audit records and outbox rows are held beside the session (models.rows.hold_new): never lost, seen by
every read of their table in the same transaction, gone with a rolled-back savepoint or transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from models.db import UnitOfWork, get_engine, normalise_url
from models.tables import AuditRecord, Case
from states.engine import Actor, Context, append_audit
from tests.prefect_fixtures import announced_call, register_organisations

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def _append(session, case: Case, event_name: str) -> AuditRecord:
    ctx = Context(session=session, actor=Actor("Anna Urzędniczka", "officer"), now=NOW)
    return append_audit(ctx, case, event=event_name, subject="case", from_state=None, to_state=None, basis="")


def _events(session, case: Case) -> list[str]:
    return list(session.exec(select(AuditRecord.event).where(AuditRecord.case_id == case.id)
                             .order_by(AuditRecord.seq)))


def _stored_events(url: str, code: str) -> list[str]:
    with Session(get_engine(normalise_url(url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        return _events(session, case)


def _call(url: str) -> str:
    register_organisations(url)
    return announced_call(url, offers=0, members=False)


def test_a_held_record_is_not_in_the_session_but_every_read_of_its_table_sees_it(db_url):
    code = _call(db_url)
    before = _stored_events(db_url, code)
    with UnitOfWork(db_url) as uow:
        case = uow.session.exec(select(Case).where(Case.code == code)).one()
        record = _append(uow.session, case, "note")
        assert record not in uow.session.new  # no Session.add, no cascade walk, no make_transient later
        assert _events(uow.session, case) == [*before, "note"]  # written before the read, as autoflush did
        count = select(func.count()).select_from(AuditRecord).where(AuditRecord.case_id == case.id)
        assert uow.session.exec(count).one() == len(before) + 1  # a read through a function, too
        _append(uow.session, case, "note2")
        uow.commit()
    assert _stored_events(db_url, code) == [*before, "note", "note2"]  # each written once


def test_a_plain_commit_writes_what_is_held(db_url):
    code = _call(db_url)
    before = _stored_events(db_url, code)
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        _append(session, case, "note")
        session.commit()  # not through the unit of work: nothing held is lost
    assert _stored_events(db_url, code) == [*before, "note"]


def test_a_rolled_back_savepoint_drops_only_what_was_held_since_it_began(db_url):
    code = _call(db_url)
    before = _stored_events(db_url, code)
    with UnitOfWork(db_url) as uow:
        session = uow.session
        case = session.exec(select(Case).where(Case.code == code)).one()
        _append(session, case, "kept")
        savepoint = session.begin_nested()
        _append(session, case, "dropped")
        assert _events(session, case)[-2:] == ["kept", "dropped"]  # both written inside the savepoint
        savepoint.rollback()
        assert _events(session, case) == [*before, "kept"]  # "kept" is written again, outside it
        inner = session.begin_nested()
        _append(session, case, "released")
        inner.commit()
        uow.commit()
    assert _stored_events(db_url, code) == [*before, "kept", "released"]


def test_a_rolled_back_transaction_leaves_nothing_held_for_the_next(db_url):
    code = _call(db_url)
    before = _stored_events(db_url, code)
    engine = get_engine(normalise_url(db_url))
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        _append(session, case, "rolled back")
        session.rollback()
        case = session.exec(select(Case).where(Case.code == code)).one()
        session.commit()
    assert _stored_events(db_url, code) == before
