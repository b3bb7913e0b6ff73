"""Filing a report on the model form (states/report_filings.py, open_call.file_report_form) on SQLite and
PostgreSQL: the organisation's representative files a final report through the tail's submit_report (the offer's
machine moves, the grant spent is the funds used), the content kept with its SHA-256 and receipt, the hash in the
audit record; a partial report changes no state; a broken sum, another organisation, a report where the machine
allows none are refused and change nothing; the officer's CLI submit_report still works as before."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from models.tables import AuditRecord, Contract, Offer, Report
from states.engine import execute
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.model_forms.canonical import content_sha256
from states.model_forms.report import parse_report_form
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.report_filings import (
    FileReportForm,
    OfferReportsRef,
    ReportReceiptRef,
    offer_reports,
    report_receipt,
)
from tests.conftest import dump
from tests.people_fixtures import person
from tests.report_forms import sample_report_form
from tests.test_open_call_guards import KRS, contract_cmd, do, published_results, session

FILED_AT = "2026-07-20T10:00+02:00"


@pytest.fixture
def contracted(db_url):
    """Offer 1 (Organizacja 1, KRS[0]) under contract WZ.526.1.2026: 40 000 PLN, 1 April – 16 July 2026; its
    representative and another organisation's."""
    code = published_results(db_url)
    do(db_url, open_call_handlers.sign_contract, contract_cmd(code, 1, "40000.00", "2026-07-16"),
       "2026-03-02T10:00+01:00")
    rep, _ = person(db_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    other, _ = person(db_url, "inna", "Ewa Inna", ("applicant", KRS[1]))
    return db_url, code, rep, other


def file(url, code, actor, data, at=FILED_AT, number=1):
    return execute(open_call_handlers.file_report_form, FileReportForm(code=code, number=number, form=data),
                   actor=actor, url=url, at=at)


def test_a_final_report_is_filed_through_the_tail_with_its_hash_and_receipt(contracted):
    url, code, rep, _ = contracted
    data = sample_report_form()
    filed = file(url, code, rep, data)
    sha = content_sha256(parse_report_form(data).content())
    assert filed["receipt"] == f"{code}/1-S1" and filed["sha256"] == sha and filed["kind"] == "final"
    assert filed["state"] == "report_submitted" and filed["late"] is False
    with session(url) as s:
        offer = s.exec(select(Offer).where(Offer.number == 1)).one()
        assert offer.state == "report_submitted"
        contract = s.exec(select(Contract).where(Contract.offer_id == offer.id)).one()
        assert contract.funds_used == Decimal("40000.00")  # the grant spent is the funds used (the settlement's)
        row = s.exec(select(Report)).one()
        assert row.kind == "final" and row.content["sha256"] == sha and row.content["form"] == \
            parse_report_form(data).content()
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "submit_report")).one()
        assert record.subject == "offer:1" and record.payload["sha256"] == sha
        assert record.payload["receipt"] == f"{code}/1-S1" and record.payload["funds_used"] == "40000.00"
        assert record.actor == "Anna Nowak"
    read = execute(report_receipt, ReportReceiptRef(code=code, number=1, report=1), actor=rep, url=url,
                   readonly=True)
    assert read["sha256"] == sha and read["content"]["funding"]["spent_grant"] == "40000.00"
    listed = execute(offer_reports, OfferReportsRef(code=code, number=1), actor=rep, url=url, readonly=True)
    assert listed["contract"]["number"] == "WZ.526.1.2026" and [r["number"] for r in listed["reports"]] == [
        f"{code}/1-S1"]


def test_a_partial_report_changes_no_state_and_a_final_follows(contracted):
    url, code, rep, _ = contracted
    partial = file(url, code, rep, sample_report_form(kind="partial", period_end="2026-05-31"),
                   at="2026-06-02T10:00+02:00")
    assert partial["receipt"] == f"{code}/1-S1" and partial["state"] == "contracted"
    with session(url) as s:
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "submit_partial_report")).one()
        assert record.payload["sha256"] == partial["sha256"] and record.basis.startswith("art. 18 ust. 3")
        assert s.exec(select(Contract)).first().funds_used is None
    final = file(url, code, rep, sample_report_form(spent_grant="39000.00"))
    assert final["receipt"] == f"{code}/1-S2" and final["state"] == "report_submitted"
    # the machine allows no second final report now: its refusal, nothing written
    before = dump(url)
    with pytest.raises(RuleViolation) as info:
        file(url, code, rep, sample_report_form(), at="2026-07-21T10:00+02:00")
    assert info.value.rule == "event_not_allowed" and "art. 18" in info.value.basis
    assert dump(url) == before


