"""What the tick does with a deadline it cannot fire: a refusal is recorded as skipped, a bug is not."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.tables import Case, Deadline
from states.procedures import deadline_handlers
from states.tick import tick
from tests.prefect_fixtures import announced_call


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
