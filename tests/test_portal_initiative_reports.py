"""A local initiative's report filed by its applicant through the portal (web/portal_initiative_reports.py) and read
on the desk (web/desk_initiative.py), through FastAPI's TestClient, on SQLite and PostgreSQL: a resident files the
application, the office takes it to the agreement, the task ends; the resident finds "File the report" under "Local
initiative", the form prefilled from the agreement; a period outside the agreement's is refused with its rule and
basis and writes nothing; the report is filed once (the same page pressed twice) through the machine's
``submit_report`` (state, audit record with the SHA-256 and receipt number); its receipt, canonical content and PDF;
another resident is refused; the officer reads it on the desk from the case page."""

from __future__ import annotations

import hashlib
import re
import subprocess
from decimal import Decimal

import pytest
from sqlmodel import select

from models.tables import AuditRecord, Case, Report
from states.inputs import CaseRef
from states.procedures.local_initiative import handlers as li
from states.procedures.local_initiative import inputs as li_inputs
from states.tick import tick
from tests.conftest import dump
from tests.initiative_forms import sample_initiative_form, sample_initiative_report
from tests.portal_pages import flatten, portal_environment
from tests.test_desk import with_password
from tests.test_local_initiative import COSTS, POINTS, do
from tests.test_open_call_guards import session
from tests.test_portal_reports import csrf_of, intent_of, log_in

AT = "2026-03-02T10:00+01:00"
REPORTED_AT = "2026-06-20T10:00+02:00"


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    portal_environment(monkeypatch, tmp_path, AT)


def post(c, path, page, fields, action="submit"):
    data = {"csrf": csrf_of(page.text), "intent": intent_of(page.text), "action": action, **fields}
    return c.post(path, data=data, follow_redirects=False)


def filed_and_agreed(url, monkeypatch) -> tuple[str, object]:
    """The garden's application filed by Krystyna through the portal, then evaluated, accepted, planned (20 April -
    4 June 2026), its agreement signed, its task ended: the report is due."""
    with_password(url, "krysia", "Krystyna Nowak")
    with_password(url, "adam", "Adam Lis")
    c = log_in(url, "krysia")
    page = c.get("/portal/inicjatywa/nowa")
    done = post(c, "/portal/inicjatywa/nowa", page, flatten(sample_initiative_form()))
    assert done.status_code == 303, done.text
    code = done.headers["location"].split("/portal/inicjatywa/")[1].split("/pokwitowanie")[0]
    assert c.get("/portal/inicjatywa").text.count("/portal/inicjatywa/sprawozdanie/") == 0  # not yet
    do(url, li.formal_check, li_inputs.FormalCheck(code=code, passed=True), "2026-03-05T10:00+01:00")
    do(url, li.evaluate, li_inputs.EvaluateInitiative(code=code, points=POINTS), "2026-03-10T10:00+01:00")
    do(url, li.decide, li_inputs.DecideInitiative(code=code, accept=True, decision_ref="Zarządzenie 55/2026"),
       "2026-03-12T10:00+01:00")
    do(url, li.plan, li_inputs.PlanInitiative(code=code, task_start="2026-04-20", task_end="2026-06-04",
                                              costs=COSTS), "2026-03-20T10:00+01:00")
    do(url, li.sign_contract, li_inputs.SignInitiative(code=code, contract_number="WSO.IL.1.2026"),
       "2026-03-25T10:00+01:00")
    assert tick("2026-06-05T00:00+02:00", url=url).fired == 1  # the task's end: the report is due
    monkeypatch.setenv("COOP_NOW", REPORTED_AT)
    return code, c


