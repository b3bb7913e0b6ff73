"""The offer on the model form (states/model_forms/offer.py): the samples are valid, every sum and share rule is
refused with its reason in Polish and English, the canonical content and its hash are stable, the HTML constraints
follow the model, and tools/verify_receipt.py agrees with the engine's hash. No database: the fast tier."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import subprocess
import sys
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from states.errors import InvalidInput
from states.model_forms.canonical import canonical_bytes, content_sha256
from states.model_forms.html import html_attributes, offer_form_fields, offer_form_schema
from states.model_forms.offer import RULES, OfferForm, parse_offer_form, refused_rules
from tests.offer_forms import sample_joint_offer_form, sample_offer_form

pytestmark = pytest.mark.fast
ROOT = Path(__file__).resolve().parents[1]
VERIFY = ROOT / "tools" / "verify_receipt.py"


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def reshare(form: dict) -> dict:
    """V.B's shares recomputed from its values (this test's own arithmetic), after a test moved an amount."""
    sources = form["sources"]
    total = Decimal(sources["total"])
    for key in ("grant", "own_contribution", "own_financial", "own_non_financial", "recipients_fees"):
        sources[f"{key}_share"] = money(Decimal(sources[key]) * 100 / total)
    return form


def shift(form: dict, **changes: str) -> dict:
    """Add amounts to V.B's values (``grant="+100"``) and recompute the shares."""
    for key, delta in changes.items():
        form["sources"][key] = money(Decimal(form["sources"][key]) + Decimal(delta))
    return reshare(form)


# --- the samples ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [
    sample_offer_form(),
    sample_offer_form("0000000001", title="Inny tytuł", requested_grant="1234.57"),
    sample_offer_form(task_start="2027-10-01", task_end="2029-02-28", requested_grant="25000"),
    sample_joint_offer_form("0000123456", "0000654321"),
    sample_joint_offer_form("0000000002", "0000000003", task_start="2027-11-01", task_end="2028-01-31",
                            requested_grant="999.99"),
], ids=["single", "single-other-grant", "single-three-years", "joint", "joint-two-years"])
def test_the_samples_are_valid_and_summarised_from_v_b(form):
    assert refused_rules(form) == []
    offer = parse_offer_form(form)
    summary = offer.summary()
    sources = form["sources"]
    assert summary.requested_grant == Decimal(sources["grant"])
    assert summary.own_funds == Decimal(sources["own_financial"]) + Decimal(sources["recipients_fees"])
    assert summary.volunteer_work == Decimal(sources["volunteer_work"])
    assert summary.non_financial_contribution == Decimal(sources["in_kind"])
    assert summary.registry_numbers == tuple(o["krs"] for o in form["offerors"])
    assert summary.title == form["task"]["title"]
    assert str(summary.task_start) == form["task"]["task_start"]
    # What is hashed gives the same form back, and is already what the sample says.
    assert OfferForm.model_validate(offer.content()) == offer
    assert offer.content() == form


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grant=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
       start=st.dates(min_value=date(2027, 1, 1), max_value=date(2030, 12, 31)),
       days=st.integers(min_value=0, max_value=4 * 366), joint=st.booleans())
def test_the_samples_are_valid_for_any_grant_and_period(grant, start, days, joint):
    end = start + timedelta(days=days)
    make = sample_joint_offer_form if joint else sample_offer_form
    form = make(task_start=start.isoformat(), task_end=end.isoformat(), requested_grant=str(grant))
    assert refused_rules(form) == []
    assert parse_offer_form(form).summary().requested_grant == grant


def test_the_sample_keeps_the_signature_the_other_branches_call():
    form = sample_offer_form("0000999999", title="Tytuł", task_start="2027-01-01", task_end="2027-12-31",
                             requested_grant="5000.00")
    summary = parse_offer_form(form).summary()
    assert (summary.title, summary.requested_grant, summary.registry_numbers) == ("Tytuł", Decimal("5000.00"),
                                                                                  ("0000999999",))


# --- every rule, refused with its reason ------------------------------------------------------------------------


def _single() -> dict:
    return sample_offer_form()


def _joint() -> dict:
    return sample_joint_offer_form()


