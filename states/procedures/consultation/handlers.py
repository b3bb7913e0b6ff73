"""Command handlers of the consultation of draft acts (art. 5, 5a, 41i)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import func, select

from models.procedures.consultation import ConsultationComment
from models.public_comment_tables import confirmed_emails
from models.tables import Case
from states import calendar, clock, labels
from states.cases import load_case, next_code
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
from states.inputs import CaseRef
from states.loaders import BatchLoader
from states.local_time import as_moment
from states.procedures.consultation.inputs import (
    ConsultationCommentInput,
    ConsultationReport,
    CouncilStep,
    CreateConsultation,
    OpenConsultation,
    RdppOpinion,
)
from states.procedures.consultation.machine import (
    CODE_PREFIX,
    KIND,
    RESOLUTION_BASIS,
    ConsultationMachine,
    adopt_by,
    closing,
    comments_of,
    earliest_adoption,
    programme_warning,
    rdpp_deadline,
)
from states.publications import record_publications
from states.rulebook import pin, rules_for
from states.subjects import RDPP, Subject
from states.text import Message, ntr, tr

# The name the command log and the idempotency digests give these handlers (models/command_log.py:
# command_name): the module's path before it moved, so a key recorded then still answers its retry.
COMMAND_NAMESPACE = "states.consultation_commands"

RDPP_OPINION_BASIS = "art. 41i ust. 1"  # the council's opinion within 14 days of delivery


def _case(ctx: Context, code: str) -> Case:
    return load_case(ctx.session, code, KIND)


def _rules(ctx: Context, case: Case):
    return rules_for(ctx.session, case).consultation


def _channels_known(published: dict, rules) -> None:
    unknown = sorted(set(published) - set(rules.channels))
    if unknown:
        raise InvalidInput("unknown_channel", ntr("Unknown channel {unknown}; allowed: {channels}",
                                                  "Unknown channels {unknown}; allowed: {channels}", len(unknown),
                                                  unknown=unknown, channels=rules.channels),
                           basis=RESOLUTION_BASIS)


def create(ctx: Context, cmd: CreateConsultation) -> dict:
    if cmd.act_kind == "programme" and cmd.programme_year is None:
        raise InvalidInput("programme_year_required", tr("Give the year the programme governs"), basis="art. 5a ust. 1")
    case = Case(code=next_code(ctx.session, CODE_PREFIX, ctx), kind=KIND, title=cmd.title, task_area=cmd.field,
                state=ConsultationMachine.draft.value, created_at=ctx.now,
                data={"act_kind": cmd.act_kind, "programme_year": cmd.programme_year,
                      "council_session": cmd.council_session.isoformat() if cmd.council_session else None,
                      "draft_summary": cmd.draft_summary})
    ctx.session.add(case)
    ctx.session.flush()
    rule_set = pin(ctx.session, case, cmd.rule_set, ctx.now)
    rules = rule_set.consultation
    # Even before publication, the schedule can already miss the date: the period alone takes its days.
    warning = programme_warning(case, rules, earliest_adoption(
        case, rules, closing(ctx.now, rules).last_day, None))
    record(ctx, case, "create", basis="art. 5 ust. 2 pkt 3-4", state=case.state,
           payload={**cmd.model_dump(mode="json"), "rule_set": rule_set.version,
                    "warning": warning.in_language("pl") if warning else None})
    return {"code": case.code, "state": case.state, "warnings": [str(warning)] if warning else []}


def open_consultation(ctx: Context, cmd: OpenConsultation) -> dict:
    """Publish the draft in every channel, deliver it to the RDPP; the period and the RDPP's 14 days start."""
    case = _case(ctx, cmd.code)
    require_step(case, ConsultationMachine, "open_consultation")
    rules = _rules(ctx, case)
    _channels_known(cmd.published, rules)
    if cmd.rdpp_delivered and cmd.rdpp_delivered > ctx.now:
        raise InvalidInput("delivered_in_future", tr("The delivery cannot be later than now"))
    if cmd.rdpp_delivered:
        clock.check_claimed(ctx, cmd.rdpp_delivered, clock.DELIVERY)  # a real database: a past one needs a reason
    record_publications(ctx, case, "draft", cmd.published)
    ctx.session.flush()
    latest = calendar.latest_of(cmd.published.values()) if set(cmd.published) >= set(rules.channels) else None
    period = closing(latest or ctx.now, rules)
    rdpp = rdpp_deadline(cmd.rdpp_delivered, rules) if cmd.rdpp_delivered else None
    warning = programme_warning(case, rules, earliest_adoption(case, rules, period.last_day,
                                                               rdpp.last_day if rdpp else None))
    summary = cmd.draft_summary or case.data.get("draft_summary")  # the one given now, or the one set before
    case.data = {**case.data, "comments_until": period.due.isoformat(), "draft_summary": summary,
                 "rdpp": ({"status": "pending", "delivered": cmd.rdpp_delivered.isoformat(), "due": rdpp.due.isoformat()}
                          if rdpp else None)}
    fire(ctx, case, ConsultationMachine.bind(case), "open_consultation", rules=rules, rdpp_delivered=cmd.rdpp_delivered,
         payload={"published": cmd.published, "rdpp_delivered": cmd.rdpp_delivered,
                  "comments_until": period.due, "explanation": period.explain(),
                  "rdpp_due": rdpp.due if rdpp else None, "warning": warning.in_language("pl") if warning else None,
                  **({"draft_summary": cmd.draft_summary} if cmd.draft_summary else {})})
    schedule(ctx, case, "consultation.comments_end", period.due, period.basis)
    if rdpp:
        schedule(ctx, case, "consultation.rdpp_due", rdpp.due, rdpp.basis)
    return {"code": case.code, "state": case.state, "comments_until": period.due, "explanation": period.explain(),
            "rdpp_due": rdpp.due if rdpp else None, "warnings": [str(warning)] if warning else []}


