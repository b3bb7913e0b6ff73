"""A step writes its rows once, at commit (B2), yet every read still sees the step's own pending rows.

``states.cases.quiet_read`` lets a query skip the autoflush when no row of the kind it reads is pending or
changed. These tests show that a whole open call then flushes once per step, and that a read whose rows
are pending still flushes first (a reminder enqueued in a step is cancelled by the same step).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from models.db import UnitOfWork
from models.notification_tables import Notification
from notifications.outbox import cancel
from states import engine
from states.cases import load_case
from states.engine import Context
from tests.prefect_fixtures import call_in_scoring, prefect_api, register_organisations  # noqa: F401


def test_every_step_of_an_open_call_flushes_once(db_url):
    from bench.b2_lifecycle import domain_lifecycles

    committed: list[int] = []  # flushes that wrote something, per committed transaction

    def flushed(session, _context, _instances):
        if session.new or session.dirty or session.deleted:
            session.info["b2_flushes"] = session.info.get("b2_flushes", 0) + 1

    def commit(session):
        committed.append(session.info.pop("b2_flushes", 0))

    event.listen(Session, "before_flush", flushed)
    event.listen(Session, "after_commit", commit)
    try:
        domain_lifecycles(db_url, 2)  # the first call also stores the rule set it pins (one more flush)
    finally:
        event.remove(Session, "before_flush", flushed)
        event.remove(Session, "after_commit", commit)
    # The second call's 28 steps: 27 commit (the ranking is read-only), and the tick commits once more
    # finding nothing else due. create_call flushes the new case first: its audit record needs the case's id.
    assert [n for n in committed[-28:] if n] == [2] + [1] * 26, committed


def test_a_reminder_enqueued_in_the_step_is_cancelled_by_it(db_url, prefect_api):  # noqa: F811
    register_organisations(db_url)
    code = call_in_scoring(db_url)
    with UnitOfWork(db_url) as uow:
        case = load_case(uow.session, code)
        ctx = Context(session=uow.session, actor=engine.SCHEDULER, now=case.last_event_at)
        uow.session.add(Notification(key=f"{code}#test", case_id=case.id, audit_seq=case.audit_seq,
                                     template="scoring_reminder", category="reminder", channel="email",
                                     audience="member", recipient="a@example.org", lang="pl", data={},
                                     cancel_tag="scoring:member:test", not_before=ctx.now, next_attempt_at=ctx.now,
                                     status="pending", message_id="<test@example.org>", created_at=ctx.now))
        assert cancel(ctx, case, ["scoring:member:test"]) == 1


def test_a_read_of_a_kind_changed_in_the_step_flushes_first_and_others_do_not(db_url):
    from sqlmodel import select

    from models.tables import Case, Organisation
    from states.cases import quiet_read

    register_organisations(db_url)
    with UnitOfWork(db_url) as uow:
        session = uow.session
        org = session.exec(select(Organisation).order_by(Organisation.id)).first()
        org.email = "changed@example.org"  # dirty, not new: only the identity map knows
        with quiet_read(session, Case):
            assert session.exec(select(Organisation.email).where(Organisation.id == org.id)).one() != org.email
        with quiet_read(session, Organisation):
            assert session.exec(select(Organisation.email).where(Organisation.id == org.id)).one() == org.email
        session.add(Organisation(name="Nowa", legal_form="fundacja", address="Leszno", email="n@example.org",
                                 contact_person="N", created_at=org.created_at))
        with quiet_read(session, Organisation):  # a pending new row is found too
            assert "Nowa" in session.exec(select(Organisation.name)).all()
