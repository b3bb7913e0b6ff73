"""The small grant's simplified offer (states/model_forms/simplified_offer.py; art. 19a ust. 1, Dz.U. 2018 poz. 2055
zał. 1): the sample is valid, every rule of the form is refused naming it, in Polish and English, with the form's
basis; the summary gives the small grant's facts; the canonical content and hash are stable; the page's constraints
come from the model; the full form's offer is not a simplified one. No database: the fast tier."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from states.errors import InvalidInput
from states.model_forms.canonical import content_sha256
from states.model_forms.html import form_fields
from states.model_forms.offer import OfferForm, error_rules
from states.model_forms.simplified_offer import (
    BASIS,
    RULES,
    SimplifiedOfferForm,
    is_simplified,
    parse_simplified_offer_form,
)
from tests.offer_forms import sample_offer_form, sample_simplified_offer_form

pytestmark = pytest.mark.fast


def _form(**options: Any) -> dict[str, Any]:
    return sample_simplified_offer_form(**options)


def _set(form: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = form
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return form


def _two_offerors_with_one_number() -> dict[str, Any]:
    form = _form()
    form["offerors"].append({**copy.deepcopy(form["offerors"][0]), "name": "Klub Sportowy Orka"})
    return form


def _line_sources_off() -> dict[str, Any]:
    form = _form()
    form["cost_estimate"][1].update(from_grant="100.00", from_other="700.00")  # 800.00 of a line of 700.00
    return form


def _summary_not_lines(**changes: str) -> dict[str, Any]:
    form = _form()
    form["cost_summary"].update(changes)
    return form


CASES = [
    ("registry_number_missing", lambda: _set(_form(), "offerors.0.krs", None),
     "II.1: give the offeror's number", "II.1: podaj numer oferenta"),
    ("registry_number_repeated", _two_offerors_with_one_number,
     "offeror 2 repeats the registry number of offeror 1", "oferent 2 ma ten sam numer w rejestrze co oferent 1"),
    ("task_period_reversed", lambda: _set(_form(), "basic.task_end", "2027-05-31"),
     "I.4: the task cannot end (2027-05-31) before it starts (2027-06-01)",
     "I.4: zadanie nie może się zakończyć (2027-05-31) przed rozpoczęciem (2027-06-01)"),
    ("cost_line_value", lambda: _set(_form(), "cost_estimate.1.total", "750.00"),
     "IV: the value PLN 750.00 is not unit cost × number of units = PLN 700.00",
     "IV: wartość 750,00 PLN nie jest równa iloczynowi kosztu jednostkowego i liczby jednostek = 700,00 PLN"),
    ("cost_line_sources", _line_sources_off,
     "from the grant and from other sources add up to PLN 800.00", "sumują się do 800,00 PLN"),
    ("sources_grant_above_total", lambda: _summary_not_lines(grant="10000.00", other_sources="0.00"),
     "the grant asked PLN 10,000.00 is more than the sum of all costs PLN 9,900.00",
     "wnioskowana dotacja 10 000,00 PLN przekracza sumę wszystkich kosztów 9 900,00 PLN"),
    ("sources_total", lambda: _summary_not_lines(other_sources="1800.00"),
     "is not the grant PLN 8,000.00 + the other sources PLN 1,800.00 = PLN 9,800.00",
     "nie jest równa sumie dotacji 8 000,00 PLN i innych źródeł 1 800,00 PLN = 9 800,00 PLN"),
    ("costs_total", lambda: _summary_not_lines(total="10000.00", other_sources="2000.00"),
     "the cost lines add up to PLN 9,900.00, but the sum of all costs is PLN 10,000.00",
     "pozycje kosztorysu sumują się do 9 900,00 PLN, a suma wszystkich kosztów wynosi 10 000,00 PLN"),
    ("costs_grant", lambda: _summary_not_lines(grant="7000.00", other_sources="2900.00"),
     "the lines' parts from the grant add up to PLN 8,000.00, but the grant asked is PLN 7,000.00",
     "części pozycji z dotacji sumują się do 8 000,00 PLN, a wnioskowana dotacja wynosi 7 000,00 PLN"),
    ("costs_other_sources", lambda: _summary_not_lines(grant="7000.00", other_sources="2900.00"),
     "the lines' parts from other sources add up to PLN 1,900.00, but the other sources are PLN 2,900.00",
     "części pozycji z innych źródeł sumują się do 1 900,00 PLN, a inne źródła wynoszą 2 900,00 PLN"),
    ("declaration_not_accepted", lambda: _set(_form(), "statements.register_data_true", False),
     "every declaration of section V", "wszystkimi oświadczeniami z części V"),
    ("arrears_statement_missing", lambda: _set(_form(), "statements.no_social_security_arrears", None),
     "(section V states either)", "(sekcja V wymaga jednego z tych oświadczeń)"),
]


def test_the_sample_is_valid_and_round_trips_to_one_content_and_hash():
    form = parse_simplified_offer_form(_form())
    content = form.content()
    assert SimplifiedOfferForm.model_validate(content).content() == content
    typed = _form()
    typed["cost_summary"]["total"] = "9900"  # typed without decimals: one content, one hash
    assert content_sha256(parse_simplified_offer_form(typed).content()) == content_sha256(content)
    assert content["cost_summary"] == {"total": "9900.00", "grant": "8000.00", "other_sources": "1900.00"}
    assert is_simplified(content) and not is_simplified(OfferForm.model_validate(sample_offer_form()).content())


def test_the_summary_gives_the_small_grants_facts():
    summary = parse_simplified_offer_form(_form(title="Rajd", task_start="2027-05-04", task_end="2027-05-30",
                                                requested_grant="3000.00")).summary()
    assert (summary.title, summary.requested_grant) == ("Rajd", Decimal("3000.00"))
    # IV's other sources stay apart: the form does not say how much of them is the offeror's own contribution
    assert (summary.other_sources, summary.own_funds, summary.own_contribution) == (
        Decimal("1900.00"), Decimal("0.00"), Decimal("0.00"))
    assert (summary.task_start.isoformat(), summary.task_end.isoformat()) == ("2027-05-04", "2027-05-30")
    assert summary.registry_numbers == ("0000123456",)
    assert summary.non_financial_contribution == summary.volunteer_work == Decimal("0.00")


def test_the_open_call_forms_summary_keeps_its_own_contribution_and_has_no_other_sources():
    """One rule for both forms' own contribution (``OfferSummary.own_contribution``): the full form's V.B 3
    (financial, in kind, volunteer work) and its recipients' fees in the own funds, as its row keeps them."""
    summary = OfferForm.model_validate(sample_offer_form()).summary()
    assert summary.other_sources == Decimal("0.00")
    assert summary.own_contribution == summary.own_funds + summary.non_financial_contribution + summary.volunteer_work


