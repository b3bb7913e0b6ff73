"""The report on the model form: Regulation of the Chairman of the Public Benefit Committee of 24 October 2018
(Dz.U. 2018 poz. 2057), annex 5, "sprawozdanie z wykonania zadania publicznego" (art. 18 ust. 1-4 of the Act on
public benefit activity and volunteerism), partial (częściowe, art. 18 ust. 3) or final (końcowe, art. 18 ust. 1).

One pydantic model per part of the form, in the form's order:

- the header ``header``: the kind of report and its period, the authority, the task's title, the contractor(s),
  the contract's date and number;
- I    ``description`` (sprawozdanie merytoryczne): 1. the results achieved, with the scale of the activities in
       numbers, and the results table (planned from the offer vs achieved, why not); 2. the activities done, each
       with its period and who carried it out; what was not done, or not as planned, and why;
- II   ``expenses`` (II.1 rozliczenie wydatków: by cost category, planned by the contract vs actually spent, each
       from the grant and from other means), ``funding`` (II.2 rozliczenie ze względu na źródło finansowania: the
       grant, own financial means, other public and other sources, volunteer work, in kind, the recipients'
       fees: planned and spent), ``offeror_split`` (a joint offer: the costs each contractor bore) and ``income``
       (II.3: interest on the grant's account and other income earned while carrying out the task);
- III  ``additional``: additional information;
- the declarations (oświadczenia), each accepted.

The form's own sums are checked by the model (``ReportForm.model_validate``); the sums against the contract and
the offer (what the engine knows of the case) by ``check_against_contract`` with ``ContractTerms``. Both refuse
with an error whose *type* is the rule's identifier (``RULES``); ``parse_report_form`` and
``check_against_contract`` raise the engine's ``InvalidInput`` naming the first rule, with all of them in
``details["rules"]``, as states/model_forms/offer.py does for the offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from states import labels
from states.errors import InvalidInput
from states.inputs import Day, ShortText
from states.model_forms.offer import (
    FormPart,
    Money2,
    MultiText,
    OptionalText,
    Text,
    cents,
    error_rules,
    parse_model_form,
)
from states.text import Message, Money, tr

BASIS = "art. 18 ust. 1-4; Dz.U. 2018 poz. 2057 zał. 5"
ZERO = Decimal("0.00")

# The rules, by the identifier a refusal carries as its error type (and ``InvalidInput.rule``); the value is the
# part of the form the rule is about.
RULES: dict[str, str] = {
    "report_period_reversed": "header",
    "report_activity_dates_reversed": "I.2",
    "report_activity_outside_period": "I.2",
    "expense_line_sources": "II.1",
    "expense_line_planned": "II.1",
    "expenses_planned_total": "II.1/II.2",
    "expenses_spent_total": "II.1/II.2",
    "expenses_planned_grant": "II.1/II.2",
    "expenses_spent_grant": "II.1/II.2",
    "funding_planned_total": "II.2",
    "funding_spent_total": "II.2",
    "split_total": "II.1",
    "split_grant": "II.1",
    # against the contract and the offer (``check_against_contract``)
    "grant_spent_above_awarded": "II.2",
    "planned_grant_not_contract": "II.2",
    "planned_total_not_offer": "II.2",
    "report_period_outside_task": "header",
    "final_report_period": "header",
    "contract_number_mismatch": "header",
    "split_missing": "II.1",
    "split_single_contractor": "II.1",
    "declaration_not_accepted": "declarations",
}


def refusal(rule: str, message: Message, rules: list[str] | None = None) -> PydanticCustomError:
    """A broken rule as pydantic reports it (the rule's identifier as the error's type), as offer.py does."""
    assert rule in RULES and all(r in RULES for r in rules or ()), (rule, rules)
    return PydanticCustomError(rule, "{message}", {"message": message, "rules": rules or [rule]})


def _first(problems: list[tuple[str, Message]]) -> None:
    """Refuse with every problem one check found, in one message, under the first one's rule."""
    if problems:
        message = problems[0][1]
        for _, more in problems[1:]:
            message = message + "; " + more
        raise refusal(problems[0][0], message, list(dict.fromkeys(rule for rule, _ in problems)))


def _accepted(value: bool) -> bool:
    if value is not True:
        raise PydanticCustomError("declaration_not_accepted", "{message}", {"message": tr(
            "must be accepted: a report is filed only with every declaration of the form")})
    return value


