"""The simplified offer: Regulation of the Chairman of the Public Benefit Committee of 24 October 2018 on the
simplified model offer and the simplified model report (Dz.U. 2018 poz. 2055), annex 1, "uproszczona oferta
realizacji zadania publicznego": the form of a small grant outside an open call (art. 19a ust. 1 of the Act on
public benefit activity and volunteerism). The open call's offer keeps the full form (states/model_forms/offer.py,
poz. 2057).

One pydantic model per section of the form, in the form's order:

- I   ``basic``: the authority, the kind of public task, the title and the task's period;
- II  ``offerors`` (II.1; more than one: a joint offer) and ``contact`` (II.2: who explains the offer);
- III ``task``: the synthetic description (place, target group, the need met and how, complementarity) and the
      expected results;
- IV  ``cost_estimate``: the estimated costs, each line with its unit, unit cost, number of units and value, of it
      from the grant and from other sources; ``cost_summary``: the sum of all costs and its sources;
- V   ``statements``: the declarations: 3) and 4) a choice („nie zalega(-ją)” ``true`` / „zalega(-ją)” ``false``),
      the others must be accepted.

The sections the simplified form shares with the full one are the full form's models (the offerors, the contact)
and its field types; every sum is checked here, once, by the full form's mechanism: a refusal's error type is the
rule's identifier (``RULES``), ``parse_simplified_offer_form`` turns it into ``InvalidInput`` with the first rule
and every rule in ``details["rules"]``. ``summary()`` gives the engine the same facts as ``OfferForm.summary()``
(states/model_forms/offer.py ``OfferSummary``), ``content()`` the JSON that is hashed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from states import labels
from states.inputs import Day, ShortText
from states.model_forms.offer import (
    DECLARATION_TEXTS,
    ContactPerson,
    FormCommand,
    FormPart,
    Money2,
    MultiText,
    Offeror,
    OfferSummary,
    PositiveMoney,
    Text,
    Units,
    arrears_statement,
    cents,
    declaration,
    distinct_offerors,
    parse_model_form,
    refusal,
    refuse_problems,
    required_choices,
)
from states.text import Message, Money, tr

BASIS = "Dz.U. 2018 poz. 2055, zał. 1"  # the simplified model offer; every rule below is one of its sums

# The rules, by the identifier a refusal carries as its error type (and ``InvalidInput.rule``): the section of
# the simplified form each one checks.
RULES: dict[str, str] = {
    "registry_number_missing": "II.1",
    "registry_number_repeated": "II.1",
    "task_period_reversed": "I.4",
    "cost_line_value": "IV",
    "cost_line_sources": "IV",
    "sources_grant_above_total": "IV",
    "sources_total": "IV",
    "costs_total": "IV",
    "costs_grant": "IV",
    "costs_other_sources": "IV",
    "declaration_not_accepted": "V",
    "arrears_statement_missing": "V",
}

Accepted = declaration(tr("must be accepted: an offer is filed only with every declaration of section V"))
Arrears = arrears_statement(tr("choose one: the offeror(s) are not in arrears, or are in arrears (section V "
                               "states either)"))


def _refuse(problems: list[tuple[str, Message]]) -> None:
    refuse_problems(problems, table=RULES)


# --- I. Podstawowe informacje o złożonej ofercie -------------------------------------------------------------------


class BasicInformation(FormPart):
    authority: ShortText  # I.1 the public administration body the offer is addressed to
    task_kind: ShortText  # I.2 the kind of public task (art. 4 of the Act)
    title: ShortText  # I.3 the title of the public task
    task_start: Day  # I.4 the task's period
    task_end: Day

    @model_validator(mode="after")
    def _period(self) -> BasicInformation:
        if self.task_end < self.task_start:
            raise refusal("task_period_reversed", tr(
                "I.4: the task cannot end ({end}) before it starts ({start})", end=self.task_end,
                start=self.task_start), table=RULES)
        return self


# --- III. Opis zadania ---------------------------------------------------------------------------------------------


class TaskDescription(FormPart):
    place: Text  # III.1 synthetic description: where,
    target_group: Text  # for whom,
    goal: Text  # which need or problem is met and how,
    complementarity: MultiText = ""  # how it complements other actions
    expected_results: Text  # III.2 the expected results of the task


# --- IV. Szacunkowa kalkulacja kosztów realizacji zadania publicznego ------------------------------------------------


class EstimatedCost(FormPart):
    name: ShortText  # rodzaj kosztu
    unit: ShortText  # rodzaj miary
    unit_cost: Money2
    units: Units
    total: Money2  # wartość = unit cost × units
    from_grant: Money2 = Decimal("0.00")  # of it from the grant
    from_other: Money2 = Decimal("0.00")  # of it from other sources (own means, other funds, in kind, work)

    @model_validator(mode="after")
    def _sums(self) -> EstimatedCost:
        problems: list[tuple[str, Message]] = []
        expected = cents(self.unit_cost * self.units)
        if self.total != expected:
            problems.append(("cost_line_value", tr(
                "IV: the value {total} is not unit cost × number of units = {expected}",
                total=Money(self.total), expected=Money(expected))))
        if self.from_grant + self.from_other != self.total:
            problems.append(("cost_line_sources", tr(
                "IV: the line's parts from the grant and from other sources add up to {sum}, not to its value "
                "{total}", sum=Money(self.from_grant + self.from_other), total=Money(self.total))))
        _refuse(problems)
        return self


class CostSummary(FormPart):
    total: PositiveMoney  # suma wszystkich kosztów realizacji zadania
    grant: PositiveMoney  # of it the grant asked
    other_sources: Money2 = Decimal("0.00")  # of it from other sources

    @model_validator(mode="after")
    def _sums(self) -> CostSummary:
        problems: list[tuple[str, Message]] = []
        if self.grant > self.total:
            problems.append(("sources_grant_above_total", tr(
                "IV: the grant asked {grant} is more than the sum of all costs {total}", grant=Money(self.grant),
                total=Money(self.total))))
        if self.grant + self.other_sources != self.total:
            problems.append(("sources_total", tr(
                "IV: the sum of all costs {total} is not the grant {grant} + the other sources {other} = {expected}",
                total=Money(self.total), grant=Money(self.grant), other=Money(self.other_sources),
                expected=Money(self.grant + self.other_sources))))
        _refuse(problems)
        return self


# --- V. Oświadczenia -----------------------------------------------------------------------------------------------


class Statements(FormPart):
    model_config = ConfigDict(**FormPart.model_config, json_schema_extra=required_choices)

    public_benefit_scope: Accepted  # 1) the task is within the offerors' public benefit activity
    fees_in_paid_activity_only: Accepted  # 2) fees are charged only within paid public benefit activity
    # 3) and 4): true „nie zalega(-ją)”, false „zalega(-ją)” (the full form's choice, states/model_forms/offer.py)
    no_tax_arrears: Arrears = Field(default=None, validate_default=True)  # 3) arrears of taxes?
    no_social_security_arrears: Arrears = Field(default=None, validate_default=True)  # 4) of social security?
    register_data_true: Accepted  # 5) section II agrees with the KRS or the other register
    information_true: Accepted  # 6) everything in the offer and its annexes is true
    personal_data: Accepted  # 7) the persons whose data the offer holds have made their statements


# The form's wording, printed in the PDF (notifications/offer_pdf.py): the full form's, but for the seventh, which
# speaks of the offer, not of an open call.
STATEMENTS_PL: dict[str, str] = {
    "public_benefit_scope": "proponowane zadanie publiczne będzie realizowane wyłącznie w zakresie działalności "
                            "pożytku publicznego oferenta(-tów)",
    "fees_in_paid_activity_only": "pobieranie świadczeń pieniężnych będzie się odbywać wyłącznie w ramach "
                                  "prowadzonej odpłatnej działalności pożytku publicznego",
    "no_tax_arrears": "oferent / oferenci składający niniejszą ofertę nie zalega(-ją) z opłacaniem należności "
                      "z tytułu zobowiązań podatkowych",
    "no_social_security_arrears": "oferent / oferenci składający niniejszą ofertę nie zalega(-ją) z opłacaniem "
                                  "należności z tytułu składek na ubezpieczenia społeczne",
    "register_data_true": "dane zawarte w części II niniejszej oferty są zgodne z Krajowym Rejestrem Sądowym / "
                          "inną właściwą ewidencją",
    "information_true": "wszystkie informacje podane w ofercie oraz załącznikach są zgodne z aktualnym stanem "
                        "prawnym i faktycznym",
    "personal_data": "w zakresie związanym z ofertą, w tym z gromadzeniem, przetwarzaniem i przekazywaniem danych "
                     "osobowych, a także wprowadzaniem ich do systemów informatycznych, osoby, których dotyczą te "
                     "dane, złożyły stosowne oświadczenia zgodnie z przepisami o ochronie danych osobowych",
}

# The page's wording in the reader's language (the Polish catalogue holds STATEMENTS_PL's words): the full form's,
# but for 7).
STATEMENT_TEXTS: dict[str, Message] = {
    **DECLARATION_TEXTS,
    "personal_data": tr("as regards the offer, including the collecting, processing and transferring of personal "
                        "data and entering them into IT systems, the persons whom these data concern have made the "
                        "appropriate statements under the law on personal data protection"),
}


# --- the whole form --------------------------------------------------------------------------------------------------


class SimplifiedOfferForm(FormPart):
    """The simplified offer as filed. Fields are validated in this order, so each cross-section check sees the
    sections before it (``info.data``)."""

    basic: BasicInformation  # I
    offerors: tuple[Offeror, ...] = Field(min_length=1, max_length=20)  # II.1; the lead offeror first
    contact: ContactPerson  # II.2
    task: TaskDescription  # III
    cost_estimate: tuple[EstimatedCost, ...] = Field(min_length=1, max_length=200)  # IV, the lines
    cost_summary: CostSummary  # IV, the sum of all costs
    statements: Statements  # V

    @field_validator("offerors")
    @classmethod
    def _distinct_offerors(cls, offerors: tuple[Offeror, ...]) -> tuple[Offeror, ...]:
        return distinct_offerors(offerors, table=RULES)

    @field_validator("cost_summary")
    @classmethod
    def _summary_matches_lines(cls, summary: CostSummary, info: ValidationInfo) -> CostSummary:
        lines: tuple[EstimatedCost, ...] | None = info.data.get("cost_estimate")
        if lines is None:
            return summary

        def total(part: str) -> Decimal:
            return sum((getattr(line, part) for line in lines), Decimal("0.00"))

        problems: list[tuple[str, Message]] = []
        if total("total") != summary.total:
            problems.append(("costs_total", tr(
                "IV: the cost lines add up to {costs}, but the sum of all costs is {value}",
                costs=Money(total("total")), value=Money(summary.total))))
        if total("from_grant") != summary.grant:
            problems.append(("costs_grant", tr(
                "IV: the lines' parts from the grant add up to {costs}, but the grant asked is {value}",
                costs=Money(total("from_grant")), value=Money(summary.grant))))
        if total("from_other") != summary.other_sources:
            problems.append(("costs_other_sources", tr(
                "IV: the lines' parts from other sources add up to {costs}, but the other sources are {value}",
                costs=Money(total("from_other")), value=Money(summary.other_sources))))
        _refuse(problems)
        return summary

    # --- what the engine keeps --------------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.basic.title

    @property
    def joint(self) -> bool:
        return len(self.offerors) > 1

    def summary(self) -> OfferSummary:
        """The facts the small grant's offer row keeps, as ``OfferForm.summary()`` gives them. Section IV splits the
        costs into the grant and "other sources" only, and does not say how much of the other sources is the
        offeror's own: they stay apart (``other_sources``), no own contribution is read into them."""
        return OfferSummary(title=self.basic.title, requested_grant=self.cost_summary.grant,
                            own_funds=Decimal("0.00"), non_financial_contribution=Decimal("0.00"),
                            volunteer_work=Decimal("0.00"), task_start=self.basic.task_start,
                            task_end=self.basic.task_end,
                            registry_numbers=tuple(o.registry_number for o in self.offerors),
                            other_sources=self.cost_summary.other_sources)

    def content(self) -> dict[str, Any]:
        """The offer as JSON, what is hashed: every field, defaults included, amounts as strings with two
        decimals, dates as YYYY-MM-DD; ``SimplifiedOfferForm.model_validate(form.content())`` gives it back."""
        return self.model_dump(mode="json")


