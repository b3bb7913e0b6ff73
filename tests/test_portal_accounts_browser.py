"""The organisations' portal in a real browser (tests/browser.py: the system's Chromium, axe-core): a representative
registers, opens the link of the e-mail the dispatcher sent to a real SMTP server, logs in, asks to represent an
organisation of the registry; an officer confirms it on the desk; the representative edits the profile and sees the
change in its history, in Polish and in English, and is refused another organisation's profile. Every page is
checked against WCAG 2.1 AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_portal_accounts_browser.*). SQLite: the pages are the same on PostgreSQL
(tests/test_portal_accounts.py)."""

from __future__ import annotations

import re

import pytest

from notifications.dispatcher import dispatch
from tests.browser import assert_accessible
from tests.conftest import empty_tables
from tests.notification_helpers import SmtpServer, configure, free_port
from tests.test_portal_accounts import KRS_KNOWN, PASSWORD, known_organisation, officer
from web.app import create_app

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    """An organisation of the registry, another one, an officer with a password, an SMTP server the dispatcher
    delivers to, and the application served. Returns (base URL, the organisation's id, the other's id, SMTP)."""
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    empty_tables(sqlite_url)
    smtp = SmtpServer(free_port()).start()
    server = live_server(create_app(sqlite_url))
    configure(monkeypatch, smtp.port, sqlite_url, portal_url=server.url)
    mine = known_organisation(sqlite_url)
    other = known_organisation(sqlite_url, "0000111111", "Klub Sportowy Leszno")
    officer(sqlite_url, "urzednik", "Anna Urzędniczka")
    yield server.url, mine, other, smtp
    smtp.stop()


def checked(page, screenshot, name: str) -> None:
    assert_accessible(page)
    screenshot(page, name)


def test_a_representative_from_registration_to_the_profile(portal, sqlite_url, new_context, screenshot):
    base, mine, other, smtp = portal
    person = new_context().new_page()
    person.goto(f"{base}/portal/")
    assert person.locator("h1").inner_text() == "Portal organizacji"
    assert "Urząd Miasta Leszna" in person.locator("header").inner_text()
    checked(person, screenshot, "home-anonymous")

    # registration: a mismatched password is refused on the page, then the account is made
    person.get_by_role("link", name="Zarejestruj się").first.click()
    person.fill("#login", "jan.nowak")
    person.fill("#display_name", "Jan Nowak")
    person.fill("#email", "jan@example.org")
    person.fill("#password", PASSWORD)
    person.fill("#password2", PASSWORD + "!")
    person.locator("main").get_by_role("button", name="Zarejestruj się").click()
    assert "Hasła różnią się" in person.get_by_role("alert").inner_text()
    checked(person, screenshot, "register-refused")
    person.fill("#password", PASSWORD)
    person.fill("#password2", PASSWORD)
    person.locator("main").get_by_role("button", name="Zarejestruj się").click()
    assert person.locator("h1").inner_text() == "Sprawdź pocztę"
    checked(person, screenshot, "registered")

    # the dispatcher sends the link; until it is opened, no login
    assert dispatch(url=sqlite_url).sent == 1
    [mail] = smtp.inbox.to("jan@example.org")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(http://127\.0\.0\.1:\d+/portal/potwierdz\?t=\S+)", text).group(1)
    person.goto(f"{base}/portal/logowanie")
    person.fill("#login", "jan.nowak")
    person.fill("#password", PASSWORD)
    person.locator("main").get_by_role("button", name="Zaloguj się").click()
    assert "nie jest jeszcze potwierdzony" in person.get_by_role("alert").inner_text()
    person.goto(link)
    checked(person, screenshot, "confirm")
    person.get_by_role("button", name="Potwierdzam mój adres e-mail").click()
    assert "Twój adres e-mail jest potwierdzony" in person.get_by_role("status").inner_text()
    checked(person, screenshot, "confirmed")

    person.locator("main").get_by_role("link", name="Zaloguj się").click()
    person.fill("#login", "jan.nowak")
    person.fill("#password", PASSWORD)
    person.locator("main").get_by_role("button", name="Zaloguj się").click()
    assert person.url == f"{base}/portal/"
    assert "Nie reprezentujesz jeszcze żadnej organizacji" in person.locator("main").inner_text()
    checked(person, screenshot, "home-logged-in")

    # the representation request
    person.get_by_role("link", name="Złóż wniosek o reprezentowanie organizacji").click()
    person.fill("#krs", KRS_KNOWN)
    person.get_by_role("button", name="Wyślij wniosek").click()
    assert "Wniosek wysłany" in person.get_by_role("status").inner_text()
    assert "czeka na urzędnika" in person.locator("table").inner_text()
    checked(person, screenshot, "claim-sent")

    # the officer confirms it on the desk
    desk = new_context().new_page()
    desk.goto(f"{base}/logowanie")
    desk.fill("#login", "urzednik")
    desk.fill("#password", PASSWORD)
    desk.locator("main").get_by_role("button", name="Zaloguj się").click()
    desk.get_by_role("link", name="Wnioski o reprezentację").click()
    assert "Jan Nowak" in desk.locator("main").inner_text()
    checked(desk, screenshot, "desk-requests")
    desk.get_by_role("button", name="Potwierdź reprezentację").click()
    assert "Wniosek nr 1 został rozpatrzony" in desk.get_by_role("status").inner_text()
    checked(desk, screenshot, "desk-decided")

    # the representative edits the profile; the change is in its history
    person.goto(f"{base}/portal/")
    person.get_by_role("link", name="Stowarzyszenie Rowerowe").click()
    checked(person, screenshot, "profile")
    person.fill("#phone", "+48 65 123 45 67")
    person.fill("#website", "rowery")  # not an address: refused beside the form, nothing saved
    person.get_by_role("button", name="Zapisz profil").click()
    assert "strona internetowa" in person.get_by_role("alert").inner_text()
    checked(person, screenshot, "profile-refused")
    person.fill("#website", "https://rowery.example.org")
    person.fill("#areas", "turystyka i krajoznawstwo\nekologia i ochrona zwierząt")
    person.check("#publish_consent")
    person.get_by_role("button", name="Zapisz profil").click()
    assert "Profil zapisano" in person.get_by_role("status").inner_text()
    history = person.locator("table.history").inner_text()
    assert "Jan Nowak" in history and "+48 65 123 45 67" in history and "zgoda na publikację profilu: nie → tak" in history
    assert "turystyka i krajoznawstwo; ekologia i ochrona zwierząt" in history
    checked(person, screenshot, "profile-saved")

    person.goto(f"{base}/portal/organizacje/{mine}?lang=en")
    assert "History of changes" in person.locator("main").inner_text()
    checked(person, screenshot, "profile-english")
    person.goto(f"{base}/portal/organizacje/{other}")
    assert "You do not represent this organisation" in person.get_by_role("alert").inner_text()
    checked(person, screenshot, "another-refused")

    phone = new_context(viewport=PHONE).new_page()
    phone.goto(f"{base}/portal/rejestracja?lang=pl")
    checked(phone, screenshot, "register-phone")
