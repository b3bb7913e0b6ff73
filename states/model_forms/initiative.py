"""The application for a local initiative (art. 19b-19h of the Act on public benefit activity and volunteerism), as
residents or an organisation file it through the portal (issue 22).

There is no national model form: the municipal council's resolution sets the procedure and the criteria of the
evaluation (art. 19c ust. 1; Leszno: resolution XIX/253/2016 as amended), which must weigh mainly the residents'
social work. The application holds what the Act, the resolution's criteria and the engine's ``file`` command
(states/procedures/local_initiative/inputs.py ``FileInitiative``) need, one pydantic model per part:

- 1 ``applicant``: a group of residents (its name and members: the Act gives the initiative to the municipality's
  residents, art. 19b ust. 1) or an organisation acting for them (its name and KRS number);
- 2 ``contact``: the person who speaks for the applicants (the one filing it through the portal);
- 3 ``task``: title, the public-benefit sphere of art. 19b ust. 1 pkt 1-13, description, expected benefit, place
  and the owner of the property;
- 4 ``schedule``: the task's period and its actions, each with who does it;
- 5 ``costs``: the estimate, each line split between the city (which buys services and goods itself: no grant is
  transferred, art. 19e) and the applicants' money and goods;
- 6 ``work``: the applicants' social work: what they do, the hours and their value at the resolution's rate;
- 7 ``budget``: the totals: the estimated cost, the city's share, the own contribution (money, goods, work);
- 8 ``declarations``: each must be accepted.

Every sum and date is checked here, once: a refusal's error *type* is the rule's identifier (``RULES``), its message
names the part in the reader's language; ``parse_initiative_form`` turns it into the engine's ``InvalidInput``.
The hour's value is the rule set's (``LocalInitiativeRules.hour_value``): the filing command checks the form's
against the rule set pinned to the case (states/procedures/local_initiative/handlers.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from states import labels
from states.inputs import AsciiDecimal, AsciiInt, Day, ShortText
from states.model_forms.offer import (
    Accepted,
    EmailAddress,
    FormPart,
    Money2,
    MultiText,
    OptionalKrs,
    OptionalText,
    PositiveMoney,
    Text,
    cents,
    error_rules,
    parse_model_form,
)
from states.rule_sets import LOCAL_INITIATIVE_SPHERES
from states.text import Message, Money, tr

BASIS = "art. 19b-19e"  # the Act's articles on the application; the council resolution sets its details (art. 19c)

# The spheres of art. 19b ust. 1 pkt 1-13 (the rule set's tokens, states/rule_sets.py): one of them, or refused.
Sphere = Literal[LOCAL_INITIATIVE_SPHERES]  # type: ignore[valid-type]
Hours0 = Annotated[AsciiDecimal, Field(ge=0, le=1000000, max_digits=9, decimal_places=2)]
People = Annotated[AsciiInt, Field(ge=0, le=100000)]
OptionalPhone = OptionalText

# The rules, by the identifier a refusal carries as its error type, with the part of the application and the basis.
RULES: dict[str, tuple[str, str]] = {
    "residents_members_missing": ("1", "art. 19b ust. 1"),
    "residents_group_name_missing": ("1", "art. 19b ust. 1"),
    "residents_with_organisation": ("1", "art. 19b ust. 1"),
    "organisation_missing": ("1", "art. 19b ust. 1"),
    "task_period_reversed": ("4", "art. 19b ust. 2"),
    "action_dates_reversed": ("4", "art. 19b ust. 2"),
    "action_outside_task_period": ("4", "art. 19b ust. 2"),
    "cost_line_parties": ("5", "art. 19e"),
    "work_value": ("6", "art. 19c ust. 1"),
    "work_hours_missing": ("6", "art. 19c ust. 1"),
    "budget_city": ("7", "art. 19e"),
    "budget_own_cash": ("7", "art. 19e"),
    "budget_own_in_kind": ("7", "art. 19e"),
    "budget_own_work": ("7", "art. 19e"),
    "budget_own_total": ("7", "art. 19e"),
    "budget_total": ("7", "art. 19e"),
    "own_contribution_missing": ("7", "art. 19e"),
    "declaration_not_accepted": ("8", "art. 19b ust. 1"),
}


def refusal(rule: str, message: Message) -> PydanticCustomError:
    """A broken rule as pydantic reports it: the rule's identifier as the error type, the message (with the rule's
    basis) in its context, rendered in the reader's language by states/input_errors.py."""
    assert rule in RULES, rule
    return PydanticCustomError(rule, "{message}", {"message": message + f" ({RULES[rule][1]})", "rules": [rule]})