Accepted = Annotated[bool, AfterValidator(_accepted), Field(json_schema_extra={"const": True})]


def _sum(values: Any) -> Decimal:
    return cents(sum(values, Decimal(0)))


# public names for the simplified report (simplified_report.py), which shares these rules
refuse_first = _first
add_up = _sum


# --- the header --------------------------------------------------------------------------------------------------


class Header(FormPart):
    kind: Literal["partial", "final"]  # rodzaj sprawozdania: częściowe / końcowe
    period_start: Day  # okres, za jaki jest składane sprawozdanie
    period_end: Day
    authority: ShortText  # organ administracji publicznej
    task_title: ShortText  # tytuł zadania publicznego
    contractors: ShortText  # nazwa Zleceniobiorcy(-ców)
    contract_date: Day  # data zawarcia umowy
    contract_number: OptionalText = None  # numer umowy, o ile został nadany

    @model_validator(mode="after")
    def _period(self) -> Header:
        if self.period_end < self.period_start:
            raise refusal("report_period_reversed", tr(
                "The report's period cannot end ({end}) before it starts ({start})", end=self.period_end,
                start=self.period_start))
        return self


# --- I. Sprawozdanie merytoryczne ------------------------------------------------------------------------------------


class ResultAchieved(FormPart):  # I.1, one result of the offer's III.6
    name: ShortText  # the result
    planned_value: ShortText  # zakładana wartość (from the offer)
    achieved_value: ShortText  # osiągnięta wartość
    shortfall: MultiText = ""  # if it was not achieved: why


class ActivityDone(FormPart):  # I.2, one activity
    name: ShortText
    description: Text  # what was done, to what degree and scale
    start: Day
    end: Day
    performed_by: ShortText  # the contractor or another entity that carried it out

    @model_validator(mode="after")
    def _dates(self) -> ActivityDone:
        if self.end < self.start:
            raise refusal("report_activity_dates_reversed", tr(
                "I.2: the activity cannot end ({end}) before it starts ({start})", end=self.end, start=self.start))
        return self


class Description(FormPart):
    results_achieved: Text  # I.1 opis osiągniętych rezultatów wraz z liczbowym określeniem skali działań
    results: tuple[ResultAchieved, ...] = Field(default=(), max_length=100)
    activities: tuple[ActivityDone, ...] = Field(min_length=1, max_length=200)  # I.2
    not_done: MultiText = ""  # what was not done or not as planned (scope, schedule) and why


# --- II. Sprawozdanie z wykonania wydatków ---------------------------------------------------------------------------


class ExpenseLine(FormPart):  # II.1, one cost as the contract planned it and as it was spent
    category: Literal["activities", "administrative"]  # I. koszty realizacji działań / II. koszty administracyjne
    name: ShortText  # rodzaj kosztu
    planned_total: Money2  # koszty zgodnie z umową: razem
    planned_grant: Money2  # z dotacji
    spent_total: Money2  # faktycznie poniesione wydatki: razem
    spent_grant: Money2  # z dotacji
    spent_other: Money2  # z innych środków finansowych, wkładu osobowego lub rzeczowego

    @model_validator(mode="after")
    def _sums(self) -> ExpenseLine:
        _first(line_problems(self))
        return self


def line_problems(line: Any, parts: dict[str, str] = RULES) -> list[tuple[str, Message]]:
    """One cost line's own sums (``spent_grant``, ``spent_other``, ``spent_total``, ``planned_grant``,
    ``planned_total``): the model form's II.1 line and the simplified report's (simplified_report.py) alike, each
    message naming the part of its own form (``parts``: the form's ``RULES``)."""
    problems: list[tuple[str, Message]] = []
    if line.spent_grant + line.spent_other != line.spent_total:
        problems.append(("expense_line_sources", tr(
            "{part}: the line's spending from the grant {grant} and from other means {other} add up to {sum}, "
            "not to its total {total}", part=parts["expense_line_sources"], grant=Money(line.spent_grant),
            other=Money(line.spent_other), sum=Money(line.spent_grant + line.spent_other),
            total=Money(line.spent_total))))
    if line.planned_grant > line.planned_total:
        problems.append(("expense_line_planned", tr(
            "{part}: the line's planned part from the grant {grant} exceeds its planned total {total}",
            part=parts["expense_line_planned"], grant=Money(line.planned_grant), total=Money(line.planned_total))))
    return problems


