"""The local initiative's report, filed by its applicants through the portal (issue 22; art. 19b-19h of the Act on
public benefit activity and volunteerism).

There is no national model of this report: the city carries the initiative out under an agreement with the applicants
(art. 19e), buying what it needs itself, so no grant is transferred and no grant is accounted for (no cost statement,
no grant spent, none of the model report's money rules). The agreement asks the applicants to report what was done and
what they contributed themselves. The form holds:

- the header ``header``: the report's period (within the agreement's period), the task's title, the applicants (the
  group or the organisation), the agreement's number;
- I    ``narrative``: the task carried out, the results achieved with their scale in numbers, what was not done or not
       as planned and why;
- II   ``contribution``: the residents' own contribution: their social work (what, how many people, how many hours:
       its value is computed by the engine with the council resolution's rate pinned to the case, art. 19c ust. 1),
       in kind (its value and what it was) and in money (its amount and what it paid for);
- III  ``additional``: additional information;
- the declarations, each accepted.

Each refusal's type is the rule's identifier (``RULES``); ``parse_initiative_report`` raises the engine's
``InvalidInput`` naming the first, ``check_against_agreement`` the rules against the agreement the case keeps
(``AgreementTerms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from states import labels
from states.errors import InvalidInput
from states.inputs import Day, ShortText
from states.model_forms.initiative import Hours0, People
from states.model_forms.offer import FormPart, Money2, MultiText, OptionalText, Text, parse_model_form
from states.model_forms.report import ZERO, Accepted, Additional
from states.text import Message, tr

# The agreement on carrying out the initiative (art. 19e) is what the report answers to; the council's resolution
# sets the procedure (art. 19c ust. 1).
BASIS = "art. 19e (umowa o wykonanie inicjatywy lokalnej)"

# The rules, by the identifier a refusal carries as its error type: the part of the form and the basis.
RULES: dict[str, tuple[str, str]] = {
    "report_period_reversed": ("header", BASIS),
    "contribution_undescribed": ("II", "art. 19e"),
    "contribution_missing": ("II", "art. 19e; art. 19f"),
    "declaration_not_accepted": ("declarations", BASIS),
    # against the agreement (``check_against_agreement``)
    "report_period_outside_agreement": ("header", "art. 19e (umowa: harmonogram)"),
    "contract_number_mismatch": ("header", BASIS),
}


def refusal(rule: str, message: Message) -> PydanticCustomError:
    """A broken rule as pydantic reports it, its message naming its basis (as states/model_forms/initiative.py)."""
    assert rule in RULES, rule
    return PydanticCustomError(rule, "{message}", {"message": message + f" ({RULES[rule][1]})", "rules": [rule]})


class InitiativeReportHeader(FormPart):
    period_start: Day  # okres, za jaki jest składane sprawozdanie
    period_end: Day
    task_title: ShortText  # tytuł zadania
    applicants: ShortText  # wnioskodawcy: the group of residents or the organisation
    contract_number: OptionalText = None  # numer umowy

    @model_validator(mode="after")
    def _period(self) -> InitiativeReportHeader:
        if self.period_end < self.period_start:
            raise refusal("report_period_reversed", tr(
                "The report's period cannot end ({end}) before it starts ({start})", end=self.period_end,
                start=self.period_start))
        return self


class InitiativeNarrative(FormPart):  # I. what was done
    task_done: Text  # opis zrealizowanego zadania
    results_achieved: Text  # osiągnięte rezultaty, z liczbowym określeniem skali działań
    not_done: MultiText = ""  # what was not done or not as planned, and why


class Contribution(FormPart):  # II. the residents' own contribution (art. 19e: work, in kind, in money)
    work_description: MultiText = ""  # praca społeczna: what the residents did
    people: People = 0
    hours: Hours0 = Decimal("0")
    in_kind: Money2 = ZERO  # wkład rzeczowy: its value
    in_kind_description: MultiText = ""
    cash: Money2 = ZERO  # wkład finansowy
    cash_description: MultiText = ""

    @model_validator(mode="after")
    def _described(self) -> Contribution:
        undescribed = [name for name, value, what in (
            (tr("the social work"), self.hours, self.work_description),
            (tr("the contribution in kind"), self.in_kind, self.in_kind_description),
            (tr("the contribution in money"), self.cash, self.cash_description)) if value and not what]
        if undescribed:
            message = tr("II: say what {what} was", what=undescribed[0])
            for more in undescribed[1:]:
                message = message + "; " + tr("II: say what {what} was", what=more)
            raise refusal("contribution_undescribed", message)
        if not (self.hours or self.in_kind or self.cash):
            raise refusal("contribution_missing", tr(
                "II: the residents contributed no work, goods or money; a local initiative is carried out with the "
                "applicants' own contribution, as the agreement says"))
        return self


class InitiativeReportDeclarations(FormPart):
    information_true: Accepted  # what the report says is true
    personal_data: Accepted  # the people named in it consented to their data being processed


DECLARATIONS_PL: dict[str, str] = {  # printed in the PDF (notifications/initiative_report_pdf.py)
    "information_true": "wszystkie informacje podane w niniejszym sprawozdaniu są zgodne z aktualnym stanem "
                        "prawnym i faktycznym",
    "personal_data": "osoby, których dane osobowe zawiera sprawozdanie, wyraziły zgodę na ich przetwarzanie "
                     "w celu rozliczenia inicjatywy lokalnej",
}


class InitiativeReportForm(FormPart):
    """The local initiative's report as filed."""

    header: InitiativeReportHeader
    narrative: InitiativeNarrative  # I
    contribution: Contribution  # II
    additional: Additional = Additional()  # III
    report_declarations: InitiativeReportDeclarations

    # what the filing reads of any report (states/report_filings.py ``file_on_form``): one report on the whole task
    final: ClassVar[bool] = True

    def summary(self) -> str:
        return self.narrative.results_achieved[:500]

    def sums(self) -> dict[str, Any]:
        """What the filing's audit record keeps of the figures: the contribution (no money of the city's)."""
        c = self.contribution
        return {"work_hours": c.hours, "work_people": c.people, "in_kind": c.in_kind, "cash": c.cash}

    def content(self) -> dict[str, Any]:
        """What is hashed (states/model_forms/canonical.py): every field, amounts with two decimals, dates ISO."""
        return self.model_dump(mode="json")