def _first(problems: list[tuple[str, Message]]) -> None:
    """Refuse with every problem one check found, in one message, under the first one's rule."""
    if problems:
        message = problems[0][1] + f" ({RULES[problems[0][0]][1]})"
        for rule, more in problems[1:]:
            message = message + "; " + more + f" ({RULES[rule][1]})"
        raise PydanticCustomError(problems[0][0], "{message}", {
            "message": message, "rules": list(dict.fromkeys(rule for rule, _ in problems))})


# --- 1. the applicants -------------------------------------------------------------------------------------------


class Member(FormPart):
    """A resident of the group: the Act gives the initiative to the municipality's residents (art. 19b ust. 1), so
    the office checks each member's address; the group's list is what the resolution asks the applicants to sign."""

    name: ShortText
    address: ShortText


class Applicant(FormPart):
    kind: Literal["residents", "ngo"]  # a group of residents directly, or an organisation for them (art. 19b ust. 1)
    group_name: OptionalText = None  # residents: how the group calls itself ("Mieszkańcy ul. Kurpińskiego")
    members: tuple[Member, ...] = Field(default=(), max_length=300)
    organisation_name: OptionalText = None  # an organisation: its name and KRS number
    organisation_krs: OptionalKrs = None

    @model_validator(mode="after")
    def _who(self) -> Applicant:
        if self.kind == "residents":
            if not self.group_name:
                raise refusal("residents_group_name_missing", tr(
                    "1: name the group of residents filing the application"))
            if not self.members:
                raise refusal("residents_members_missing", tr(
                    "1: list the residents of the group (name and address of each): the initiative is the "
                    "residents' own"))
            if self.organisation_krs or self.organisation_name:
                raise refusal("residents_with_organisation", tr(
                    "1: a group of residents names no organisation; an organisation files as an organisation"))
        elif not self.organisation_krs or not self.organisation_name:
            raise refusal("organisation_missing", tr(
                "1: an organisation's application names the organisation and its KRS number"))
        return self


# --- 2. the contact person ------------------------------------------------------------------------------------------


class Contact(FormPart):
    name: ShortText
    email: EmailAddress
    phone: OptionalPhone = None


# --- 3. the task ----------------------------------------------------------------------------------------------------


class Task(FormPart):
    title: ShortText
    sphere: Sphere  # art. 19b ust. 1 pkt 1-13
    description: Text  # what will be done
    benefit: Text  # why it serves the public and the residents (a criterion of the evaluation)
    place: ShortText  # where: the address or the plot
    property_owner: ShortText  # who owns the property (the city builds or plants only on what may be used)


# --- 4. the schedule ------------------------------------------------------------------------------------------------


class Action(FormPart):
    name: ShortText
    start: Day
    end: Day
    done_by: Literal["residents", "city", "together"]

    @model_validator(mode="after")
    def _dates(self) -> Action:
        if self.end < self.start:
            raise refusal("action_dates_reversed", tr(
                "4: the action cannot end ({end}) before it starts ({start})", end=self.end, start=self.start))
        return self


class Schedule(FormPart):
    task_start: Day
    task_end: Day
    actions: tuple[Action, ...] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _period(self) -> Schedule:
        if self.task_end < self.task_start:
            raise refusal("task_period_reversed", tr(
                "4: the task cannot end ({end}) before it starts ({start})", end=self.task_end,
                start=self.task_start))
        _first([("action_outside_task_period", tr(
            "4: action {number} runs {start} – {end}, outside the task's period {task_start} – {task_end}",
            number=n, start=a.start, end=a.end, task_start=self.task_start, task_end=self.task_end))
            for n, a in enumerate(self.actions, 1) if a.start < self.task_start or a.end > self.task_end])
        return self