def test_the_filer_files_the_initiatives_report_and_the_officer_reads_it(db_url, monkeypatch, tmp_path):
    url = db_url
    code, c = filed_and_agreed(url, monkeypatch)
    new = f"/portal/inicjatywa/sprawozdanie/{code}/nowe"
    listed = c.get("/portal/inicjatywa").text
    assert f'href="{new}"' in listed
    page = c.get(new)
    assert page.status_code == 200 and "art. 19e" in page.text
    assert re.search(r'<input id="f-header-period_end"[^>]*value="2026-06-04"', page.text)
    assert re.search(r'<input id="f-header-contract_number"[^>]*value="WSO.IL.1.2026"', page.text)
    assert 'value="Mieszkańcy ul. Kurpińskiego"' in page.text and 'name="contribution.hours"' in page.text
    assert "funding" not in page.text  # no grant: no money part

    fields = flatten(sample_initiative_report())
    before = dump(url)
    outside = post(c, new, page, {**fields, "header.period_end": "2026-06-30"})
    assert outside.status_code == 422
    assert "report_period_outside_agreement" in outside.text and "art. 19e (umowa: harmonogram)" in outside.text
    assert "2026-06-30" in outside.text and ">Sadzenie, malowanie ławek" in outside.text  # kept as typed
    undescribed = post(c, new, page, {**fields, "contribution.cash_description": ""})
    assert undescribed.status_code == 422 and "art. 19e" in undescribed.text
    assert dump(url) == before  # refusals write nothing

    filed = post(c, new, page, fields)
    assert filed.status_code == 303, filed.text
    location = filed.headers["location"]
    assert location == f"/portal/inicjatywa/sprawozdanie/{code}/1/pokwitowanie?zlozono=1"
    assert post(c, new, page, fields).headers["location"] == location  # the same button again: filed once
    receipt = c.get(location).text
    assert f"{code}-S1" in receipt and "WSO.IL.1.2026" in receipt and "Narzędzia od Rady Osiedla" in receipt
    sha = re.search(r'<dd class="hash">([0-9a-f]{64})</dd>', receipt).group(1)
    content = c.get(f"/portal/inicjatywa/sprawozdanie/{code}/1/tresc.json")
    assert hashlib.sha256(content.content).hexdigest() == sha
    pdf = c.get(f"/portal/inicjatywa/sprawozdanie/{code}/1/pokwitowanie.pdf")
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"{code}-S1" in text and sha in text and "SPRAWOZDANIE Z REALIZACJI INICJATYWY LOKALNEJ" in text
    assert "Narzędzia od Rady Osiedla" in text and "WSO.IL.1.2026" in text
    relisted = c.get("/portal/inicjatywa").text
    assert f"{code}-S1" in relisted and f'href="{new}"' not in relisted  # filed: no second report offered

    # one step of the machine: the state, the audit record with the hash and receipt, one row
    with session(url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        assert case.state == "report_submitted"
        record = s.exec(select(AuditRecord).where(AuditRecord.case_id == case.id,
                                                  AuditRecord.event == "submit_report")).one()
        assert record.payload["sha256"] == sha and record.payload["receipt"] == f"{code}-S1"
        assert record.payload["work_value"] == "9100.00" and record.payload["late"] is False  # 260 h × 35,00 zł
        assert record.payload["form"] == "initiative" and record.actor == "Krystyna Nowak"
        rows = s.exec(select(Report)).all()
        assert len(rows) == 1 and rows[0].contract_id is None and rows[0].content["sha256"] == sha
    # a second report where none may be filed: the machine refuses it
    again = c.get(new)
    refused = post(c, new, again, fields)
    assert refused.status_code == 422 and "event_not_allowed" in refused.text

    other = log_in(url, "adam")
    assert other.get(location).status_code == 403
    assert other.get(f"/portal/inicjatywa/sprawozdanie/{code}/1/tresc.json").status_code == 403
    assert other.get(new).status_code == 403
    before = dump(url)
    forged = other.post(new, data={"csrf": csrf_of(other.get("/portal/inicjatywa").text), "intent": "x" * 32,
                                   "action": "submit", **fields}, follow_redirects=False)
    assert forged.status_code == 403 and dump(url) == before

    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = log_in(url, "anna", "/logowanie")
    assert f"/sprawy/{code}/sprawozdanie" in desk.get(f"/sprawy/{code}").text
    read = desk.get(f"/sprawy/{code}/sprawozdanie")
    assert read.status_code == 200 and sha in read.text and "Narzędzia od Rady Osiedla" in read.text
    assert "<td>Krystyna Nowak</td>" in read.text and "<td>krysia</td>" not in read.text  # by name, not login
    assert desk.get(f"/sprawy/{code}/sprawozdanie/1/pdf").content.startswith(b"%PDF")
    do(url, li.review_report, li_inputs.ReviewInitiativeReport(code=code, accept=True), "2026-06-24T10:00+02:00")
    closed = do(url, li.close, CaseRef(code=code), "2026-06-25T10:00+02:00")  # accepted: the officer closes it
    assert closed["state"] == "closed" and closed["city_spent"] == Decimal("0.00")
