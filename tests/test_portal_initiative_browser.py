"""The portal's local-initiative pages in a real browser (tests/browser.py: the system's Chromium, axe-core): a
resident with no organisation logs in, opens "Inicjatywa lokalna", fills in the application for a group of residents
(members and cost lines added with the "add a row" button, no JavaScript), is refused a wrong sum beside the budget
with the rule named and everything typed kept, fixes it, files, reads the receipt and downloads its PDF (its text
checked with pdftotext); the officer reads on the desk what was filed. Every page is checked against WCAG 2.1 AA
(no serious or critical violation) and kept as a screenshot (tests/output/screenshots/
test_portal_initiative_browser.*). SQLite: the pages are the same on PostgreSQL (tests/test_portal_initiative.py)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import empty_tables
from tests.initiative_forms import sample_initiative_form
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
from tests.test_open_call_guards import register
from web.app import create_app

pytestmark = pytest.mark.browser

AT = "2026-03-02T10:00+01:00"


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    portal_environment(monkeypatch, tmp_path, AT)
    empty_tables(sqlite_url)
    register(sqlite_url, 1)
    with_password(sqlite_url, "krysia", "Krystyna Nowak")  # a resident: no organisation, no grant
    server = live_server(create_app(sqlite_url))
    return server.url, sqlite_url


def test_a_resident_files_an_application_for_a_group_of_residents(portal, new_context, screenshot, tmp_path):
    base, url = portal
    page = new_context().new_page()
    portal_log_in(page, base, "krysia", "/portal/inicjatywa")
    assert page.get_by_role("heading", level=1).inner_text() == "Inicjatywa lokalna"
    assert "Nie złożono jeszcze żadnego wniosku" in page.locator("main").inner_text()
    checked(page, screenshot, "start")

    page.get_by_role("link", name="Złóż wniosek jako grupa mieszkańców").click()
    page.wait_for_url("**/portal/inicjatywa/nowa")
    assert page.input_value('[name="applicant.members.0.name"]') == "Krystyna Nowak"  # the person, prefilled
    assert page.input_value('[name="work.hour_value"]') == "35.00"  # the council resolution's rate
    assert page.locator('[name="applicant.kind"]').input_value() == "residents"
    checked(page, screenshot, "form-new")

    form = sample_initiative_form()
    values = flatten(form)
    wrong = dict(values, **{"budget.total": "28000.00"})
    fill_form(page, wrong)  # the members and cost lines beyond the first: the "add a row" button
    assert page.input_value('[name="applicant.members.2.name"]') == "Ewa Maj"
    page.get_by_role("button", name="Złóż wniosek").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "Wniosek nie został jeszcze złożony" in alert.inner_text()
    budget_error = page.locator("#f-budget-error")
    assert "7: szacunkowy koszt 28 000,00" in budget_error.inner_text()
    assert "(art. 19e)" in budget_error.inner_text()  # the rule's basis
    assert page.input_value('[name="budget.total"]') == "28000.00"  # what was typed stays
    assert page.input_value('[name="task.title"]') == form["task"]["title"]
    checked(page, screenshot, "form-refused")

    page.fill('[name="budget.total"]', values["budget.total"])
    page.get_by_role("button", name="Złóż wniosek").click()
    page.wait_for_url("**/pokwitowanie?wersja=1&zlozono=1")
    receipt = page.locator("dl.receipt").inner_text()
    code = re.search(r"IL/\d{4}/\d{3}", receipt).group(0)
    number = f"{code}-1"
    assert number in receipt and "2026-03-02 10:00 (+01:00)" in receipt and "Krystyna Nowak" in receipt  # by name, not login
    sha = page.locator("dd.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    assert "Mieszkańcy ul. Kurpińskiego" in page.locator("section.filed-content").inner_text()
    checked(page, screenshot, "receipt")

    text = " ".join(downloaded_pdf_text(page, "Pobierz potwierdzenie (PDF)", tmp_path / "receipt.pdf").split())
    assert "WNIOSEK O REALIZACJĘ ZADANIA PUBLICZNEGO W RAMACH INICJATYWY LOKALNEJ" in text
    assert number in text and sha in text and form["task"]["title"] in text

    page.get_by_role("link", name="Moje wnioski").click()
    page.wait_for_url("**/portal/inicjatywa")
    assert number in page.locator("table.offers").inner_text()
    checked(page, screenshot, "my-applications")

    # the officer reads on the desk what was filed: the case page's link, the parts, the receipt's hash
    desk = officer_desk(new_context, base, url)
    desk.goto(f"{base}/sprawy/{code}")
    desk.get_by_role("link", name="Treść wniosku").click()
    desk.wait_for_url(f"**/sprawy/{code}/wniosek")
    assert sha in desk.locator("dl.receipt").inner_text() and form["task"]["title"] in desk.locator("main").inner_text()
    checked(desk, screenshot, "desk-application")


def test_the_form_on_a_phone(portal, new_context, screenshot):
    """390 px wide: nothing wider than the screen, the pages still WCAG 2.1 AA."""
    base, url = portal
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    portal_log_in(page, base, "krysia", "/portal/inicjatywa/nowa")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    checked(page, screenshot, "phone-form")