def add_comment(ctx: Context, cmd: ConsultationCommentInput) -> dict:
    case = _case(ctx, cmd.code)
    submitted = cmd.submitted_at or ctx.now
    if submitted > ctx.now:
        raise InvalidInput("submitted_in_future", tr("A comment cannot come from the future"))
    if cmd.submitted_at is not None:
        clock.check_claimed(ctx, submitted, clock.SUBMISSION)  # a real database: a past one needs a reason
    step(ctx, case, ConsultationMachine.bind(case), "comment", submitted=submitted)
    number = (ctx.session.exec(select(func.max(ConsultationComment.number))
                               .where(ConsultationComment.case_id == case.id)).one() or 0) + 1
    ctx.session.add(ConsultationComment(case_id=case.id, number=number, author=cmd.author, author_kind=cmd.author_kind,
                                        provision=cmd.provision or "", text=cmd.text, submitted_at=submitted))
    record(ctx, case, "comment", subject=Subject.comment(number), basis=RESOLUTION_BASIS, state=case.state,
           payload={**cmd.model_dump(mode="json"), "submitted_at": submitted})
    return {"code": case.code, "comment": number, "submitted_at": submitted}


def rdpp_opinion(ctx: Context, cmd: RdppOpinion) -> dict:
    case = _case(ctx, cmd.code)
    rdpp = case.data.get("rdpp")
    if not rdpp or rdpp["status"] != "pending" or ctx.now > datetime.fromisoformat(rdpp["due"]):
        raise RuleViolation(
            "rdpp_opinion_out_of_time",
            tr("{code}: the Public Benefit Council's opinion is accepted only within 14 days of the draft's "
               "delivery; the draft was not delivered to the Council", code=case.code) if not rdpp else
            tr("{code}: the Public Benefit Council's opinion is accepted only within 14 days of the draft's "
               "delivery (due: {due}; the opinion is {status})", code=case.code,
               due=datetime.fromisoformat(rdpp["due"]), status=labels.rdpp_status(rdpp["status"])),
            basis="art. 41i ust. 2",
        )
    case.data = {**case.data, "rdpp": {**rdpp, "status": "given", "opinion": cmd.opinion, "given_at": ctx.now.isoformat()}}
    record(ctx, case, "rdpp_opinion", subject=RDPP, basis=RDPP_OPINION_BASIS, state=case.state,
           payload={"opinion": cmd.opinion, "due": rdpp["due"]})
    cancel_deadlines(ctx, case, "consultation.rdpp_due")
    return {"code": case.code, "rdpp": "given"}


def publish_report(ctx: Context, cmd: ConsultationReport) -> dict:
    """The report answers every comment (accepted, partly accepted, rejected, with reasons) and is published."""
    case = _case(ctx, cmd.code)
    require_step(case, ConsultationMachine, "publish_report")
    rules = _rules(ctx, case)
    _channels_known(cmd.published, rules)
    comments = {c.number: c for c in comments_of(ctx.session, case)}
    answers = {a.number: a for a in cmd.answers}
    unknown = sorted(set(answers) - set(comments))
    if unknown:
        raise NotFound("unknown_comment", ntr("{code}: no comment {numbers}", "{code}: no comments {numbers}", len(unknown),
                                              code=case.code, numbers=unknown))
    if len(answers) != len(cmd.answers):
        raise InvalidInput("duplicate_answer", tr("Each comment gets one answer"))
    record_publications(ctx, case, "report", cmd.published)
    ctx.session.flush()
    for number, answer in answers.items():
        comments[number].answer, comments[number].reason = answer.answer, answer.reason
        ctx.session.add(comments[number])
    fire(ctx, case, ConsultationMachine.bind(case), "publish_report", rules=rules, answers=answers,
         payload={"answers": {n: {"answer": a.answer, "reason": a.reason} for n, a in answers.items()},
                  "summary": cmd.summary, "published": cmd.published, "rdpp": (case.data.get("rdpp") or {}).get("status")})
    tally = {k: sum(1 for c in comments.values() if c.answer == k) for k in ("accepted", "partly_accepted", "rejected")}
    return {"code": case.code, "state": case.state, "comments": len(comments), **tally}


