"""Validated inputs of the small grant, consultation, local initiative and regranting commands (invariant 7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from states.commands import (
    Amount,
    AsciiDecimal,
    AsciiInt,
    CaseCode,
    Command,
    Day,
    Email,
    Krs,
    LongText,
    Moment,
    Ordinal,
    Points,
    PositiveAmount,
    ShortText,
    SingleLine,
)

ChannelName = Annotated[str, Field(pattern=r"^[a-z_]{2,40}$", description="a publication channel, e.g. bip")]
Number = Ordinal
Year = Annotated[AsciiInt, Field(ge=2000, le=2100)]
Hours = Annotated[AsciiDecimal, Field(gt=0, le=1000000, max_digits=9, decimal_places=2)]

# --- small grant (art. 19a) ----------------------------------------------------------------------------------


class RecordGrantBudget(Command):
    year: Year
    planned: PositiveAmount  # the budget's planned funds for NGO grants (art. 19a ust. 7)


class FileSmallGrant(Command):
    organisation_krs: Krs
    title: ShortText
    requested_grant: PositiveAmount
    own_contribution: Amount = Decimal(0)
    task_start: Day
    task_end: Day
    received_at: Moment | None = None
    rule_set: ShortText | None = None


class PublishNotice(Command):
    code: CaseCode
    published: dict[ChannelName, Moment]


class AddComment(Command):
    code: CaseCode
    author: ShortText
    text: LongText = Field(min_length=1)
    submitted_at: Moment | None = None


class ConsiderComment(Command):
    code: CaseCode
    number: Number
    consideration: LongText = Field(min_length=1)


class DecideSmallGrant(Command):
    code: CaseCode
    grant: PositiveAmount | None = None  # None: rejected
    decision_ref: ShortText
    reason: LongText = ""


class SignSmallGrant(Command):
    code: CaseCode
    contract_number: ShortText


class SmallGrantReport(Command):
    code: CaseCode
    funds_used: Amount
    summary: LongText = ""


class ReviewSmallGrantReport(Command):
    code: CaseCode
    accept: bool
    reason: LongText = ""


class SettleSmallGrant(Command):
    code: CaseCode
    returned_amount: Amount = Decimal(0)
    returned_on: Day | None = None


# --- consultation (art. 5, 5a, 41i) --------------------------------------------------------------------------


class CreateConsultation(Command):
    title: ShortText
    field: ShortText  # the statutory field of the act, so the right NGOs are invited (art. 5 ust. 2 pkt 3)
    act_kind: Literal["programme", "resolution", "strategy", "other"] = "resolution"
    programme_year: Year | None = None  # for the annual programme: the year it governs (art. 5a ust. 1)
    council_session: Day | None = None  # the planned council session
    rule_set: ShortText | None = None


class OpenConsultation(Command):
    code: CaseCode
    published: dict[ChannelName, Moment]
    rdpp_delivered: Moment | None = None  # the draft delivered to the RDPP (art. 41i ust. 2)


class ConsultationCommentInput(Command):
    code: CaseCode
    author: ShortText
    author_kind: Literal["ngo", "resident", "other"] = "ngo"
    provision: ShortText | None = None
    text: LongText = Field(min_length=1)
    submitted_at: Moment | None = None
    email: Email | None = None  # optional: where the commenter is told how the comment was considered (audit only)


class RdppOpinion(Command):
    code: CaseCode
    opinion: LongText = Field(min_length=1)


class CommentAnswer(Command):
    number: Number
    answer: Literal["accepted", "partly_accepted", "rejected"]
    reason: LongText = Field(min_length=1)


class ConsultationReport(Command):
    code: CaseCode
    answers: tuple[CommentAnswer, ...] = ()
    published: dict[ChannelName, Moment]
    summary: LongText = ""


class CouncilStep(Command):
    code: CaseCode
    reference: ShortText  # the council's print number or the adopted resolution's number
    on: Day | None = None


# --- local initiative (art. 19b-19h) -------------------------------------------------------------------------


class FileInitiative(Command):
    title: ShortText
    applicant_kind: Literal["residents", "ngo"]
    representative: ShortText
    representative_email: Email | None = None  # where the group's representative is told of each step
    residents: tuple[ShortText, ...] = ()
    organisation_krs: Krs | None = None
    sphere: ShortText
    location: ShortText
    property_owner: ShortText
    description: LongText = Field(min_length=1)
    received_at: Moment | None = None
    rule_set: ShortText | None = None


class FormalCheck(Command):
    code: CaseCode
    passed: bool
    defects: tuple[ShortText, ...] = ()


class EvaluateInitiative(Command):
    code: CaseCode
    points: dict[Annotated[SingleLine, Field(min_length=1)], Points]


class DecideInitiative(Command):
    code: CaseCode
    accept: bool
    decision_ref: ShortText
    reason: LongText = ""


class CostLine(Command):
    party: Literal["city", "work", "cash", "goods"]
    description: ShortText
    amount: Amount = Decimal(0)  # ignored for work: hours x the rule set's hour value
    hours: Hours | None = None


class PlanInitiative(Command):
    code: CaseCode
    task_start: Day
    task_end: Day
    costs: tuple[CostLine, ...]


class SignInitiative(Command):
    code: CaseCode
    contract_number: ShortText


class RecordPurchase(Command):
    code: CaseCode
    description: ShortText
    supplier: ShortText
    amount: PositiveAmount


class InitiativeReport(Command):
    code: CaseCode
    work_hours: Annotated[AsciiDecimal, Field(ge=0, le=1000000, max_digits=9, decimal_places=2)]
    summary: LongText = Field(min_length=1)


# --- regranting (art. 16a) -----------------------------------------------------------------------------------


class CreateRegranting(Command):
    title: ShortText
    task_area: ShortText
    budget: PositiveAmount
    rule_set: ShortText | None = None


class AnnounceSubCall(Command):
    code: CaseCode
    deadline: Day
    published: dict[ChannelName, Moment]


class PublishSubSelection(Command):
    code: CaseCode
    published: dict[ChannelName, Moment]
    chosen: tuple[ShortText, ...]


class AddMicroGrant(Command):
    code: CaseCode
    implementer: ShortText
    address: ShortText
    scope: ShortText
    amount: PositiveAmount
    contract_number: ShortText
    task_start: Day
    task_end: Day


class TransferMicroGrant(Command):
    code: CaseCode  # the micro-grant's own code (MR/...)
    amount: PositiveAmount
    on: Day


class MicroGrantReport(Command):
    code: CaseCode
    funds_used: Amount
    delivered: LongText = Field(min_length=1)


class SettleMicroGrant(Command):
    code: CaseCode
    returned_amount: Amount = Decimal(0)


class OperatorReport(Command):
    code: CaseCode
    own_costs: Amount = Decimal(0)
    summary: LongText = ""
