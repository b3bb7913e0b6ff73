"""The small grant's report on the simplified form: Regulation of the Chairman of the Public Benefit Committee of
24 October 2018 (Dz.U. 2018 poz. 2055), annex 2, "uproszczony wzór sprawozdania z realizacji zadania publicznego"
(art. 19a ust. 1 and art. 18 ust. 1: filed within 30 days of the task's end).

The simplified report is one final report (the task lasts at most 90 days) and has fewer parts than the model
report of annex 5 (states/model_forms/report.py):

- the header ``header``: the period (the task's, under the contract), the authority, the task's title, the
  contractor(s), the contract's date and number (the model report's header, its kind always ``final``);
- I    ``narrative``: the description of the task carried out, the results achieved with the scale of the
       activities in numbers, and what was not done or not as planned;
- II   ``expenses``: the statement of costs, each cost planned vs incurred, of it from the grant and from other
       means; ``funding``: the sums by source: the grant, other financial means, personal or in-kind contribution;
- III  ``additional``: additional information;
- the declarations (the model report's three), each accepted.

Every rule is the model report's, held there once (``line_problems``, ``funding_problems``, ``expenses_problems``,
``contract_problems``; the offer's ``parse_model_form``), with this form's basis; ``RULES`` lists the ones this form can break.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from states import labels
from states.inputs import ShortText
from states.model_forms.offer import FormPart, Money2, MultiText, Text, parse_model_form
from states.model_forms.report import (
    RULES as REPORT_RULES,
)
from states.model_forms.report import (
    ZERO,
    Additional,
    ContractTerms,
    Header,
    ReportDeclarations,
    add_up,
    check_against_contract,
    expenses_problems,
    funding_problems,
    line_problems,
    refuse_first,
)
from states.text import Message, tr

BASIS = "art. 19a ust. 1, art. 18 ust. 1; Dz.U. 2018 poz. 2055 zał. 2"

# The model report's rules this form can break (the same identifiers and checks; no activities table, no joint
# split, no partial report), by the part of this form each is about: the part its message names (the model report's
# II.1 and II.2 are both this form's part II).
RULES: dict[str, str] = {
    "report_period_reversed": "header",
    "expense_line_sources": "II",
    "expense_line_planned": "II",
    "expenses_planned_total": "II",
    "expenses_spent_total": "II",
    "expenses_planned_grant": "II",
    "expenses_spent_grant": "II",
    "funding_planned_total": "II",
    "funding_spent_total": "II",
    "grant_spent_above_awarded": "II",
    "planned_grant_not_contract": "II",
    "report_period_outside_task": "header",
    "final_report_period": "header",
    "contract_number_mismatch": "header",
    "declaration_not_accepted": "declarations",
}
assert set(RULES) <= set(REPORT_RULES), set(RULES) - set(REPORT_RULES)


class SimplifiedHeader(Header):
    kind: Literal["final"] = "final"  # the simplified report is the report on the whole task


class SimplifiedDescription(FormPart):  # I. Opis zrealizowanego zadania publicznego
    task_done: Text  # opis zrealizowanego zadania
    results_achieved: Text  # osiągnięte rezultaty, z liczbowym określeniem skali działań
    not_done: MultiText = ""  # what was not done or not as planned, and why


class SimplifiedCost(FormPart):  # II, one cost planned and incurred
    name: ShortText  # rodzaj kosztu
    planned_total: Money2  # koszt planowany
    planned_grant: Money2  # w tym z dotacji
    spent_total: Money2  # koszt poniesiony
    spent_grant: Money2  # w tym z dotacji
    spent_other: Money2  # z innych środków finansowych, wkładu osobowego lub rzeczowego

    @model_validator(mode="after")
    def _sums(self) -> SimplifiedCost:
        refuse_first(line_problems(self, RULES))
        return self


class SimplifiedFunding(FormPart):  # II, the sums by source, planned and incurred
    SOURCES: ClassVar[tuple[str, ...]] = ("grant", "other_financial", "personal_in_kind")

    planned_total: Money2  # suma wszystkich kosztów realizacji zadania
    spent_total: Money2
    planned_grant: Money2  # kwota dotacji
    spent_grant: Money2
    planned_other_financial: Money2 = ZERO  # inne środki finansowe
    spent_other_financial: Money2 = ZERO
    planned_personal_in_kind: Money2 = ZERO  # wkład osobowy lub rzeczowy
    spent_personal_in_kind: Money2 = ZERO

    def parts(self, column: str) -> Decimal:
        return add_up(getattr(self, f"{column}_{source}") for source in self.SOURCES)

    @model_validator(mode="after")
    def _sums(self) -> SimplifiedFunding:
        refuse_first(funding_problems(self, RULES))
        return self


class SimplifiedReportForm(FormPart):
    """The simplified report as filed. Fields are validated in this order, so the statement by source sees the
    costs before it."""

    header: SimplifiedHeader
    narrative: SimplifiedDescription  # I
    expenses: tuple[SimplifiedCost, ...] = Field(min_length=1, max_length=200)  # II
    funding: SimplifiedFunding  # II
    additional: Additional = Additional()  # III
    report_declarations: ReportDeclarations

    @field_validator("funding")
    @classmethod
    def _funding_matches_expenses(cls, funding: SimplifiedFunding, info: ValidationInfo) -> SimplifiedFunding:
        lines = info.data.get("expenses")
        if lines is not None:
            refuse_first(expenses_problems(lines, funding, RULES))
        return funding

    # what ``contract_problems`` and the filing read of any report
    final: ClassVar[bool] = True
    offeror_split: ClassVar[tuple] = ()
    # the refusals' names of this form's parts, where the model report's (states/labels.py: "II.1 …", "II.2 …") differ
    # (and the portal page's headings of these parts, web/portal_reports.py)
    FIELD_NAMES: ClassVar[dict[str, Message]] = {"expenses": tr("II. Statement of costs"),
                                                  "funding": tr("II. Costs by source of funding")}

    def summary(self) -> str:
        return self.narrative.results_achieved[:500]

    def content(self) -> dict[str, Any]:
        """What is hashed (states/model_forms/canonical.py), as the model report's ``content``."""
        return self.model_dump(mode="json")


def parse_simplified_report(data: Any) -> SimplifiedReportForm:
    """The form from its JSON, or ``InvalidInput`` naming the first broken rule (``RULES``)."""
    return parse_model_form(SimplifiedReportForm, data, table=RULES, basis=BASIS)


def check_simplified_against_contract(form: SimplifiedReportForm, terms: ContractTerms) -> None:
    """The model report's rules against the contract (the grant spent ≤ the grant awarded, the planned grant is
    the contract's, the period is the task's, the contract's number), under this form's basis."""
    check_against_contract(form, terms, BASIS, RULES)


for _name, _label in {
    "task_done": tr("description of the task carried out"),
    "planned_other_financial": tr("planned: other financial means"),
    "spent_other_financial": tr("spent: other financial means"),
    "planned_personal_in_kind": tr("planned: personal or in-kind contribution"),
    "spent_personal_in_kind": tr("spent: personal or in-kind contribution"),
}.items():
    labels.FIELDS.setdefault(_name, _label)
