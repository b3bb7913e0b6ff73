"""A small grant's draft takes an attachment (art. 19a; issue 22) in a real browser (tests/browser.py: the system's
Chromium, axe-core): the representative fills in the simplified offer, attaches the organisation's statute (PDF), is
refused a program renamed .pdf, files the offer with the file, reads the file's hash on the receipt and in its PDF and
downloads it; the officer reads on the desk the offer's terms (the other sources apart from the own contribution)
and downloads the file. Every page is checked against WCAG 2.1 AA (no serious or critical violation) and kept as a
screenshot (tests/output/screenshots/test_portal_small_grant_attachments_browser.*). SQLite: the handlers' rules
run on both databases in tests/test_small_grant_attachments.py."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.offer_forms import sample_simplified_offer_form
from tests.portal_pages import checked, downloaded_pdf_text, fill_form, flatten, officer_desk, portal_log_in
from tests.test_offer_attachments import PROGRAM, STATUTE
from tests.test_portal_small_grant_browser import TASK, portal  # noqa: F401 (fixture)
from tests.test_small_grant import KRS

pytestmark = pytest.mark.browser


def test_a_statute_is_attached_to_the_small_grant_draft_and_filed_with_the_offer(portal, new_context,  # noqa: F811
                                                                                 screenshot, tmp_path):
    base, url = portal
    statute = tmp_path / "Statut stowarzyszenia.pdf"
    statute.write_bytes(STATUTE)
    program = tmp_path / "umowa partnerska.pdf"  # a Windows program renamed .pdf
    program.write_bytes(PROGRAM)
    sha = hashlib.sha256(STATUTE).hexdigest()

    page = new_context().new_page()
    portal_log_in(page, base, "rowery", "/portal/zloz")
    page.goto(f"{base}/portal/pozakonkursowa?organizacja={KRS}")
    form = sample_simplified_offer_form(KRS, **TASK, requested_grant="9500.00")
    fill_form(page, flatten(form))
    attachments = page.get_by_role("group", name="Załączniki")
    rules = attachments.inner_text()
    assert "Tylko pliki PDF, PNG, JPEG" in rules and "najwyżej 5 MB" in rules and "o które może poprosić urząd" in rules
    page.select_option("#attachment-kind", "statute")
    page.set_input_files("#attachment-file", str(statute))
    page.get_by_role("button", name="Dołącz plik").click()
    page.wait_for_load_state()
    assert "Dołączono do szkicu: „Statut stowarzyszenia.pdf”" in page.get_by_role("status").first.inner_text()
    assert sha in attachments.inner_text()
    assert page.input_value('[name="basic.title"]') == TASK["title"]  # the typed form kept (and saved)
    checked(page, screenshot, "attached")
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone the file's name and hash wrap
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    page.select_option("#attachment-kind", "partnership_agreement")
    page.set_input_files("#attachment-file", str(program))
    page.get_by_role("button", name="Dołącz plik").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").inner_text()
    assert "„umowa partnerska.pdf” nie jest plikiem PDF, PNG, JPEG (sprawdzono jego treść, nie nazwę)" in alert
    assert "umowa partnerska.pdf" not in attachments.inner_text()  # nothing attached
    checked(page, screenshot, "refused-type")

    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_url("**/portal/oferty/MG/2026/001/1/pokwitowanie?wersja=1&zlozono=1")
    filed = page.locator("section.attachments")
    assert "Statut stowarzyszenia.pdf" in filed.inner_text() and sha in filed.inner_text()
    checked(page, screenshot, "receipt")
    with page.expect_download() as download:
        filed.get_by_role("link", name="Statut stowarzyszenia.pdf").click()
    saved = tmp_path / "pobrany.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == STATUTE
    text = downloaded_pdf_text(page, "Pobierz potwierdzenie (PDF)", tmp_path / "receipt.pdf")
    assert "UPROSZCZONA OFERTA" in text and sha[:20] in re.sub(r"\s+", "", text)

    desk = officer_desk(new_context, base, url)
    desk.goto(f"{base}/sprawy/MG/2026/001")
    facts = desk.locator("main").inner_text()
    assert "Inne źródła (część IV uproszczonej oferty)" in facts and "1 900,00 zł" in facts
    checked(desk, screenshot, "desk-case")
    desk.goto(f"{base}/sprawy/MG/2026/001/oferty/1")
    terms = desk.locator("section", has=desk.locator("#terms-heading")).inner_text()
    assert "Wkład własny" in terms and "1 900,00 zł" in terms
    listed = desk.locator("section.attachments")
    assert sha in listed.inner_text()
    checked(desk, screenshot, "desk-offer")
    with desk.expect_download() as on_desk:
        listed.get_by_role("link", name="Statut stowarzyszenia.pdf").click()
    desk_copy = tmp_path / "na-biurku.pdf"
    on_desk.value.save_as(desk_copy)
    assert desk_copy.read_bytes() == STATUTE