# --- 5. the estimate ----------------------------------------------------------------------------------------------


class CostLine(FormPart):
    name: ShortText  # what is bought or given
    total: PositiveMoney
    from_city: Money2 = Decimal("0.00")  # bought by the city itself (art. 19e: no grant is transferred)
    from_own_cash: Money2 = Decimal("0.00")  # paid by the applicants
    from_own_in_kind: Money2 = Decimal("0.00")  # given in kind by the applicants

    @model_validator(mode="after")
    def _parties(self) -> CostLine:
        parts = self.from_city + self.from_own_cash + self.from_own_in_kind
        if parts != self.total:
            raise refusal("cost_line_parties", tr(
                "5: the line's parts (city, own money, own goods) add up to {sum}, not to its value {total}",
                sum=Money(parts), total=Money(self.total)))
        return self


# --- 6. the social work ---------------------------------------------------------------------------------------------


class Work(FormPart):
    description: MultiText = ""  # what the residents do themselves
    people: People = 0
    hours: Hours0 = Decimal("0")
    hour_value: PositiveMoney  # the council resolution's value of one hour (the rule set's ``hour_value``)
    value: Money2 = Decimal("0.00")  # hours × the hour's value

    @model_validator(mode="after")
    def _value(self) -> Work:
        expected = cents(self.hours * self.hour_value)
        if self.value != expected:
            raise refusal("work_value", tr(
                "6: the work's value {value} is not hours × the value of an hour = {expected}",
                value=Money(self.value), expected=Money(expected)))
        if self.hours and not self.description:
            raise refusal("work_hours_missing", tr("6: say what work the residents will do in these hours"))
        return self


# --- 7. the budget ------------------------------------------------------------------------------------------------


class Budget(FormPart):
    total: PositiveMoney  # the task's estimated cost: the estimate's lines and the work's value
    city: Money2 = Decimal("0.00")  # what the city buys
    own_cash: Money2 = Decimal("0.00")
    own_in_kind: Money2 = Decimal("0.00")
    own_work: Money2 = Decimal("0.00")
    own_total: Money2 = Decimal("0.00")  # the applicants' own contribution: money + goods + work

    @model_validator(mode="after")
    def _sums(self) -> Budget:
        problems: list[tuple[str, Message]] = []
        own = self.own_cash + self.own_in_kind + self.own_work
        if self.own_total != own:
            problems.append(("budget_own_total", tr(
                "7: the own contribution {value} is not money {cash} + goods {goods} + work {work} = {expected}",
                value=Money(self.own_total), cash=Money(self.own_cash), goods=Money(self.own_in_kind),
                work=Money(self.own_work), expected=Money(own))))
        if self.total != self.city + own:
            problems.append(("budget_total", tr(
                "7: the estimated cost {value} is not the city's share {city} + the own contribution {own} = "
                "{expected}", value=Money(self.total), city=Money(self.city), own=Money(own),
                expected=Money(self.city + own))))
        if not own:
            problems.append(("own_contribution_missing", tr(
                "7: the applicants contribute work, money or goods to a local initiative; none is given")))
        _first(problems)
        return self


class Declarations(FormPart):
    residents: Accepted  # the applicants live in the municipality (art. 19b ust. 1)
    information_true: Accepted  # what the application says is true
    personal_data: Accepted  # the people named consented to their data being processed for the application


# --- the whole application --------------------------------------------------------------------------------------