def parse_simplified_offer_form(data: Any) -> SimplifiedOfferForm:
    """The simplified form from its JSON, or ``InvalidInput`` under the first broken rule (``RULES``), every one
    in ``details["rules"]``, or "invalid_input" for a malformed field; basis poz. 2055 zał. 1."""
    return parse_model_form(SimplifiedOfferForm, data, table=RULES, basis=BASIS)


def is_simplified(content: Any) -> bool:
    """Whether filed content is the simplified form's (its section IV's sum has no counterpart in the full form):
    the PDF and the desk's page draw each form under its own headings."""
    return isinstance(content, dict) and "cost_summary" in content


class SimplifiedFormCommand(FormCommand):
    """A command carrying the simplified offer (``form``), parsed by its own rules."""

    form_parser: ClassVar[Callable[[Any], Any]] = staticmethod(parse_simplified_offer_form)


# The names people read for the simplified form's own fields in a refusal, besides the full form's.
for _name, _label in {
    "expected_results": tr("expected results"),
    "cost_estimate": tr("IV. estimated costs"),
    "cost_summary": tr("IV. sum of all costs"),
    "from_other": tr("of it from other sources"),
    "other_sources": tr("other sources"),
    "statements": tr("V. declarations"),
}.items():
    labels.FIELDS.setdefault(_name, _label)