def test_every_rule_has_its_case():
    assert {case[0] for case in CASES} == set(RULES)


@pytest.mark.parametrize("rule, broken, english, polish", CASES, ids=[case[0] for case in CASES])
def test_a_broken_rule_is_refused_naming_it(rule, broken, english, polish):
    with pytest.raises(InvalidInput) as info:
        parse_simplified_offer_form(broken())
    error = info.value
    assert rule in error.details["rules"], error.details
    assert error.rule == error.details["rules"][0]
    assert error.basis == BASIS == "Dz.U. 2018 poz. 2055, zał. 1"
    in_english, in_polish = error.message("en"), error.message("pl")
    assert in_english.startswith("Invalid input — ") and english in in_english, in_english
    assert in_polish.startswith("Niepoprawne dane wejściowe — ") and polish in in_polish, in_polish
    assert "Value error" not in in_polish and "Input should" not in in_polish
    assert RULES[rule] in in_polish  # the form's section (I.4, IV, V...) in the message or the field's label


def test_every_problem_of_section_iv_is_listed_at_once():
    with pytest.raises(InvalidInput) as info:
        parse_simplified_offer_form(_summary_not_lines(grant="7000.00", other_sources="2900.00"))
    assert info.value.details["rules"] == ["costs_grant", "costs_other_sources"]
    assert "IV. Suma wszystkich kosztów realizacji zadania: IV: części pozycji z dotacji" in info.value.message("pl")


def test_the_full_forms_offer_is_not_the_simplified_form():
    with pytest.raises(InvalidInput) as info:
        parse_simplified_offer_form(sample_offer_form())
    assert info.value.rule == "invalid_input" and info.value.basis == BASIS
    assert "extra_forbidden" in error_rules_of(sample_offer_form())


def error_rules_of(data: dict[str, Any]) -> list[str]:
    from pydantic import ValidationError

    try:
        SimplifiedOfferForm.model_validate(data)
    except ValidationError as error:
        return error_rules(error)
    return []


def test_the_pages_constraints_come_from_the_model():
    fields = form_fields(SimplifiedOfferForm)
    assert list(fields)[:5] == ["basic.authority", "basic.task_kind", "basic.title", "basic.task_start",
                                "basic.task_end"]
    assert fields["cost_summary.grant"].attributes == {"required": True, "step": "0.01", "min": "0.01",
                                                       "max": "999999999.99"}
    assert fields["cost_estimate[].from_other"].repeated and fields["task.expected_results"].widget == "textarea"
    assert fields["statements.personal_data"].widget == "checkbox"
    assert not any(name.startswith(("task.activities", "sources.", "profile.")) for name in fields)


@pytest.mark.parametrize("answer", [True, False], ids=["nie zalega", "zalega"])
def test_arrears_are_stated_either_way(answer):
    """3) and 4) as the full form's: a choice, ``false`` being „zalega(-ją)” (Dz.U. 2018 poz. 2055 zał. 1)."""
    form = _set(_set(_form(), "statements.no_tax_arrears", answer), "statements.no_social_security_arrears", answer)
    content = parse_simplified_offer_form(form).content()
    assert content["statements"]["no_tax_arrears"] is answer and content["statements"]["no_social_security_arrears"] is answer


def test_an_arrears_statement_left_out_is_refused_naming_the_rule():
    form = _form()
    del form["statements"]["no_tax_arrears"]
    with pytest.raises(InvalidInput) as info:
        parse_simplified_offer_form(form)
    assert info.value.rule == "arrears_statement_missing" and info.value.basis == "Dz.U. 2018 poz. 2055, zał. 1"


def test_a_simplified_offer_filed_before_the_choice_still_validates_to_the_same_hash():
    import hashlib
    from pathlib import Path

    from states.model_forms.canonical import canonical_bytes

    stored = (Path(__file__).parent / "data" / "simplified_offer_content_before_arrears_choice.json").read_bytes()
    assert hashlib.sha256(stored).hexdigest() == "1d47e67ecbad8044ac4d9cb751a4e44420071708d22d4fb851d896763bf2c098"
    assert canonical_bytes(SimplifiedOfferForm.model_validate(json.loads(stored)).content()) == stored
