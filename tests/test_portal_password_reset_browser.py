"""A forgotten password in a real browser (tests/browser.py: the system's Chromium, axe-core): a representative
asks for a link from the portal's login page, the dispatcher sends it to a real SMTP server, the link's page takes
a refused password then a good one, the notice of the change arrives, the old password is refused and the new one
logs in. Every page is checked against WCAG 2.1 AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_portal_password_reset_browser.*). SQLite: the pages are the same on PostgreSQL
(tests/test_portal_password_reset.py)."""

from __future__ import annotations

import re

import pytest

from notifications.dispatcher import dispatch
from tests.browser import assert_accessible
from tests.conftest import empty_tables
from tests.notification_helpers import SmtpServer, configure, free_port
from tests.test_portal_accounts import PASSWORD, registered
from web.app import create_app

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new horse staple"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    """A confirmed portal account, an SMTP server the dispatcher delivers to, and the application served."""
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    empty_tables(sqlite_url)
    smtp = SmtpServer(free_port()).start()
    server = live_server(create_app(sqlite_url))
    configure(monkeypatch, smtp.port, sqlite_url, portal_url=server.url)
    registered(sqlite_url, "jan.nowak", "Jan Nowak", "jan@example.org")
    dispatch(url=sqlite_url)  # the registration's confirmation, already used
    yield server.url, smtp
    smtp.stop()


def checked(page, screenshot, name: str) -> None:
    assert_accessible(page)
    screenshot(page, name)


def mail_text(smtp, pattern: str) -> str:
    for mail in smtp.inbox.to("jan@example.org"):
        text = mail.get_body(preferencelist=("plain",)).get_content()
        if re.search(pattern, text):
            return text
    raise AssertionError(f"no message matching {pattern}")


def log_in(page, base: str, password: str) -> None:
    page.goto(f"{base}/portal/logowanie")
    page.fill("#login", "jan.nowak")
    page.fill("#password", password)
    page.locator("main").get_by_role("button", name="Zaloguj się").click()


def test_a_forgotten_password_is_set_anew_by_the_e_mail_link(portal, sqlite_url, new_context, screenshot):
    base, smtp = portal
    person = new_context().new_page()
    person.goto(f"{base}/portal/logowanie")
    checked(person, screenshot, "login")
    person.get_by_role("link", name="Nie pamiętasz hasła?").click()
    assert person.locator("h1").inner_text() == "Nie pamiętam hasła"
    checked(person, screenshot, "ask")
    person.get_by_role("button", name="Wyślij mi link").click()
    assert "Wpisz swój login" in person.get_by_role("alert").inner_text()
    checked(person, screenshot, "ask-empty")
    person.fill("#name", "jan@example.org")
    person.get_by_role("button", name="Wyślij mi link").click()
    assert "wysłaliśmy na ten adres link" in person.get_by_role("status").inner_text()
    checked(person, screenshot, "asked")

    assert dispatch(url=sqlite_url).sent == 1
    text = mail_text(smtp, r"/portal/haslo/nowe\?t=")
    link = re.search(r"(http://127\.0\.0\.1:\d+/portal/haslo/nowe\?t=\S+)", text).group(1)
    person.goto(link)
    assert person.locator("h1").inner_text() == "Ustaw nowe hasło"
    checked(person, screenshot, "new-password")
    person.fill("#password", "za krótkie")
    person.fill("#password2", "za krótkie")
    person.get_by_role("button", name="Ustaw nowe hasło").click()
    assert "co najmniej 12" in person.get_by_role("alert").inner_text()
    checked(person, screenshot, "new-password-refused")
    person.fill("#password", NEW_PASSWORD)
    person.fill("#password2", NEW_PASSWORD)
    person.get_by_role("button", name="Ustaw nowe hasło").click()
    assert "Twoje hasło zostało zmienione" in person.get_by_role("status").inner_text()
    checked(person, screenshot, "changed")

    assert dispatch(url=sqlite_url).sent == 1
    assert "zostało zmienione" in mail_text(smtp, r"zostało zmienione")
    # the link once only
    person.goto(link)
    assert "nie jest ważny" in person.get_by_role("alert").inner_text()
    checked(person, screenshot, "link-used")

    log_in(person, base, PASSWORD)
    assert "Nieprawidłowy login, hasło" in person.get_by_role("alert").inner_text()
    log_in(person, base, NEW_PASSWORD)
    assert person.url == f"{base}/portal/"

    english = new_context().new_page()
    english.goto(f"{base}/portal/haslo?lang=en")
    assert english.locator("h1").inner_text() == "Forgotten password"
    checked(english, screenshot, "ask-english")
    phone = new_context(viewport=PHONE).new_page()
    phone.goto(f"{base}/portal/haslo?lang=pl")
    checked(phone, screenshot, "ask-phone")
