"""Validated inputs of the small grant's commands (art. 19a; invariant 7)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from states.inputs import (
    Amount,
    CaseCode,
    ChannelName,
    Command,
    Day,
    Krs,
    LongText,
    Moment,
    Number,
    PositiveAmount,
    ShortText,
    Year,
)
from states.model_forms.simplified_offer import SimplifiedFormCommand, SimplifiedOfferForm

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


class FileSmallGrantForm(SimplifiedFormCommand):
    """An organisation's small-grant offer on the simplified model form (art. 19a ust. 1; Dz.U. 2018 poz. 2055
    zał. 1), filed for the organisation ``organisation_krs`` (its lead offeror); filing makes the case."""

    organisation_krs: Krs
    form: SimplifiedOfferForm


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