def parse_initiative_report(data: Any) -> InitiativeReportForm:
    """The form from its JSON, or ``InvalidInput`` naming the first broken rule (``RULES``)."""
    return parse_model_form(InitiativeReportForm, data, table=RULES, basis=BASIS, rules_cite_basis=True)


@dataclass(frozen=True)
class AgreementTerms:
    """What the case knows of the agreement (the joint schedule's period, the number it was signed under)."""

    task_start: date
    task_end: date
    contract_number: str | None


def check_against_agreement(form: InitiativeReportForm, terms: AgreementTerms) -> None:
    """Refuse a report that does not answer to its agreement: ``InvalidInput`` under the first broken rule (its
    message and basis), every broken rule in ``details["rules"]``."""
    header = form.header
    outside = header.period_start < terms.task_start or header.period_end > terms.task_end
    other_number = bool(header.contract_number and terms.contract_number
                        and header.contract_number != terms.contract_number)
    rules = [rule for rule, broken in (("report_period_outside_agreement", outside),
                                       ("contract_number_mismatch", other_number)) if broken]
    if outside:
        raise InvalidInput("report_period_outside_agreement", tr(
            "The report's period {start} – {end} lies outside the period of the agreement {task_start} – {task_end}; "
            "the report covers what was done under the agreement", start=header.period_start, end=header.period_end,
            task_start=terms.task_start, task_end=terms.task_end),
            basis=RULES["report_period_outside_agreement"][1], rules=rules)
    if other_number:
        raise InvalidInput("contract_number_mismatch", tr(
            "The agreement's number {typed} is not the number of this initiative's agreement: {number}",
            typed=header.contract_number, number=terms.contract_number),
            basis=RULES["contract_number_mismatch"][1], rules=rules)


for _name, _label in {
    "applicants": tr("applicants"),
    "report": tr("number of the report"),
    "contribution": tr("II. the residents' contribution"),
    "work_description": tr("social work: what the residents did"),
    "in_kind_description": tr("contribution in kind: what it was"),
    "cash": tr("contribution in money"),
    "cash_description": tr("contribution in money: what it paid for"),
}.items():
    labels.FIELDS.setdefault(_name, _label)
