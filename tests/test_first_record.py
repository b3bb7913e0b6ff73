"""states.cases.first_record: a case's first record of an event, pending or stored, without flushing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from models.db import UnitOfWork
from models.tables import AuditRecord, Case
from states.cases import first_record
from tests.prefect_fixtures import announced_call, register_organisations

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def _record(case: Case, seq: int, event: str) -> AuditRecord:
    return AuditRecord(case_id=case.id, seq=seq, at=NOW, recorded_at=NOW, actor="a", role="officer", event=event,
                       subject="case", payload={"n": seq}, prev_hash="0" * 64, hash=f"{seq:064x}")


def test_first_record_finds_stored_and_pending_records_and_flushes_nothing(db_url):
    register_organisations(db_url)
    code = announced_call(db_url, offers=0, members=False)
    with UnitOfWork(db_url) as uow:
        session = uow.session
        case = session.exec(select(Case).where(Case.code == code)).one()
        stored = first_record(session, case, "announce")
        assert stored is not None and stored.event == "announce"
        assert first_record(session, case, "never_happened") is None

        later = _record(case, case.audit_seq + 1, "note")
        session.add(later)
        assert first_record(session, case, "note") is later  # pending, found without a flush
        assert later in session.new
        session.flush()
        session.add(_record(case, case.audit_seq + 2, "note"))
        assert first_record(session, case, "note").seq == case.audit_seq + 1  # the first, stored one
