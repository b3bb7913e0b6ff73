"""A small grant's report on the simplified form (states/model_forms/simplified_report.py, Dz.U. 2018 poz. 2055
zał. 2): every rule it can break refuses a broken report with the rule's identifier, its reason (Polish and English)
and this form's basis, the rules being the model report's own (one rule in one place), and a valid report passes."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from states.errors import InvalidInput
from states.model_forms import report
from states.model_forms.canonical import content_sha256
from states.model_forms.simplified_report import (
    RULES,
    SimplifiedReportForm,
    check_simplified_against_contract,
    parse_simplified_report,
)
from tests.report_forms import sample_simplified_report

pytestmark = pytest.mark.fast

TERMS = report.ContractTerms(granted=Decimal("9000.00"), task_start=date(2026, 5, 1), task_end=date(2026, 7, 16),
                             contract_number="WSO.526.1.2026")


def refusal(data) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_simplified_report(data)
    return info.value


def against(data, terms=TERMS) -> InvalidInput:
    form = parse_simplified_report(data)
    with pytest.raises(InvalidInput) as info:
        check_simplified_against_contract(form, terms)
    return info.value


def broken(mutate) -> dict:
    data = sample_simplified_report()
    mutate(data)
    return data


def test_a_valid_report_passes_and_its_content_is_canonical():
    data = sample_simplified_report()
    form = parse_simplified_report(data)
    check_simplified_against_contract(form, TERMS)
    assert form.final and form.header.kind == "final" and form.funding.spent_grant == Decimal("9000.00")
    assert form.summary().startswith("Rajd: 140")
    again = SimplifiedReportForm.model_validate(form.content())
    assert content_sha256(again.content()) == content_sha256(form.content())
    typed = copy.deepcopy(data)
    typed["funding"]["spent_grant"] = "9000"
    assert content_sha256(parse_simplified_report(typed).content()) == content_sha256(form.content())
    # less than the grant spent is fine (the rest is returned at the settlement)
    check_simplified_against_contract(parse_simplified_report(sample_simplified_report(spent_grant="8800.00")),
                                      TERMS)


def test_a_partial_report_is_not_on_the_simplified_form():
    data = sample_simplified_report()
    data["header"]["kind"] = "partial"
    assert refusal(data).rule == "invalid_input"


FORM_CASES = [
    ("report_period_reversed", lambda d: d["header"].update(period_start="2026-08-01"), "cannot end",
     "nie może"),
    ("expense_line_sources", lambda d: d["expenses"][1].update(spent_other="1.00"), "add up to", "sumują się"),
    ("expense_line_planned", lambda d: d["expenses"][0].update(planned_grant="6000.01"), "exceeds", "przekracza"),
    ("expenses_planned_total", lambda d: d["expenses"][0].update(planned_total="6001.00"), "planned costs add up",
     None),
    ("expenses_spent_total", lambda d: d["expenses"][0].update(spent_total="6001.00", spent_other="1.00"),
     "costs spent add up", None),
    ("expenses_planned_grant", lambda d: d["expenses"][0].update(planned_grant="5000.00"),
     "planned parts from the grant", None),
    ("expenses_spent_grant", lambda d: d["expenses"][0].update(spent_grant="5000.00", spent_other="1000.00"),
     "parts spent from the grant", None),
    ("funding_planned_total", lambda d: d["funding"].update(planned_personal_in_kind="510.00"),
     "planned sources add up", None),
    ("funding_spent_total", lambda d: d["funding"].update(spent_other_financial="1010.00"),
     "sources spent add up", None),
    ("declaration_not_accepted", lambda d: d["report_declarations"].update(report_true=False), "must be accepted",
     None),
]


@pytest.mark.parametrize("rule,mutate,reason,polish", FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_each_rule_of_the_form_refuses_with_its_reason(rule, mutate, reason, polish):
    error = refusal(broken(mutate))
    assert error.rule == rule, (error.rule, error.message("en"))
    assert rule in error.details["rules"]
    assert reason in error.message("en")
    assert error.message("pl") != error.message("en")  # the Polish message is Polish
    if polish:
        assert polish in error.message("pl"), error.message("pl")
    assert error.basis == "art. 19a ust. 1, art. 18 ust. 1; Dz.U. 2018 poz. 2055 zał. 2"


CONTRACT_CASES = [
    ("grant_spent_above_awarded", lambda d: None,
     report.ContractTerms(granted=Decimal("8999.99"), task_start=date(2026, 5, 1), task_end=date(2026, 7, 16),
                          contract_number="WSO.526.1.2026"), "more than the grant awarded"),
    ("planned_grant_not_contract",
     lambda d: d.update(sample_simplified_report(granted="9500.00", spent_grant="9000.00")), TERMS,
     "is not the grant of contract"),
    ("report_period_outside_task", lambda d: d["header"].update(period_start="2026-04-01"), TERMS,
     "outside the task's period"),
    ("final_report_period", lambda d: d["header"].update(period_end="2026-06-30"), TERMS,
     "A final report covers the task to its end"),
    ("contract_number_mismatch", lambda d: d["header"].update(contract_number="WSO.1.2020"), TERMS,
     "is not the number of the contract"),
]


@pytest.mark.parametrize("rule,mutate,terms,reason", CONTRACT_CASES, ids=[c[0] for c in CONTRACT_CASES])
def test_each_rule_against_the_contract_refuses_with_its_reason(rule, mutate, terms, reason):
    error = against(broken(mutate), terms)
    assert error.rule == rule, (error.rule, error.message("en"))
    assert reason in error.message("en")
    assert "poz. 2055 zał. 2" in error.basis


def test_every_rule_is_tested_and_every_rule_is_the_model_reports():
    assert {c[0] for c in FORM_CASES} | {c[0] for c in CONTRACT_CASES} == set(RULES)
    assert set(RULES) <= set(report.RULES)


def test_the_rules_are_held_once():
    """The simplified form calls the model report's checks, so a change of a rule changes both forms."""
    import inspect

    from states.model_forms import simplified_report

    source = inspect.getsource(simplified_report)
    for check in ("line_problems", "funding_problems", "expenses_problems", "check_against_contract",
                  "parse_model_form"):
        assert check in source
    assert "problems.append" not in source  # no rule of its own


