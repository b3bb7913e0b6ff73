"""Consultation of draft acts with NGOs and the Public Benefit Council (art. 5 ust. 2 pkt 3-4, ust. 5; art. 41i).

The consultation moves through its machine; the RDPP's opinion runs in parallel as recorded facts
(delivered, given, or waived by silence after 14 days, art. 41i ust. 2), which the report requires settled.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session
from statemachine import State

from models.procedures.consultation import ConsultationComment
from models.tables import Case
from states import calendar, labels, periods
from states.cases import case_rows
from states.engine import Context, LegalMachine, Step
from states.errors import RuleViolation
from states.procedures.consultation.names import ConsultationState
from states.publications import publications_of
from states.rule_sets import ConsultationRules
from states.text import Message, ntr, tr

KIND = "consultation"
CODE_PREFIX = "KO"
RESOLUTION_BASIS = "art. 5 ust. 5 (uchwała rady o trybie konsultacji)"
ANSWERS = ("accepted", "partly_accepted", "rejected")


def comments_of(session: Session, case: Case) -> list[ConsultationComment]:
    return case_rows(session, ConsultationComment, case.id, order_by=(ConsultationComment.number,))


def adopt_by(programme_year: int, rules: ConsultationRules) -> date:
    """art. 5a ust. 1: the annual programme is adopted by 30 November of the year before the one it governs."""
    month, day = (int(part) for part in rules.programme_adopt_by.split("-"))
    return date(programme_year - 1, month, day)


def programme_warning(case: Case, rules: ConsultationRules, earliest_adoption: date) -> Message | None:
    """The warning an officer must see when the schedule cannot make the statutory adoption date."""
    year = case.data.get("programme_year")
    if case.data.get("act_kind") != "programme" or not year:
        return None
    limit = adopt_by(year, rules)
    if earliest_adoption <= limit:
        return None
    return tr("Warning: the programme for {year} must be adopted by {limit} (art. 5a ust. 1); with this "
              "schedule the earliest adoption is {earliest_adoption}", year=year, limit=limit, earliest_adoption=earliest_adoption)


def earliest_adoption(case: Case, rules: ConsultationRules, closes: date, rdpp_due: date | None) -> date:
    ready = max(d for d in (closes, rdpp_due) if d is not None) + timedelta(days=rules.council_lead_days)
    session_day = case.data.get("council_session")
    return max(ready, date.fromisoformat(session_day)) if session_day else ready


class ConsultationMachine(LegalMachine):
    NAMES = ConsultationState

    draft = State("projekt", initial=True, value=ConsultationState.draft.value)
    open = State("konsultacje trwają", value=ConsultationState.open.value)
    closed = State("konsultacje zakończone", value=ConsultationState.closed.value)
    report_published = State("sprawozdanie opublikowane", value=ConsultationState.report_published.value)
    sent_to_council = State("przekazany radzie", value=ConsultationState.sent_to_council.value)
    adopted = State("uchwalony", final=True, value=ConsultationState.adopted.value)

    open_consultation = draft.to(open, validators=["published_in_all_channels", "rdpp_asked_for_programme"])
    close = open.to(closed)
    publish_report = closed.to(report_published, validators=["every_comment_answered", "rdpp_settled",
                                                             "report_in_all_channels"])
    send_to_council = report_published.to(sent_to_council)
    adopt = sent_to_council.to(adopted)

    # A step that keeps the state: a comment, while the consultation is open and within its period.
    comment = open.to.itself(validators="comment_in_time")

    STEPS = {
        "open_consultation": Step(tr("opening the consultation"), RESOLUTION_BASIS),
        "publish_report": Step(tr("publishing the consultation report"), RESOLUTION_BASIS),
    }

    BASIS = {
        "open_consultation": "art. 5 ust. 2 pkt 3-4, ust. 5",
        "close": RESOLUTION_BASIS,
        "publish_report": RESOLUTION_BASIS,
        "send_to_council": "art. 5 ust. 5; art. 5a ust. 1",
        "adopt": "art. 5a ust. 1",
        "comment": RESOLUTION_BASIS,
    }

    @classmethod
    def refusal(cls, event: str, case: Case, state: str, **facts) -> RuleViolation:
        if event == "comment":  # before the consultation opened or after it closed: outside its period
            return comment_late(case, facts["submitted"])
        return super().refusal(event, case, state, **facts)

    # guard for "comment"
    @staticmethod
    def comment_in_time(case: Case, submitted: datetime, **_) -> None:
        if submitted > datetime.fromisoformat(case.data.get("comments_until")):
            raise comment_late(case, submitted)

    def published_in_all_channels(self, ctx: Context, case: Case, rules: ConsultationRules, **_) -> None:
        published = publications_of(ctx.session, case, "draft")
        missing = [c for c in rules.channels if c not in published]
        if missing:
            raise RuleViolation(
                "consultation_channels",
                tr("The draft must be published in every channel ({channels}); missing: {missing}",
                   channels=labels.channels(rules.channels), missing=labels.channels(missing)),
                basis=RESOLUTION_BASIS,
            )

    def rdpp_asked_for_programme(self, case: Case, rdpp_delivered=None, **_) -> None:
        if case.data.get("act_kind") in ("programme", "strategy") and rdpp_delivered is None:
            raise RuleViolation(
                "rdpp_not_asked",
                tr("A draft programme or strategy must be delivered to the Public Benefit Council for its "
                   "opinion (give the delivery time)"),
                basis="art. 41i ust. 1 pkt 1-2",
            )

    def every_comment_answered(self, ctx: Context, case: Case, answers: dict, **_) -> None:
        unanswered = [c.number for c in comments_of(ctx.session, case) if c.answer is None and c.number not in answers]
        if unanswered:
            raise RuleViolation(
                "comments_unanswered",
                ntr("The consultation report leaves comment {numbers} unanswered",
                    "The consultation report leaves comments {numbers} unanswered", len(unanswered), numbers=unanswered),
                basis=RESOLUTION_BASIS,
            )

    def rdpp_settled(self, case: Case, **_) -> None:
        rdpp = case.data.get("rdpp")
        if rdpp and rdpp["status"] == "pending":
            raise RuleViolation(
                "rdpp_opinion_pending",
                tr("The Public Benefit Council's opinion is due by {rdpp}; the report comes after it or "
                   "after the period lapses", rdpp=datetime.fromisoformat(rdpp["due"])),
                basis="art. 41i ust. 2",
            )

    def report_in_all_channels(self, ctx: Context, case: Case, rules: ConsultationRules, **_) -> None:
        published = publications_of(ctx.session, case, "report")
        missing = [c for c in rules.channels if c not in published]
        if missing:
            raise RuleViolation(
                "report_channels",
                tr("The consultation report must be published in every channel; missing: {missing}",
                   missing=labels.channels(missing)),
                basis=RESOLUTION_BASIS,
            )


def comment_late(case: Case, submitted: datetime) -> RuleViolation:
    until = case.data.get("comments_until")
    return RuleViolation(
        "consultation_comment_late",
        tr("{code}: comments are accepted until {until}; the comment of {submitted} is outside the "
           "consultation period", code=case.code, until=datetime.fromisoformat(until) if until else None,
           submitted=submitted),
        basis=RESOLUTION_BASIS,
    )


def closing(latest_publication, rules: ConsultationRules) -> calendar.ComputedDeadline:
    """Calendar days from the publication, closing at the resolution's hour (states/periods.py: shifted)."""
    return periods.CONSULTATION_COMMENTS.count(latest_publication, rules.period_days, closing_time=rules.closing_time)


def rdpp_deadline(delivered, rules: ConsultationRules) -> calendar.ComputedDeadline:
    return periods.RDPP_OPINION.count(delivered, rules.rdpp_opinion_days)
