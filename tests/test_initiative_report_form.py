"""The local initiative's report form (states/model_forms/initiative_report.py; art. 19b-19h, the agreement of art.
19e): the sample is valid and hashes the same twice; each rule refuses what breaks it, with its reason and basis;
there is no money rule (no grant); the rules against the agreement (its period, its number)."""

from __future__ import annotations

from datetime import date

import pytest

from states.errors import InvalidInput
from states.model_forms.canonical import content_sha256
from states.model_forms.initiative_report import (
    RULES,
    AgreementTerms,
    InitiativeReportForm,
    check_against_agreement,
    parse_initiative_report,
)
from tests.initiative_forms import sample_initiative_report

pytestmark = pytest.mark.fast

AGREEMENT = AgreementTerms(date(2026, 4, 20), date(2026, 6, 4), "WSO.IL.1.2026")
TESTED: set[str] = set()


def refused(data, rule: str, *needles: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as error:
        parse_initiative_report(data)
    assert error.value.rule == rule, error.value.message()
    for needle in needles:
        assert needle in error.value.message(), error.value.message()
    TESTED.add(rule)
    return error.value


def refused_by_agreement(data, rule: str, *needles: str, terms: AgreementTerms = AGREEMENT) -> InvalidInput:
    form = parse_initiative_report(data)
    with pytest.raises(InvalidInput) as error:
        check_against_agreement(form, terms)
    assert error.value.rule == rule, error.value.message()
    for needle in needles:
        assert needle in error.value.message(), error.value.message()
    TESTED.add(rule)
    return error.value


def test_the_sample_is_valid_and_its_content_hashes_the_same():
    form = parse_initiative_report(sample_initiative_report())
    again = InitiativeReportForm.model_validate(form.content())
    assert content_sha256(again.content()) == content_sha256(form.content())
    assert form.content()["contribution"]["cash"] == "1500.00" and form.final
    check_against_agreement(form, AGREEMENT)  # within the agreement: nothing refused
    assert "funding" not in form.content() and "expenses" not in form.content()  # no grant, no money rules


def test_a_period_ending_before_it_starts():
    refused(sample_initiative_report(**{"header.period_end": "2026-04-01"}), "report_period_reversed",
            "2026-04-01", "2026-04-20", "art. 19e")


def test_work_goods_or_money_without_saying_what_they_were():
    error = refused(sample_initiative_report(**{"contribution.work_description": "",
                                                "contribution.cash_description": ""}),
                    "contribution_undescribed", "art. 19e")
    assert "praca społeczna" in error.message() and "wkład finansowy" in error.message()


def test_no_contribution_at_all():
    refused(sample_initiative_report(**{"contribution.hours": "0", "contribution.in_kind": "0.00",
                                        "contribution.cash": "0.00"}), "contribution_missing", "art. 19f")


@pytest.mark.parametrize("declaration", ["information_true", "personal_data"])
def test_every_declaration_must_be_ticked(declaration):
    refused(sample_initiative_report(**{f"report_declarations.{declaration}": False}), "declaration_not_accepted")


def test_a_period_outside_the_agreements_is_refused_naming_the_rule_and_its_basis():
    error = refused_by_agreement(sample_initiative_report(**{"header.period_end": "2026-06-30"}),
                                 "report_period_outside_agreement", "2026-06-30", "2026-06-04")
    assert error.basis == "art. 19e (umowa: harmonogram)" and "art. 19e (umowa: harmonogram)" in error.message()
    refused_by_agreement(sample_initiative_report(**{"header.period_start": "2026-04-01"}),
                         "report_period_outside_agreement")
    # a shorter period inside the agreement's is a report on part of it: allowed
    check_against_agreement(parse_initiative_report(sample_initiative_report(**{"header.period_end": "2026-05-31"})),
                            AGREEMENT)


def test_another_agreements_number_and_both_rules_at_once():
    error = refused_by_agreement(sample_initiative_report(**{"header.contract_number": "WSO.IL.9.2026",
                                                             "header.period_end": "2026-07-01"}),
                                 "report_period_outside_agreement", "2026-07-01")
    assert error.details["rules"] == ["report_period_outside_agreement", "contract_number_mismatch"]
    refused_by_agreement(sample_initiative_report(**{"header.contract_number": "WSO.IL.9.2026"}),
                         "contract_number_mismatch", "WSO.IL.9.2026", "WSO.IL.1.2026")


def test_in_english():
    with pytest.raises(InvalidInput) as error:
        parse_initiative_report(sample_initiative_report(**{"contribution.hours": "0", "contribution.in_kind": "0",
                                                            "contribution.cash": "0"}))
    assert "no work, goods or money" in error.value.message("en")


def test_every_rule_has_a_test():
    assert TESTED == set(RULES), set(RULES) - TESTED
