"""A small grant's report filed by the organisation on the simplified form (small_grant.file_report_form,
states/report_filings.py ``file_on_form``) on SQLite and PostgreSQL: through the small grant's own submit_report
(the case's machine moves, the grant spent is the funds used), kept in ``reports`` under the small grant's offer
with its SHA-256 and receipt, the hash in the audit record; the officer reviews and settles it as before. A broken
sum, another organisation, a report the machine does not allow are refused and change nothing; a retry with the
page's key files once."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from sqlmodel import select

from models.procedures.small_grant import SmallGrantOffer
from models.tables import AuditRecord, Case, Report
from notifications.report_pdf import report_pdf
from states.engine import execute
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.model_forms.canonical import content_sha256
from states.model_forms.simplified_report import parse_simplified_report
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.report_filings import (
    FileSimplifiedReport,
    OfferReportsRef,
    ReportReceiptRef,
    offer_reports,
    report_receipt,
)
from states.tick import tick
from tests.people_fixtures import person
from tests.report_forms import sample_simplified_report
from tests.test_report_filings import session
from tests.test_small_grant import KRS, OFFICER, OTHER_KRS, do, file, grant_through, setup_registry

FILED_AT = "2026-07-20T10:00+02:00"


def granted(url) -> str:
    setup_registry(url)
    code = file(url)["code"]
    grant_through(url, code)  # 9 000 PLN for 1 May – 16 July 2026
    return code


@pytest.fixture
def contracted(db_url):
    """MG/2026/001 under contract WSO.526.1.2026 (9 000 PLN, 1 May – 16 July 2026), the task ended; the
    representative of its organisation and another organisation's."""
    code = granted(db_url)
    do(db_url, small_grant_handlers.sign_contract,
       small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.526.1.2026"), "2026-04-17T10:00+02:00")
    tick("2026-07-17T00:10+02:00", url=db_url)
    rep, _ = person(db_url, "rowery", "Piotr Rowerowy", ("applicant", KRS))
    other, _ = person(db_url, "podworko", "Ewa Zielona", ("applicant", OTHER_KRS))
    return db_url, code, rep, other


def file_report(url, code, actor, data, at=FILED_AT, **options):
    return execute(small_grant_handlers.file_report_form, FileSimplifiedReport.parse(code=code, form=data), actor=actor,
                   url=url, at=at, **options)


def test_the_organisation_files_the_simplified_report_through_the_small_grants_submit_report(contracted):
    url, code, rep, _ = contracted
    data = sample_simplified_report(spent_grant="8800.00")
    filed = file_report(url, code, rep, data)
    sha = content_sha256(parse_simplified_report(data).content())
    assert filed["receipt"] == f"{code}/1-S1" and filed["sha256"] == sha and filed["kind"] == "final"
    assert filed["state"] == "report_submitted" and filed["late"] is False
    with session(url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        assert case.state == "report_submitted"
        offer = s.exec(select(SmallGrantOffer).where(SmallGrantOffer.case_id == case.id)).one()
        assert offer.funds_used == Decimal("8800.00")  # the grant spent is the funds used (the settlement's)
        row = s.exec(select(Report)).one()
        owner = s.execute(select(Report.__table__.c.small_grant_offer_id)).scalar_one()
        assert owner == offer.id and row.contract_id is None
        assert row.content["sha256"] == sha and row.content["form"] == parse_simplified_report(data).content()
        assert row.content["form_kind"] == "simplified"
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "submit_report")).one()
        assert record.subject == "case" and record.payload["sha256"] == sha and record.payload["form"] == "simplified"
        assert record.payload["receipt"] == f"{code}/1-S1" and record.payload["funds_used"] == "8800.00"
        assert record.actor == "Piotr Rowerowy"
        assert "sprawozdanie uproszczone" in record.basis  # the small grant machine's own step
    read = execute(report_receipt, ReportReceiptRef(code=code, number=1, report=1), actor=rep, url=url,
                   readonly=True)
    assert read["sha256"] == sha and read["form_kind"] == "simplified" and read["contract"] == "WSO.526.1.2026"
    listed = execute(offer_reports, OfferReportsRef(code=code, number=1), actor=rep, url=url, readonly=True)
    assert listed["form"] == "simplified" and listed["contract"]["granted"] == Decimal("9000.00")
    assert [r["number"] for r in listed["reports"]] == [f"{code}/1-S1"]
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=report_pdf(read["content"], read),
                          capture_output=True, check=True).stdout.decode()
    assert "UPROSZCZONE" in text and "2055" in text and f"{code}/1-S1" in text and sha in text
    assert "Rajd: 140 uczestników" in text and "8 800,00" in text.replace("\u00a0", " ")
    # the officer reviews and settles it as an officer's report: 200 PLN unused, returned
    do(url, small_grant_handlers.review_report, small_grant_inputs.ReviewSmallGrantReport(code=code, accept=True),
       "2026-07-25T10:00+02:00")
    with session(url) as s:  # the report's row keeps the machine's outcome, as an open call's does
        row = s.exec(select(Report)).one()
        assert row.outcome == "accepted" and row.accepted_at is not None
    settled = do(url, small_grant_handlers.settle, small_grant_inputs.SettleSmallGrant(
        code=code, returned_amount=Decimal("200.00"), returned_on="2026-07-28"), "2026-07-29T10:00+02:00")
    assert settled["state"] == "settled"