def _adoption_check(ctx: Context, case: Case, on: date) -> Message | None:
    rules = _rules(ctx, case)
    return programme_warning(case, rules, on)


def send_to_council(ctx: Context, cmd: CouncilStep) -> dict:
    case = _case(ctx, cmd.code)
    on = cmd.on or calendar.local_date(ctx.now)
    warning = _adoption_check(ctx, case, on)
    fire(ctx, case, ConsultationMachine.bind(case), "send_to_council",
         payload={"reference": cmd.reference, "on": on, "warning": warning.in_language("pl") if warning else None})
    return {"code": case.code, "state": case.state, "warnings": [str(warning)] if warning else []}


def adopt(ctx: Context, cmd: CouncilStep) -> dict:
    case = _case(ctx, cmd.code)
    on = cmd.on or calendar.local_date(ctx.now)
    warning = _adoption_check(ctx, case, on)
    year = case.data.get("programme_year")
    late = bool(warning)
    fire(ctx, case, ConsultationMachine.bind(case), "adopt",
         payload={"resolution": cmd.reference, "adopted_on": on, "late": late,
                  "adopt_by": adopt_by(year, _rules(ctx, case)) if year else None,
                  "warning": warning.in_language("pl") if warning else None})
    return {"code": case.code, "state": case.state, "warnings": [str(warning)] if warning else []}


def _rdpp_shown(rdpp: dict | None) -> dict | None:
    """The RDPP's record with its moments as moments (kept as text in the case's data), so they are shown in
    Warsaw time like every other."""
    if not rdpp:
        return rdpp
    return {**rdpp, **{k: as_moment(rdpp[k]) for k in ("delivered", "due", "given_at") if rdpp.get(k)}}


def show(ctx: Context, cmd: CaseRef) -> dict:
    case = _case(ctx, cmd.code)
    emails = confirmed_emails(ctx.session, case.id, ctx.actor.role)  # the address a portal comment's author proved
    return {"code": case.code, "state": case.state, "title": case.title, "field": case.task_area,
            "draft_summary": case.data.get("draft_summary"), "comments_until": as_moment(case.data.get("comments_until")), "rdpp": _rdpp_shown(case.data.get("rdpp")),
            "comments": [{"number": c.number, "author": c.author, "kind": c.author_kind, "submitted_at": c.submitted_at,
                          "email": emails.get(c.number), "provision": c.provision, "text": c.text, "answer": c.answer, "reason": c.reason}
                         for c in comments_of(ctx.session, case)]}


# --- the scheduler's events -----------------------------------------------------------------------------------


def on_comments_end(ctx: Context, case: Case, deadline) -> None:
    fire(ctx, case, ConsultationMachine.bind(case), "close",
         payload={"due_at": deadline.due_at, "comments": len(comments_of(ctx.session, case))})


def on_rdpp_due(ctx: Context, case: Case, deadline) -> None:
    """art. 41i ust. 2: no opinion within 14 days of delivery means the RDPP waived it."""
    rdpp = case.data.get("rdpp") or {}
    if rdpp.get("status") != "pending":
        raise RuleViolation("rdpp_not_pending", tr("No RDPP opinion is pending"))
    case.data = {**case.data, "rdpp": {**rdpp, "status": "waived"}}
    record(ctx, case, "rdpp_opinion_waived", subject=RDPP, basis="art. 41i ust. 2", state=case.state,
           payload={"due_at": deadline.due_at, "delivered": rdpp.get("delivered")})


def load_batch(loader: BatchLoader, claimed: list) -> None:
    """The comments a closing consultation counts and every notice of a consultation lists, for every claimed
    case at once."""
    loader.rows(ConsultationComment, [case.id for _, case in claimed], order_by=(ConsultationComment.number,))


DEADLINE_HANDLERS = {
    "consultation.comments_end": on_comments_end,
    "consultation.rdpp_due": on_rdpp_due,
}
