"""Public comments in a real browser (tests/browser.py: the system's Chromium, axe-core): a resident opens a
small-grant offer published for comments, writes a comment with her name and e-mail address, receives the link
the dispatcher sent to a real SMTP server, opens it, presses the button and sees the comment acknowledged with its
number; the same for a consultation (with the provision of the draft); a late confirmation refused with its rule and
basis; the officer sees the comments, under the confirmed address, in the desk's case history. Every page is
checked against WCAG 2.1 AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_portal_comments_browser.*). SQLite: the pages are the same on PostgreSQL
(tests/test_public_comments.py)."""

from __future__ import annotations

import re

import pytest

from notifications.dispatcher import dispatch
from tests.conftest import empty_tables
from tests.notification_helpers import SmtpServer, configure, free_port
from tests.portal_pages import checked, portal_environment
from tests.test_portal_accounts import PASSWORD, officer
from tests.test_public_comments import DRAFT_SUMMARY, OPEN, published_cases
from web.app import create_app

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    """A small-grant offer and a consultation taking comments (a simulated clock at 10 April 2026), an officer with
    a password, an SMTP server the dispatcher delivers to, and the application served."""
    portal_environment(monkeypatch, tmp_path, OPEN)
    empty_tables(sqlite_url)
    smtp = SmtpServer(free_port()).start()
    server = live_server(create_app(sqlite_url))
    configure(monkeypatch, smtp.port, sqlite_url, portal_url=server.url)
    grant, consultation = published_cases(sqlite_url)
    officer(sqlite_url, "urzednik", "Anna Urzędniczka")
    yield server.url, grant, consultation, smtp
    smtp.stop()


def the_link(smtp, url: str, email: str) -> str:
    assert dispatch(url=url).sent >= 1
    mail = smtp.inbox.to(email)[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"(http://127\.0\.0\.1:\d+/portal/uwagi/potwierdz\?t=\S+)", text).group(1)


def test_a_resident_comments_on_an_offer_and_on_a_consultation(portal, sqlite_url, new_context, screenshot,
                                                               monkeypatch):
    base, grant, consultation, smtp = portal
    resident = new_context().new_page()
    resident.goto(f"{base}/portal/")
    resident.get_by_role("link", name="Uwagi do ofert i projektów").click()
    assert resident.locator("h1").inner_text() == "Uwagi do ofert i projektów aktów"
    assert "2026-04-15 23:59:59 (+02:00)" in resident.locator("main").inner_text()
    checked(resident, screenshot, "list")

    # the offer, as its publication shows it; the comment sent; nothing filed until the link
    resident.get_by_role("link", name="Rajd rowerowy „Poznaj Leszno”").click()
    main = resident.locator("main").inner_text()
    assert "Stowarzyszenie Leszczyńskie Rowery" in main and "9 500,00 zł" in main and "art. 19a ust. 4" in main
    checked(resident, screenshot, "offer")
    resident.get_by_role("button", name="Wyślij uwagę").click()  # empty: refused, the browser's checks are off
    assert resident.get_by_role("alert").is_visible()
    checked(resident, screenshot, "offer-refused")
    resident.fill("#name", "Maria Mieszkańska")
    resident.fill("#email", "maria@example.org")
    resident.fill("#text", "Proszę poprowadzić trasę także przez osiedle Zatorze.\nDziękuję.")
    resident.get_by_role("button", name="Wyślij uwagę").click()
    assert "wysłaliśmy link na adres maria@example.org" in resident.get_by_role("status").inner_text()
    checked(resident, screenshot, "offer-sent")

    link = the_link(smtp, sqlite_url, "maria@example.org")
    resident.goto(link)
    assert "Proszę poprowadzić trasę także przez osiedle Zatorze." in resident.locator("main").inner_text()
    assert "maria@example.org" not in resident.locator("main").inner_text()
    checked(resident, screenshot, "offer-confirm")
    resident.get_by_role("button", name="Potwierdzam i składam uwagę").click()
    assert f"złożona w sprawie {grant} jako uwaga nr 1" in resident.get_by_role("status").inner_text()
    checked(resident, screenshot, "offer-filed")
    resident.go_back()  # the link's page again: it says the comment was filed, no button
    resident.reload()
    assert "została już złożona jako uwaga nr 1" in resident.locator("main").inner_text()
    assert resident.get_by_role("button", name="Potwierdzam i składam uwagę").count() == 0

    # the consultation: who comments and the provision of the draft
    resident.goto(f"{base}/portal/uwagi")
    resident.get_by_role("link", name="Projekt uchwały o zasadach przyznawania stypendiów sportowych").click()
    assert DRAFT_SUMMARY in resident.locator("dl.profile").inner_text()  # what the draft is about, the office's words
    checked(resident, screenshot, "consultation")
    resident.fill("#name", "Klub Sportowy Leszno")
    resident.fill("#email", "klub@example.org")
    resident.select_option("#author_kind", "ngo")
    resident.fill("#provision", "§ 3 ust. 1")
    resident.fill("#text", "Stypendium także dla trenerów młodzieży.")
    resident.get_by_role("button", name="Wyślij uwagę").click()
    assert "klub@example.org" in resident.get_by_role("status").inner_text()
    resident.goto(the_link(smtp, sqlite_url, "klub@example.org"))
    assert "§ 3 ust. 1" in resident.locator("main").inner_text()
    resident.get_by_role("button", name="Potwierdzam i składam uwagę").click()
    assert f"złożona w sprawie {consultation} jako uwaga nr 1" in resident.get_by_role("status").inner_text()
    checked(resident, screenshot, "consultation-filed")

    # a comment sent an hour before the period ends, its link confirmed after it: refused with the rule and basis
    monkeypatch.setenv("COOP_NOW", "2026-04-15T23:00+02:00")
    resident.goto(f"{base}/portal/uwagi/{grant}")
    resident.fill("#name", "Piotr Spóźniony")
    resident.fill("#email", "piotr@example.org")
    resident.fill("#text", "Uwaga wysłana w ostatniej chwili.")
    resident.get_by_role("button", name="Wyślij uwagę").click()
    late = the_link(smtp, sqlite_url, "piotr@example.org")
    monkeypatch.setenv("COOP_NOW", "2026-04-16T08:00+02:00")
    resident.goto(late)
    resident.get_by_role("button", name="Potwierdzam i składam uwagę").click()
    refusal = resident.get_by_role("alert").inner_text()
    assert "uwagi można zgłaszać tylko w okresie publikacji oferty" in refusal and "art. 19a ust. 4" in refusal
    checked(resident, screenshot, "late-refused")
    resident.goto(f"{base}/portal/uwagi?lang=en")
    assert "No offer or draft act takes comments now." in resident.locator("main").inner_text()
    checked(resident, screenshot, "list-english-closed")

    # the officer: the comment in the case's history, under the address its link proved
    desk = new_context().new_page()
    desk.goto(f"{base}/logowanie")
    desk.fill("#login", "urzednik")
    desk.fill("#password", PASSWORD)
    desk.locator("main").get_by_role("button", name="Zaloguj się").click()
    desk.goto(f"{base}/sprawy/{grant}")
    history = desk.locator("#history-heading + ol").inner_text()
    assert "maria@example.org" in history
    screenshot(desk, "desk-history")

    phone = new_context(viewport=PHONE).new_page()
    monkeypatch.setenv("COOP_NOW", OPEN)
    phone.goto(f"{base}/portal/uwagi/{consultation}")
    checked(phone, screenshot, "consultation-phone")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