def _years(joint: bool = False) -> dict:
    make = sample_joint_offer_form if joint else sample_offer_form
    return make(task_start="2027-10-01", task_end="2028-03-31")


def _set(form: dict, path: str, value) -> dict:
    *parents, last = path.split(".")
    node = form
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return form


def _fees_without_paid_execution() -> dict:
    form = _single()
    return shift(form, own_financial="-1000", own_contribution="-1000", recipients_fees="+1000")


def _cost_split_with_wrong_years() -> dict:
    form = _years(joint=True)
    entry = form["cost_split"][0]
    entry["per_year"][0] = money(Decimal(entry["per_year"][0]) + 1)
    return form


def _joint_split_total_off() -> dict:
    form = _joint()
    form["cost_split"][0]["total"] = money(Decimal(form["cost_split"][0]["total"]) + 100)
    return form


# (rule, how the form is broken, a fragment of the English message, a fragment of the Polish one)
CASES = [
    ("registry_number_missing", lambda: _set(_single(), "offerors.0.krs", None),
     "number in the National Court Register", "numer oferenta w Krajowym Rejestrze Sądowym"),
    ("registry_number_repeated", lambda: _set(_joint(), "offerors.1.krs", "0000123456"),
     "offeror 2 repeats the registry number of offeror 1", "oferent 2 ma ten sam numer w rejestrze co oferent 1"),
    ("task_period_reversed", lambda: _set(_single(), "task.task_end", "2027-02-01"),
     "III.2: the task cannot end", "III.2: zadanie nie może się zakończyć"),
    ("activity_dates_reversed", lambda: _set(_set(_single(), "task.activities.0.start", "2027-06-30"),
                                             "task.activities.0.end", "2027-03-01"),
     "III.4: the activity cannot end", "III.4: działanie nie może się zakończyć"),
    ("activity_outside_task_period", lambda: _set(_single(), "task.activities.1.end", "2027-07-01"),
     "activity 2 runs", "poza terminem realizacji zadania"),
    ("activity_offeror_missing", lambda: _set(_joint(), "task.activities.0.offeror", None),
     "every activity names the offeror", "każde działanie wskazuje oferenta"),
    ("activity_offeror_unknown", lambda: _set(_joint(), "task.activities.0.offeror", 3),
     "names offeror 3", "wskazuje oferenta 3"),
    ("cost_line_value", lambda: _set(_single(), "costs.1.unit_cost", "170.00"),
     "is not unit cost × number of units", "iloczynowi kosztu jednostkowego i liczby jednostek"),
    ("cost_line_sources", lambda: _set(_single(), "costs.1.from_own_financial", "600.00"),
     "the line's sources", "źródła pokrycia pozycji"),
    ("cost_line_years", lambda: _set(_years(), "costs.1.per_year", ["100.00", "100.00"]),
     "not to the line's value", "a nie do wartości pozycji"),
    ("cost_line_years_count", lambda: _set(_single(), "costs.1.per_year", ["700.00"]),
     "within one calendar year", "w jednym roku kalendarzowym"),
    ("cost_line_activity_missing", lambda: _set(_single(), "costs.0.activity", None),
     "names its activity of the plan", "wskazuje swoje działanie z harmonogramu"),
    ("cost_line_activity_unknown", lambda: _set(_single(), "costs.0.activity", 5),
     "names activity 5", "wskazuje działanie 5"),
    ("cost_line_activity_administrative", lambda: _set(_single(), "costs.3.activity", 1),
     "administrative cost (II)", "koszt administracyjny (II)"),
    ("sources_own_contribution", lambda: shift(_single(), own_contribution="+100", total="+100"),
     "V.B 3: the own contribution", "V.B 3: wkład własny"),
    ("sources_non_financial", lambda: shift(_single(), in_kind="+100"),
     "V.B 3.2: the non-financial contribution", "V.B 3.2: wkład własny niefinansowy"),
    ("sources_total", lambda: shift(_single(), total="+100"),
     "V.B 1: the total", "V.B 1: suma wszystkich kosztów"),
    ("sources_share", lambda: _set(_single(), "sources.grant_share", "50.00"),
     "V.B 2: the share shown is 50.00 %", "V.B 2: podany udział to 50,00 %"),
    ("costs_total", lambda: shift(_single(), grant="+100", total="+100"),
     "the cost lines add up to", "pozycje kosztorysu sumują się do"),
    ("costs_grant", lambda: shift(_single(), grant="-100", own_financial="+100", own_contribution="+100"),
     "parts from the grant", "pokrywane z dotacji"),
    ("costs_own_financial", lambda: shift(_single(), own_financial="-100", own_contribution="-100", grant="+100"),
     "parts from own financial means", "pokrywane z własnych środków finansowych"),
    ("costs_volunteer_work", lambda: shift(_single(), volunteer_work="-100", in_kind="+100"),
     "parts from volunteer work", "pokrywane pracą wolontariuszy"),
    ("costs_in_kind", lambda: shift(_single(), in_kind="+100", own_non_financial="+100", own_contribution="+100",
                                    total="+100"),
     "parts in kind", "pokrywane wkładem rzeczowym"),
    ("cost_split_single_offer", lambda: _set(_single(), "cost_split",
                                             [{"offeror": 1, "total": "10200.00", "per_year": []}]),
     "only a joint offer", "tylko oferta wspólna"),
    ("cost_split_missing", lambda: _set(_joint(), "cost_split", None),
     "a joint offer splits its costs", "oferta wspólna dzieli koszty"),
    ("cost_split_offerors", lambda: _set(_joint(), "cost_split", _joint()["cost_split"][::-1]),
     "in the order of section II", "w kolejności z części II"),
    ("cost_split_total", _joint_split_total_off,
     "the offerors' parts add up to", "części oferentów sumują się do"),
    ("cost_split_years", _cost_split_with_wrong_years,
     "not to the offeror's total", "a nie do części oferenta"),
    ("cost_split_years_count", lambda: _set(_joint(), "cost_split.0.per_year", [_joint()["cost_split"][0]["total"]]),
     "one value per calendar year", "wartość dla każdego roku"),
    ("joint_roles_missing", lambda: _set(_joint(), "other.joint_roles", None),
     "a joint offer says what each", "oferta wspólna określa"),
    ("joint_roles_single_offer", lambda: _set(_single(), "other.joint_roles", "Wszystko robimy sami."),
     "only a joint offer says", "tylko oferta wspólna określa"),
    ("fees_need_paid_execution", _fees_without_paid_execution,
     "declare paid execution", "zadeklaruj odpłatne wykonanie"),
    ("declaration_not_accepted", lambda: _set(_single(), "declarations.register_data_true", False),
     "must be accepted", "musi zostać zaakceptowane"),
    ("arrears_statement_missing", lambda: _without(_single(), "declarations", "no_tax_arrears"),
     "choose one: the offeror(s) are not in arrears, or are in arrears",
     "wybierz jedno: oferent(-ci) nie zalega(-ją) albo zalega(-ją)"),
]


