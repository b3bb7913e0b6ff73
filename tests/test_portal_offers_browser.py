"""The portal's offer pages in a real browser (tests/browser.py: the system's Chromium, axe-core): a representative
logs in, finds the open call, fills in the model form (rows added with the "add a row" button, no JavaScript),
sees a broken sum refused beside its cost line with everything typed kept, files the offer, reads the receipt and
downloads its PDF (its text checked with pdftotext); a joint offer of two organisations; and a correction asked by
the office answered on the same form as version 2. Every page is checked against WCAG 2.1 AA (no serious or
critical violation) and kept as a screenshot (tests/output/screenshots/test_portal_offers_browser.*). SQLite: the
pages are the same on PostgreSQL (tests/test_portal_offers.py)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import empty_tables
from tests.offer_forms import sample_joint_offer_form, sample_offer_form
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
from tests.test_open_call_guards import KRS, announced_call, close_offers, do
from web.app import create_app

pytestmark = pytest.mark.browser

AT = "2026-01-12T10:00+01:00"


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    portal_environment(monkeypatch, tmp_path, AT)
    empty_tables(sqlite_url)
    code = announced_call(sqlite_url, orgs=3)
    with_password(sqlite_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    server = live_server(create_app(sqlite_url))
    return server.url, code, sqlite_url


def log_in(page, base: str) -> None:
    portal_log_in(page, base, "delfin", "/portal/nabory")


def test_a_representative_files_an_offer_from_login_to_receipt_and_pdf(portal, new_context, screenshot, tmp_path):
    base, code, url = portal
    page = new_context().new_page()
    log_in(page, base)
    assert page.get_by_role("heading", level=1).inner_text() == "Otwarte konkursy przyjmujące oferty"
    assert code in page.locator("table.calls").inner_text()
    checked(page, screenshot, "calls")

    page.get_by_role("link", name="Przygotuj ofertę").click()
    page.wait_for_url(f"**/portal/oferty/nowa/{code}?organizacja={KRS[0]}")
    assert page.input_value('[name="offerors.0.name"]') == "Organizacja 1"  # from the registry
    # VII: each declaration's full wording beside its box; 3) and 4) a choice of the annex's two, none chosen
    assert "proponowane zadanie publiczne będzie realizowane wyłącznie w zakresie działalności pożytku publicznego" \
        in page.locator("#f-declarations-public_benefit_scope-hint").inner_text()
    owes = page.get_by_label("oferent / oferenci składający niniejszą ofertę zalega(-ją) z opłacaniem należności z "
                             "tytułu zobowiązań podatkowych", exact=True)
    assert owes.count() == 1 and not owes.is_checked()
    assert page.locator('[name="declarations.no_tax_arrears"]:checked').count() == 0
    for heading in ("III.3 Syntetyczny opis zadania", "III.5 Opis zakładanych rezultatów realizacji zadania publicznego",
                    "V. Kalkulacja przewidywanych kosztów realizacji zadania publicznego"):
        assert page.get_by_role("group", name=heading, exact=True).count() == 1, heading
    checked(page, screenshot, "form-new")

    form = sample_offer_form(KRS[0])
    form["declarations"]["no_tax_arrears"] = False  # „zalega(-ją)”: an offer may state arrears
    values = flatten(form)
    wrong = dict(values, **{"costs.0.total": "1.00"})
    fill_form(page, wrong)
    page.get_by_role("button", name="Zapisz szkic").click()
    assert "Szkic zapisany" in page.get_by_role("status").first.inner_text()
    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "Oferta nie została jeszcze złożona" in alert.inner_text()
    row_error = page.locator("#f-costs-0-error")
    assert "V.A: wartość 1,00 PLN nie jest równa iloczynowi" in row_error.inner_text()
    assert page.input_value('[name="costs.0.total"]') == "1.00"  # what was typed stays
    assert page.input_value('[name="task.title"]') == form["task"]["title"]
    assert owes.is_checked()  # the choice kept as made
    from tests.browser import assert_accessible

    assert_accessible(page)
    shot = screenshot(page, "form-refused")
    page.locator("#f-declarations").screenshot(path=str(shot.with_name(shot.stem + "-declarations.png")))

    page.fill('[name="costs.0.total"]', values["costs.0.total"])
    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_url("**/pokwitowanie?wersja=1&zlozono=1")
    receipt = page.locator("dl.receipt").inner_text()
    number = f"{code}/1-1"
    assert number in receipt and "2026-01-12 10:00 (+01:00)" in receipt and "Anna Nowak" not in receipt.split(
        "SHA-256")[1]
    sha = page.locator("dd.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    assert "sha256sum" in page.locator("pre.verify").inner_text()
    checked(page, screenshot, "receipt")

    text = downloaded_pdf_text(page, "Pobierz potwierdzenie (PDF)", tmp_path / "receipt.pdf")
    assert number in text and sha in text and form["task"]["title"] in text
    flat = " ".join(text.split())
    assert ("3) oferent / oferenci składający niniejszą ofertę zalega(-ją) z opłacaniem należności z tytułu "
            "zobowiązań podatkowych") in flat

    page.get_by_role("link", name="Moje oferty").first.click()
    page.wait_for_url("**/portal/oferty")
    assert number in page.locator("table.offers").inner_text()
    checked(page, screenshot, "my-offers")

    # the officer reads on the desk what was filed: the case page's link, the sections, the receipt's hash
    desk = officer_desk(new_context, base, url)
    desk.goto(f"{base}/sprawy/{code}")
    desk.get_by_role("link", name=re.compile("Treść oferty")).first.click()
    desk.wait_for_url(f"**/sprawy/{code}/oferty/1")
    assert sha in desk.locator("dl.receipt").inner_text() and form["task"]["title"] in desk.locator("main").inner_text()
    assert ("oferent / oferenci składający niniejszą ofertę zalega(-ją) z opłacaniem należności z tytułu zobowiązań "
            "podatkowych") in desk.locator("main").inner_text()  # the committee sees the arrears stated
    checked(desk, screenshot, "desk-offer")


def test_a_joint_offer_of_two_organisations(portal, new_context, screenshot):
    base, code, url = portal
    page = new_context().new_page()
    log_in(page, base)
    page.goto(f"{base}/portal/oferty/nowa/{code}?organizacja={KRS[0]}")
    form = sample_joint_offer_form(KRS[0], KRS[1])
    fill_form(page, flatten(form))
    assert page.locator('fieldset#f-offerors-1 legend').first.inner_text().startswith("II. Dane oferenta(-tów): wiersz 2")
    checked(page, screenshot, "joint-form")
    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_url("**/pokwitowanie?wersja=1&zlozono=1")
    assert f"{code}/1-1" in page.locator("dl.receipt").inner_text()
    checked(page, screenshot, "joint-receipt")


def test_a_correction_asked_by_the_office_is_answered_as_version_2(portal, new_context, screenshot, monkeypatch):
    from states.procedures.open_call import handlers as oc
    from states.procedures.open_call import inputs as oc_inputs

    base, code, url = portal
    page = new_context().new_page()
    log_in(page, base)
    page.goto(f"{base}/portal/oferty/nowa/{code}?organizacja={KRS[0]}")
    form = sample_offer_form(KRS[0])
    fill_form(page, flatten(form))
    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_url("**/pokwitowanie?wersja=1&zlozono=1")

    close_offers(url)
    do(url, oc.review_offer, oc_inputs.ReviewOffer(code=code, number=1, decision="correct",
                                                   defects=("brak opisu rezultatów (III.6)",)),
       "2026-01-26T10:00+01:00")
    monkeypatch.setenv("COOP_NOW", "2026-01-28T10:00+01:00")
    page.goto(f"{base}/portal/oferty")
    asked = page.locator(".correction-asked").first
    assert "brak opisu rezultatów (III.6)" in asked.inner_text() and "2026-02-02" in asked.inner_text()
    checked(page, screenshot, "correction-asked")
    asked.get_by_role("link").click()
    page.wait_for_url(f"**/portal/oferty/{code}/1/korekta")
    assert page.input_value('[name="task.title"]') == form["task"]["title"]  # the last version, prefilled
    page.fill('[name="task.results.0.monitoring"]', "listy obecności i protokoły zajęć")
    checked(page, screenshot, "correction-form")
    page.get_by_role("button", name="Złóż poprawioną ofertę").click()
    page.wait_for_url("**/pokwitowanie?wersja=2&zlozono=1")
    assert f"{code}/1-2" in page.locator("dl.receipt").inner_text()
    assert "to wersja 2 oferty" in page.get_by_role("status").first.inner_text()
    checked(page, screenshot, "correction-receipt")
    page.goto(f"{base}/portal/oferty")
    versions = page.locator("ul.versions").inner_text()
    assert f"{code}/1-1" in versions and f"{code}/1-2" in versions
    assert page.locator(".correction-asked").count() == 0


def test_the_form_on_a_phone(portal, new_context, screenshot):
    """390 px wide: nothing wider than the screen (no sideways scrolling), every page still WCAG 2.1 AA."""
    base, code, url = portal
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, base)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls in its region
    checked(page, screenshot, "phone-calls")
    page.goto(f"{base}/portal/oferty/nowa/{code}?organizacja={KRS[0]}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    checked(page, screenshot, "phone-form")
    fill_form(page, flatten(sample_offer_form(KRS[0])))
    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_url("**/pokwitowanie?wersja=1&zlozono=1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the hash and the commands wrap
    checked(page, screenshot, "phone-receipt")
    page.goto(f"{base}/portal/oferty")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    checked(page, screenshot, "phone-my-offers")