@pytest.mark.parametrize("mutate,rule", [
    (lambda d: d["funding"].update(spent_grant="40000.01"), "funding_spent_total"),
    (lambda d: d.update(sample_report_form(granted="41000.00", spent_grant="41000.00")), "grant_spent_above_awarded"),
    (lambda d: d["header"].update(period_end="2026-07-31"), "report_period_outside_task"),
])
def test_a_wrong_sum_or_period_is_refused_with_its_rule_and_nothing_changes(contracted, mutate, rule):
    url, code, rep, _ = contracted
    data = sample_report_form()
    mutate(data)
    before = dump(url)
    with pytest.raises(InvalidInput) as info:
        if rule == "funding_spent_total":  # the form's own rule: refused before the command is made
            FileReportForm.parse(code=code, number=1, form=data)
        file(url, code, rep, data)
    assert info.value.rule == rule
    assert dump(url) == before


def test_another_organisation_and_an_offer_without_contract_are_refused(contracted):
    url, code, rep, other = contracted
    before = dump(url)
    with pytest.raises(NotPermitted) as info:
        file(url, code, other, sample_report_form())
    assert info.value.rule == "not_your_organisation"
    with pytest.raises(NotPermitted):
        execute(report_receipt, ReportReceiptRef(code=code, number=1, report=1), actor=other, url=url,
                readonly=True)
    with pytest.raises(NotPermitted):  # offer 2 is another organisation's
        file(url, code, rep, sample_report_form(), number=2)
    assert dump(url) == before


def test_the_officer_may_file_for_the_organisation_and_no_contract_is_refused(contracted):
    url, code, _, _ = contracted
    officer = person(url, "urz", "Jan Urzędnik", "officer")[0]
    with pytest.raises(Exception) as info:  # offer 2 has no contract yet
        file(url, code, officer, sample_report_form(), number=2)
    assert getattr(info.value, "rule", None) == "no_contract"
    assert file(url, code, officer, sample_report_form())["state"] == "report_submitted"


def test_the_officers_cli_submit_report_is_unchanged(contracted):
    url, code, _, _ = contracted
    result = do(url, open_call_handlers.submit_report,
                open_call_inputs.SubmitReport(code=code, number=1, funds_used=Decimal("38500.00"), summary="ok"),
                "2026-08-03T10:00+02:00")
    assert result["state"] == "report_submitted"
    with session(url) as s:
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "submit_report")).one()
        assert set(record.payload) == {"funds_used", "summary", "due", "late"}
        assert s.exec(select(Report)).one().content == {"funds_used": "38500.00", "summary": "ok"}


def test_the_cli_files_a_report_and_prints_its_receipt_and_pdf(contracted, tmp_path):
    import json

    from typer.testing import CliRunner

    from coop import core_cli, procedures_cli  # noqa: F401  (importing them registers their commands)
    from coop.cli import app
    from tests.people_fixtures import person as make_person

    url, code, _, _ = contracted
    _, token = make_person(url, "delfin2", "Anna Nowak-Druga", ("applicant", KRS[0]))
    runner = CliRunner()
    env = {"COOP_DATABASE_URL": url, "COOP_TOKEN": token, "COOP_LANG": "en", "COOP_NOW": FILED_AT,
           "COOP_ACTOR": None, "COOP_ROLE": None}
    form = tmp_path / "sprawozdanie.json"
    form.write_text(json.dumps(sample_report_form(), ensure_ascii=False), encoding="utf-8")
    filed = runner.invoke(app, ["report", "file-form", code, "1", "--form", str(form), "--json",
                                "--idempotency-key", "rep-1"], env=env)
    assert filed.exit_code == 0, filed.output
    answer = json.loads(filed.output)
    assert answer["receipt"] == f"{code}/1-S1"
    # the same key again: the same receipt, printed in the run's language by the grant's printer (coop/output.py)
    english = runner.invoke(app, ["report", "file-form", code, "1", "--form", str(form), "--idempotency-key", "rep-1"],
                            env=env)
    assert english.exit_code == 0, english.output
    assert english.output.splitlines()[:2] == ["Report filed (art. 18)", f"Receipt number: {code}/1-S1"]
    assert f"SHA-256: {answer['sha256']}" in english.output and "Report: 1" in english.output
    polish = runner.invoke(app, ["report", "file-form", code, "1", "--form", str(form), "--idempotency-key", "rep-1"],
                           env={**env, "COOP_LANG": None})
    assert polish.exit_code == 0, polish.output
    assert polish.output.splitlines()[:2] == ["Złożono sprawozdanie (art. 18)", f"Numer potwierdzenia: {code}/1-S1"]
    assert "Sprawozdanie: 1" in polish.output and "Wpłynęła (czas warszawski): " in polish.output
    pdf = tmp_path / "s.pdf"
    shown = runner.invoke(app, ["report", "receipt", code, "1", "1", "--pdf", str(pdf), "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["sha256"] == answer["sha256"] and pdf.read_bytes().startswith(b"%PDF")
    broken = tmp_path / "zle.json"
    broken.write_text(json.dumps(sample_report_form(spent_grant="40000.00") | {"funding": {}}), encoding="utf-8")
    refused = runner.invoke(app, ["report", "file-form", code, "1", "--form", str(broken)], env=env)
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "2057" in refused.output, refused.output  # the rule's basis: the model report form
