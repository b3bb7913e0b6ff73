"""Attachments to an offer in a real browser (tests/browser.py: the system's Chromium, axe-core): a representative
attaches the organisation's statute (PDF) to the draft, is refused a program renamed .pdf and a file over 5 MB with
the rule named (everything typed kept), files the offer, sees the statute with its SHA-256 on the receipt, downloads
it and the receipt's PDF (read with pdftotext: the attachment's hash listed); the officer downloads it on the desk.
Every page is checked against WCAG 2.1 AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_portal_attachments_browser.*)."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.offer_forms import sample_offer_form
from tests.portal_pages import checked, fill_form, flatten, officer_desk, pdf_text
from tests.test_offer_attachments import PROGRAM, STATUTE
from tests.test_open_call_guards import KRS
from tests.test_portal_offers_browser import log_in, portal  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def test_a_statute_is_attached_refusals_named_filed_and_downloaded(portal, new_context, screenshot,  # noqa: F811
                                                                   tmp_path):
    base, code, url = portal
    statute = tmp_path / "Statut stowarzyszenia.pdf"
    statute.write_bytes(STATUTE)
    program = tmp_path / "umowa partnerska.pdf"  # a Windows program renamed .pdf
    program.write_bytes(PROGRAM)
    big = tmp_path / "skan statutu.pdf"
    big.write_bytes(STATUTE + b"0" * (5 * 1024 * 1024))  # a real PDF's start, 5 MB and more
    sha = hashlib.sha256(STATUTE).hexdigest()

    page = new_context().new_page()
    log_in(page, base)
    page.goto(f"{base}/portal/oferty/nowa/{code}?organizacja={KRS[0]}")
    form = sample_offer_form(KRS[0])
    fill_form(page, flatten(form))
    attachments = page.get_by_role("group", name="Załączniki")
    assert "Tylko pliki PDF, PNG, JPEG" in attachments.inner_text()
    page.select_option("#attachment-kind", "statute")
    page.set_input_files("#attachment-file", str(statute))
    page.get_by_role("button", name="Dołącz plik").click()
    page.wait_for_load_state()
    assert "Dołączono do szkicu: „Statut stowarzyszenia.pdf”" in page.get_by_role("status").first.inner_text()
    assert sha in attachments.inner_text()
    assert page.input_value('[name="task.title"]') == form["task"]["title"]  # the typed form kept (and saved)
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
    assert page.input_value('[name="task.title"]') == form["task"]["title"]
    checked(page, screenshot, "refused-type")

    page.set_input_files("#attachment-file", str(big))
    page.get_by_role("button", name="Dołącz plik").click()
    page.wait_for_load_state()
    assert "załącznik oferty może mieć najwyżej 5 MB" in page.get_by_role("alert").inner_text()
    assert attachments.locator("ul.attachment-list li").count() == 1
    checked(page, screenshot, "refused-size")

    page.get_by_role("button", name="Złóż ofertę").click()
    page.wait_for_url("**/pokwitowanie?wersja=1&zlozono=1")
    filed = page.locator("section.attachments")
    assert "Statut stowarzyszenia.pdf" in filed.inner_text() and sha in filed.inner_text()
    checked(page, screenshot, "receipt")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download:
        filed.get_by_role("link", name="Statut stowarzyszenia.pdf").click()
    saved = tmp_path / "pobrany.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == STATUTE and download.value.suggested_filename == "Statut stowarzyszenia.pdf"
    with page.expect_download() as receipt_pdf:
        page.get_by_role("link", name="Pobierz potwierdzenie (PDF)").click()
    pdf = tmp_path / "receipt.pdf"
    receipt_pdf.value.save_as(pdf)
    text = pdf_text(pdf)
    assert "Załączniki" in text and "statut" in text and sha[:20] in re.sub(r"\s+", "", text)

    desk = officer_desk(new_context, base, url)
    desk.goto(f"{base}/sprawy/{code}/oferty/1")
    listed = desk.locator("section.attachments")
    assert sha in listed.inner_text()
    checked(desk, screenshot, "desk-offer")
    with desk.expect_download() as on_desk:
        listed.get_by_role("link", name="Statut stowarzyszenia.pdf").click()
    desk_copy = tmp_path / "na-biurku.pdf"
    on_desk.value.save_as(desk_copy)
    assert desk_copy.read_bytes() == STATUTE
