"""Validated inputs of the local initiative's commands (art. 19b-19h; invariant 7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from states.inputs import (
    Amount,
    AsciiDecimal,
    CaseCode,
    Command,
    Day,
    Email,
    Hours,
    Krs,
    LongText,
    Moment,
    Points,
    PositiveAmount,
    ShortText,
    SingleLine,
)
from states.model_forms.initiative import InitiativeForm, parse_initiative_form
from states.model_forms.initiative_report import InitiativeReportForm, parse_initiative_report

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


class ReviewInitiativeReport(Command):
    """The officer's review of the latest report (art. 19e, the agreement): accept it, or call for corrections
    saying what it lacks (``reason``, required then)."""

    code: CaseCode
    accept: bool
    reason: LongText = ""


# --- the application filed through the portal (issue 22; states/model_forms/initiative.py) -----------------------


class FileApplication(Command):
    """The application on the portal's form, filed by the authenticated person: as the contact of a group of
    residents (``organisation_krs`` None), or as the representative of the organisation ``organisation_krs``."""

    form: InitiativeForm
    organisation_krs: Krs | None = None
    # filed from the portal's draft (states/initiative_drafts.py): the draft is deleted in the filing's transaction
    from_draft: bool = False

    @classmethod
    def parse(cls, **values: object):
        """The form parsed first, so its refusal names the form's broken rule (``parse_initiative_form``)."""
        if values.get("form") is not None:
            values = {**values, "form": parse_initiative_form(values["form"])}
        return super().parse(**values)


class NameRepresentative(Command):
    """The portal account representing the residents' group of an application (one typed in from paper has no
    filer): a registered person's login or e-mail address."""

    code: CaseCode
    account: Annotated[SingleLine, Field(min_length=1, max_length=254)]


class FilingRef(Command):
    code: CaseCode
    version: Annotated[int, Field(ge=1, le=1000)] | None = None  # None: the latest


# --- the report filed through the portal (issue 22; states/model_forms/initiative_report.py) ----------------------


class FileInitiativeReport(Command):
    """The initiative's report on its form, filed by its applicant (the person who filed the application, or a
    representative of the organisation it was filed for)."""

    code: CaseCode
    form: InitiativeReportForm

    @classmethod
    def parse(cls, **values: object):
        """The form parsed first, so its refusal names the form's broken rule (``parse_initiative_report``)."""
        if values.get("form") is not None:
            values = {**values, "form": parse_initiative_report(values["form"])}
        return super().parse(**values)


class InitiativeReportRef(Command):
    code: CaseCode
    report: Annotated[int, Field(ge=1, le=1000)]  # k of the receipt's S<k>