def _unchanged(url, code):
    with session(url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        return case.state, len(s.exec(select(Report)).all()), len(s.exec(select(AuditRecord).where(
            AuditRecord.case_id == case.id)).all())


def test_refusals_change_nothing(contracted):
    url, code, rep, other = contracted
    before = _unchanged(url, code)
    with pytest.raises(InvalidInput) as above:  # more than the contract's 9 000
        file_report(url, code, rep, sample_simplified_report(granted="9500.00", spent_grant="9500.00"))
    assert above.value.rule == "grant_spent_above_awarded" and "2055" in above.value.basis
    assert "planned_grant_not_contract" in above.value.details["rules"]
    with pytest.raises(InvalidInput) as period:
        file_report(url, code, rep, sample_simplified_report(period_end="2026-07-10"))
    assert period.value.rule == "final_report_period"
    with pytest.raises(InvalidInput) as sums:
        data = sample_simplified_report()
        data["expenses"][1]["spent_other"] = "1.00"
        file_report(url, code, rep, data)
    assert sums.value.rule == "expense_line_sources"
    with pytest.raises(NotPermitted) as foreign:
        file_report(url, code, other, sample_simplified_report())
    assert foreign.value.rule == "not_your_organisation"
    with pytest.raises(NotPermitted):  # another organisation reads nothing either
        execute(offer_reports, OfferReportsRef(code=code, number=1), actor=other, url=url, readonly=True)
    assert _unchanged(url, code) == before
    file_report(url, code, rep, sample_simplified_report())
    with pytest.raises(RuleViolation) as again:  # the machine allows one report (until corrections are asked)
        file_report(url, code, rep, sample_simplified_report(), at="2026-07-21T10:00+02:00")
    assert again.value.rule == "event_not_allowed"


def test_no_report_before_the_contract(db_url):
    code = granted(db_url)
    rep, _ = person(db_url, "rowery", "Piotr Rowerowy", ("applicant", KRS))
    with pytest.raises(RuleViolation) as early:
        file_report(db_url, code, rep, sample_simplified_report(), at="2026-04-16T12:00+02:00")
    assert early.value.rule == "event_not_allowed"
    with session(db_url) as s:
        assert s.exec(select(Report)).all() == []


def test_a_retry_with_the_pages_key_files_once_and_the_officer_may_file_for_it(contracted):
    url, code, rep, _ = contracted
    first = file_report(url, code, rep, sample_simplified_report(), idempotency_key="portal:abc123")
    again = file_report(url, code, rep, sample_simplified_report(), idempotency_key="portal:abc123")
    assert again["receipt"] == first["receipt"] and again["sha256"] == first["sha256"]
    with session(url) as s:
        assert len(s.exec(select(Report)).all()) == 1
    # after corrections are asked, the next report is S2, filed by the officer for the organisation
    do(url, small_grant_handlers.review_report, small_grant_inputs.ReviewSmallGrantReport(
        code=code, accept=False, reason="Brak opisu tras"), "2026-07-22T10:00+02:00")
    with session(url) as s:
        assert [row.outcome for row in s.exec(select(Report)).all()] == ["corrections_requested"]
    second = file_report(url, code, OFFICER, sample_simplified_report(), at="2026-07-23T10:00+02:00")
    assert second["receipt"] == f"{code}/1-S2" and second["state"] == "report_submitted"
