"""A local initiative's report in a real browser (tests/browser.py: the system's Chromium, axe-core): Krystyna, who
filed the garden's application through the portal, logs in after the task's end, finds "File the report" under
"Local initiative", opens the form (prefilled from the agreement), is refused a period outside the agreement's with
the rule and its basis named and everything typed kept, corrects it, files the report, reads the receipt and
downloads its PDF (its text checked with pdftotext); the officer reads it from the case's page on the desk. Every
page is checked against WCAG 2.1 AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_portal_initiative_report_browser.*). SQLite: the pages run on both databases in
tests/test_portal_initiative_reports.py."""

from __future__ import annotations

import re

import pytest

from tests.conftest import empty_tables
from tests.initiative_forms import sample_initiative_report
from tests.portal_pages import (
    checked,
    downloaded_pdf_text,
    fill_form,
    flatten,
    officer_desk,
    portal_environment,
    portal_log_in,
)
from tests.test_portal_initiative_reports import AT, filed_and_agreed
from web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    portal_environment(monkeypatch, tmp_path, AT)
    empty_tables(sqlite_url)
    code, _ = filed_and_agreed(sqlite_url, monkeypatch)  # filed by "krysia"; the report is due
    server = live_server(create_app(sqlite_url))
    return server.url, code, sqlite_url


def test_the_filer_files_the_initiatives_report_and_reads_the_receipt(portal, new_context, screenshot, tmp_path):
    base, code, url = portal
    page = new_context().new_page()
    portal_log_in(page, base, "krysia", "/portal/inicjatywa")
    checked(page, screenshot, "list")
    page.get_by_role("link", name=f"Złóż sprawozdanie z {code}").click()
    page.wait_for_url(f"**/portal/inicjatywa/sprawozdanie/{code}/nowe")
    assert page.input_value('[name="header.period_end"]') == "2026-06-04"  # the agreement's
    assert page.input_value('[name="header.contract_number"]') == "WSO.IL.1.2026"
    assert page.locator('[name="funding.spent_grant"]').count() == 0  # no grant: nothing to account for in money
    checked(page, screenshot, "form-new")

    values = flatten(sample_initiative_report())
    fill_form(page, dict(values, **{"header.period_end": "2026-06-30"}))
    page.get_by_role("button", name="Złóż sprawozdanie").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").inner_text()
    assert "wykracza poza okres umowy" in alert and "report_period_outside_agreement" in alert, alert
    assert "art. 19e (umowa: harmonogram)" in alert
    assert page.input_value('[name="contribution.cash_description"]') == "Tablica informacyjna"  # kept as typed
    checked(page, screenshot, "form-refused")

    page.fill('[name="header.period_end"]', "2026-06-04")
    page.get_by_role("button", name="Złóż sprawozdanie").click()
    page.wait_for_url("**/pokwitowanie?zlozono=1")
    receipt = page.locator("dl.receipt").inner_text()
    number = f"{code}-S1"
    assert number in receipt and "2026-06-20 10:00 (+02:00)" in receipt and "WSO.IL.1.2026" in receipt, receipt
    sha = page.locator("dd.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    assert "Narzędzia od Rady Osiedla" in page.locator("main").inner_text()  # what was filed, shown back
    checked(page, screenshot, "receipt")
    text = downloaded_pdf_text(page, "Pobierz potwierdzenie (PDF)", tmp_path / "report.pdf")
    assert number in text and sha in text and "SPRAWOZDANIE Z REALIZACJI INICJATYWY LOKALNEJ" in text
    assert "Część II. Wkład własny mieszkańców" in text and "Tablica informacyjna" in text

    page.get_by_role("link", name="Inicjatywa lokalna").first.click()
    page.wait_for_url("**/portal/inicjatywa")
    assert page.get_by_role("link", name=number).count() == 1
    assert page.get_by_role("link", name=f"Złóż sprawozdanie z {code}").count() == 0  # filed
    checked(page, screenshot, "list-filed")

    desk = officer_desk(new_context, base, url)
    desk.goto(f"{base}/sprawy/{code}")
    desk.get_by_role("link", name="Sprawozdanie złożone przez wnioskodawców").first.click()
    desk.wait_for_url(f"**/sprawy/{code}/sprawozdanie")
    main = desk.locator("main").inner_text()
    assert sha in main and "Narzędzia od Rady Osiedla" in main and "Ogród otwarty 4 czerwca" in main
    checked(desk, screenshot, "desk-report")