def test_several_broken_rules_are_all_named():
    data = sample_simplified_report()
    data["expenses"][0]["planned_grant"] = "6000.01"
    data["funding"]["spent_personal_in_kind"] = "5.00"
    error = refusal(data)
    assert error.rule == "expense_line_planned"
    assert set(error.details["rules"]) >= {"expense_line_planned", "funding_spent_total"}


@pytest.mark.parametrize("case", FORM_CASES + CONTRACT_CASES, ids=[c[0] for c in FORM_CASES + CONTRACT_CASES])
def test_each_refusal_names_the_simplified_forms_own_part_not_the_model_reports(case):
    """The simplified report has one part II where the model report has II.1 and II.2: a refusal names the part of
    the form filed (this form's ``RULES``), in both languages; the model report's own refusals still name II.1/II.2."""
    rule, mutate = case[0], case[1]
    error = against(broken(mutate), case[2]) if case in CONTRACT_CASES else refusal(broken(mutate))
    assert error.rule == rule
    for lang in ("en", "pl"):
        message = error.message(lang)
        assert "II.1" not in message and "II.2" not in message, message
        if RULES[rule] == "II":
            assert "II: " in message, message


def test_the_model_reports_refusals_still_name_its_own_parts():
    line = report.ExpenseLine.model_construct(category="activities", name="x", planned_total=Decimal("10.00"),
                                              planned_grant=Decimal("11.00"), spent_total=Decimal("5.00"),
                                              spent_grant=Decimal("5.00"), spent_other=Decimal("1.00"))
    (first, message), (second, other) = report.line_problems(line)
    assert (first, second) == ("expense_line_sources", "expense_line_planned")
    assert message.in_language("pl").startswith("II.1: ") and other.in_language("en").startswith("II.1: ")