# II.2: the sources, each planned (as in the contract) and spent; their order is the form's.
SOURCES = ("grant", "own_financial", "other_public", "other_sources", "volunteer_work", "in_kind",
           "recipients_fees")


class Funding(FormPart):
    planned_total: Money2  # 1. suma wszystkich kosztów realizacji zadania
    spent_total: Money2
    planned_grant: Money2  # 2. kwota dotacji
    spent_grant: Money2
    planned_own_financial: Money2 = ZERO  # 3.1 wkład własny finansowy
    spent_own_financial: Money2 = ZERO
    planned_other_public: Money2 = ZERO  # 3.2 środki z innych źródeł publicznych
    spent_other_public: Money2 = ZERO
    planned_other_sources: Money2 = ZERO  # 3.3 pozostałe środki
    spent_other_sources: Money2 = ZERO
    planned_volunteer_work: Money2 = ZERO  # 3.4 wkład osobowy (praca wolontariuszy i członków)
    spent_volunteer_work: Money2 = ZERO
    planned_in_kind: Money2 = ZERO  # 3.5 wkład rzeczowy
    spent_in_kind: Money2 = ZERO
    planned_recipients_fees: Money2 = ZERO  # 4. świadczenia pieniężne od odbiorców zadania
    spent_recipients_fees: Money2 = ZERO

    SOURCES: ClassVar[tuple[str, ...]] = SOURCES

    def parts(self, column: str) -> Decimal:
        return _sum(getattr(self, f"{column}_{source}") for source in self.SOURCES)

    @model_validator(mode="after")
    def _sums(self) -> Funding:
        _first(funding_problems(self))
        return self


def funding_problems(funding: Any, parts: dict[str, str] = RULES) -> list[tuple[str, Message]]:
    """The sources of a statement by source (its ``SOURCES``, each planned and spent) add up to its totals: the
    model form's II.2 and the simplified report's alike (``parts``: the form's ``RULES``)."""
    problems: list[tuple[str, Message]] = []
    if funding.parts("planned") != funding.planned_total:
        problems.append(("funding_planned_total", tr(
            "{part}: the planned sources add up to {sum}, not to the planned total {total}",
            part=parts["funding_planned_total"], sum=Money(funding.parts("planned")),
            total=Money(funding.planned_total))))
    if funding.parts("spent") != funding.spent_total:
        problems.append(("funding_spent_total", tr(
            "{part}: the sources spent add up to {sum}, not to the total spent {total}",
            part=parts["funding_spent_total"], sum=Money(funding.parts("spent")), total=Money(funding.spent_total))))
    return problems


class ContractorShare(FormPart):  # II.1 of a joint offer: the costs each contractor bore
    contractor: ShortText
    spent_total: Money2
    spent_grant: Money2


class Income(FormPart):  # II.3
    interest: Money2 = ZERO  # odsetki bankowe od środków dotacji
    other_income: Money2 = ZERO  # inne przychody uzyskane przy realizacji zadania
    other_income_description: MultiText = ""
    recipients_fees_description: MultiText = ""  # II.4 świadczenia pieniężne pobrane od odbiorców: za co


# --- III. Dodatkowe informacje -------------------------------------------------------------------------------------


class Additional(FormPart):
    remarks: MultiText = ""


class ReportDeclarations(FormPart):
    status_unchanged: Accepted  # 1) since the contract the contractors' legal status has not changed
    report_true: Accepted  # 2) everything in the report is true
    report_personal_data: Accepted  # 3) the persons whose data the report holds have made their statements


DECLARATIONS_PL: dict[str, str] = {  # the model form's wording, printed in the PDF (notifications/report_pdf.py)
    "status_unchanged": "od daty zawarcia umowy nie zmienił się status prawny Zleceniobiorcy(-ców)",
    "report_true": "wszystkie informacje podane w niniejszym sprawozdaniu są zgodne z aktualnym stanem "
                        "prawnym i faktycznym",
    "report_personal_data": "w zakresie związanym z realizacją zadania publicznego, w tym z gromadzeniem, przetwarzaniem "
                     "i przekazywaniem danych osobowych, a także wprowadzaniem ich do systemów informatycznych, "
                     "osoby, których dotyczą te dane, złożyły stosowne oświadczenia zgodnie z przepisami "
                     "o ochronie danych osobowych",
}

