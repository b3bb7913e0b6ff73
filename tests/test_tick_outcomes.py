"""What the tick does with a deadline it cannot fire: a refusal is recorded as skipped, a bug is not."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.tables import Case, Deadline
from states.procedures import deadline_handlers
from states.tick import tick
from tests.prefect_fixtures import announced_call, register_organisations


def _add_deadline(url: str, code: str, kind: str) -> int:
    with Session(get_engine(normalise_url(url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        deadline = Deadline(case_id=case.id, kind=kind, due_at=datetime(2026, 1, 10, tzinfo=UTC), basis="test")
        session.add(deadline)
        session.commit()
        return deadline.id


def _deadline(url: str, deadline_id: int) -> Deadline:
    with Session(get_engine(normalise_url(url))) as session:
        return session.get(Deadline, deadline_id)


def test_an_unknown_deadline_kind_is_skipped_with_its_reason(db_url):
    code = announced_call(db_url, offers=0)
    unknown = _add_deadline(db_url, code, "no_such_kind")
    report = tick("2026-01-11T00:00+01:00", url=db_url)
    assert report.skipped == 1 and "no_such_kind" in report.skipped_reasons[0]["reason"]
    assert _deadline(db_url, unknown).outcome.startswith("skipped")


def test_a_bug_in_a_handler_fails_the_tick_and_loses_no_deadline(db_url, monkeypatch):
    code = announced_call(db_url, offers=0)
    broken = _add_deadline(db_url, code, "offers_close")

    def bug(ctx, case, deadline):
        raise KeyError("a programming error, not a refusal")

    monkeypatch.setitem(deadline_handlers(), "offers_close", bug)
    with pytest.raises(KeyError):
        tick("2026-01-11T00:00+01:00", url=db_url)
    assert _deadline(db_url, broken).fired_at is None  # left for the next tick, after the fix
    monkeypatch.undo()
    assert tick("2026-01-11T00:00+01:00", url=db_url).fired == 1
    assert _deadline(db_url, broken).outcome == "fired"


def test_a_refusal_after_a_fired_deadline_in_one_batch_undoes_only_itself(db_url):
    """The batch first runs without per-deadline savepoints; a refusal makes it run again, each deadline in its
    own: the deadline fired before the refused one is recorded, announced and notified once, not twice."""
    from sqlalchemy import func

    from models.notification_tables import Notification
    from models.tables import AuditRecord

    register_organisations(db_url)
    fired_code = announced_call(db_url, offers=1, members=False)  # its offers_close falls due 2026-01-23
    refused_code = announced_call(db_url, offers=0, members=False)
    with Session(get_engine(normalise_url(db_url))) as session:  # the refused one comes later in the batch
        case = session.exec(select(Case).where(Case.code == refused_code)).one()
        for deadline in session.exec(select(Deadline).where(Deadline.case_id == case.id)):
            session.delete(deadline)
        session.add(Deadline(case_id=case.id, kind="no_such_kind", due_at=datetime(2026, 1, 23, 12, tzinfo=UTC),
                             basis="test"))
        session.commit()

    report = tick("2026-01-24T08:00+01:00", url=db_url, keep_events=True)

    assert (report.fired, report.skipped, report.batches) == (1, 1, 1)
    assert [(e.case, e.event) for e in report.events] == [(fired_code, "close_offers")]
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == fired_code)).one()
        assert case.state == "formal_review"
        closes = session.exec(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.case_id == case.id, AuditRecord.event == "close_offers")).one()
        assert closes == 1 and case.audit_seq == session.exec(
            select(func.max(AuditRecord.seq)).where(AuditRecord.case_id == case.id)).one()
        notified = session.exec(select(Notification.key).where(Notification.case_id == case.id,
                                                               Notification.audit_seq == case.audit_seq)).all()
        assert len(notified) == len(set(notified))
