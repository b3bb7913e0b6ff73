"""The offer on the model form (Dz.U. 2018 poz. 2057, załącznik nr 1): SKELETON of the interface, to be completed
(every section and every sum and share rule) in this module. What the rest of the engine relies on:

- ``OfferForm`` (pydantic): the whole form; ``OfferForm.model_validate(data)`` refuses a broken sum with the rule;
- ``OfferForm.summary()`` -> ``OfferSummary``: what the engine's ``offers`` row keeps (title, amounts, period, the
  offerors' registry numbers);
- ``OfferForm.content()`` -> the JSON-ready dict that is hashed (states/model_forms/canonical.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from states.inputs import Amount, Day, Email, LongText, PositiveAmount, ShortText


class FormPart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Offeror(FormPart):
    name: ShortText
    legal_form: ShortText
    krs: str | None = Field(default=None, pattern=r"^[0-9]{10}$")
    other_register: ShortText | None = None  # the register and number of an entity outside the KRS
    address: ShortText
    email: Email
    phone: ShortText | None = None


class CostLine(FormPart):
    category: ShortText
    unit: ShortText
    unit_cost: Amount
    units: Decimal = Field(gt=0, max_digits=11, decimal_places=2)
    total: Amount
    from_grant: Amount = Decimal(0)


class OfferForm(FormPart):
    authority: ShortText  # I.1 the public administration body the offer is addressed to
    task_kind: ShortText  # I.2 the kind of public task (art. 4)
    offerors: tuple[Offeror, ...] = Field(min_length=1)  # II.1; more than one: a joint offer (art. 14 ust. 2)
    contact_name: ShortText  # II.2 who explains the offer
    contact_email: Email
    title: ShortText  # III.1
    task_start: Day  # III.2
    task_end: Day
    summary_text: LongText  # III.3
    costs: tuple[CostLine, ...] = Field(min_length=1)  # V.A
    requested_grant: PositiveAmount  # V.B 2
    own_funds: Amount = Decimal(0)  # V.B 3.1
    non_financial_contribution: Amount = Decimal(0)  # V.B 3.2 (in kind)
    volunteer_work: Amount = Decimal(0)  # V.B 3.2 (personal)

    def summary(self) -> OfferSummary:
        return OfferSummary(title=self.title, requested_grant=self.requested_grant, own_funds=self.own_funds,
                            non_financial_contribution=self.non_financial_contribution,
                            volunteer_work=self.volunteer_work, task_start=self.task_start, task_end=self.task_end,
                            registry_numbers=tuple(o.krs or o.other_register or "" for o in self.offerors))

    def content(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class OfferSummary:
    title: str
    requested_grant: Decimal
    own_funds: Decimal
    non_financial_contribution: Decimal
    volunteer_work: Decimal
    task_start: date
    task_end: date
    registry_numbers: tuple[str, ...]  # the lead offeror first