# The same wording as the page shows it beside each box, in the reader's language (the Polish catalogue holds the
# words above: tests/test_report_form.py checks it).
DECLARATION_TEXTS: dict[str, Message] = {
    "status_unchanged": tr("since the date the contract was concluded, the legal status of the contractor(s) has not "
                           "changed"),
    "report_true": tr("all information given in this report agrees with the current legal and factual state"),
    "report_personal_data": tr("as regards the carrying out of the public task, including the collecting, processing "
                               "and transferring of personal data and entering them into IT systems, the persons "
                               "whom these data concern have made the appropriate statements under the law on "
                               "personal data protection"),
}


# --- the whole form ------------------------------------------------------------------------------------------------


class ReportForm(FormPart):
    """The report as filed. Fields are validated in this order, so each cross-part check sees the parts before it."""

    header: Header
    narrative: Description  # I
    expenses: tuple[ExpenseLine, ...] = Field(min_length=1, max_length=500)  # II.1
    funding: Funding  # II.2
    offeror_split: tuple[ContractorShare, ...] = Field(default=(), max_length=20)  # II.1, a joint offer
    income: Income = Income()  # II.3-II.4
    additional: Additional = Additional()  # III
    report_declarations: ReportDeclarations

    @field_validator("narrative")
    @classmethod
    def _activities_in_period(cls, description: Description, info: ValidationInfo) -> Description:
        header: Header | None = info.data.get("header")
        if header is None:
            return description
        _first([("report_activity_outside_period", tr(
            "I.2: activity {number} runs {start} – {end}, outside the report's period {period_start} – "
            "{period_end}", number=n, start=a.start, end=a.end, period_start=header.period_start,
            period_end=header.period_end))
            for n, a in enumerate(description.activities, 1)
            if a.start < header.period_start or a.end > header.period_end])
        return description

    @field_validator("funding")
    @classmethod
    def _funding_matches_expenses(cls, funding: Funding, info: ValidationInfo) -> Funding:
        lines: tuple[ExpenseLine, ...] | None = info.data.get("expenses")
        if lines is None:
            return funding
        _first(expenses_problems(lines, funding))
        return funding

    @field_validator("offeror_split")
    @classmethod
    def _split_adds_up(cls, split: tuple[ContractorShare, ...], info: ValidationInfo) -> tuple[ContractorShare, ...]:
        funding: Funding | None = info.data.get("funding")
        if not split or funding is None:
            return split
        problems: list[tuple[str, Message]] = []
        if _sum(s.spent_total for s in split) != funding.spent_total:
            problems.append(("split_total", tr(
                "II.1: the contractors' costs add up to {sum}, not to the total spent {total}",
                sum=Money(_sum(s.spent_total for s in split)), total=Money(funding.spent_total))))
        if _sum(s.spent_grant for s in split) != funding.spent_grant:
            problems.append(("split_grant", tr(
                "II.1: the contractors' parts of the grant add up to {sum}, not to the grant spent {total}",
                sum=Money(_sum(s.spent_grant for s in split)), total=Money(funding.spent_grant))))
        _first(problems)
        return split

    # --- what the engine keeps ----------------------------------------------------------------------------------

    @property
    def final(self) -> bool:
        return self.header.kind == "final"

    def summary(self) -> str:
        """The report's line in the history and the ``reports`` row (the officer's CLI types one)."""
        return self.narrative.results_achieved[:500]

    def content(self) -> dict[str, Any]:
        """The report as JSON, what is hashed (states/model_forms/canonical.py): every field, defaults included,
        amounts as strings with two decimals, dates as YYYY-MM-DD."""
        return self.model_dump(mode="json")


