"""The local-initiative application as pydantic models (states/model_forms/initiative.py): a valid application,
each named rule refusing what breaks it (in Polish and English), the content that is hashed, and the fields the
procedure's ``file`` command takes. No database: the fast tier."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from states.errors import InvalidInput
from states.model_forms.canonical import content_sha256
from states.model_forms.initiative import RULES, InitiativeForm, parse_initiative_form, refused_rules
from states.procedures.local_initiative.inputs import FileApplication, FileInitiative
from tests.initiative_forms import sample_initiative_form, sample_ngo_initiative_form

pytestmark = pytest.mark.fast


def test_the_sample_application_is_valid_and_its_content_round_trips():
    form = InitiativeForm.model_validate(sample_initiative_form())
    assert refused_rules(sample_initiative_form()) == []
    assert InitiativeForm.model_validate(form.content()) == form
    assert form.content()["budget"]["total"] == "28700.00"
    # an amount typed without decimals is the same content, the same hash
    same = sample_initiative_form(**{"costs.0.total": "18000", "costs.0.from_city": "18000"})
    assert content_sha256(InitiativeForm.model_validate(same).content()) == content_sha256(form.content())


def test_the_fields_the_procedures_file_command_takes():
    fields = InitiativeForm.model_validate(sample_initiative_form()).file_fields()
    command = FileInitiative(**fields)
    assert command.applicant_kind == "residents" and command.residents == ("Krystyna Nowak", "Adam Lis", "Ewa Maj")
    assert command.sphere == "greenery" and command.representative_email == "krystyna@example.org"
    assert command.organisation_krs is None
    ngo = FileInitiative(**InitiativeForm.model_validate(sample_ngo_initiative_form("0000100001")).file_fields())
    assert ngo.applicant_kind == "ngo" and ngo.organisation_krs == "0000100001" and ngo.residents == ()


@pytest.mark.parametrize(("changes", "rule"), [
    ({"applicant.members": []}, "residents_members_missing"),
    ({"applicant.group_name": ""}, "residents_group_name_missing"),
    ({"applicant.organisation_krs": "0000100001"}, "residents_with_organisation"),
    ({"schedule.task_end": "2026-04-01"}, "task_period_reversed"),
    ({"schedule.actions.0.end": "2026-04-01"}, "action_dates_reversed"),
    ({"schedule.actions.1.end": "2026-07-01"}, "action_outside_task_period"),
    ({"costs.1.from_own_cash": "1000.00"}, "cost_line_parties"),
    ({"work.value": "8000.00"}, "work_value"),
    ({"work.description": ""}, "work_hours_missing"),
    ({"budget.total": "28000.00"}, "budget_total"),
    ({"budget.own_total": "10000.00"}, "budget_own_total"),
    ({"declarations.residents": False}, "declaration_not_accepted"),
])
def test_each_rule_refuses_what_breaks_it(changes, rule):
    assert rule in RULES
    assert rule in refused_rules(sample_initiative_form(**changes))


def test_the_budget_must_match_the_estimate_and_the_work():
    moved = sample_initiative_form(**{"budget.city": "17000.00", "budget.own_cash": "2500.00",
                                      "budget.own_total": "11700.00"})
    assert refused_rules(moved)[:2] == ["budget_city", "budget_own_cash"]
    work = sample_initiative_form(**{"budget.own_work": "7400.00", "budget.own_in_kind": "1800.00"})
    assert set(refused_rules(work)) >= {"budget_own_work", "budget_own_in_kind"}


def test_an_application_without_any_own_contribution_is_refused():
    form = sample_initiative_form(**{
        "costs": [{"name": "Ławki", "total": "5000.00", "from_city": "5000.00"}],
        "work": {"hour_value": "35.00"},
        "budget": {"total": "5000.00", "city": "5000.00"}})
    assert refused_rules(form) == ["own_contribution_missing"]


def test_the_sphere_is_one_of_article_19b():
    rules = refused_rules(sample_initiative_form(**{"task.sphere": "space_travel"}))
    assert rules == ["literal_error"]
    with pytest.raises(ValidationError):
        InitiativeForm.model_validate(sample_initiative_form(**{"task.sphere": "space_travel"}))


def test_an_organisations_application_names_it():
    assert refused_rules(sample_ngo_initiative_form("0000100001")) == []
    form = sample_ngo_initiative_form("0000100001")
    form["applicant"]["organisation_krs"] = ""
    assert refused_rules(form) == ["organisation_missing"]


def test_the_refusal_names_the_rule_its_part_and_basis_in_polish_and_english(monkeypatch):
    wrong = sample_initiative_form(**{"budget.total": "28000.00"})
    with pytest.raises(InvalidInput) as error:
        parse_initiative_form(wrong)
    assert error.value.rule == "budget_total" and error.value.details["rules"] == ["budget_total"]
    polish = error.value.message("pl")
    assert "7: szacunkowy koszt 28 000,00" in polish and "(art. 19e)" in polish, polish
    english = error.value.message("en")
    assert "7: the estimated cost PLN 28,000.00" in english and "(art. 19e)" in english, english
    # the command parses the form first, so its refusal is the form's rule
    with pytest.raises(InvalidInput) as parsed:
        FileApplication.parse(form=wrong)
    assert parsed.value.rule == "budget_total"
