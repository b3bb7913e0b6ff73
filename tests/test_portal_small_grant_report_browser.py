"""A small grant's report on the simplified form (Dz.U. 2018 poz. 2055 zał. 2) in a real browser (tests/browser.py:
the system's Chromium, axe-core): the representative of the organisation whose small grant is under contract and
whose task has ended logs in, opens "Reports", finds the small grant beside the open calls' offers, opens its final
report's form (the simplified one, prefilled from the contract), is refused on a grant spent above the grant
awarded with the rule named and everything typed kept, corrects it, files the report, reads the receipt and
downloads its PDF (its text checked with pdftotext); the officer reads it from the case's page on the desk. Every
page is checked against WCAG 2.1 AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_portal_small_grant_report_browser.*). SQLite: the handler runs on both databases
in tests/test_small_grant_report_filings.py."""

from __future__ import annotations

import re

import pytest

from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.tick import tick
from tests.conftest import empty_tables
from tests.portal_pages import checked, fill_form, flatten, pdf_text, portal_log_in
from tests.report_forms import sample_simplified_report
from tests.test_desk import with_password
from tests.test_small_grant import KRS, do, file, grant_through, setup_registry
from web.app import create_app

pytestmark = pytest.mark.browser

FILED_AT = "2026-07-20T10:00+02:00"


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    empty_tables(sqlite_url)
    setup_registry(sqlite_url)
    code = file(sqlite_url)["code"]
    grant_through(sqlite_url, code)  # 9 000 PLN, 1 May – 16 July 2026
    do(sqlite_url, small_grant_handlers.sign_contract,
       small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.526.1.2026"), "2026-04-17T10:00+02:00")
    tick("2026-07-17T00:10+02:00", url=sqlite_url)  # the task ended: the report is due
    with_password(sqlite_url, "rowery", "Piotr Rowerowy", ("applicant", KRS))
    monkeypatch.setenv("COOP_NOW", FILED_AT)
    server = live_server(create_app(sqlite_url))
    return server.url, code, sqlite_url


def test_a_small_grants_final_report_filed_on_the_simplified_form(portal, new_context, screenshot, tmp_path):
    base, code, url = portal
    page = new_context().new_page()
    portal_log_in(page, base, "rowery", "/portal/sprawozdania")
    listed = page.locator("table.reports").inner_text()
    assert "WSO.526.1.2026" in listed and code in listed and "art. 19a" in listed, listed
    # a small grant's report is one report on the whole task: no partial report offered
    assert page.get_by_role("link", name=re.compile("sprawozdanie częściowe")).count() == 0
    checked(page, screenshot, "reports")

    page.get_by_role("link", name="Złóż sprawozdanie końcowe z oferty 1").click()
    page.wait_for_url(f"**/portal/sprawozdania/{code}/1/nowe?rodzaj=final")
    main = page.locator("main").inner_text()
    assert "Dz.U. 2018 poz. 2055" in main and "uproszczon" in main, main
    assert page.input_value('[name="header.contract_number"]') == "WSO.526.1.2026"  # from the contract
    assert page.input_value('[name="header.period_end"]') == "2026-07-16"
    assert page.input_value('[name="funding.planned_grant"]') == "9000.00"
    assert page.locator('[name="narrative.activities.0.name"]').count() == 0  # the model report's parts are not here
    checked(page, screenshot, "form-new")

    values = flatten(sample_simplified_report())
    assert values.pop("header.kind") == "final"  # not asked: a small grant's report is final
    assert page.locator('[name="header.kind"]').count() == 0
    assert page.input_value('[name="header.contract_date"]') == "2026-04-17"  # the contract's signing
    # the grant spent above the grant awarded, the form's own sums right: the engine's rule against the contract
    wrong = dict(values, **{"expenses.1.spent_total": "5000.00", "expenses.1.spent_grant": "3500.00",
                            "funding.spent_total": "11000.00", "funding.spent_grant": "9500.00"})
    fill_form(page, wrong)
    page.get_by_role("button", name="Złóż sprawozdanie").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "więcej niż dotacja przyznana umową" in alert.inner_text(), alert.inner_text()
    assert "grant_spent_above_awarded" in alert.inner_text()
    assert page.input_value('[name="funding.spent_grant"]') == "9500.00"  # what was typed stays
    assert page.input_value('[name="narrative.results_achieved"]') == values["narrative.results_achieved"]
    checked(page, screenshot, "form-refused")

    for name in ("expenses.1.spent_total", "expenses.1.spent_grant", "funding.spent_total", "funding.spent_grant"):
        page.fill(f'[name="{name}"]', values[name])
    page.get_by_role("button", name="Złóż sprawozdanie").click()
    page.wait_for_url("**/pokwitowanie?zlozono=1")
    receipt = page.locator("dl.receipt").inner_text()
    number = f"{code}/1-S1"
    assert number in receipt and "2026-07-20 10:00 (+02:00)" in receipt and "WSO.526.1.2026" in receipt, receipt
    sha = page.locator("dd.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    checked(page, screenshot, "receipt")

    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz sprawozdanie (PDF)").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    text = pdf_text(pdf)
    assert number in text and sha in text and "UPROSZCZONE" in text and "Dz.U. 2018 poz. 2055" in text
    assert "Rajd: 140 uczestników" in text and "Wynajem rowerów i kasków" in text and "9 000,00" in text
    assert "Część II. Zestawienie kosztów realizacji zadania" in text

    page.get_by_role("link", name="Sprawozdania").first.click()
    page.wait_for_url("**/portal/sprawozdania")
    assert number in page.locator("table.reports").inner_text()
    assert page.get_by_role("link", name="Złóż sprawozdanie końcowe z oferty 1").count() == 0  # filed
    checked(page, screenshot, "reports-filed")

    # the officer reads on the desk what was filed: from the case's page, part by part, with the receipt's hash
    from tests.test_desk_browser import log_in as desk_log_in

    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = new_context().new_page()
    desk_log_in(desk, base, "anna")
    desk.wait_for_url("**/na-dzis")
    desk.goto(f"{base}/sprawy/{code}")
    desk.get_by_role("link", name=re.compile("uproszczonym")).first.click()
    desk.wait_for_url(f"**/sprawy/{code}/oferty/1/sprawozdania")
    main = desk.locator("main").inner_text()
    assert sha in main and "Rajd: 140 uczestników" in main and "Wynajem rowerów i kasków" in main
    checked(desk, screenshot, "desk-reports")