def expenses_problems(lines: Any, funding: Any, parts: dict[str, str] = RULES) -> list[tuple[str, Message]]:
    """The cost lines' planned and spent totals and grant parts equal the statement by source's: the model form's
    II.1/II.2 and the simplified report's II alike (``parts``: the form's ``RULES``)."""
    problems: list[tuple[str, Message]] = []
    sums = {part: _sum(getattr(line, part) for line in lines)
            for part in ("planned_total", "spent_total", "planned_grant", "spent_grant")}
    if sums["planned_total"] != funding.planned_total:
        problems.append(("expenses_planned_total", tr(
            "{part}: the planned costs add up to {costs}, but the planned total by source is {value}",
            part=parts["expenses_planned_total"], costs=Money(sums["planned_total"]),
            value=Money(funding.planned_total))))
    if sums["spent_total"] != funding.spent_total:
        problems.append(("expenses_spent_total", tr(
            "{part}: the costs spent add up to {costs}, but the total spent by source is {value}",
            part=parts["expenses_spent_total"], costs=Money(sums["spent_total"]), value=Money(funding.spent_total))))
    if sums["planned_grant"] != funding.planned_grant:
        problems.append(("expenses_planned_grant", tr(
            "{part}: the planned parts from the grant add up to {costs}, but the planned grant by source is {value}",
            part=parts["expenses_planned_grant"], costs=Money(sums["planned_grant"]),
            value=Money(funding.planned_grant))))
    if sums["spent_grant"] != funding.spent_grant:
        problems.append(("expenses_spent_grant", tr(
            "{part}: the parts spent from the grant add up to {costs}, but the grant spent by source is {value}",
            part=parts["expenses_spent_grant"], costs=Money(sums["spent_grant"]), value=Money(funding.spent_grant))))
    return problems


def parse_report_form(data: Any) -> ReportForm:
    """The form from its JSON (a dict), or ``InvalidInput`` naming the first broken rule (``RULES``; else
    "invalid_input" for a malformed field), with every rule broken in ``details["rules"]``."""
    return parse_model_form(ReportForm, data, table=RULES, basis=BASIS)


def refused_rules(data: Any) -> list[str]:
    """The identifiers of the rules ``data`` breaks (the form's own and pydantic's); empty: a valid form."""
    try:
        ReportForm.model_validate(data)
    except ValidationError as error:
        return error_rules(error)
    return []


# --- against the contract ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractTerms:
    """What the case knows of the contract and the offer the report is about (states/report_filings.py reads it):
    the grant awarded, the task's period and the contract's number; from the offer's latest version filed on the
    model form (None: an offer recorded from paper) its cost estimate's total and grant, and its offerors."""

    granted: Decimal
    task_start: date
    task_end: date
    contract_number: str
    offer_total: Decimal | None = None
    offer_grant: Decimal | None = None
    offerors: int = 1


def contract_problems(form: Any, terms: ContractTerms, parts: dict[str, str] = RULES) -> list[tuple[str, Message]]:
    """Every rule of the report against its contract that the form breaks, the first one first (``parts``: the
    form's ``RULES``, the part each message names)."""
    problems: list[tuple[str, Message]] = []
    header, funding = form.header, form.funding
    if funding.spent_grant > terms.granted:
        problems.append(("grant_spent_above_awarded", tr(
            "{part}: the grant spent {spent} is more than the grant awarded by the contract {granted}; what was not "
            "awarded cannot be accounted for (art. 16 ust. 1; ufp art. 252)", part=parts["grant_spent_above_awarded"],
            spent=Money(funding.spent_grant), granted=Money(terms.granted))))
    if funding.planned_grant != terms.granted:
        problems.append(("planned_grant_not_contract", tr(
            "{part}: the planned grant {planned} is not the grant of contract {number}: {granted}",
            part=parts["planned_grant_not_contract"], planned=Money(funding.planned_grant),
            number=terms.contract_number, granted=Money(terms.granted))))
    if (terms.offer_total is not None and terms.offer_grant == terms.granted
            and funding.planned_total != terms.offer_total):
        # the grant awarded is the one asked for: the contract's cost estimate is the offer's (V.A/V.B); an
        # updated estimate comes with a smaller grant (art. 15 ust. 2g) and is not checked here
        problems.append(("planned_total_not_offer", tr(
            "II.2: the planned total {planned} is not the total of the offer's cost estimate {offer}",
            planned=Money(funding.planned_total), offer=Money(terms.offer_total))))
    if header.period_start < terms.task_start or header.period_end > terms.task_end:
        problems.append(("report_period_outside_task", tr(
            "The report's period {start} – {end} lies outside the task's period under the contract {task_start} – "
            "{task_end}", start=header.period_start, end=header.period_end, task_start=terms.task_start,
            task_end=terms.task_end)))
    elif form.final and header.period_end != terms.task_end:
        problems.append(("final_report_period", tr(
            "A final report covers the task to its end under the contract ({task_end}); its period ends {end} "
            "(art. 18 ust. 1)", task_end=terms.task_end, end=header.period_end)))
    if header.contract_number and header.contract_number != terms.contract_number:
        problems.append(("contract_number_mismatch", tr(
            "The contract's number {typed} is not the number of the contract of this offer: {number}",
            typed=header.contract_number, number=terms.contract_number)))
    if terms.offerors > 1 and not form.offeror_split:
        problems.append(("split_missing", tr(
            "II.1: a joint offer's report splits the costs among its {count} contractors", count=terms.offerors)))
    if terms.offerors == 1 and form.offeror_split:
        problems.append(("split_single_contractor", tr(
            "II.1: only a joint offer's report splits the costs among its contractors; this contract has one")))
    return problems


