"""Validated inputs of the open call's commands (art. 11-15; the offer, contract and report; invariant 7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from states.inputs import (
    Amount,
    AsciiDecimal,
    CaseCode,
    Channel,
    Command,
    Day,
    Email,
    Krs,
    LongText,
    MemberName,
    Moment,
    Ordinal,
    Points,
    PositiveAmount,
    ShortText,
    SingleLine,
)
from states.model_forms.offer import FormCommand, OfferForm


class CreateOpenCall(Command):
    title: ShortText
    task_area: ShortText
    budget: PositiveAmount
    mode: Literal["support", "entrustment"] = "support"
    receipt_rule: Literal["received", "postmarked"] = "received"
    rule_set: ShortText | None = None


class CriterionSetting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: Annotated[SingleLine, Field(min_length=1)]
    max_points: Points
    weight: Annotated[AsciiDecimal, Field(gt=0, le=100)] = Decimal(1)


class AnnounceCall(Command):
    code: CaseCode
    offer_deadline: Day
    selection_date: Day
    execution_start: Day
    execution_end: Day
    published: dict[Channel, Moment]
    grant_rules: LongText = ""
    prior_funding: LongText = ""  # art. 13 ust. 2 pkt 7: tasks of the same type funded this and last year
    pass_threshold: Annotated[AsciiDecimal, Field(ge=0, le=1)] | None = None
    criteria: tuple[CriterionSetting, ...] | None = None


class AppointMember(Command):
    code: CaseCode
    name: MemberName
    email: Email | None = None
    affiliation: Literal["city", "ngo"] = "city"
    organisation_krs: Krs | None = None


class DeclareConflicts(Command):
    code: CaseCode
    member: MemberName
    conflicts: tuple[Ordinal, ...] = ()
    note: LongText = ""


class FileOffer(Command):
    code: CaseCode
    organisation_krs: Krs
    title: ShortText
    requested_grant: PositiveAmount
    own_funds: Amount = Decimal(0)
    non_financial_contribution: Amount = Decimal(0)
    volunteer_work: Amount = Decimal(0)
    task_start: Day
    task_end: Day
    received_at: Moment | None = None
    postmarked_on: Day | None = None


class SubmitOfferForm(FormCommand):
    """An organisation's offer on the model form (Dz.U. 2018 poz. 2057), filed for the organisation ``organisation_krs``
    (its lead offeror)."""

    code: CaseCode
    organisation_krs: Krs
    form: OfferForm


class CorrectOfferForm(FormCommand):
    """The corrected offer, the whole form again, filed within the correction window."""

    code: CaseCode
    number: Ordinal
    form: OfferForm


class ReviewOffer(Command):
    code: CaseCode
    number: Ordinal
    decision: Literal["accept", "reject", "correct"]
    defects: tuple[ShortText, ...] = ()


class ScoreOffer(Command):
    code: CaseCode
    number: Ordinal
    member: MemberName
    points: dict[Annotated[SingleLine, Field(min_length=1)], Points]


class SelectOffers(Command):
    code: CaseCode
    grants: dict[Ordinal, PositiveAmount]
    decision_ref: ShortText  # the Mayor's order (zarządzenie) that records the choice


class Publish(Command):
    code: CaseCode
    subject: Literal["results", "invalidation"]
    published: dict[Channel, Moment]


class SignContract(Command):
    code: CaseCode
    number: Ordinal
    contract_number: ShortText
    amount: PositiveAmount
    task_start: Day
    task_end: Day


class SubmitReport(Command):
    code: CaseCode
    number: Ordinal
    funds_used: Amount
    summary: LongText = ""


class ReviewReport(Command):
    code: CaseCode
    number: Ordinal
    accept: bool
    reason: LongText = ""


class Settle(Command):
    code: CaseCode
    number: Ordinal
    returned_amount: Amount = Decimal(0)
    returned_on: Day | None = None
