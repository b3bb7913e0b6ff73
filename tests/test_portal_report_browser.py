"""The portal's report pages in a real browser (tests/browser.py: the system's Chromium, axe-core): the
representative of an organisation whose offer is under contract logs in, opens "Reports", opens the final report's
form (prefilled from the contract), fills it in (rows added with the "add a row" button, no JavaScript), is refused
on a grant spent above the grant awarded with the rule named, corrects it, files the report, reads the receipt and
downloads its PDF (its text checked with pdftotext); the officer reads it on the desk. Every page is checked
against WCAG 2.1 AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_portal_report_browser.*). SQLite: the pages are the same on PostgreSQL
(tests/test_portal_reports.py)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import empty_tables
from tests.portal_pages import checked, fill_form, flatten, pdf_text, portal_log_in
from tests.report_forms import sample_report_form
from tests.test_desk import with_password
from tests.test_open_call_guards import KRS, contract_cmd, do, published_results
from web.app import create_app

pytestmark = pytest.mark.browser

FILED_AT = "2026-07-20T10:00+02:00"


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    from states.procedures.open_call import handlers as oc

    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    empty_tables(sqlite_url)
    code = published_results(sqlite_url)
    do(sqlite_url, oc.sign_contract, contract_cmd(code, 1, "40000.00", "2026-07-16"), "2026-03-02T10:00+01:00")
    with_password(sqlite_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    monkeypatch.setenv("COOP_NOW", FILED_AT)
    server = live_server(create_app(sqlite_url))
    return server.url, code, sqlite_url


def test_a_final_report_filed_from_login_to_receipt_and_pdf(portal, new_context, screenshot, tmp_path):
    base, code, url = portal
    page = new_context().new_page()
    portal_log_in(page, base, "delfin", "/portal/sprawozdania")
    assert page.get_by_role("heading", level=1).inner_text() == "Sprawozdania"
    assert "WZ.526.1.2026" in page.locator("table.reports").inner_text()
    checked(page, screenshot, "reports")

    page.get_by_role("link", name="Złóż sprawozdanie końcowe z oferty 1").click()
    page.wait_for_url(f"**/portal/sprawozdania/{code}/1/nowe?rodzaj=final")
    assert page.input_value('[name="header.contract_number"]') == "WZ.526.1.2026"  # from the contract
    assert page.input_value('[name="funding.planned_grant"]') == "40000.00"
    checked(page, screenshot, "form-new")

    values = flatten(sample_report_form())
    # the grant spent above the grant awarded, the form's own sums kept right: the engine's rule against the contract
    wrong = dict(values, **{"expenses.0.spent_total": "30500.00", "expenses.0.spent_grant": "30500.00",
                            "funding.spent_total": "46500.00", "funding.spent_grant": "40500.00"})
    fill_form(page, wrong)
    page.get_by_role("button", name="Złóż sprawozdanie").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "więcej niż dotacja przyznana umową" in alert.inner_text(), alert.inner_text()
    assert "grant_spent_above_awarded" in alert.inner_text()
    assert page.input_value('[name="funding.spent_grant"]') == "40500.00"  # what was typed stays
    checked(page, screenshot, "form-refused")

    for name in ("expenses.0.spent_total", "expenses.0.spent_grant", "funding.spent_total", "funding.spent_grant"):
        page.fill(f'[name="{name}"]', values[name])
    page.get_by_role("button", name="Złóż sprawozdanie").click()
    page.wait_for_url("**/pokwitowanie?zlozono=1")
    receipt = page.locator("dl.receipt").inner_text()
    number = f"{code}/1-S1"
    assert number in receipt and "2026-07-20 10:00 (+02:00)" in receipt and "końcowe" in receipt
    sha = page.locator("dd.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    checked(page, screenshot, "receipt")

    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz sprawozdanie (PDF)").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    text = pdf_text(pdf)
    assert number in text and sha in text and "Zajęcia na basenie" in text and "Obsługa księgowa" in text
    assert "40 000,00" in text and "Część II. Sprawozdanie z wykonania wydatków" in text

    page.get_by_role("link", name="Sprawozdania").first.click()
    page.wait_for_url("**/portal/sprawozdania")
    assert number in page.locator("table.reports").inner_text()
    checked(page, screenshot, "reports-filed")

    # the officer reads on the desk what was filed: the case page's link, the parts, the receipt's hash
    from tests.test_desk_browser import log_in as desk_log_in

    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = new_context().new_page()
    desk_log_in(desk, base, "anna")
    desk.wait_for_url("**/na-dzis")
    desk.goto(f"{base}/sprawy/{code}")
    desk.get_by_role("link", name=re.compile("Sprawozdania")).first.click()
    desk.wait_for_url(f"**/sprawy/{code}/oferty/1/sprawozdania")
    main = desk.locator("main").inner_text()
    assert sha in main and "Zajęcia na basenie" in main
    checked(desk, screenshot, "desk-reports")
