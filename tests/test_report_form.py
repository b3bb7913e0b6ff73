"""The report on the 2018 model form (states/model_forms/report.py): every rule of the form and every rule against
the contract refuses a broken report with the rule's identifier and its reason, and a valid report passes."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from states.errors import InvalidInput
from states.model_forms.canonical import content_sha256
from states.model_forms.report import (
    RULES,
    ContractTerms,
    ReportForm,
    check_against_contract,
    parse_report_form,
    refused_rules,
)
from tests.report_forms import sample_report_form

pytestmark = pytest.mark.fast

TERMS = ContractTerms(granted=Decimal("40000.00"), task_start=date(2026, 4, 1), task_end=date(2026, 7, 16),
                      contract_number="WZ.526.1.2026")


def refusal(data) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_report_form(data)
    return info.value


def against(data, terms: ContractTerms = TERMS) -> InvalidInput:
    form = parse_report_form(data)
    with pytest.raises(InvalidInput) as info:
        check_against_contract(form, terms)
    return info.value


def test_a_valid_report_passes_and_its_content_is_canonical():
    data = sample_report_form()
    form = parse_report_form(data)
    check_against_contract(form, TERMS)
    assert form.final and form.funding.spent_grant == Decimal("40000.00")
    again = ReportForm.model_validate(form.content())
    assert content_sha256(again.content()) == content_sha256(form.content())
    typed = copy.deepcopy(data)
    typed["funding"]["spent_grant"] = "40000"  # "40000" and "40000.00" are one content
    assert content_sha256(parse_report_form(typed).content()) == content_sha256(form.content())


def broken(mutate) -> dict:
    data = sample_report_form()
    mutate(data)
    return data


# each rule of the form: (rule, how to break a valid report, a phrase of the reason)
FORM_CASES = [
    ("report_period_reversed", lambda d: d["header"].update(period_start="2026-08-01"), "cannot end"),
    ("report_activity_dates_reversed", lambda d: d["narrative"]["activities"][0].update(start="2026-07-10",
                                                                                      end="2026-07-01"),
     "cannot end"),
    ("report_activity_outside_period", lambda d: d["narrative"]["activities"][0].update(end="2026-08-30"),
     "outside the report's period"),
    ("expense_line_sources", lambda d: d["expenses"][1].update(spent_other="1.00"), "add up to"),
    ("expense_line_planned", lambda d: d["expenses"][0].update(planned_grant="30000.01"), "exceeds"),
    ("expenses_planned_total", lambda d: (d["expenses"][0].update(planned_total="30001.00")),
     "planned costs add up"),
    ("expenses_spent_total", lambda d: (d["expenses"][0].update(spent_total="30001.00", spent_other="1.00")),
     "costs spent add up"),
    ("expenses_planned_grant", lambda d: d["expenses"][0].update(planned_grant="29000.00"),
     "planned parts from the grant"),
    ("expenses_spent_grant", lambda d: d["expenses"][0].update(spent_grant="29000.00", spent_other="1000.00"),
     "parts spent from the grant"),
    ("funding_planned_total", lambda d: d["funding"].update(planned_in_kind="10.00"), "planned sources add up"),
    ("funding_spent_total", lambda d: d["funding"].update(spent_other_public="10.00"), "sources spent add up"),
    ("split_total", lambda d: d.update(offeror_split=[{"contractor": "A", "spent_total": "40000.00",
                                                       "spent_grant": "20000.00"},
                                                      {"contractor": "B", "spent_total": "5000.00",
                                                       "spent_grant": "20000.00"}]),
     "contractors' costs add up"),
    ("split_grant", lambda d: d.update(offeror_split=[{"contractor": "A", "spent_total": "40000.00",
                                                       "spent_grant": "30000.00"},
                                                      {"contractor": "B", "spent_total": "6000.00",
                                                       "spent_grant": "5000.00"}]),
     "parts of the grant add up"),
    ("declaration_not_accepted", lambda d: d["report_declarations"].update(report_true=False), "must be accepted"),
]


@pytest.mark.parametrize("rule,mutate,reason", FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_each_rule_of_the_form_refuses_with_its_reason(rule, mutate, reason):
    error = refusal(broken(mutate))
    assert error.rule == rule, (error.rule, error.message("en"))
    assert rule in error.details["rules"]
    assert reason in error.message("en")
    assert error.basis and "zał. 5" in error.basis


# each rule against the contract: (rule, mutate, terms, a phrase of the reason)
CONTRACT_CASES = [
    ("grant_spent_above_awarded", lambda d: None,
     ContractTerms(granted=Decimal("39000.00"), task_start=date(2026, 4, 1), task_end=date(2026, 7, 16),
                   contract_number="WZ.526.1.2026"), "more than the grant awarded"),
    ("planned_grant_not_contract",
     lambda d: d.update(sample_report_form(granted="41000.00", spent_grant="40000.00")), TERMS,
     "is not the grant of contract"),
    ("planned_total_not_offer", lambda d: None,
     ContractTerms(granted=Decimal("40000.00"), task_start=date(2026, 4, 1), task_end=date(2026, 7, 16),
                   contract_number="WZ.526.1.2026", offer_total=Decimal("50000.00"),
                   offer_grant=Decimal("40000.00")), "offer's cost estimate"),
    ("report_period_outside_task", lambda d: d["header"].update(period_start="2026-03-01"), TERMS,
     "outside the task's period"),
    ("final_report_period", lambda d: (d["header"].update(period_end="2026-06-30"),
                                       d["narrative"]["activities"][0].update(end="2026-06-30")), TERMS,
     "A final report covers the task to its end"),
    ("contract_number_mismatch", lambda d: d["header"].update(contract_number="WZ.1.2020"), TERMS,
     "is not the number of the contract"),
    ("split_missing", lambda d: None,
     ContractTerms(granted=Decimal("40000.00"), task_start=date(2026, 4, 1), task_end=date(2026, 7, 16),
                   contract_number="WZ.526.1.2026", offerors=2), "splits the costs"),
    ("split_single_contractor",
     lambda d: d.update(offeror_split=[{"contractor": "A", "spent_total": "46000.00", "spent_grant": "40000.00"}]),
     TERMS, "only a joint offer's report"),
]


@pytest.mark.parametrize("rule,mutate,terms,reason", CONTRACT_CASES, ids=[c[0] for c in CONTRACT_CASES])
def test_each_rule_against_the_contract_refuses_with_its_reason(rule, mutate, terms, reason):
    error = against(broken(mutate), terms)
    assert error.rule == rule, (error.rule, error.message("en"))
    assert reason in error.message("en")
    assert "art. 18" in error.basis


def test_every_rule_is_tested():
    assert {c[0] for c in FORM_CASES} | {c[0] for c in CONTRACT_CASES} == set(RULES)


def test_a_partial_report_may_end_before_the_task_and_an_updated_estimate_is_not_compared():
    partial = sample_report_form(kind="partial", period_end="2026-05-31")
    check_against_contract(parse_report_form(partial), TERMS)
    smaller = ContractTerms(granted=Decimal("40000.00"), task_start=date(2026, 4, 1), task_end=date(2026, 7, 16),
                            contract_number="WZ.526.1.2026", offer_total=Decimal("60000.00"),
                            offer_grant=Decimal("50000.00"))  # the grant is less than asked: a new estimate
    check_against_contract(parse_report_form(sample_report_form()), smaller)


def test_several_broken_rules_are_all_named_the_first_first():
    data = sample_report_form()
    data["expenses"][0]["planned_grant"] = "30000.01"
    data["funding"]["spent_in_kind"] = "5.00"
    rules = refused_rules(data)
    assert "expense_line_planned" in rules and "funding_spent_total" in rules
    error = refusal(data)
    assert error.rule == "expense_line_planned" and set(error.details["rules"]) >= {"expense_line_planned",
                                                                                     "funding_spent_total"}
    terms = ContractTerms(granted=Decimal("30000.00"), task_start=date(2026, 4, 1), task_end=date(2026, 6, 30),
                          contract_number="X")
    error = against(sample_report_form(), terms)
    assert error.details["rules"][:2] == ["grant_spent_above_awarded", "planned_grant_not_contract"]
    assert "report_period_outside_task" in error.details["rules"]


def test_a_malformed_field_is_invalid_input_naming_the_field_in_polish():
    data = sample_report_form()
    data["funding"]["spent_grant"] = "abc"
    error = refusal(data)
    assert error.rule == "invalid_input"
    assert "dotacji" in error.message("pl") or "dotacj" in error.message("pl")


def test_the_pages_wording_of_the_declarations_is_the_pdfs_in_polish():
    from kernel.text import render
    from states.model_forms.report import DECLARATION_TEXTS, DECLARATIONS_PL

    assert set(DECLARATION_TEXTS) == set(DECLARATIONS_PL)
    for key, text in DECLARATION_TEXTS.items():
        assert render(text, "pl") == DECLARATIONS_PL[key], key