def _without(form: dict, part: str, key: str) -> dict:
    del form[part][key]
    return form


def test_every_rule_has_its_case():
    assert {case[0] for case in CASES} == set(RULES)


@pytest.mark.parametrize("rule, broken, english, polish", CASES, ids=[case[0] for case in CASES])
def test_a_broken_rule_is_refused_naming_it(rule, broken, english, polish):
    form = broken()
    assert rule in refused_rules(form)
    with pytest.raises(InvalidInput) as info:
        parse_offer_form(form)
    error = info.value
    assert rule in error.details["rules"]
    assert error.rule == error.details["rules"][0]
    assert error.basis == "Dz.U. 2018 poz. 2057, zał. 1"
    in_english, in_polish = error.message("en"), error.message("pl")
    assert in_english.startswith("Invalid input — ") and english in in_english, in_english
    assert in_polish.startswith("Niepoprawne dane wejściowe — ") and polish in in_polish, in_polish
    assert "Value error" not in in_polish and "Input should" not in in_polish
    assert RULES[rule].split("/")[0] in in_polish  # the section of the form (V.A, VI.2, ...) or its label


def test_every_problem_is_listed_at_once_each_under_its_field():
    form = sample_offer_form()
    form["costs"][1]["unit_cost"] = "170.00"
    form["sources"]["grant_share"] = "50.00"
    form["declarations"]["personal_data"] = False
    form["offerors"][0]["email"] = "not an address"
    with pytest.raises(InvalidInput) as info:
        parse_offer_form(form)
    assert info.value.details["rules"] == ["cost_line_value", "sources_share", "declaration_not_accepted"]
    text = info.value.message("pl")
    assert "V.A Zestawienie kosztów realizacji zadania › pozycja 2: V.A:" in text
    assert "V.B Źródła finansowania kosztów realizacji zadania: V.B 2:" in text
    assert "VII. Oświadczenia › oświadczenie 7 (dane osobowe): musi zostać zaakceptowane" in text
    assert "II. Dane oferenta(-tów) › pozycja 1 › adres e-mail" in text


