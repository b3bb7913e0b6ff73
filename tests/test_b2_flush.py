"""A step writes its rows once, at commit (B2), yet every read still sees the step's own pending rows.

A read of a case's rows never flushes (``states.cases.case_rows``: the stored rows and the step's pending
ones); outbox rows are held and written before any query of their table. These tests show that a whole open
call then flushes at most once per step, never its case or history, and that a reminder enqueued in a step
(held, as ``notifications.outbox.enqueue`` holds it) is cancelled by the same step.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from models.db import UnitOfWork
from models.notification_tables import Notification
from models.rows import hold_new, new_row
from notifications.outbox import cancel
from states import engine
from states.cases import load_case
from states.engine import Context
from tests.prefect_fixtures import call_in_scoring, prefect_api, register_organisations  # noqa: F401


def test_every_step_of_an_open_call_flushes_at_most_once_and_never_its_case_or_history(db_url):
    from bench.b2_lifecycle import domain_lifecycles

    committed: list[list[set[str]]] = []  # per committed transaction: the kinds each writing flush held

    def flushed(session, _context, _instances):
        kinds = {f"new {type(row).__name__}" for row in session.new} | \
            {f"changed {type(row).__name__}" for row in (*session.dirty, *session.deleted)}
        if kinds:
            session.info.setdefault("b2_flushes", []).append(kinds)

    def commit(session):
        committed.append(session.info.pop("b2_flushes", []))

    event.listen(Session, "before_flush", flushed)
    event.listen(Session, "after_commit", commit)
    try:
        domain_lifecycles(db_url, 2)  # the first call also stores the rule set it pins
    finally:
        event.remove(Session, "before_flush", flushed)
        event.remove(Session, "after_commit", commit)
    steps = committed[-28:]  # the second call's 28 steps (the ranking is read-only; the tick commits twice)
    assert all(len(flushes) <= 1 for flushes in steps), steps
    # create_call flushes the new case for its id; after that the cases, their audit records and outbox rows, the
    # offers' states go out with one statement per table (models.rows.write_pending), and an appointed member by
    # one of its own (open_call.machine.add_member), never through the unit of work
    assert steps[0] == [{"new Case"}], steps[0]
    written_apart = {"changed Case", "new AuditRecord", "new Notification", "new Deadline", "changed Offer",
                     "new CommitteeMember"}
    assert not [kinds for flushes in steps[1:] for kinds in flushes if kinds & written_apart], steps


def test_a_reminder_enqueued_in_the_step_is_cancelled_by_it(db_url, prefect_api):  # noqa: F811
    register_organisations(db_url)
    code = call_in_scoring(db_url)
    with UnitOfWork(db_url) as uow:
        case = load_case(uow.session, code)
        ctx = Context(session=uow.session, actor=engine.SCHEDULER, now=case.last_event_at)
        hold_new(uow.session, new_row(Notification, key=f"{code}#test", case_id=case.id, audit_seq=case.audit_seq,
                                     template="scoring_reminder", category="reminder", channel="email",
                                     audience="member", recipient="a@example.org", lang="pl", data={},
                                     cancel_tag="scoring:member:test", not_before=ctx.now, next_attempt_at=ctx.now,
                                     status="pending", message_id="<test@example.org>", created_at=ctx.now))
        assert cancel(ctx, case, ["scoring:member:test"]) == 1
