"""A local-initiative application saved as a draft, resumed and filed, in a real browser (tests/browser.py: the
system's Chromium, axe-core): a resident starts the application, types part of it and presses "Zapisz szkic"; the
page says the draft is saved; she leaves, finds the draft under "Inicjatywa lokalna" → "Szkice", resumes it with
everything she typed, completes it and files it: the receipt, and no draft left. Every page WCAG 2.1 AA (no serious
or critical violation), kept as a screenshot (tests/output/screenshots/test_portal_initiative_drafts_browser.*).
SQLite: the pages are the same on PostgreSQL (tests/test_portal_initiative_drafts.py)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import empty_tables
from tests.initiative_forms import sample_initiative_form
from tests.portal_pages import checked, fill_form, flatten, portal_environment, portal_log_in
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
    with_password(sqlite_url, "krysia", "Krystyna Nowak")
    server = live_server(create_app(sqlite_url))
    return server.url, sqlite_url


def test_a_resident_saves_a_draft_resumes_it_and_files_it(portal, new_context, screenshot):
    base, _ = portal
    page = new_context().new_page()
    portal_log_in(page, base, "krysia", "/portal/inicjatywa/nowa")
    values = flatten(sample_initiative_form())
    first = {k: v for k, v in values.items() if k.startswith(("applicant.", "contact.", "task."))}
    fill_form(page, first)  # the members beyond the first: "add a row", which keeps the draft too
    page.get_by_role("button", name="Zapisz szkic").click()
    page.wait_for_load_state()
    assert "Szkic zapisany" in page.get_by_role("status").inner_text()
    checked(page, screenshot, "draft-saved")

    page.goto(f"{base}/portal/inicjatywa")
    drafts = page.locator("ul.drafts")
    title = values["task.title"]
    assert title in drafts.inner_text() and "grupa mieszkańców" in drafts.inner_text()
    checked(page, screenshot, "list-with-draft")

    page.get_by_role("link", name=title).click()
    page.wait_for_url("**/portal/inicjatywa/nowa")
    assert "Twój szkic z" in page.get_by_role("status").inner_text()
    assert page.input_value('[name="task.title"]') == title
    assert page.input_value('[name="applicant.members.2.name"]') == "Ewa Maj"
    checked(page, screenshot, "draft-resumed")

    fill_form(page, {k: v for k, v in values.items() if k not in first})
    page.get_by_role("button", name="Złóż wniosek").click()
    page.wait_for_url("**/pokwitowanie?wersja=1&zlozono=1")
    receipt = page.locator("dl.receipt").inner_text()
    code = re.search(r"IL/\d{4}/\d{3}", receipt).group(0)
    assert f"{code}-1" in receipt and re.fullmatch(r"[0-9a-f]{64}", page.locator("dd.hash").inner_text())
    checked(page, screenshot, "filed")

    page.goto(f"{base}/portal/inicjatywa")
    assert page.locator("ul.drafts").count() == 0  # the draft became the application
    assert f"{code}-1" in page.locator("table.offers").inner_text()
    checked(page, screenshot, "list-after-filing")
