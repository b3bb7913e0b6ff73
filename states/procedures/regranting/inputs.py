"""Validated inputs of the regranting commands (art. 16a; invariant 7)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from states.inputs import (
    Amount,
    CaseCode,
    ChannelName,
    Command,
    Day,
    LongText,
    Moment,
    PositiveAmount,
    ShortText,
)

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
