"""Command handlers of the small grant (art. 19a): thin, each one transaction, moving rows only through the machine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import func, select

from models.procedures.small_grant import SmallGrantComment, SmallGrantOffer, SmallGrantYear
from models.public_comment_tables import confirmed_emails
from models.tables import Case, Organisation, Publication, Report
from states import calendar, clock, periods, report_filings
from states import contract_tail_steps as tail
from states import offer_filings as filings
from states.cases import load_case, next_code, organisation_by_krs, received_moment
from states.clock import at_written_time
from states.engine import (
    Context,
    cancel_deadlines,
    fire,
    record,
    require_step,
    schedule,
    step,
)
from states.errors import InvalidInput, NotFound, RuleViolation
from states.grant_terms import return_deadline, usage_deadline
from states.inputs import CaseRef
from states.loaders import BatchLoader
from states.local_time import as_moment
from states.procedures.small_grant.inputs import (
    AddComment,
    ConsiderComment,
    DecideSmallGrant,
    FileSmallGrant,
    FileSmallGrantForm,
    PublishNotice,
    RecordGrantBudget,
    ReviewSmallGrantReport,
    SettleSmallGrant,
    SignSmallGrant,
    SmallGrantReport,
)
from states.procedures.small_grant.machine import (
    CODE_PREFIX,
    KIND,
    SmallGrantMachine,
    ceiling,
    ceiling_of,
    comments_of,
    execution_days,
    offer_of,
    year_ledger,
)
from states.procedures.small_grant.names import SmallGrantState
from states.publications import publications_of, record_publications
from states.report_filings import FileSimplifiedReport
from states.rulebook import pin, pinned_rule_set, rules_for
from states.subjects import Subject
from states.text import money, ntr, tr

# The name the command log and the idempotency digests give these handlers (models/command_log.py:
# command_name): the module's path before it moved, so a key recorded then still answers its retry.
COMMAND_NAMESPACE = "states.small_grant_commands"

# The kinds of the contract's deadlines (the tail's, states/contract_tail_steps.py).
TASK_END, REPORT_DUE = "small_grant.task_end", "small_grant.report_due"


def _case(ctx: Context, code: str) -> Case:
    return load_case(ctx.session, code, KIND)


def _machine(case: Case) -> SmallGrantMachine:
    return SmallGrantMachine.bind(case)


def _rules(ctx: Context, case: Case):
    return rules_for(ctx.session, case).small_grant


def record_budget(ctx: Context, cmd: RecordGrantBudget) -> dict:
    """The funds the budget plans for NGO grants in a year: the base of the 20 % ceiling (art. 19a ust. 7)."""
    from states.rulebook import find_rule_set

    rules = find_rule_set(ctx.session, None).small_grant
    share = rules.yearly_share
    row = ctx.session.exec(select(SmallGrantYear).where(SmallGrantYear.year == cmd.year).with_for_update()).first()
    if row is None:
        row = SmallGrantYear(year=cmd.year, planned_ngo_grants=cmd.planned, committed=Decimal(0), recorded_at=ctx.now)
    else:
        if ceiling_of(cmd.planned, rules) < row.committed:
            raise RuleViolation(
                "planned_below_committed",
                tr("The ceiling of {percent:.0f} per cent of {planned} would be below the small grants already awarded "
                   "in {year} ({committed})", percent=share * 100, planned=money(cmd.planned), year=cmd.year,
                   committed=money(row.committed)),
                basis="art. 19a ust. 7",
            )
        row.planned_ngo_grants, row.recorded_at = cmd.planned, ctx.now
    ctx.session.add(row)
    return {"year": row.year, "planned": row.planned_ngo_grants, "committed": row.committed}


def show_budget(ctx: Context, year: int) -> dict:
    from states.rulebook import find_rule_set

    row = year_ledger(ctx.session, year, lock=False)
    rules = find_rule_set(ctx.session, None).small_grant
    return {"year": year, "planned": row.planned_ngo_grants, "ceiling": ceiling(row, rules), "committed": row.committed,
            "available": ceiling(row, rules) - row.committed}


# The basis of a small-grant offer's filing: art. 19a ust. 1 and the form it comes on, the simplified offer
# (Dz.U. 2018 poz. 2055 zał. 1), whether an officer records it or the organisation files it in the portal.
FILING_BASIS = "art. 19a ust. 1; Dz.U. 2018 poz. 2055 zał. 1"


def _receive(ctx: Context, *, organisation_krs: str, terms, own_contribution: Decimal, received_at,
             rule_set: str | None, other_sources: Decimal | None = None,
             ) -> tuple[Case, SmallGrantOffer, Organisation, Any, date]:
    """A small-grant offer received: its case, its offer row and its pinned rules, the one place they are made,
    whether an officer records it (``file_offer``) or the organisation files the model form (``file_offer_form``).
    ``terms``: the title, the grant asked and the task's period; ``other_sources``: the simplified form's section IV
    other sources, kept apart from the own contribution (none for an offer recorded from paper). The caller records
    the filing, then ``_check``."""
    organisation = organisation_by_krs(ctx.session, organisation_krs)
    case = Case(code=next_code(ctx.session, CODE_PREFIX, ctx), kind=KIND, title=terms.title,
                budget=terms.requested_grant, state=SmallGrantMachine.received.value, created_at=ctx.now, data={})
    ctx.session.add(case)
    ctx.session.flush()
    pinned = pin(ctx.session, case, rule_set, ctx.now)  # the rules in force at receipt govern the case
    offer = SmallGrantOffer(case_id=case.id, organisation_id=organisation.id, title=terms.title,
                            requested_grant=terms.requested_grant, own_contribution=own_contribution,
                            task_start=terms.task_start, task_end=terms.task_end, received_at=received_at,
                            budget_year=terms.task_start.year)
    ctx.session.add(offer)
    ctx.session.flush()
    if other_sources is not None:
        filings.keep_other_sources(ctx.session, offer, other_sources)
    publish_by = periods.SMALL_GRANT_PUBLICATION.count(received_at, pinned.small_grant.publish_within_working_days).last_day
    case.data = {"publish_by": publish_by.isoformat(), "rule_set": pinned.version}
    return case, offer, organisation, pinned, publish_by


def _check(ctx: Context, case: Case, offer: SmallGrantOffer, rules, publish_by: date) -> dict:
    """The preliminary check (amount, duration, caps: the machine's validators, art. 19a ust. 1, 6-7); an offer
    that fails it is refused, not filed. Passed, the publication's deadline runs (art. 19a ust. 3)."""
    days = execution_days(offer.task_start, offer.task_end)
    fire(ctx, case, _machine(case), "pass_check", offer=offer, amount=offer.requested_grant, rules=rules,
         payload={"amount": offer.requested_grant, "days": days, "budget_year": offer.budget_year,
                  "publish_by": publish_by})
    schedule(ctx, case, "small_grant.publish_due", calendar.end_of_day(publish_by), "art. 19a ust. 3")
    return {"code": case.code, "state": case.state, "publish_by": publish_by, "days": days}


def file_offer(ctx: Context, cmd: FileSmallGrant) -> dict:
    """Receive a simplified offer and run the preliminary check; an offer that fails it is refused, not filed."""
    received_at = received_moment(ctx, cmd.received_at)
    case, offer, organisation, pinned, publish_by = _receive(
        ctx, organisation_krs=cmd.organisation_krs, terms=cmd, own_contribution=cmd.own_contribution,
        received_at=received_at, rule_set=cmd.rule_set)
    record(ctx, case, "file_offer", basis=FILING_BASIS, state=case.state,
           payload={**cmd.model_dump(mode="json"), "received_at": received_at, "organisation": organisation.name,
                    "rule_set": pinned.version})
    return _check(ctx, case, offer, pinned.small_grant, publish_by)


@at_written_time  # on a real database the moment of receipt is the server's own: no moment is claimed for a form
def file_offer_form(ctx: Context, cmd: FileSmallGrantForm) -> dict:
    """The organisation files its small-grant offer on the simplified model form (art. 19a ust. 1; Dz.U. 2018
    poz. 2055 zał. 1, states/model_forms/simplified_offer.py): received by the same rules as
    an officer's ``file_offer`` (``_receive``, ``_check``: amount, duration, the yearly caps), its content kept as
    version 1 with its SHA-256 and receipt (states/offer_filings.py), the hash and the receipt number in the audit
    record of the filing, and the receipt e-mailed (notices.py)."""
    summary = cmd.form.summary()
    filings.require_lead_offeror(summary, cmd.organisation_krs, f"{FILING_BASIS} (II.1)")  # the simplified form's
    received_at = filings.receipt_moment(ctx.arrived_at, ctx.now)
    own = summary.own_contribution  # the form's own contribution; its other sources are not the offeror's own
    case, offer, organisation, pinned, publish_by = _receive(
        ctx, organisation_krs=cmd.organisation_krs, terms=summary, own_contribution=own, received_at=received_at,
        rule_set=None, other_sources=summary.other_sources)
    version = filings.add_version(ctx, case, offer, cmd.form, received_at=received_at)
    record(ctx, case, "file_offer", basis=FILING_BASIS, state=case.state,
           payload={**filings.summary_payload(summary), "organisation_krs": cmd.organisation_krs,
                    "own_contribution": str(own), "other_sources": str(summary.other_sources),
                    "received_at": received_at, "organisation": organisation.name,
                    "rule_set": pinned.version, **filings.version_payload(version),
                    "contact_name": cmd.form.contact.name, "contact_email": cmd.form.contact.email})
    checked = _check(ctx, case, offer, pinned.small_grant, publish_by)
    # the answer as the command log keeps it for a retry (JSON): the same whether first or replayed
    return {**filings.receipt_answer(case, offer, version), **checked, "publish_by": publish_by.isoformat()}


def publish_offer(ctx: Context, cmd: PublishNotice) -> dict:
    """Record the offer's publication; once it is in all three channels the comment period runs (art. 19a ust. 3-4)."""
    case = _case(ctx, cmd.code)
    require_step(case, SmallGrantMachine, "publish")
    rules = _rules(ctx, case)
    unknown = sorted(set(cmd.published) - set(rules.channels))
    if unknown:
        raise InvalidInput("unknown_channel", ntr("Unknown channel {unknown}; allowed: {channels}",
                                                  "Unknown channels {unknown}; allowed: {channels}", len(unknown),
                                                  unknown=unknown, channels=rules.channels),
                           basis="art. 19a ust. 3")
    record_publications(ctx, case, "offer", cmd.published)
    ctx.session.flush()
    published = publications_of(ctx.session, case, "offer")
    missing = [c for c in rules.channels if c not in published]
    if missing:
        record(ctx, case, "publish_offer", basis="art. 19a ust. 3", state=case.state,
               payload={"published": cmd.published, "missing": missing})
        return {"code": case.code, "state": case.state, "missing": missing}
    latest = calendar.latest_of(published.values())
    publish_by = date.fromisoformat(case.data["publish_by"])
    late = calendar.local_date(latest) > publish_by
    window = periods.SMALL_GRANT_COMMENTS.count(latest, rules.comment_days)
    case.data = {**case.data, "comments_until": window.due.isoformat(), "published_late": late}
    fire(ctx, case, _machine(case), "publish",
         payload={"published": cmd.published, "publish_by": publish_by, "late": late, "comments_until": window.due,
                  "explanation": window.explain()})
    cancel_deadlines(ctx, case, "small_grant.publish_due")
    schedule(ctx, case, "small_grant.comments_end", window.due, window.basis)
    return {"code": case.code, "state": case.state, "comments_until": window.due, "late": late,
            "explanation": window.explain()}


def add_comment(ctx: Context, cmd: AddComment) -> dict:
    """Anyone may comment while the offer is published (art. 19a ust. 4); a late comment is refused."""
    case = _case(ctx, cmd.code)
    submitted = cmd.submitted_at or ctx.now
    if submitted > ctx.now:
        raise InvalidInput("submitted_in_future", tr("A comment cannot come from the future"))
    if cmd.submitted_at is not None:
        clock.check_claimed(ctx, submitted, clock.SUBMISSION)  # a real database: a past one needs a reason
    step(ctx, case, _machine(case), "comment", submitted=submitted)
    number = (ctx.session.exec(select(func.max(SmallGrantComment.number))
                               .where(SmallGrantComment.case_id == case.id)).one() or 0) + 1
    ctx.session.add(SmallGrantComment(case_id=case.id, number=number, author=cmd.author, text=cmd.text,
                                      submitted_at=submitted))
    record(ctx, case, "comment", subject=Subject.comment(number), basis="art. 19a ust. 4", state=case.state,
           payload={"author": cmd.author, "text": cmd.text, "submitted_at": submitted})
    return {"code": case.code, "comment": number}


def consider_comment(ctx: Context, cmd: ConsiderComment) -> dict:
    case = _case(ctx, cmd.code)
    step(ctx, case, _machine(case), "consider_comment")
    comment = ctx.session.exec(select(SmallGrantComment).where(SmallGrantComment.case_id == case.id,
                                                               SmallGrantComment.number == cmd.number)).first()
    if comment is None:
        raise NotFound("unknown_comment", tr("{code}: no comment {number}", code=case.code, number=cmd.number))
    if comment.consideration is not None:
        raise RuleViolation("already_considered", tr("{code}: comment {number} is already considered", code=case.code, number=cmd.number))
    comment.consideration, comment.considered_at = cmd.consideration, ctx.now
    ctx.session.add(comment)
    record(ctx, case, "consider_comment", subject=Subject.comment(cmd.number), basis="art. 19a ust. 5", state=case.state,
           payload={"consideration": cmd.consideration})
    return {"code": case.code, "comment": cmd.number}


def decide(ctx: Context, cmd: DecideSmallGrant) -> dict:
    """The Mayor's decision after the comments: the caps are re-checked under the year's ledger lock."""
    case = _case(ctx, cmd.code)
    require_step(case, SmallGrantMachine, "decide")
    offer = offer_of(ctx.session, case)
    rules = _rules(ctx, case)
    if cmd.grant is not None and cmd.grant > offer.requested_grant:
        raise RuleViolation(
            "grant_above_request",
            tr("Grant {grant} > requested {requested_grant}", grant=money(cmd.grant), requested_grant=money(offer.requested_grant)),
            basis="art. 19a ust. 5",
        )
    if cmd.grant is None and not cmd.reason:
        raise InvalidInput("reason_required", tr("Give the reason for the refusal"))
    fire(ctx, case, _machine(case), "decide", offer=offer, amount=cmd.grant, rules=rules, lock=True,
         payload={"grant": cmd.grant, "decision": cmd.decision_ref, "reason": cmd.reason,
                  "budget_year": offer.budget_year})
    if case.state == SmallGrantState.granted:
        ledger = year_ledger(ctx.session, offer.budget_year, lock=True)  # already ours: locked by the guard
        ledger.committed += cmd.grant
        offer.granted_amount = cmd.grant
        ctx.session.add_all([ledger, offer])
    return {"code": case.code, "state": case.state, "grant": cmd.grant}


def sign_contract(ctx: Context, cmd: SignSmallGrant) -> dict:
    case = _case(ctx, cmd.code)
    require_step(case, SmallGrantMachine, "sign_contract")
    offer = offer_of(ctx.session, case)
    rules = _rules(ctx, case)
    report = periods.SMALL_GRANT_REPORT.count(offer.task_end, rules.report_days)
    fire(ctx, case, _machine(case), "sign_contract",
         payload={"contract": cmd.contract_number, "amount": offer.granted_amount, "report_due": report.last_day,
                  "explanation": report.explain()})
    offer.contract_number, offer.report_due = cmd.contract_number, report.last_day
    ctx.session.add(offer)
    schedule(ctx, case, TASK_END, calendar.end_of_day(offer.task_end), "art. 18 ust. 1")
    schedule(ctx, case, REPORT_DUE, report.due, report.basis)
    return {"code": case.code, "state": case.state, "report_due": report.last_day, "explanation": report.explain()}


def _tail(case: Case, offer: SmallGrantOffer | None = None) -> tail.Tail:
    """The small grant's tail (states/contract_tail_steps.py): the offer row keeps the grant, the report's due
    date and the funds used and returned (the deadlines' events read none of them: no offer); the case's machine
    holds the state and its validator checks the return."""
    return tail.Tail(case, lambda: _machine(case), deadlines=(TASK_END, REPORT_DUE), ledger=offer,
                     granted=offer.granted_amount if offer else None, report_due=offer.report_due if offer else None,
                     return_in_machine=True)


def submit_report(ctx: Context, cmd: SmallGrantReport) -> dict:
    case = _case(ctx, cmd.code)
    late = tail.submit_report(ctx, _tail(case, offer_of(ctx.session, case)), summary=cmd.summary,
                              funds_used=cmd.funds_used)
    return {"code": case.code, "state": case.state, "late": late}


@at_written_time  # on a real database the moment of receipt is the server's own
def file_report_form(ctx: Context, cmd: FileSimplifiedReport) -> dict:
    """The organisation files its report on the simplified form (Dz.U. 2018 poz. 2055 zał. 2; issue 22): the
    machine says when (the small grant's ``submit_report``), the sums are checked against the contract the offer
    row keeps, and it goes through the tail's ``submit_report`` as the officer's report does, kept with its SHA-256
    and receipt (states/report_filings.py ``file_on_form``)."""
    from states.model_forms.simplified_report import check_simplified_against_contract
    from states.report_filings import file_on_form, small_grant_reported, small_grant_terms

    case = _case(ctx, cmd.code)
    offer = offer_of(ctx.session, case)
    return file_on_form(
        ctx, small_grant_reported(case, offer), cmd.form,
        check=lambda: check_simplified_against_contract(cmd.form, small_grant_terms(offer)),
        tail=_tail(case, offer), submit=tail.submit_report, machine=SmallGrantMachine,
        received_at=filings.receipt_moment(ctx.arrived_at, ctx.now))


def review_report(ctx: Context, cmd: ReviewSmallGrantReport) -> dict:
    case = _case(ctx, cmd.code)
    tail.review_report(ctx, _tail(case), accept=cmd.accept, reason=cmd.reason)
    offer = offer_of(ctx.session, case)
    report_filings.note_review(ctx.session, (Report.__table__.c.small_grant_offer_id, offer.id), accept=cmd.accept,
                               now=ctx.now)
    return {"code": case.code, "state": case.state}


def settle(ctx: Context, cmd: SettleSmallGrant) -> dict:
    case = _case(ctx, cmd.code)
    offer = offer_of(ctx.session, case)
    # The simplified contract follows ufp art. 251 as the open call's does, by the same functions and the
    # case's pinned rules: usable N days after the task, returned 15 days after that (or by 31 January).
    rules = pinned_rule_set(ctx.session, case).open_call
    usage = usage_deadline(offer.task_end, rules)
    returning = return_deadline(usage, rules)
    tail.settle(ctx, _tail(case, offer), returned_amount=cmd.returned_amount, returned_on=cmd.returned_on,
                return_due=returning.last_day, extra={"usage_deadline": usage, "return_basis": returning.basis})
    return {"code": case.code, "state": case.state}


def show(ctx: Context, cmd: CaseRef) -> dict:
    case = _case(ctx, cmd.code)
    offer = offer_of(ctx.session, case)
    emails = confirmed_emails(ctx.session, case.id, ctx.actor.role)
    return {"code": case.code, "state": case.state, "title": offer.title, "requested": offer.requested_grant,
            "own_contribution": offer.own_contribution, "other_sources": filings.other_sources_of(ctx.session, offer),
            "granted": offer.granted_amount, "task": f"{offer.task_start} – {offer.task_end}",
            "days": execution_days(offer.task_start, offer.task_end), "publish_by": case.data.get("publish_by"),
            "comments_until": as_moment(case.data.get("comments_until")), "report_due": offer.report_due,
            "comments": [{"number": c.number, "author": c.author, "submitted_at": c.submitted_at,
                          "email": emails.get(c.number),  # the address a portal comment's author proved
                          "text": c.text, "consideration": c.consideration} for c in comments_of(ctx.session, case)]}


# --- the scheduler's events -----------------------------------------------------------------------------------


def on_publish_due(ctx: Context, case: Case, deadline) -> None:
    """The office missed the 7 working days: the breach goes on the record (the offer stays to be published)."""
    step(ctx, case, _machine(case), "publication_overdue")
    record(ctx, case, "publication_overdue", basis="art. 19a ust. 3", state=case.state,
           payload={"due_at": deadline.due_at, "published": sorted(publications_of(ctx.session, case, "offer"))})


def on_comments_end(ctx: Context, case: Case, deadline) -> None:
    fire(ctx, case, _machine(case), "close_comments",
         payload={"due_at": deadline.due_at, "comments": len(comments_of(ctx.session, case))})


def on_task_end(ctx: Context, case: Case, deadline) -> None:
    tail.on_task_end(ctx, _tail(case), deadline)


def on_report_due(ctx: Context, case: Case, deadline) -> None:
    tail.on_report_due(ctx, _tail(case), deadline)


def load_batch(loader: BatchLoader, claimed: list) -> None:
    """What this procedure's deadline handlers and the notices of their records read, for every claimed case
    at once: each case's offer and its organisation, the publications a missed publication deadline lists,
    the comments a closing comment period counts."""
    ids = [case.id for _, case in claimed]
    loader.rows(SmallGrantOffer, ids)
    loader.organisations_of(SmallGrantOffer, ids)
    loader.rows(Publication, [case.id for deadline, case in claimed if deadline.kind == "small_grant.publish_due"],
                order_by=(Publication.id,))
    loader.rows(SmallGrantComment, [case.id for deadline, case in claimed
                                    if deadline.kind == "small_grant.comments_end"],
                order_by=(SmallGrantComment.number,))


DEADLINE_HANDLERS = {
    "small_grant.publish_due": on_publish_due,
    "small_grant.comments_end": on_comments_end,
    TASK_END: on_task_end,
    REPORT_DUE: on_report_due,
}
