"""The local initiative's report filed on its form through the procedure's handler (states/procedures/
local_initiative/handlers.py ``file_report_form``), on SQLite and PostgreSQL: an organisation's initiative is
reported by its representative (relation ``filer`` through the organisation), not by a resident who filed nothing
(``not_your_filing``, nothing written); none before the agreement (the machine's ``event_not_allowed``); an officer
may file it for the applicants; the receipt's reads follow the same relation."""

from __future__ import annotations

import pytest

from states.engine import execute
from states.errors import NotPermitted, RuleViolation
from states.inputs import CaseRef
from states.procedures.local_initiative import handlers as li
from states.procedures.local_initiative import inputs as li_inputs
from states.procedures.local_initiative.inputs import (
    FileApplication,
    FileInitiativeReport,
    InitiativeReportRef,
)
from states.tick import tick
from tests.conftest import dump
from tests.initiative_forms import sample_initiative_report, sample_ngo_initiative_form
from tests.test_initiative_filing import AT, people  # noqa: F401  (people: the fixture)
from tests.test_local_initiative import COSTS, POINTS, do
from tests.test_open_call_guards import KRS

REPORTED_AT = "2026-06-20T10:00+02:00"


def organisations_initiative(url, rep) -> str:
    form = sample_ngo_initiative_form(KRS[0])
    return execute(li.file_organisation_application, FileApplication.parse(form=form, organisation_krs=KRS[0]),
                   actor=rep, url=url, at=AT)["code"]


def to_agreement(url, code) -> None:
    do(url, li.formal_check, li_inputs.FormalCheck(code=code, passed=True), "2026-03-05T10:00+01:00")
    do(url, li.evaluate, li_inputs.EvaluateInitiative(code=code, points=POINTS), "2026-03-10T10:00+01:00")
    do(url, li.decide, li_inputs.DecideInitiative(code=code, accept=True, decision_ref="Zarządzenie 55/2026"),
       "2026-03-12T10:00+01:00")
    do(url, li.plan, li_inputs.PlanInitiative(code=code, task_start="2026-04-20", task_end="2026-06-04",
                                              costs=COSTS), "2026-03-20T10:00+01:00")
    do(url, li.sign_contract, li_inputs.SignInitiative(code=code, contract_number="WSO.IL.1.2026"),
       "2026-03-25T10:00+01:00")


def report(code: str, **changes) -> FileInitiativeReport:
    return FileInitiativeReport.parse(code=code, form=sample_initiative_report(
        **{"header.applicants": "Organizacja 1", **changes}))


def test_the_organisations_representative_files_the_report_and_a_resident_cannot(people):  # noqa: F811
    url, who = people
    code = organisations_initiative(url, who["rep"])
    before = dump(url)
    with pytest.raises(RuleViolation) as early:  # no agreement yet: the machine says no report now
        execute(li.file_report_form, report(code), actor=who["rep"], url=url, at="2026-03-03T10:00+01:00")
    assert early.value.rule == "event_not_allowed" and dump(url) == before

    to_agreement(url, code)
    assert tick("2026-06-05T00:00+02:00", url=url).fired == 1
    before = dump(url)
    with pytest.raises(NotPermitted) as stranger:
        execute(li.file_report_form, report(code), actor=who["resident"], url=url, at=REPORTED_AT)
    assert stranger.value.rule == "not_your_filing" and dump(url) == before

    filed = execute(li.file_report_form, report(code), actor=who["rep"], url=url, at=REPORTED_AT)
    assert (filed["receipt"], filed["state"], filed["late"]) == (f"{code}-S1", "report_submitted", False)
    ref = InitiativeReportRef(code=code, report=1)
    read = execute(li.initiative_report_receipt, ref, actor=who["rep"], url=url, readonly=True)
    assert read["sha256"] == filed["sha256"] and read["filed_by"] == "rep" and read["contract"] == "WSO.IL.1.2026"
    assert execute(li.initiative_report_receipt, ref, actor=who["officer"], url=url, readonly=True)["number"] == (
        f"{code}-S1")
    with pytest.raises(NotPermitted):
        execute(li.initiative_report_receipt, ref, actor=who["resident"], url=url, readonly=True)


def test_an_officer_files_it_for_the_applicants(people):  # noqa: F811
    url, who = people
    code = organisations_initiative(url, who["rep"])
    to_agreement(url, code)
    filed = execute(li.file_report_form, report(code), actor=who["officer"], url=url, at="2026-05-20T10:00+02:00")
    assert filed["state"] == "report_submitted"  # while the agreement runs: the machine allows it
    listed = execute(li.initiative_reports, CaseRef(code=code), actor=who["rep"], url=url, readonly=True)
    assert [r["number"] for r in listed["reports"]] == [f"{code}-S1"] and listed["may_file"] is False
