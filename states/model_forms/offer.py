"""The offer on the model form: Regulation of the Chairman of the Public Benefit Committee of 24 October 2018
(Dz.U. 2018 poz. 2057), annex 1, "oferta realizacji zadania publicznego / oferta wspólna" (art. 14 ust. 1 and 2
of the Act on public benefit activity and volunteerism).

One pydantic model per section of the form, in the form's order:

- I    ``basic``: the authority the offer is addressed to and the kind of public task;
- II   ``offerors`` (more than one: a joint offer, art. 14 ust. 2) and ``contact`` (who explains the offer);
- III  ``task``: title, period, synthetic description, plan and schedule of activities, expected results and the
       results' table;
- IV   ``profile``: the offeror's earlier activity and resources;
- V.A  ``costs``: the cost estimate, category I (the activities) and II (administrative costs);
- V.B  ``sources``: the sources of funding, each with its share in percent;
- V.C  ``cost_split``: the costs split among the offerors of a joint offer;
- VI   ``other``: paid or unpaid execution, who does what in a joint offer, other information;
- VII  ``declarations``: 1), 2), 5), 6), 7) must be accepted; 3) and 4) are the offeror's choice between the annex's
       „nie zalega(-ją)” (``true``) and „zalega(-ją)” (``false``) with taxes and social security contributions.

Every sum and share is checked here, once: ``OfferForm.model_validate(data)`` refuses a broken one with an error
whose *type* is the rule's identifier (``RULES``) and whose message says the rule in the reader's language;
``parse_offer_form`` turns the refusal into the engine's ``InvalidInput``. The browser gets the same field
constraints as HTML attributes (states/model_forms/html.py, from ``OfferForm.model_json_schema()``).

What the rest of the engine relies on: ``OfferForm.summary()`` (the ``offers`` row: title, amounts of V.B,
period, registry numbers with the lead offeror first) and ``OfferForm.content()`` (the JSON that is hashed,
states/model_forms/canonical.py). Amounts, numbers of units and shares are kept with exactly two decimals, so one
offer typed "9000" or "9000.00" has one content and one hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from states import labels
from states.errors import InvalidInput
from states.input_errors import describe
from states.inputs import (
    KRS_PATTERN,
    Amount,
    AsciiDecimal,
    AsciiInt,
    Command,
    Day,
    Email,
    LongText,
    ShortText,
)
from states.text import Message, Money, tr

BASIS = "Dz.U. 2018 poz. 2057, zał. 1"  # the model form; every rule below is one of its sums or instructions
CENT = Decimal("0.01")
SHARE_TOLERANCE = Decimal("0.01")  # a share shown may differ from the computed one by its last digit's rounding


def cents(value: Decimal) -> Decimal:
    """Two decimals, half up, and never ``-0.00`` (a signed zero would change the canonical content)."""
    return (value + 0).quantize(CENT, rounding=ROUND_HALF_UP)


def computed_share(part: Decimal, total: Decimal) -> Decimal:
    """The share of ``part`` in ``total`` in percent, two decimals, half up (V.B's column "Udział [%]")."""
    return cents(part * 100 / total) if total else Decimal("0.00")


def _two_decimals(value: Decimal) -> Decimal:
    return cents(value)


def empty_is_none(value: object) -> object:
    # An optional input left empty in the page's form arrives as "": it means "not given", stored as null, so one
    # offer has one content (and one hash) whichever way it was filed.
    return None if isinstance(value, str) and not value.strip() else value


def declaration(message: Message) -> Any:
    """A declaration of the form: a checkbox that must be ticked, refused (rule "declaration_not_accepted") with
    ``message``, which names the form's section of declarations."""
    def accepted(value: bool) -> bool:
        if value is not True:
            raise PydanticCustomError("declaration_not_accepted", "{message}", {"message": message})
        return value

    return Annotated[bool, AfterValidator(accepted), Field(json_schema_extra={"const": True})]


def arrears_statement(message: Message) -> Any:
    """Declarations 3) and 4) of the model form: the offeror states either „nie zalega(-ją)*” (``true``, as every
    offer filed before this was a choice) or „zalega(-ją)*” (``false``) with paying its taxes or social security
    contributions; arrears do not by themselves bar an offer under the Act (a call may weigh them). Required, with no
    default: a statement missing or left empty is refused (rule "arrears_statement_missing") with ``message``. The
    field's default (None) exists only so that this refusal, not pydantic's "missing", names the rule; the schema
    says the field is required (``required_choices``) and is a choice (``x-widget``: "choice", the page's radio
    group, states/model_forms/html.py)."""
    def given(value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PydanticCustomError("arrears_statement_missing", "{message}", {"message": message})
        return value

    def schema(node: dict[str, Any]) -> None:
        node.pop("default", None)
        node["x-widget"] = "choice"

    return Annotated[bool, BeforeValidator(given), Field(json_schema_extra=schema)]


def required_choices(schema: dict[str, Any], model: type | None = None) -> None:
    """A part's JSON schema lists its arrears statements (``x-widget`` "choice") as required: their default (None)
    only routes the refusal of a missing one to its rule."""
    required = schema.setdefault("required", [])
    required.extend(name for name, node in schema.get("properties", {}).items()
                    if node.get("x-widget") == "choice" and name not in required)


# The form's numbers: amounts in PLN with two decimals (states/inputs.py's Amount, kept as 0.00), the number of
# units of a cost line (may be fractional: 1.5 months), a share in percent.
Money2 = Annotated[Amount, AfterValidator(_two_decimals)]
PositiveMoney = Annotated[Money2, Field(gt=0)]
Units = Annotated[AsciiDecimal, Field(gt=0, le=Decimal("999999999.99"), max_digits=11, decimal_places=2),
                  AfterValidator(_two_decimals)]
Share = Annotated[AsciiDecimal, Field(ge=0, le=100, max_digits=5, decimal_places=2), AfterValidator(_two_decimals)]
Ref = Annotated[AsciiInt, Field(ge=1, le=1000)]  # the number of an activity (III.4) or an offeror (II.1), from 1
# The page's widget for a multi-line answer and an e-mail address (states/model_forms/html.py reads the schema).
MultiText = Annotated[LongText, Field(json_schema_extra={"x-widget": "textarea"})]
Text = Annotated[MultiText, Field(min_length=1)]  # a required multi-line answer
EmailAddress = Annotated[Email, Field(json_schema_extra={"format": "email"})]
PerYear = tuple[Money2, ...]
Accepted = declaration(tr("must be accepted: an offer is filed only with every declaration of section VII"))
Arrears = arrears_statement(tr("choose one: the offeror(s) are not in arrears, or are in arrears (section VII "
                               "states either)"))
KrsNumber = Annotated[str, Field(pattern=KRS_PATTERN)]
OptionalText = Annotated[ShortText | None, BeforeValidator(empty_is_none)]
OptionalKrs = Annotated[KrsNumber | None, BeforeValidator(empty_is_none)]
OptionalRef = Annotated[Ref | None, BeforeValidator(empty_is_none)]
OptionalMultiText = Annotated[MultiText | None, BeforeValidator(empty_is_none)]


# The rules, by the identifier a refusal carries as its error type (and ``InvalidInput.rule``).
RULES: dict[str, str] = {
    "registry_number_missing": "II.1",
    "registry_number_repeated": "II.1",
    "task_period_reversed": "III.2",
    "activity_dates_reversed": "III.4",
    "activity_outside_task_period": "III.4",
    "activity_offeror_missing": "III.4",
    "activity_offeror_unknown": "III.4",
    "cost_line_value": "V.A",
    "cost_line_sources": "V.A",
    "cost_line_years": "V.A",
    "cost_line_years_count": "V.A",
    "cost_line_activity_missing": "V.A",
    "cost_line_activity_unknown": "V.A",
    "cost_line_activity_administrative": "V.A",
    "sources_own_contribution": "V.B",
    "sources_non_financial": "V.B",
    "sources_total": "V.B",
    "sources_share": "V.B",
    "costs_total": "V.A/V.B",
    "costs_grant": "V.A/V.B",
    "costs_own_financial": "V.A/V.B",
    "costs_volunteer_work": "V.A/V.B",
    "costs_in_kind": "V.A/V.B",
    "cost_split_single_offer": "V.C",
    "cost_split_missing": "V.C",
    "cost_split_offerors": "V.C",
    "cost_split_total": "V.C",
    "cost_split_years": "V.C",
    "cost_split_years_count": "V.C",
    "joint_roles_missing": "VI.2",
    "joint_roles_single_offer": "VI.2",
    "fees_need_paid_execution": "VI.1",
    "declaration_not_accepted": "VII",
    "arrears_statement_missing": "VII",
}


def refusal(rule: str, message: Message, rules: list[str] | None = None, *,
            table: dict[str, str] = RULES) -> PydanticCustomError:
    """A broken rule as pydantic reports it: the rule's identifier as the error type, the message in its context
    (states/input_errors.py renders it in the reader's language), with every rule the message reports. ``table``:
    the form's rules (this form's ``RULES``, or another model form's, states/model_forms/simplified_offer.py)."""
    assert rule in table and all(r in table for r in rules or ()), (rule, rules)
    return PydanticCustomError(rule, "{message}", {"message": message, "rules": rules or [rule]})


def refuse_problems(problems: list[tuple[str, Message]], *, table: dict[str, str] = RULES) -> None:
    """Refuse with every problem found by one check, in one message, under the first one's rule."""
    if problems:
        message = problems[0][1]
        for _, more in problems[1:]:
            message = message + "; " + more
        raise refusal(problems[0][0], message, list(dict.fromkeys(rule for rule, _ in problems)), table=table)


def _years(start: date, end: date) -> range:
    return range(start.year, end.year + 1)


class FormPart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- I. Podstawowe informacje o złożonej ofercie -------------------------------------------------------------------


class BasicInformation(FormPart):
    authority: ShortText  # I.1 the public administration body the offer is addressed to
    task_kind: ShortText  # I.2 the kind of public task (from the call's announcement, art. 13 ust. 2 pkt 1)


# --- II. Dane oferenta(-tów) ---------------------------------------------------------------------------------------


class Offeror(FormPart):
    name: ShortText
    legal_form: ShortText
    krs: OptionalKrs = None
    other_register: OptionalText = None  # the register and number of an entity outside the KRS
    address: ShortText  # the seat
    correspondence_address: OptionalText = None
    email: EmailAddress
    phone: OptionalText = None
    website: OptionalText = None

    @model_validator(mode="after")
    def _registered(self) -> Offeror:
        if not self.krs and not self.other_register:
            raise refusal("registry_number_missing", tr(
                "II.1: give the offeror's number in the National Court Register (KRS) or in another register"))
        return self

    @property
    def registry_number(self) -> str:
        return self.krs or self.other_register or ""


class ContactPerson(FormPart):  # II.2 who explains the offer
    name: ShortText
    phone: OptionalText = None
    email: EmailAddress


def distinct_offerors(offerors: tuple[Offeror, ...], *, table: dict[str, str] = RULES) -> tuple[Offeror, ...]:
    """II.1 of a form (this one or the simplified one): no two offerors with one registry number."""
    seen: dict[str, int] = {}
    problems: list[tuple[str, Message]] = []
    for n, offeror in enumerate(offerors, 1):
        if offeror.registry_number in seen:
            problems.append(("registry_number_repeated", tr(
                "II.1: offeror {number} repeats the registry number of offeror {first}", number=n,
                first=seen[offeror.registry_number])))
        seen.setdefault(offeror.registry_number, n)
    refuse_problems(problems, table=table)
    return offerors


# --- III. Opis zadania ---------------------------------------------------------------------------------------------


class Activity(FormPart):  # III.4, one row of the plan and schedule
    name: ShortText
    description: Text
    target_group: ShortText
    start: Day
    end: Day
    third_party_scope: MultiText = ""  # the part done by a party not to the contract
    offeror: OptionalRef = None  # in a joint offer: the offeror of II.1 who carries it out

    @model_validator(mode="after")
    def _dates(self) -> Activity:
        if self.end < self.start:
            raise refusal("activity_dates_reversed", tr(
                "III.4: the activity cannot end ({end}) before it starts ({start})", end=self.end, start=self.start))
        return self


class ResultRow(FormPart):  # III.6
    name: ShortText
    target_value: ShortText  # "60 dzieci", "12 spotkań"
    monitoring: ShortText  # how it is monitored, the source of the information


class Task(FormPart):
    title: ShortText  # III.1
    task_start: Day  # III.2
    task_end: Day
    place: Text  # III.3 synthetic description: where,
    target_group: Text  # for whom,
    goal: Text  # which need or problem is met and how,
    complementarity: MultiText = ""  # and how it complements other actions
    activities: tuple[Activity, ...] = Field(min_length=1, max_length=200)  # III.4
    effects: Text  # III.5 the direct effects (products, services),
    social_change: Text  # the social change achieved,
    durability: MultiText = ""  # whether the results are used later
    results: tuple[ResultRow, ...] = Field(default=(), max_length=100)  # III.6 (when the call asks for it)

    @model_validator(mode="after")
    def _schedule(self) -> Task:
        if self.task_end < self.task_start:
            raise refusal("task_period_reversed", tr(
                "III.2: the task cannot end ({end}) before it starts ({start})", end=self.task_end,
                start=self.task_start))
        refuse_problems([("activity_outside_task_period", tr(
            "III.4: activity {number} runs {start} – {end}, outside the task period {task_start} – {task_end}",
            number=n, start=a.start, end=a.end, task_start=self.task_start, task_end=self.task_end))
            for n, a in enumerate(self.activities, 1)
            if a.start < self.task_start or a.end > self.task_end])
        return self

    @property
    def years(self) -> range:
        return _years(self.task_start, self.task_end)


# --- IV. Charakterystyka oferenta ----------------------------------------------------------------------------------


class Profile(FormPart):
    earlier_activity: Text  # IV.1 earlier activity, above all in the task's field
    resources: Text  # IV.2 staff, material and financial resources used for the task


# --- V.A Zestawienie kosztów realizacji zadania ----------------------------------------------------------------------


class CostLine(FormPart):
    category: Literal["activities", "administrative"]  # I. koszty realizacji działań / II. koszty administracyjne
    activity: OptionalRef = None  # category I: the activity of III.4 the cost belongs to (I.1, I.2, ...)
    name: ShortText  # rodzaj kosztu
    unit: ShortText  # rodzaj miary
    unit_cost: Money2
    units: Units
    total: Money2  # wartość razem = unit cost × units
    per_year: PerYear = Field(default=(), max_length=10)  # rok 1, rok 2, ...: a task over several calendar years
    from_grant: Money2 = Decimal("0.00")  # the line's sources: the grant,
    from_own_financial: Money2 = Decimal("0.00")  # own financial means (the recipients' fees among them),
    from_volunteer_work: Money2 = Decimal("0.00")  # volunteers' and members' work (non-financial, personal)
    from_in_kind: Money2 = Decimal("0.00")  # and contributions in kind (non-financial, material)

    @model_validator(mode="after")
    def _sums(self) -> CostLine:
        problems: list[tuple[str, Message]] = []
        expected = cents(self.unit_cost * self.units)
        if self.total != expected:
            problems.append(("cost_line_value", tr(
                "V.A: the value {total} is not unit cost × number of units = {expected}",
                total=Money(self.total), expected=Money(expected))))
        parts = self.from_grant + self.from_own_financial + self.from_volunteer_work + self.from_in_kind
        if parts != self.total:
            problems.append(("cost_line_sources", tr(
                "V.A: the line's sources (grant, own financial means, volunteer work, in kind) add up to {sum}, "
                "not to its value {total}", sum=Money(parts), total=Money(self.total))))
        if self.per_year and sum(self.per_year) != self.total:
            problems.append(("cost_line_years", tr(
                "V.A: the values per year add up to {sum}, not to the line's value {total}",
                sum=Money(sum(self.per_year)), total=Money(self.total))))
        refuse_problems(problems)
        return self


# --- V.B Źródła finansowania kosztów realizacji zadania --------------------------------------------------------------


class Sources(FormPart):
    total: PositiveMoney  # 1. suma wszystkich kosztów realizacji zadania (100 %)
    grant: PositiveMoney  # 2. planowana dotacja w ramach niniejszej oferty
    grant_share: Share
    own_contribution: Money2 = Decimal("0.00")  # 3. wkład własny = 3.1 + 3.2
    own_contribution_share: Share = Decimal("0.00")
    own_financial: Money2 = Decimal("0.00")  # 3.1 wkład własny finansowy
    own_financial_share: Share = Decimal("0.00")
    own_non_financial: Money2 = Decimal("0.00")  # 3.2 wkład własny niefinansowy (osobowy i rzeczowy), of which
    own_non_financial_share: Share = Decimal("0.00")
    volunteer_work: Money2 = Decimal("0.00")  # personal: volunteers' and members' work,
    in_kind: Money2 = Decimal("0.00")  # material: in kind
    recipients_fees: Money2 = Decimal("0.00")  # 4. świadczenia pieniężne od odbiorców zadania
    recipients_fees_share: Share = Decimal("0.00")

    @model_validator(mode="after")
    def _sums(self) -> Sources:
        problems: list[tuple[str, Message]] = []
        if self.own_non_financial != self.volunteer_work + self.in_kind:
            problems.append(("sources_non_financial", tr(
                "V.B 3.2: the non-financial contribution {value} is not volunteer work {volunteer} + the "
                "contribution in kind {in_kind} = {expected}", value=Money(self.own_non_financial),
                volunteer=Money(self.volunteer_work), in_kind=Money(self.in_kind),
                expected=Money(self.volunteer_work + self.in_kind))))
        if self.own_contribution != self.own_financial + self.own_non_financial:
            problems.append(("sources_own_contribution", tr(
                "V.B 3: the own contribution {value} is not the financial {financial} + the non-financial "
                "{non_financial} contribution = {expected}", value=Money(self.own_contribution),
                financial=Money(self.own_financial), non_financial=Money(self.own_non_financial),
                expected=Money(self.own_financial + self.own_non_financial))))
        expected = self.grant + self.own_contribution + self.recipients_fees
        if self.total != expected:
            problems.append(("sources_total", tr(
                "V.B 1: the total {total} is not the grant {grant} + the own contribution {own} + the recipients' "
                "fees {fees} = {expected}", total=Money(self.total), grant=Money(self.grant),
                own=Money(self.own_contribution), fees=Money(self.recipients_fees), expected=Money(expected))))
        for row, value, shown in self.shares():
            if shown is not None and abs(shown - computed_share(value, self.total)) > SHARE_TOLERANCE:
                problems.append(("sources_share", tr(
                    "V.B {row}: the share shown is {shown} %, but {value} of {total} is {expected} %", row=row,
                    shown=shown, value=Money(value), total=Money(self.total),
                    expected=computed_share(value, self.total))))
        refuse_problems(problems)
        return self

    def shares(self) -> list[tuple[str, Decimal, Decimal | None]]:
        """(the row of V.B, its value, the share shown): what the form's column "Udział [%]" holds."""
        return [("2", self.grant, self.grant_share), ("3", self.own_contribution, self.own_contribution_share),
                ("3.1", self.own_financial, self.own_financial_share),
                ("3.2", self.own_non_financial, self.own_non_financial_share),
                ("4", self.recipients_fees, self.recipients_fees_share)]


# --- V.C Podział kosztów realizacji zadania pomiędzy oferentów ------------------------------------------------------


class OfferorCosts(FormPart):
    offeror: Ref  # the offeror's number in II.1
    total: Money2
    per_year: PerYear = Field(default=(), max_length=10)

    @model_validator(mode="after")
    def _years_add_up(self) -> OfferorCosts:
        if self.per_year and sum(self.per_year) != self.total:
            raise refusal("cost_split_years", tr(
                "V.C: the values per year add up to {sum}, not to the offeror's total {total}",
                sum=Money(sum(self.per_year)), total=Money(self.total)))
        return self


# --- VI. Inne informacje ---------------------------------------------------------------------------------------------


class OtherInformation(FormPart):
    execution: Literal["unpaid", "paid"]  # VI.1 the declaration of unpaid or paid execution (art. 14 ust. 1 pkt 5)
    joint_roles: OptionalMultiText = None  # VI.2 a joint offer: what each offeror does (art. 14 ust. 2)
    remarks: MultiText = ""  # VI.3 anything else that matters for the evaluation


# --- VII. Oświadczenia -----------------------------------------------------------------------------------------------


class Declarations(FormPart):
    model_config = ConfigDict(**FormPart.model_config, json_schema_extra=required_choices)

    public_benefit_scope: Accepted  # 1) the task is within the offerors' public benefit activity
    fees_in_paid_activity_only: Accepted  # 2) fees are charged only within paid public benefit activity
    # 3) and 4): true „nie zalega(-ją)”, false „zalega(-ją)” (the names kept: content filed before keeps its hash)
    no_tax_arrears: Arrears = Field(default=None, validate_default=True)  # 3) arrears of taxes?
    no_social_security_arrears: Arrears = Field(default=None, validate_default=True)  # 4) of social security?
    register_data_true: Accepted  # 5) section II agrees with the KRS or the other register
    information_true: Accepted  # 6) everything in the offer and its annexes is true
    personal_data: Accepted  # 7) the persons whose data the offer holds have made their statements


ARREARS = ("no_tax_arrears", "no_social_security_arrears")  # declarations 3) and 4): a choice, not a box

DECLARATIONS_PL: dict[str, str] = {  # the model form's wording, printed in the PDF (notifications/offer_pdf.py)
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
    "personal_data": "w zakresie związanym z otwartym konkursem ofert, w tym z gromadzeniem, przetwarzaniem "
                     "i przekazywaniem danych osobowych, a także wprowadzaniem ich do systemów informatycznych, "
                     "osoby, których dotyczą te dane, złożyły stosowne oświadczenia zgodnie z przepisami "
                     "o ochronie danych osobowych",
}

# 3) and 4) as the offeror chose them: the annex's „nie zalega(-ją)*” (true) or „zalega(-ją)*” (false)
ARREARS_PL: dict[str, dict[bool, str]] = {
    "no_tax_arrears": {
        True: DECLARATIONS_PL["no_tax_arrears"],
        False: "oferent / oferenci składający niniejszą ofertę zalega(-ją) z opłacaniem należności z tytułu "
               "zobowiązań podatkowych"},
    "no_social_security_arrears": {
        True: DECLARATIONS_PL["no_social_security_arrears"],
        False: "oferent / oferenci składający niniejszą ofertę zalega(-ją) z opłacaniem należności z tytułu "
               "składek na ubezpieczenia społeczne"},
}

# The same wording as the page shows it beside each box or choice, in the reader's language (the Polish catalogue
# holds the annex's words, the same as DECLARATIONS_PL and ARREARS_PL: tests/test_offer_form.py checks it).
DECLARATION_TEXTS: dict[str, Message] = {
    "public_benefit_scope": tr("the proposed public task will be carried out solely within the public benefit "
                               "activity of the offeror(s)"),
    "fees_in_paid_activity_only": tr("cash benefits will be collected solely within the paid public benefit "
                                     "activity carried out"),
    "register_data_true": tr("the data in part II of this offer agree with the National Court Register / another "
                             "relevant register"),
    "information_true": tr("all information given in the offer and its annexes agrees with the current legal and "
                           "factual state"),
    "personal_data": tr("as regards the open call for offers, including the collecting, processing and "
                        "transferring of personal data and entering them into IT systems, the persons whom these "
                        "data concern have made the appropriate statements under the law on personal data "
                        "protection"),
}
ARREARS_TEXTS: dict[str, dict[bool, Message]] = {
    "no_tax_arrears": {
        True: tr("the offeror(s) filing this offer are not in arrears with paying tax liabilities"),
        False: tr("the offeror(s) filing this offer are in arrears with paying tax liabilities")},
    "no_social_security_arrears": {
        True: tr("the offeror(s) filing this offer are not in arrears with paying social security contributions"),
        False: tr("the offeror(s) filing this offer are in arrears with paying social security contributions")},
}
DECLARE_THAT = tr("I (we) declare that:")  # the annex's „Oświadczam(-my), że:”


# --- the whole form --------------------------------------------------------------------------------------------------


class OfferForm(FormPart):
    """The offer as filed. Fields are validated in this order, so each cross-section check below sees the sections
    before it (``info.data``); a section that is itself invalid is reported once, and the checks that need it wait."""

    # the refusals' and the portal page's names of this form's parts where the engine's shared labels
    # (states/labels.py, one per field name for every form) are not the annex's: V.A's number and title, III.6, IV.2,
    # VI.3 (docs/model-forms.md)
    FIELD_NAMES: ClassVar[dict[str, Message]] = {
        "costs": tr("V.A statement of the task's costs"),
        "results": tr("III.6 additional information on the results"),
        "resources": tr("staff, material and financial resources"),
        "remarks": tr("other actions that may matter in evaluating the offer"),
    }

    basic: BasicInformation  # I
    offerors: tuple[Offeror, ...] = Field(min_length=1, max_length=20)  # II.1; the lead offeror first
    contact: ContactPerson  # II.2
    task: Task  # III
    profile: Profile  # IV
    costs: tuple[CostLine, ...] = Field(min_length=1, max_length=500)  # V.A
    sources: Sources  # V.B
    cost_split: tuple[OfferorCosts, ...] | None = Field(default=None, max_length=20, validate_default=True)  # V.C
    other: OtherInformation  # VI
    declarations: Declarations  # VII

    @property
    def joint(self) -> bool:
        return len(self.offerors) > 1

    @field_validator("offerors")
    @classmethod
    def _distinct_offerors(cls, offerors: tuple[Offeror, ...]) -> tuple[Offeror, ...]:
        return distinct_offerors(offerors)

    @field_validator("task")
    @classmethod
    def _activities_name_offerors(cls, task: Task, info: ValidationInfo) -> Task:
        offerors = info.data.get("offerors")
        if offerors is None:
            return task
        problems = []
        for n, activity in enumerate(task.activities, 1):
            if activity.offeror is None and len(offerors) > 1:
                problems.append(("activity_offeror_missing", tr(
                    "III.4: in a joint offer every activity names the offeror who carries it out (activity {number})",
                    number=n)))
            elif activity.offeror is not None and activity.offeror > len(offerors):
                problems.append(("activity_offeror_unknown", tr(
                    "III.4: activity {number} names offeror {offeror}, whom section II does not list",
                    number=n, offeror=activity.offeror)))
        refuse_problems(problems)
        return task

    @field_validator("costs")
    @classmethod
    def _costs_fit_the_task(cls, costs: tuple[CostLine, ...], info: ValidationInfo) -> tuple[CostLine, ...]:
        problems: list[tuple[str, Message]] = []
        task: Task | None = info.data.get("task")
        for n, line in enumerate(costs, 1):
            if line.category == "administrative" and line.activity is not None:
                problems.append(("cost_line_activity_administrative", tr(
                    "V.A: line {number} is an administrative cost (II) and belongs to no activity", number=n)))
            elif line.category == "activities" and line.activity is None:
                problems.append(("cost_line_activity_missing", tr(
                    "V.A: line {number} is a cost of the activities (I) and names its activity of the plan (III.4)",
                    number=n)))
            elif task is not None and line.activity is not None and line.activity > len(task.activities):
                problems.append(("cost_line_activity_unknown", tr(
                    "V.A: line {number} names activity {activity}, which the plan (III.4) does not have",
                    number=n, activity=line.activity)))
            if task is not None:
                years = task.years
                if len(years) > 1 and len(line.per_year) != len(years):
                    problems.append(("cost_line_years_count", tr(
                        "V.A: the task spans the years {first}–{last}: line {number} gives one value for each of "
                        "them", first=str(years[0]), last=str(years[-1]), number=n)))
                elif len(years) == 1 and line.per_year:
                    problems.append(("cost_line_years_count", tr(
                        "V.A: the task lies within one calendar year: line {number} gives no values per year",
                        number=n)))
        refuse_problems(problems)
        return costs

    @field_validator("sources")
    @classmethod
    def _sources_match_costs(cls, sources: Sources, info: ValidationInfo) -> Sources:
        costs: tuple[CostLine, ...] | None = info.data.get("costs")
        if costs is None:
            return sources
        def total(part: str) -> Decimal:
            return sum((getattr(line, part) for line in costs), Decimal("0.00"))

        problems: list[tuple[str, Message]] = []
        if total("total") != sources.total:
            problems.append(("costs_total", tr(
                "V.A and V.B: the cost lines add up to {costs}, but the total of V.B is {value}",
                costs=Money(total("total")), value=Money(sources.total))))
        if total("from_grant") != sources.grant:
            problems.append(("costs_grant", tr(
                "V.A and V.B: the lines' parts from the grant add up to {costs}, but the planned grant of V.B is "
                "{value}", costs=Money(total("from_grant")), value=Money(sources.grant))))
        if total("from_own_financial") != sources.own_financial + sources.recipients_fees:
            problems.append(("costs_own_financial", tr(
                "V.A and V.B: the lines' parts from own financial means add up to {costs}, but V.B gives {value} "
                "(own financial contribution and recipients' fees)", costs=Money(total("from_own_financial")),
                value=Money(sources.own_financial + sources.recipients_fees))))
        if total("from_volunteer_work") != sources.volunteer_work:
            problems.append(("costs_volunteer_work", tr(
                "V.A and V.B: the lines' parts from volunteer work add up to {costs}, but V.B gives {value}",
                costs=Money(total("from_volunteer_work")), value=Money(sources.volunteer_work))))
        if total("from_in_kind") != sources.in_kind:
            problems.append(("costs_in_kind", tr(
                "V.A and V.B: the lines' parts in kind add up to {costs}, but V.B gives {value}",
                costs=Money(total("from_in_kind")), value=Money(sources.in_kind))))
        refuse_problems(problems)
        return sources

    @field_validator("cost_split")
    @classmethod
    def _split_among_offerors(cls, split: tuple[OfferorCosts, ...] | None,
                              info: ValidationInfo) -> tuple[OfferorCosts, ...] | None:
        offerors = info.data.get("offerors")
        if offerors is None:
            return split
        if len(offerors) == 1:
            if split:
                raise refusal("cost_split_single_offer", tr(
                    "V.C: only a joint offer (more than one offeror in section II) splits its costs among offerors"))
            return None  # an empty V.C is no V.C: one content (and one hash) for "not applicable"
        if not split:
            raise refusal("cost_split_missing", tr(
                "V.C: a joint offer splits its costs among its offerors: give each offeror's part"))
        if [entry.offeror for entry in split] != list(range(1, len(offerors) + 1)):
            raise refusal("cost_split_offerors", tr(
                "V.C: give one part for each offeror of section II, in the order of section II ({count} offerors)",
                count=len(offerors)))
        problems: list[tuple[str, Message]] = []
        sources: Sources | None = info.data.get("sources")
        if sources is not None and sum(entry.total for entry in split) != sources.total:
            problems.append(("cost_split_total", tr(
                "V.C: the offerors' parts add up to {sum}, not to the total of V.B {total}",
                sum=Money(sum(entry.total for entry in split)), total=Money(sources.total))))
        task: Task | None = info.data.get("task")
        if task is not None:
            years = task.years
            for entry in split:
                if (len(years) > 1 and len(entry.per_year) != len(years)) or (len(years) == 1 and entry.per_year):
                    problems.append(("cost_split_years_count", tr(
                        "V.C: offeror {number} gives one value per calendar year of a task over several years, "
                        "none for a task within one year", number=entry.offeror)))
        refuse_problems(problems)
        return split

    @field_validator("other")
    @classmethod
    def _joint_and_paid(cls, other: OtherInformation, info: ValidationInfo) -> OtherInformation:
        offerors = info.data.get("offerors")
        problems: list[tuple[str, Message]] = []
        if offerors is not None and len(offerors) > 1 and not (other.joint_roles or "").strip():
            problems.append(("joint_roles_missing", tr(
                "VI.2: a joint offer says what each of its offerors does")))
        if offerors is not None and len(offerors) == 1 and (other.joint_roles or "").strip():
            problems.append(("joint_roles_single_offer", tr(
                "VI.2: only a joint offer says what each offeror does; an offer of one offeror leaves it empty")))
        sources: Sources | None = info.data.get("sources")
        if sources is not None and sources.recipients_fees > 0 and other.execution != "paid":
            problems.append(("fees_need_paid_execution", tr(
                "VI.1: the task's recipients pay fees (V.B 4: {fees}), so the task is executed for payment: "
                "declare paid execution", fees=Money(sources.recipients_fees))))
        refuse_problems(problems)
        return other

    # --- what the engine keeps --------------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.task.title

    def category_total(self, category: str) -> Decimal:
        """The sum of V.A's category I ("activities") or II ("administrative")."""
        return cents(sum((line.total for line in self.costs if line.category == category), Decimal(0)))

    def summary(self) -> OfferSummary:
        """V.B as the engine's offer row keeps it: own funds are the financial means besides the grant (art. 15
        ust. 1 pkt 4: own and other sources, the recipients' fees among them); the non-financial contribution is
        split into in kind and volunteer work."""
        sources = self.sources
        return OfferSummary(title=self.task.title, requested_grant=sources.grant,
                            own_funds=sources.own_financial + sources.recipients_fees,
                            non_financial_contribution=sources.in_kind, volunteer_work=sources.volunteer_work,
                            task_start=self.task.task_start, task_end=self.task.task_end,
                            registry_numbers=tuple(o.registry_number for o in self.offerors))

    def content(self) -> dict[str, Any]:
        """The offer as JSON, what is hashed: every field, defaults included, amounts as strings with two
        decimals, dates as YYYY-MM-DD. ``OfferForm.model_validate(form.content())`` gives the same form back."""
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
    # what a form keeps apart from the grant and from the offeror's own contribution: the simplified offer's "other
    # sources" (IV, "z innych źródeł", which does not say how much of them is the offeror's own); the full form
    # has no such row (its V.B names the own contribution, 3, and the recipients' fees, 4)
    other_sources: Decimal = Decimal("0.00")

    @property
    def own_contribution(self) -> Decimal:
        """The offeror's own contribution as the form states it: own funds, in kind and volunteer work (never the
        other sources)."""
        return self.own_funds + self.non_financial_contribution + self.volunteer_work


def parse_offer_form(data: Any) -> OfferForm:
    """The form from its JSON (a dict), or ``InvalidInput`` listing every field and rule that is wrong; the rule
    of the refusal is the first broken sum's identifier (``RULES``), or "invalid_input" for a malformed field."""
    return parse_model_form(OfferForm, data, table=RULES, basis=BASIS)


def parse_model_form(model: Any, data: Any, *, table: dict[str, str], basis: str,
                     rules_cite_basis: bool = False) -> Any:
    """A model form (``model``) from its JSON, or ``InvalidInput`` under the first of the form's rules (``table``)
    that ``data`` breaks, with every one in ``details["rules"]``, the form's regulation as its basis (or, when the
    rules' own messages cite theirs, ``rules_cite_basis``, only for a malformed field)."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as error:
        rules = [rule for rule in error_rules(error) if rule in table]
        # a form's own names of its parts where the engine's say another form's (``FIELD_NAMES``)
        raise InvalidInput(rules[0] if rules else "invalid_input", describe(error, getattr(model, "FIELD_NAMES", None)),
                           basis=None if rules and rules_cite_basis else basis, rules=rules) from None


def error_rules(error: ValidationError) -> list[str]:
    """The rules a refusal of pydantic reports: each form rule's identifier, or pydantic's own error type."""
    found: list[str] = []
    for item in error.errors(include_url=False):
        found.extend(item.get("ctx", {}).get("rules") or [item["type"]])
    return list(dict.fromkeys(found))


def refused_rules(data: Any) -> list[str]:
    """The identifiers of the rules ``data`` breaks, the form's own (``RULES``) and pydantic's error types for a
    malformed field ("missing", "string_too_long", ...); empty: a valid form."""
    try:
        OfferForm.model_validate(data)
    except ValidationError as error:
        return error_rules(error)
    return []


# The names people read for the form's fields in a refusal ("oferta › V.A › pozycja 2 › koszt jednostkowy"),
# added to the engine's labels (states/labels.py) where it has none of its own.
for _name, _label in {
    "form": tr("offer form"),
    "basic": tr("I. basic information"),
    "authority": tr("public administration body"),
    "task_kind": tr("kind of public task"),
    "offerors": tr("II. offerors"),
    "other_register": tr("other register and number"),
    "correspondence_address": tr("address for correspondence"),
    "phone": tr("phone number"),
    "website": tr("website"),
    "contact": tr("II.2 the person authorised to explain the offer"),
    "task": tr("III. the task"),
    "place": tr("place"),
    "target_group": tr("target group"),
    "goal": tr("needs met and how"),
    "complementarity": tr("complementarity with other actions"),
    "activities": tr("plan and schedule of activities"),
    "start": tr("start"),
    "end": tr("end"),
    "third_party_scope": tr("part done by a party not to the contract"),
    "offeror": tr("offeror"),
    "effects": tr("direct effects"),
    "social_change": tr("social change"),
    "durability": tr("durability of the results"),
    "results": tr("results"),
    "target_value": tr("target value"),
    "monitoring": tr("how the result is monitored"),
    "profile": tr("IV. the offeror"),
    "earlier_activity": tr("earlier activity"),
    "resources": tr("resources"),
    "category": tr("category of cost"),
    "activity": tr("activity"),
    "unit": tr("unit of measure"),
    "unit_cost": tr("unit cost"),
    "units": tr("number of units"),
    "total": tr("total"),
    "per_year": tr("values per year"),
    "from_grant": tr("of it from the grant"),
    "from_own_financial": tr("of it from own financial means"),
    "from_volunteer_work": tr("of it volunteer work"),
    "from_in_kind": tr("of it in kind"),
    "sources": tr("V.B sources of funding"),
    "grant_share": tr("share of the grant"),
    "own_contribution_share": tr("share of the own contribution"),
    "own_financial": tr("own financial contribution"),
    "own_financial_share": tr("share of the own financial contribution"),
    "own_non_financial": tr("own non-financial contribution"),
    "own_non_financial_share": tr("share of the own non-financial contribution"),
    "in_kind": tr("contribution in kind"),
    "recipients_fees": tr("recipients' fees"),
    "recipients_fees_share": tr("share of the recipients' fees"),
    "cost_split": tr("V.C split of costs among the offerors"),
    "other": tr("VI. other information"),
    "execution": tr("paid or unpaid execution"),
    "joint_roles": tr("what each offeror does"),
    "remarks": tr("other information"),
    "declarations": tr("VII. declarations"),
    "public_benefit_scope": tr("declaration 1 (public benefit activity)"),
    "fees_in_paid_activity_only": tr("declaration 2 (fees only in paid activity)"),
    "no_tax_arrears": tr("declaration 3 (tax liabilities)"),
    "no_social_security_arrears": tr("declaration 4 (social security contributions)"),
    "register_data_true": tr("declaration 5 (data as in the register)"),
    "information_true": tr("declaration 6 (information true)"),
    "personal_data": tr("declaration 7 (personal data)"),
}.items():
    labels.FIELDS.setdefault(_name, _label)


class FormCommand(Command):
    """A command carrying a model form (``form``): an open call's offer or its correction on this form, a small
    grant's offer on the simplified one (``form_parser`` says which form's parser reads it)."""

    form_parser: ClassVar[Callable[[Any], Any]] = staticmethod(parse_offer_form)

    @classmethod
    def parse(cls, **values: object):
        """A form given is parsed first, so that its refusal names the form's broken rule (``form_parser``); a
        missing one is refused with the other fields."""
        if values.get("form") is not None:
            values = {**values, "form": cls.form_parser(values["form"])}
        return super().parse(**values)
