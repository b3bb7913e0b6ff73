"""The review of a local initiative's report in a real browser (tests/browser.py: the system's Chromium, axe-core;
issue 22): Krystyna files the garden's report on the portal; the officer reads it on the desk and calls for
corrections with the reason (a call without one is refused on the page, with its basis); Krystyna sees the call
under "Local initiative", files the corrected report (prefilled with what she filed) and gets its own receipt S2;
the officer accepts it and closes the case from its page. Every page is checked against WCAG 2.1 AA (no serious or
critical violation) and kept as a screenshot (tests/output/screenshots/test_initiative_report_review_browser.*).
SQLite: the same pages run on both databases in tests/test_desk_initiative_review.py."""

from __future__ import annotations

import pytest

from tests.conftest import empty_tables
from tests.initiative_forms import sample_initiative_report
from tests.portal_pages import checked, fill_form, flatten, officer_desk, portal_environment, portal_log_in
from tests.test_portal_initiative_reports import AT, filed_and_agreed
from web.app import create_app

pytestmark = pytest.mark.browser

REASON = "Brak opisu pracy społecznej: proszę podać, kto i ile godzin pracował."


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    portal_environment(monkeypatch, tmp_path, AT)
    empty_tables(sqlite_url)
    code, _ = filed_and_agreed(sqlite_url, monkeypatch)  # filed by "krysia"; the report is due
    server = live_server(create_app(sqlite_url))
    return server.url, code, sqlite_url


def test_corrections_then_the_corrected_report_then_acceptance_then_closing(portal, new_context, screenshot):
    base, code, url = portal
    group = new_context().new_page()
    portal_log_in(group, base, "krysia", "/portal/inicjatywa")
    group.get_by_role("link", name=f"Złóż sprawozdanie z {code}").click()
    group.wait_for_url(f"**/portal/inicjatywa/sprawozdanie/{code}/nowe")
    fill_form(group, flatten(sample_initiative_report()))
    group.get_by_role("button", name="Złóż sprawozdanie").click()
    group.wait_for_url("**/1/pokwitowanie?zlozono=1")
    first_sha = group.locator("dd.hash").inner_text()

    desk = officer_desk(new_context, base, url)
    desk.goto(f"{base}/sprawy/{code}")
    desk.get_by_role("link", name="Sprawozdanie złożone przez wnioskodawców").first.click()
    desk.wait_for_url(f"**/sprawy/{code}/sprawozdanie")
    checked(desk, screenshot, "desk-review")
    desk.get_by_role("button", name="Wezwij do poprawienia").click()  # no reason given
    desk.wait_for_load_state()
    alert = desk.get_by_role("alert").inner_text()
    assert "Czego brakuje w sprawozdaniu" in alert or "brakuje" in alert, alert
    assert "art. 19e (umowa)" in alert
    checked(desk, screenshot, "desk-review-refused")
    desk.get_by_label("Czego brakuje w sprawozdaniu").fill(REASON)
    desk.get_by_role("button", name="Wezwij do poprawienia").click()
    desk.wait_for_url("**/sprawozdanie?oceniono=corrections*")
    assert "Wezwano do poprawienia" in desk.get_by_role("status").first.inner_text()
    assert REASON in desk.locator("main").inner_text()
    assert desk.get_by_role("button", name="Przyjmij sprawozdanie").count() == 0  # nothing to review now
    checked(desk, screenshot, "desk-corrections-requested")

    group.goto(f"{base}/portal/inicjatywa")
    listed = group.locator("main").inner_text()
    assert "Urząd wzywa do poprawienia sprawozdania" in listed and REASON in listed
    checked(group, screenshot, "portal-list-corrections")
    group.get_by_role("link", name=f"Złóż poprawione sprawozdanie z {code}").click()
    group.wait_for_url(f"**/portal/inicjatywa/sprawozdanie/{code}/nowe")
    assert REASON in group.locator("main").inner_text()
    assert group.input_value('[name="contribution.in_kind_description"]') == "Narzędzia od Rady Osiedla"  # kept
    checked(group, screenshot, "portal-form-corrections")
    group.fill('[name="contribution.people"]', "16")
    group.get_by_role("button", name="Złóż sprawozdanie").click()
    group.wait_for_url("**/2/pokwitowanie?zlozono=1")
    assert f"{code}-S2" in group.locator("dl.receipt").inner_text()
    assert group.locator("dd.hash").inner_text() != first_sha  # a new report, its own hash
    checked(group, screenshot, "portal-receipt-corrected")

    desk.goto(f"{base}/sprawy/{code}/sprawozdanie")
    main = desk.locator("main").inner_text()
    assert f"{code}-S1" in main and f"{code}-S2" in main  # the first kept in the history
    desk.get_by_role("button", name="Przyjmij sprawozdanie").click()
    desk.wait_for_url("**/sprawozdanie?oceniono=accepted*")
    checked(desk, screenshot, "desk-accepted")
    desk.get_by_role("link", name="Zamknij inicjatywę na stronie sprawy").click()
    desk.wait_for_url(f"**/sprawy/{code}*")
    desk.locator("#step-close summary").click()
    desk.locator("#step-close").get_by_role("button").click()
    desk.wait_for_url("**zrobione=done*")
    assert "zamknięta" in desk.locator("main").inner_text()
    checked(desk, screenshot, "desk-closed")
