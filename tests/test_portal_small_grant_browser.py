"""The portal's small-grant offer (art. 19a; web/portal_small_grant.py) in a real browser (tests/browser.py: the
system's Chromium, axe-core): a representative logs in, chooses "small grant" among what it may file, fills in the
simplified offer of art. 19a (Dz.U. 2018 poz. 2055 zał. 1, not the open call's form), sees a grant above the statutory limit refused with its basis and everything typed kept, files
the offer, reads the receipt and downloads its PDF (its text checked with pdftotext), finds it under "My offers";
the officer reads what was filed from the new case's page. Every page is checked against WCAG 2.1 AA (no serious
or critical violation) and kept as a screenshot (tests/output/screenshots/test_portal_small_grant_browser.*).
SQLite: the handler's rules run on both databases in tests/test_small_grant_form.py."""

from __future__ import annotations

import re

import pytest

from tests.conftest import empty_tables
from tests.offer_forms import sample_simplified_offer_form
from tests.portal_pages import (
    checked,
    downloaded_pdf_text,
    fill_form,
    flatten,
    officer_desk,
    portal_environment,
    portal_log_in,
)
from tests.test_desk import with_password
from tests.test_small_grant import KRS, setup_registry
from web.app import create_app

pytestmark = pytest.mark.browser

AT = "2026-04-01T10:00+02:00"
TASK = {"task_start": "2026-05-01", "task_end": "2026-07-16", "title": "Rajd rowerowy „Poznaj Leszno”"}


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    portal_environment(monkeypatch, tmp_path, AT)
    empty_tables(sqlite_url)
    setup_registry(sqlite_url)  # two organisations, the 2026 budget's planned NGO grants
    with_password(sqlite_url, "rowery", "Anna Nowak", ("applicant", KRS))
    server = live_server(create_app(sqlite_url))
    return server.url, sqlite_url


def test_a_representative_files_a_small_grant_offer_from_login_to_receipt_and_pdf(portal, new_context, screenshot,
                                                                                  tmp_path):
    base, url = portal
    page = new_context().new_page()
    portal_log_in(page, base, "rowery", "/portal/zloz")
    assert page.get_by_role("heading", level=1).inner_text() == "Złożenie oferty"
    choice = page.locator("section.small-grant-choice").inner_text()
    assert "art. 19a" in choice and "10 000,00 zł" in choice and "90 dni" in choice
    checked(page, screenshot, "choice")

    page.get_by_role("link", name="Przygotuj ofertę w trybie pozakonkursowym").click()
    page.wait_for_url(f"**/portal/pozakonkursowa?organizacja={KRS}")
    assert page.input_value('[name="offerors.0.name"]') == "Stowarzyszenie Leszczyńskie Rowery"  # the registry's
    assert "poz. 2055" in page.locator("dl.call-facts").inner_text()
    # the simplified form's fields with the model's constraints; none of the full form's plan of activities
    grant = page.locator('[name="cost_summary.grant"]')
    assert grant.get_attribute("min") == "0.01" and grant.get_attribute("required") is not None
    assert page.locator('[name="basic.title"]').count() == 1 and page.locator('[name^="task.activities"]').count() == 0
    checked(page, screenshot, "form-new")

    # a grant above the small-grant limit: the form's sums hold, the engine refuses it with its basis
    too_much = sample_simplified_offer_form(KRS, **TASK, requested_grant="12000.00")
    fill_form(page, flatten(too_much))
    page.get_by_role("button", name="Zapisz szkic").click()
    assert "Szkic zapisany" in page.get_by_role("status").first.inner_text()
    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").inner_text()
    assert "art. 19a ust. 1 pkt 1" in alert and "12 000,00" in alert, alert
    assert page.input_value('[name="cost_summary.grant"]') == "12000.00"  # what was typed stays
    checked(page, screenshot, "form-refused")

    form = sample_simplified_offer_form(KRS, **TASK, requested_grant="9500.00")
    fill_form(page, flatten(form))
    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_url("**/portal/oferty/MG/2026/001/1/pokwitowanie?wersja=1&zlozono=1")
    receipt = page.locator("dl.receipt").inner_text()
    number = "MG/2026/001/1-1"
    assert number in receipt and "2026-04-01 10:00 (+02:00)" in receipt and "art. 19a" in receipt
    sha = page.locator("dd.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    checked(page, screenshot, "receipt")

    text = downloaded_pdf_text(page, "Pobierz potwierdzenie (PDF)", tmp_path / "receipt.pdf")
    assert number in text and sha in text and TASK["title"] in text
    assert "UPROSZCZONA OFERTA REALIZACJI ZADANIA PUBLICZNEGO" in text and "poz. 2055" in text
    assert "IV. Szacunkowa kalkulacja kosztów realizacji zadania publicznego" in text

    page.get_by_role("link", name="Moje oferty").first.click()
    page.wait_for_url("**/portal/oferty")
    offers = page.locator("table.offers").inner_text()
    assert number in offers and "tryb pozakonkursowy" in offers and "Drafts" not in page.content()
    checked(page, screenshot, "my-offers")

    # the officer reads on the desk what was filed: the new case's page links the offer's content
    desk = officer_desk(new_context, base, url)
    desk.goto(f"{base}/sprawy/MG/2026/001")
    checked(desk, screenshot, "desk-case")
    desk.get_by_role("link", name=re.compile("Treść oferty")).first.click()
    desk.wait_for_url("**/sprawy/MG/2026/001/oferty/1")
    main = desk.locator("main").inner_text()
    assert sha in desk.locator("dl.receipt").inner_text() and TASK["title"] in main
    assert "iv. suma wszystkich kosztów" in main.lower() and "11400.00" in main, main  # section IV
    checked(desk, screenshot, "desk-offer")


def test_another_organisations_page_is_refused(portal, new_context):
    base, url = portal
    page = new_context().new_page()
    portal_log_in(page, base, "rowery", "/portal/zloz")
    response = page.goto(f"{base}/portal/pozakonkursowa?organizacja=0000200002")
    assert response.status == 403
    assert "Nie reprezentujesz tej organizacji" in page.locator("main").inner_text()