def test_a_share_may_differ_by_the_rounding_of_its_last_digit():
    form = sample_offer_form()  # 8 000 of 10 200 is 78.431 %: 78.43 exactly, 78.44 or 78.42 by another rounding
    for shown, accepted in (("78.43", True), ("78.44", True), ("78.42", True), ("78.45", False), ("78.41", False)):
        form["sources"]["grant_share"] = shown
        assert ("sources_share" not in refused_rules(form)) is accepted, shown


def test_an_amount_is_kept_with_two_decimals_and_an_empty_optional_field_as_null():
    form = sample_offer_form()
    typed = copy.deepcopy(form)
    typed["sources"]["total"] = "10200"
    typed["costs"][1]["units"] = "4"
    typed["costs"][0]["unit_cost"] = "8000.0"
    typed["offerors"][0]["phone"] = None
    typed["sources"]["in_kind"] = "-0"  # a signed zero is zero: it would change the hash
    form["offerors"][0]["phone"] = ""
    assert parse_offer_form(typed).content()["sources"]["total"] == "10200.00"
    one, two = parse_offer_form(typed).content(), parse_offer_form(form).content()
    assert one == two and one["offerors"][0]["phone"] is None
    assert content_sha256(one) == content_sha256(two)


def test_an_offer_of_one_offeror_with_an_empty_v_c_has_none_and_an_offer_needs_an_offeror():
    form = sample_offer_form()
    form["cost_split"] = []
    assert parse_offer_form(form).content() == sample_offer_form()
    form["offerors"] = []
    with pytest.raises(InvalidInput) as info:
        parse_offer_form(form)
    assert "II. Dane oferenta(-tów): wymaga co najmniej 1 pozycji" in info.value.message("pl")


def test_a_form_with_an_unknown_field_or_a_wrong_kind_is_refused_in_the_reader_s_language():
    form = sample_offer_form()
    form["sources"]["bonus"] = "1"
    form["other"]["execution"] = "sometimes"
    with pytest.raises(InvalidInput) as info:
        parse_offer_form(form)
    assert info.value.rule == "invalid_input"
    text = info.value.message("pl")
    assert "V.B Źródła finansowania kosztów realizacji zadania › bonus: nieznane pole" in text
    assert ("VI. Inne informacje › deklaracja o zamiarze odpłatnego lub nieodpłatnego wykonania zadania publicznego: "
            "dozwolone wartości: unpaid, paid") in text


# --- the canonical content and its hash -------------------------------------------------------------------------


def test_the_canonical_bytes_are_the_documented_rule():
    content = {"b": "żółw", "a": [1, {"d": "1.00", "c": None}], "ą": True}
    expected = '{"a":[1,{"c":null,"d":"1.00"}],"b":"żółw","ą":true}'.encode()
    assert canonical_bytes(content) == expected
    assert content_sha256(content) == hashlib.sha256(expected).hexdigest()


def _shuffled(value, rng):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


def test_the_hash_does_not_depend_on_the_order_of_keys_and_is_stable():
    content = parse_offer_form(sample_joint_offer_form()).content()
    digest = content_sha256(content)
    for seed in range(5):
        shuffled = _shuffled(content, random.Random(seed))
        assert list(shuffled) != list(content) or seed  # the order did change
        assert content_sha256(shuffled) == digest
        # the form filed with its keys in another order has the same content, so the same receipt
        assert content_sha256(parse_offer_form(shuffled).content()) == digest
    assert content_sha256(parse_offer_form(sample_joint_offer_form()).content()) == digest
    changed = copy.deepcopy(content)
    changed["task"]["title"] = changed["task"]["title"][:-1] + "Z"
    assert content_sha256(changed) != digest