def check_against_contract(form: Any, terms: ContractTerms, basis: str = BASIS, parts: dict[str, str] = RULES) -> None:
    """Refuse a report whose sums or period do not agree with its contract: ``InvalidInput`` under the first broken
    rule, every broken rule in ``details["rules"]``, all messages in one. ``form``: a ``ReportForm`` or a
    simplified report (simplified_report.py, with its own ``basis`` and ``parts``)."""
    problems = contract_problems(form, terms, parts)
    if problems:
        message = problems[0][1]
        for _, more in problems[1:]:
            message = message + "; " + more
        raise InvalidInput(problems[0][0], message, basis=basis,
                           rules=list(dict.fromkeys(rule for rule, _ in problems)))


# The names people read for the report's fields ("sprawozdanie › II.1 › wiersz 2 › z dotacji"), added to the
# engine's labels (states/labels.py) where it has none of its own.
for _name, _label in {
    "header": tr("the report"),
    "kind": tr("kind of report"),
    "period_start": tr("period from"),
    "period_end": tr("period to"),
    "task_title": tr("title of the public task"),
    "contractors": tr("contractor(s)"),
    "contract_date": tr("date of the contract"),
    "contract_number": tr("number of the contract"),
    "narrative": tr("I. description of the task's execution"),
    "results_achieved": tr("results achieved, with the scale of the activities in numbers"),
    "planned_value": tr("planned value"),
    "achieved_value": tr("achieved value"),
    "shortfall": tr("if not achieved: why"),
    "performed_by": tr("carried out by"),
    "not_done": tr("what was not done or not as planned, and why"),
    "expenses": tr("II.1 statement of expenses"),
    "planned_total": tr("planned under the contract: total"),
    "planned_grant": tr("planned: from the grant"),
    "spent_total": tr("actually spent: total"),
    "spent_grant": tr("spent: from the grant"),
    "spent_other": tr("spent: from other means, personal or in-kind contribution"),
    "funding": tr("II.2 by source of funding"),
    "planned_own_financial": tr("planned: own financial contribution"),
    "spent_own_financial": tr("spent: own financial contribution"),
    "planned_other_public": tr("planned: other public funds"),
    "spent_other_public": tr("spent: other public funds"),
    "planned_other_sources": tr("planned: other sources"),
    "spent_other_sources": tr("spent: other sources"),
    "planned_volunteer_work": tr("planned: volunteer work"),
    "spent_volunteer_work": tr("spent: volunteer work"),
    "planned_in_kind": tr("planned: contribution in kind"),
    "spent_in_kind": tr("spent: contribution in kind"),
    "planned_recipients_fees": tr("planned: recipients' fees"),
    "spent_recipients_fees": tr("spent: recipients' fees"),
    "offeror_split": tr("costs by contractor (a joint offer)"),
    "contractor": tr("contractor"),
    "income": tr("II.3 interest and other income"),
    "interest": tr("bank interest on the grant"),
    "other_income": tr("other income"),
    "other_income_description": tr("other income: what it was"),
    "recipients_fees_description": tr("recipients' fees: what they were for"),
    "additional": tr("III. additional information"),
    "report_declarations": tr("declarations"),
    "status_unchanged": tr("declaration 1 (legal status unchanged)"),
    "report_true": tr("declaration 2 (information true)"),
    "report_personal_data": tr("declaration 3 (personal data)"),
}.items():
    labels.FIELDS.setdefault(_name, _label)