class InitiativeForm(FormPart):
    """The application as filed. Parts are validated in this order, so the checks below see the parts before them
    (``info.data``); a part itself invalid is reported once and the checks that need it wait."""

    applicant: Applicant  # 1
    contact: Contact  # 2
    task: Task  # 3
    schedule: Schedule  # 4
    costs: tuple[CostLine, ...] = Field(default=(), max_length=200)  # 5
    work: Work  # 6
    budget: Budget  # 7
    declarations: Declarations  # 8

    @field_validator("budget")
    @classmethod
    def _budget_matches(cls, budget: Budget, info: ValidationInfo) -> Budget:
        costs, work = info.data.get("costs"), info.data.get("work")
        if costs is None or work is None:
            return budget
        problems: list[tuple[str, Message]] = []
        for rule, value, field, what in (
                ("budget_city", budget.city, "from_city", tr("the city's share")),
                ("budget_own_cash", budget.own_cash, "from_own_cash", tr("own money")),
                ("budget_own_in_kind", budget.own_in_kind, "from_own_in_kind", tr("own goods"))):
            lines = cents(sum((getattr(line, field) for line in costs), Decimal(0)))
            if value != lines:
                problems.append((rule, tr("7: {what} {value} is not the estimate's lines' sum {lines}", what=what,
                                          value=Money(value), lines=Money(lines))))
        if budget.own_work != work.value:
            problems.append(("budget_own_work", tr("7: the work {value} is not the social work's value {work} (6)",
                                                   value=Money(budget.own_work), work=Money(work.value))))
        _first(problems)
        return budget

    def content(self) -> dict[str, Any]:
        """The application as JSON, what is hashed (states/model_forms/canonical.py): every field, defaults
        included; ``InitiativeForm.model_validate(form.content())`` gives the same form back."""
        return self.model_dump(mode="json")

    def file_fields(self) -> dict[str, Any]:
        """What the procedure's ``file`` command takes (``FileInitiative``), from the application."""
        applicant = self.applicant
        return {"title": self.task.title, "applicant_kind": applicant.kind, "representative": self.contact.name,
                "representative_email": self.contact.email, "residents": tuple(m.name for m in applicant.members),
                "organisation_krs": applicant.organisation_krs, "sphere": self.task.sphere,
                "location": self.task.place, "property_owner": self.task.property_owner,
                "description": self.task.description}


def parse_initiative_form(data: Any) -> InitiativeForm:
    """The application from its JSON, or ``InvalidInput`` listing every field and rule that is wrong; the refusal's
    rule is the first broken rule's identifier (``RULES``), or "invalid_input" for a malformed field. Each rule's
    message names its basis already (``refusal``): a malformed field's refusal gets the Act's."""
    return parse_model_form(InitiativeForm, data, table=RULES, basis=BASIS, rules_cite_basis=True)


def refused_rules(data: Any) -> list[str]:
    """The identifiers of the rules ``data`` breaks (empty: a valid application)."""
    try:
        InitiativeForm.model_validate(data)
    except ValidationError as error:
        return error_rules(error)
    return []


# The form's choices as people read them (the stored values stay the model's).
CHOICES: dict[str, Message] = {
    "residents": tr("a group of residents"),
    "ngo": tr("an organisation on behalf of residents"),
    "city": tr("the city"),
    "together": tr("residents and the city together"),
    **labels.SPHERES,
}

# The names people read for the application's fields, where the engine has none of its own.
for _name, _label in {
    "applicant": tr("1. Applicants"),
    "group_name": tr("name of the group of residents"),
    "members": tr("members of the group"),
    "organisation_name": tr("organisation's name"),
    "organisation_krs": tr("organisation's KRS number"),
    "schedule": tr("4. Schedule"),
    "actions": tr("actions"),
    "done_by": tr("done by"),
    "benefit": tr("benefit to the residents and the public"),
    "property_owner": tr("owner of the property"),
    "from_city": tr("of it bought by the city"),
    "from_own_cash": tr("of it own money"),
    "from_own_in_kind": tr("of it own goods"),
    "work": tr("6. Social work"),
    "people": tr("number of people working"),
    "hours": tr("hours of work"),
    "hour_value": tr("value of one hour"),
    "budget": tr("7. Budget"),
    "city": tr("the city's share"),
    "own_cash": tr("own money"),
    "own_in_kind": tr("own goods"),
    "own_work": tr("own work"),
    "own_total": tr("own contribution in total"),
    "residents": tr("we are residents of the city (art. 19b ust. 1)"),
    "version": tr("version"),
}.items():
    labels.FIELDS.setdefault(_name, _label)