# --- the browser's constraints ----------------------------------------------------------------------------------


def test_the_html_constraints_follow_the_model():
    fields = offer_form_fields()
    assert html_attributes("costs.3.unit_cost") == {"required": True, "step": "0.01", "min": "0",
                                                    "max": "999999999.99"}
    assert html_attributes("sources.total")["min"] == "0.01"  # a positive amount
    assert html_attributes("sources.grant_share")["max"] == "100"
    assert html_attributes("offerors.1.krs") == {"pattern": "[0-9]{10}"}
    assert html_attributes("task.activities.0.start")["required"] is True
    assert fields["task.activities[].start"].widget == "date"
    assert fields["task.goal"].widget == "textarea" and html_attributes("task.goal")["maxlength"] == "5000"
    assert fields["offerors[].email"].widget == "email"
    assert fields["other.execution"].choices == ("unpaid", "paid")
    assert all(fields[f"declarations.{name}"].widget == ("radio" if name in ARREARS else "checkbox")
               and fields[f"declarations.{name}"].attributes == {"required": True}
               for name in offer_form_schema()["$defs"]["Declarations"]["properties"])
    assert fields["costs[].per_year[]"].repeated and not fields["task.title"].repeated
    with pytest.raises(KeyError):
        html_attributes("costs.0.price")


def test_what_the_page_allows_at_its_limits_the_server_takes_and_one_step_beyond_it_refuses():
    for path, limit_key in (("costs.1.units", "min"), ("costs.1.unit_cost", "max"), ("sources.grant_share", "max"),
                            ("task.title", "maxlength")):
        attributes = html_attributes(path)
        limit = attributes[limit_key]
        form = sample_offer_form()
        if limit_key == "maxlength":
            at, beyond = "x" * int(limit), "x" * (int(limit) + 1)
        else:
            step = Decimal(attributes["step"]) * (-1 if limit_key == "min" else 1)
            at, beyond = limit, str(Decimal(limit) + step)
        _set(form, path, at)
        assert not {r for r in refused_rules(form) if r not in RULES}, (path, at)  # only sums may break now
        _set(form, path, beyond)
        assert {r for r in refused_rules(form) if r not in RULES}, (path, beyond)


# --- tools/verify_receipt.py ------------------------------------------------------------------------------------


def _verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(VERIFY), *args], capture_output=True, text=True, timeout=60)


def test_verify_receipt_agrees_with_the_engine_and_catches_one_changed_character(tmp_path):
    content = parse_offer_form(sample_offer_form()).content()
    digest = content_sha256(content)
    path = tmp_path / "offer.json"
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")  # as exported
    done = _verify(str(path), "--sha256", digest)
    assert done.returncode == 0 and digest in done.stdout, done
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps({"receipt": {"number": "OK/2027/001/1", "sha256": digest}, "version": 1}))
    assert _verify(str(path), "--receipt", str(receipt)).returncode == 0
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps({"sha256": digest, "content": content}, ensure_ascii=False), encoding="utf-8")
    assert _verify("--receipt", str(whole)).returncode == 0

    text = path.read_text(encoding="utf-8")
    assert "Wałowa" in text
    path.write_text(text.replace("Wałowa", "Walowa", 1), encoding="utf-8")  # one letter
    done = _verify(str(path), "--sha256", digest)
    assert done.returncode == 1 and "MISMATCH" in done.stdout, done


def test_verify_receipt_refuses_what_it_cannot_check(tmp_path):
    content = parse_offer_form(sample_offer_form()).content()
    digest = content_sha256(content)
    twice = tmp_path / "twice.json"
    twice.write_text('{"a": "1", "a": "2"}')
    assert _verify(str(twice), "--sha256", digest).returncode == 2
    assert _verify(str(tmp_path / "missing.json"), "--sha256", digest).returncode == 2
    good = tmp_path / "offer.json"
    good.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    done = _verify(str(good), "--sha256", "abc")
    assert done.returncode == 2 and "64" in done.stderr
    assert _verify(str(good)).returncode == 2  # neither --sha256 nor --receipt


