"""The handlers' half of the tail every grant shares (states/contract_tail.py is the machines' half): the report,
its review, the written call for a missing report, and the settlement, each rule held once.

The open call's offer, the small grant and the local initiative keep their grant's facts in different rows (the
open call's ``Contract``, the small grant's ``SmallGrantOffer``, the initiative's ``case.data``), fire on
different machines (the offer's, the case's) and name their deadlines differently (``report_due`` with an offer,
``small_grant.report_due``). Each procedure's handler reads its rows into a ``Tail`` (where the facts live, how to
fire) and calls the step here; the step applies the rule, fires the event with the same payload in every
procedure, writes the facts back and moves the deadlines:

    tail = Tail(case, lambda: SmallGrantMachine.bind(case), deadlines=("small_grant.task_end",
                "small_grant.report_due"), granted=offer.granted_amount, report_due=offer.report_due, ledger=offer)
    late = submit_report(ctx, tail, summary=cmd.summary, funds_used=cmd.funds_used)

The local initiative transfers no money (art. 19e): its tail has no grant, no written call and no settlement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from models.tables import AuditRecord, Case
from states import calendar
from states.engine import Context, LegalMachine, cancel_deadlines, fire, schedule
from states.errors import InvalidInput
from states.grant_terms import report_call, require_unused_returned, require_within_grant, settlement_facts
from states.rulebook import rules_for
from states.subjects import Subject
from states.text import tr


@dataclass(frozen=True)
class Tail:
    """Where one grant's tail facts live, as its procedure reads them for one step.

    ``bind`` gives a fresh machine on the row that holds the tail's state (a fired machine is released to its
    pool); ``subject`` is what the audit record names (the open call's offer, else the case); ``facts`` go with
    every event (the open call's ``CallFacts``); ``deadlines`` are the kinds of the task's end and of the report's
    due date, ``offer_id`` narrows them to one offer. ``granted`` is the amount of the grant (None: not known, or
    no money), ``report_due`` the report's due date, ``ledger`` the row that keeps ``funds_used`` and
    ``returned_amount`` (and ``returned_on`` when ``keeps_return_date``). ``written_call``: a missed report is
    called for in writing (the contract's call, art. 18); ``return_in_machine``: the machine's validator checks
    the unused funds (its settle takes them as facts) instead of the step before it fires."""

    case: Case
    bind: Callable[[], LegalMachine]
    deadlines: tuple[str, str]
    subject: Subject | str = "case"
    facts: Mapping[str, Any] = field(default_factory=dict)
    offer_id: int | None = None
    granted: Decimal | None = None
    report_due: date | None = None
    ledger: Any = None
    keeps_return_date: bool = False
    written_call: bool = True
    return_in_machine: bool = False

    def fire(self, ctx: Context, event: str, **kwargs: Any) -> str | None:
        return fire(ctx, self.case, self.bind(), event, subject=self.subject, **self.facts, **kwargs)


# --- the commands ----------------------------------------------------------------------------------------------


def submit_report(ctx: Context, tail: Tail, *, summary: str, funds_used: Decimal | None = None,
                  facts: Mapping[str, Any] | None = None, filed: Mapping[str, Any] | None = None) -> bool:
    """The report, at any time once the contract runs; late after its due date (``report_due_now``: after a call
    for corrections, the call's date when later). A grant in money reports the funds
    used, never above the grant (art. 18 ust. 1; ufp art. 252); a report without money (the local initiative)
    records its own ``facts``. ``filed``: a report filed on the model form adds its proof (receipt, SHA-256) to the
    record (states/report_filings.py). The task's end and the report's deadline are then cancelled. Returns
    ``late``."""
    if funds_used is not None:
        require_within_grant(funds_used, tail.granted)
    due = report_due_now(ctx, tail)
    late = due is not None and calendar.local_date(ctx.now) > due
    if facts is None:
        payload = {"funds_used": funds_used, "summary": summary, "due": due, "late": late}
    else:
        payload = {**facts, "summary": summary, "late": late}
    payload.update(filed or {})
    tail.fire(ctx, "submit_report", payload=payload)
    if funds_used is not None and tail.ledger is not None:
        tail.ledger.funds_used = funds_used
        ctx.session.add(tail.ledger)
    for kind in tail.deadlines:
        cancel_deadlines(ctx, tail.case, kind, tail.offer_id)
    return late


def report_due_now(ctx: Context, tail: Tail) -> date | None:
    """The day the report is due now (art. 18 ust. 1, the contract): the contract's due date, or, once the office
    called for corrections, the call's date: the model contract gives the organisation the call's days (7 by
    default) from the call, whatever the first date was, and the report's overdue deadline is scheduled at that
    same day (``review_report``), so lateness and overdue agree. A report is submitted only from the running contract or
    from the report due or overdue, and a call for corrections is the one way back from the submitted report, so
    the last call recorded for the tail's subject is the one the report now answers. One rule for the open call,
    the small grant and the local initiative."""
    called = ctx.session.exec(
        select(AuditRecord.payload).where(AuditRecord.case_id == tail.case.id,
                                          AuditRecord.subject == str(tail.subject),
                                          AuditRecord.event == "request_report_corrections")
        .order_by(AuditRecord.seq.desc()).limit(1)).first()
    correct_by = (called or {}).get("correct_by")
    if not correct_by:
        return tail.report_due
    by = correct_by if isinstance(correct_by, datetime) else datetime.fromisoformat(str(correct_by))
    return calendar.local_date(by) if by.tzinfo is not None else by.date()


def review_report(ctx: Context, tail: Tail, *, accept: bool, reason: str | None,
                  extra: Mapping[str, Any] | None = None) -> date | None:
    """Accept the report, or send it back with the reason it lacks and the contract's written call: the report is
    due again by the call's date, so a report not corrected goes overdue. ``extra`` adds the procedure's own facts
    to the record (the local initiative: which report, who filed it). Returns the day the corrected report is due
    (None: accepted)."""
    if accept:
        tail.fire(ctx, "accept_report", payload={"reason": reason, **(extra or {})})
        return None
    if not reason:
        machine = tail.bind()
        basis = machine.basis_for("request_report_corrections", "") or None
        machine.release()
        raise InvalidInput("reason_required", tr("Say what the report lacks"), basis=basis)
    # the open call's contract sets the written call (7 days by default); the small grant's and the local
    # initiative's follow it
    written = report_call(ctx.now, rules_for(ctx.session, tail.case).open_call)
    tail.fire(ctx, "request_report_corrections", payload={"reason": reason, "correct_by": written.due,
                                                          **(extra or {})})
    schedule(ctx, tail.case, tail.deadlines[1], written.due, written.basis, offer_id=tail.offer_id)
    return written.last_day


def settle(ctx: Context, tail: Tail, *, returned_amount: Decimal, returned_on: date | None,
           return_due: date | None, extra: Mapping[str, Any] | None = None) -> dict:
    """Settle the grant (ufp art. 251-252): the unused funds must be back (ust. 1-3); a late return records the
    interest's first day and the basis ust. 5. ``extra`` adds the procedure's own facts to the payload. Returns
    the settlement's facts. Needs the ``ledger``: a settlement is of a grant in money."""
    unused = (tail.granted or Decimal(0)) - (tail.ledger.funds_used or Decimal(0))
    if not tail.return_in_machine:
        require_unused_returned(unused, returned_amount, returned_on, return_due)
    payload = settlement_facts(unused, returned_amount, returned_on, return_due)
    late = payload["late"]
    guard = ({"unused": unused, "returned_amount": returned_amount, "returned_on": returned_on}
             if tail.return_in_machine else {})
    tail.fire(ctx, "settle", payload={**payload, **(extra or {})}, basis="ufp art. 251 ust. 5" if late else None,
              **guard)
    tail.ledger.returned_amount = returned_amount
    if tail.keeps_return_date:
        tail.ledger.returned_on = returned_on
    ctx.session.add(tail.ledger)
    return payload


# --- the scheduler's events ------------------------------------------------------------------------------------


def on_task_end(ctx: Context, tail: Tail, deadline) -> None:
    """The task's end under the contract makes the report due (art. 18 ust. 1)."""
    tail.fire(ctx, "task_ended", payload={"due_at": deadline.due_at})


def on_report_due(ctx: Context, tail: Tail, deadline) -> None:
    """The report is overdue; where the contract calls for it in writing, the record says by when."""
    if not tail.written_call:
        tail.fire(ctx, "report_overdue", payload={"due_at": deadline.due_at})
        return
    rules = rules_for(ctx.session, tail.case).open_call
    written = report_call(ctx.now, rules)
    tail.fire(ctx, "report_overdue",
              payload={"due_at": deadline.due_at, "call_days": rules.report_call_days, "call_until": written.due})
