"""A small grant's report on the portal's report pages (web/portal_reports.py, the simplified form) and the desk's
(web/desk_reports.py) through FastAPI's TestClient, on SQLite and PostgreSQL: the small grant listed under
"Reports" with its contract, the simplified form prefilled from it, a wrong sum refused with its rule and nothing
written, the report filed once (a double submit), its receipt, canonical content (its SHA-256) and PDF, another
organisation refused, the officer's read page linked from the case page, the English page."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest

from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.tick import tick
from tests.conftest import dump
from tests.portal_pages import flatten
from tests.report_forms import sample_simplified_report
from tests.test_desk import with_password
from tests.test_portal_reports import csrf_of, desk_key, intent_of, log_in  # noqa: F401  (desk_key: autouse)
from tests.test_small_grant import KRS, OTHER_KRS, do
from tests.test_small_grant_report_filings import FILED_AT, granted


@pytest.fixture
def contracted(db_url, monkeypatch):
    code = granted(db_url)
    do(db_url, small_grant_handlers.sign_contract,
       small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.526.1.2026"), "2026-04-17T10:00+02:00")
    tick("2026-07-17T00:10+02:00", url=db_url)
    with_password(db_url, "rowery", "Piotr Rowerowy", ("applicant", KRS))
    with_password(db_url, "podworko", "Ewa Zielona", ("applicant", OTHER_KRS))
    monkeypatch.setenv("COOP_NOW", FILED_AT)
    return db_url, code, log_in(db_url, "rowery")


def post(c, code, page, fields, action="submit"):
    data = {"csrf": csrf_of(page.text), "intent": intent_of(page.text), "action": action, **fields}
    return c.post(f"/portal/sprawozdania/{code}/1/nowe?rodzaj=final", data=data, follow_redirects=False)


def test_a_small_grants_report_from_the_list_to_the_desk(contracted, tmp_path):
    url, code, c = contracted
    listed = c.get("/portal/sprawozdania").text
    assert "WSO.526.1.2026" in listed and f'href="/portal/sprawozdania/{code}/1/nowe?rodzaj=final"' in listed
    assert "rodzaj=partial" not in listed  # one report on the whole task
    page = c.get(f"/portal/sprawozdania/{code}/1/nowe?rodzaj=partial")  # asked for a partial one: still final
    assert page.status_code == 200 and "Dz.U. 2018 poz. 2055" in page.text
    assert 'name="header.kind"' not in page.text and 'name="narrative.task_done"' in page.text
    assert re.search(r'<input id="f-funding-planned_grant"[^>]*value="9000.00"', page.text)
    assert re.search(r'<input id="f-header-contract_date"[^>]*value="2026-04-17"', page.text)
    english = c.get(f"/portal/sprawozdania/{code}/1/nowe?lang=en").text
    assert "II. Statement of costs" in english and "simplified form" in english
    c.get("/portal/sprawozdania?lang=pl")  # the language is kept: back to Polish

    fields = flatten(sample_simplified_report())
    fields.pop("header.kind")
    before = dump(url)
    wrong = post(c, code, page, {**fields, "expenses.1.spent_total": "5000.00", "expenses.1.spent_grant": "3500.00",
                                 "funding.spent_total": "11000.00", "funding.spent_grant": "9500.00"})
    assert wrong.status_code == 422 and "grant_spent_above_awarded" in wrong.text and "9 500,00" in wrong.text
    assert 'value="9500.00"' in wrong.text  # kept as typed
    broken = post(c, code, page, {**fields, "funding.spent_other_financial": "1001.00"})
    assert broken.status_code == 422 and "funding" in broken.text
    assert dump(url) == before  # refusals write nothing

    filed = post(c, code, page, fields)
    assert filed.status_code == 303, filed.text
    location = filed.headers["location"]
    assert location == f"/portal/sprawozdania/{code}/1/1/pokwitowanie?zlozono=1"
    assert post(c, code, page, fields).headers["location"] == location  # the same button again: filed once
    receipt = c.get(location).text
    assert f"{code}/1-S1" in receipt and "WSO.526.1.2026" in receipt
    sha = re.search(r'<dd class="hash">([0-9a-f]{64})</dd>', receipt).group(1)
    content = c.get(f"/portal/sprawozdania/{code}/1/1/tresc.json")
    assert hashlib.sha256(content.content).hexdigest() == sha
    pdf = c.get(f"/portal/sprawozdania/{code}/1/1/pokwitowanie.pdf")
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"{code}/1-S1" in text and sha in text and "Wynajem rowerów i kasków" in text and "UPROSZCZONE" in text
    relisted = c.get("/portal/sprawozdania").text
    assert f"{code}/1-S1" in relisted and "rodzaj=final" not in relisted  # filed: no second report offered

    other = log_in(url, "podworko")
    assert other.get(location).status_code == 403
    assert other.get(f"/portal/sprawozdania/{code}/1/nowe").status_code == 403

    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = log_in(url, "anna", "/logowanie")
    assert f"/sprawy/{code}/oferty/1/sprawozdania" in desk.get(f"/sprawy/{code}").text
    read = desk.get(f"/sprawy/{code}/oferty/1/sprawozdania")
    assert read.status_code == 200 and sha in read.text and "Wynajem rowerów i kasków" in read.text
    assert f'href="/sprawy/{code}/oferty/1"' not in read.text  # an officer's paper offer: no offer page to link
    assert desk.get(f"/sprawy/{code}/oferty/1/sprawozdania/1/pdf").content.startswith(b"%PDF")