# --- declarations 3) and 4): a choice (Dz.U. 2018 poz. 2057 zał. 1: „nie zalega(-ją)*” / „zalega(-ją)*”) -----------

ARREARS = ("no_tax_arrears", "no_social_security_arrears")


@pytest.mark.parametrize("key", ARREARS)
@pytest.mark.parametrize("answer", [True, False], ids=["nie zalega", "zalega"])
def test_arrears_are_stated_either_way_and_kept_as_stated(key, answer):
    form = sample_offer_form()
    form["declarations"][key] = answer
    content = parse_offer_form(form).content()
    assert content["declarations"][key] is answer  # true: „nie zalega(-ją)”, false: „zalega(-ją)”
    assert OfferForm.model_validate(content).content() == content


@pytest.mark.parametrize("key", ARREARS)
@pytest.mark.parametrize("missing", ["absent", None, ""], ids=["absent", "null", "empty"])
def test_an_arrears_statement_not_made_is_refused_naming_the_rule(key, missing):
    form = sample_offer_form()
    if missing == "absent":
        del form["declarations"][key]
    else:
        form["declarations"][key] = missing
    with pytest.raises(InvalidInput) as info:
        parse_offer_form(form)
    assert info.value.rule == "arrears_statement_missing" and info.value.details["rules"] == [info.value.rule]
    assert info.value.basis == "Dz.U. 2018 poz. 2057, zał. 1"
    assert "VII. Oświadczenia › oświadczenie" in info.value.message("pl")
    assert "zalega(-ją)" in info.value.message("pl") and "Field required" not in info.value.message("en")


def test_an_offer_filed_before_the_choice_still_validates_to_the_same_hash():
    """Content filed when 3) and 4) were boxes to tick (each ``true``), stored byte for byte as it was hashed then:
    it validates and hashes the same, so its receipt still verifies."""
    stored = (ROOT / "tests" / "data" / "offer_content_before_arrears_choice.json").read_bytes()
    assert hashlib.sha256(stored).hexdigest() == "2488fbb8d184fd6a7243cab1c48b4c0b9c42701e4c155b48b8bf8e200b772887"
    content = json.loads(stored)
    assert content["declarations"]["no_tax_arrears"] is True
    again = OfferForm.model_validate(content).content()
    assert canonical_bytes(again) == stored and content_sha256(again) == hashlib.sha256(stored).hexdigest()


def test_the_choice_is_a_required_radio_group_in_the_browser_and_a_box_stays_a_box():
    fields = offer_form_fields()
    for key in ARREARS:
        rule = fields[f"declarations.{key}"]
        assert (rule.widget, rule.choices, rule.attributes) == ("radio", ("true", "false"), {"required": True})
    assert offer_form_schema()["$defs"]["Declarations"]["required"].count("no_tax_arrears") == 1
    assert "default" not in offer_form_schema()["$defs"]["Declarations"]["properties"]["no_tax_arrears"]
    box = fields["declarations.register_data_true"]
    assert (box.widget, box.attributes) == ("checkbox", {"required": True})


def test_the_pages_wording_is_the_pdfs_in_polish():
    """The full wording the page shows beside each declaration (in the reader's language) is, in Polish, the
    annex's words the PDF prints (DECLARATIONS_PL, ARREARS_PL; the simplified form's STATEMENTS_PL)."""
    from kernel.text import render
    from states.model_forms.offer import ARREARS_PL, ARREARS_TEXTS, DECLARATION_TEXTS, DECLARATIONS_PL
    from states.model_forms.simplified_offer import STATEMENT_TEXTS, STATEMENTS_PL

    for texts, wording in ((DECLARATION_TEXTS, DECLARATIONS_PL), (STATEMENT_TEXTS, STATEMENTS_PL)):
        assert set(texts) | set(ARREARS_TEXTS) == set(wording)
        for key, text in texts.items():
            assert render(text, "pl") == wording[key], key
    for key, answers in ARREARS_TEXTS.items():
        for answer, text in answers.items():
            assert render(text, "pl") == ARREARS_PL[key][answer]
            assert ("nie zalega(-ją)" in ARREARS_PL[key][answer]) is answer
