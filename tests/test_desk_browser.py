"""The officers' desk in a real browser (tests/browser.py: the system's Chromium, axe-core), as an officer and a
committee member use it: logging in (a wrong password refused on the page), „Na dziś” with real waiting steps and
its filters, a case page, the language switch, the second factor, logging out, the keyboard alone and a phone's
width. Every page is checked against WCAG 2.1 AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_desk_browser.*). SQLite: the pages are the same on PostgreSQL (tests/test_desk.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import pytest

from states import inputs
from states.procedures.open_call import handlers as oc
from states.procedures.open_call import inputs as oc_inputs
from tests.browser import assert_accessible
from tests.conftest import empty_tables
from tests.test_desk import PASSWORD, with_password
from tests.test_open_call_guards import (
    ANNOUNCED_AT,
    MEMBERS,
    announcement,
    appoint,
    close_offers,
    create,
    do,
    file,
    register,
)
from web.app import create_app

pytestmark = pytest.mark.browser

NOW = "2026-02-03T12:00+01:00"  # the correction asked on 26 January (7 days) is overdue; the committee scores
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def desk(sqlite_url, tmp_path, monkeypatch, live_server):
    """Two open calls (one in formal review with an overdue correction, one in the committee's scoring), an officer
    and a committee member of the second call with passwords, and the desk served on them. Returns
    (base URL, formal-review call's code, scoring call's code)."""
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    empty_tables(sqlite_url)
    url = sqlite_url
    register(url)
    review = create(url)
    do(url, oc.announce_call, announcement(review), ANNOUNCED_AT)
    appoint(url, review, MEMBERS[:2])
    file(url, review, 0)
    file(url, review, 1, at="2026-01-13T10:00+01:00")
    scoring = create(url)
    do(url, oc.announce_call, announcement(scoring), ANNOUNCED_AT)
    appoint(url, scoring)
    for org in (2, 3, 4):
        file(url, scoring, org, at=f"2026-01-{10 + org:02d}T10:00+01:00")
    close_offers(url)  # the offer deadline passed: both calls in formal review
    do(url, oc.review_offer, oc_inputs.ReviewOffer(code=review, number=1, decision="correct",
                                                   defects=("brak podpisu",)), "2026-01-26T10:00+01:00")
    for number in (1, 2, 3):
        do(url, oc.review_offer, oc_inputs.ReviewOffer(code=scoring, number=number, decision="accept"),
           "2026-01-26T11:00+01:00")
    do(url, oc.finish_formal_review, inputs.CaseRef(code=scoring), "2026-02-02T09:00+01:00")
    with_password(url, "urzednik", "Anna Urzędniczka", "officer")
    with_password(url, "jan.kowalski", MEMBERS[0], ("committee_member", scoring))
    monkeypatch.setenv("COOP_NOW", NOW)
    server = live_server(create_app(url))
    return server.url, review, scoring


def log_in(page, base: str, login: str, password: str = PASSWORD, code: str = "") -> None:
    page.goto(f"{base}/logowanie")
    page.fill("#login", login)
    page.fill("#password", password)
    if code:
        page.fill("#code", code)
    page.locator("main").get_by_role("button", name=re.compile("Zaloguj|Log in")).click()


def checked(page, screenshot, name: str) -> None:
    """axe-core on the page (WCAG 2.1 AA), and its screenshot."""
    assert_accessible(page)
    screenshot(page, name)


def test_an_officer_logs_in_works_her_list_opens_a_case_switches_language_and_logs_out(desk, new_context,
                                                                                        screenshot):
    base, review, scoring = desk
    page = new_context().new_page()
    page.goto(f"{base}/na-dzis")
    assert page.url.endswith("/logowanie?next=/na-dzis")  # logged out: the login page, and back after it
    assert page.title() == "Zaloguj się · Biurko urzędnika"
    checked(page, screenshot, "login")

    log_in(page, base, "urzednik", "not the password")
    alert = page.get_by_role("alert")
    assert "Nieprawidłowy login, hasło lub kod jednorazowy" in alert.inner_text()
    assert page.input_value("#login") == "urzednik" and page.input_value("#password") == ""
    assert page.get_attribute("#password", "aria-invalid") == "true"
    checked(page, screenshot, "login-refused")

    log_in(page, base, "urzednik")
    page.wait_for_url("**/na-dzis")
    assert page.get_by_role("heading", level=1).inner_text() == "Na dziś: co na Ciebie czeka"
    assert "Zalogowano jako Anna Urzędniczka" in page.locator("header").inner_text()
    rows = page.locator("table.todo tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert any("Zakończ ocenę formalną ofert" in t and review in t for t in texts)
    # overdue first, said in words beside the red mark
    assert "po terminie" in texts[0] and review in texts[0] and "Zakończ ocenę formalną ofert" in texts[0]
    assert any("Rozpatrz poprawioną ofertę" in t and "oferta nr 1" in t and "po terminie" in t for t in texts)
    assert any("Oceń ofertę formalnie" in t and "bez terminu" in t for t in texts)  # an undated step, last
    assert page.locator("table.todo tbody tr.overdue time").count() >= 1
    assert not any(scoring in t for t in texts)  # the scoring is the committee's, not hers
    assert "Otwarty konkurs ofert (art. 11-15)" in texts[0] and "open call" not in texts[0]
    assert "Aktywność lokalna 2026" in texts[0]  # the call's title beside its code
    checked(page, screenshot, "today")

    page.select_option("#procedure", "small_grant")
    page.get_by_role("button", name="Pokaż").click()
    page.wait_for_url("**procedure=small_grant**")
    assert page.locator("table.todo").count() == 0
    assert "Nic na Ciebie nie czeka wśród czynności wybranych filtrem" in page.get_by_role("status").inner_text()
    checked(page, screenshot, "today-filter-empty")
    page.get_by_role("link", name="Pokaż wszystko").click()
    page.select_option("#procedure", "open_call")
    page.check("#overdue")
    page.get_by_role("button", name="Pokaż").click()
    page.wait_for_url("**overdue=1**")
    overdue = page.locator("table.todo tbody tr")
    assert 1 <= overdue.count() < len(texts)
    assert all("po terminie" in overdue.nth(i).inner_text() for i in range(overdue.count()))
    assert page.is_checked("#overdue") and page.input_value("#procedure") == "open_call"
    assert "(po filtrze)" in page.locator(".count").inner_text()
    checked(page, screenshot, "today-overdue")
    # the language switch keeps the filter
    english = page.get_by_role("navigation", name="Język").get_by_role("link", name="English")
    assert english.get_attribute("href") == "/na-dzis?procedure=open_call&overdue=1&lang=en"

    page.locator("table.todo tbody tr").first.get_by_role("link", name=review).click()
    page.wait_for_url(f"**/sprawy/{review}")
    assert review in page.locator("main").inner_text()
    checked(page, screenshot, "case")

    page.goto(f"{base}/sprawy/OK/2026/999")  # no such case: a page in the desk's dress, not a traceback
    assert page.get_by_role("heading", level=1).inner_text() == "Nie znaleziono"
    assert "OK/2026/999" in page.get_by_role("alert").inner_text()
    checked(page, screenshot, "case-not-found")
    page.goto(f"{base}/sprawy/{review}")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Logged in as Anna Urzędniczka" in page.locator("header").inner_text()
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Today").click()
    page.wait_for_url("**/na-dzis")
    main = page.locator("main").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Today: what waits for you"
    for english in ("Procedure", "All procedures", "Only overdue", "What to do", "Due (Warsaw time)", "Legal basis",
                    "Finish the formal review of the offers", "Open call for offers (art. 11-15)", "overdue",
                    "offer no. 1"):
        assert english in main, english
    for polish in ("Procedura", "Co zrobić", "Termin", "Podstawa prawna", "Otwarty konkurs", "po terminie", "oferta"):
        assert polish not in main, polish
    assert page.title() == "Today · Officers' desk"
    checked(page, screenshot, "today-english")
    page.get_by_role("link", name="Polski").click()
    page.wait_for_url("**lang=pl")
    assert page.get_by_role("heading", level=1).inner_text() == "Na dziś: co na Ciebie czeka"

    page.get_by_role("button", name="Wyloguj się").click()
    page.wait_for_url("**/logowanie")
    assert "Zalogowano" not in page.content()
    page.go_back()  # the back button: nothing private comes back (no-store, and the session is revoked)
    page.wait_for_load_state()
    assert "/logowanie" in page.url
    assert "Anna Urzędniczka" not in page.content() and review not in page.content()
    checked(page, screenshot, "after-logout-back")


def test_a_committee_member_on_a_phone_sees_her_scoring_and_opens_the_call(desk, new_context, screenshot):
    base, review, scoring = desk
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"{base}/logowanie")
    checked(page, screenshot, "phone-login")
    log_in(page, base, "jan.kowalski")
    page.wait_for_url("**/na-dzis")
    rows = page.locator("table.todo tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert scoring in row and "Złóż oświadczenia" in row and review not in row
    # on a phone each value says which column it is (the header row is hidden)
    label = page.locator("table.todo tbody td[data-label]").first.evaluate(
        "cell => getComputedStyle(cell, '::before').content")
    assert "Co zrobić" in label
    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    checked(page, screenshot, "phone-today")
    rows.first.get_by_role("link", name=scoring).click()
    page.wait_for_url(f"**/sprawy/{scoring}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    checked(page, screenshot, "phone-case")


def test_an_officer_enrols_a_second_factor_and_logs_in_with_its_code(desk, new_context, screenshot):
    base, _, _ = desk
    page = new_context().new_page()
    log_in(page, base, "urzednik")
    page.wait_for_url("**/na-dzis")
    page.get_by_role("link", name="Drugi składnik logowania").click()
    page.wait_for_url("**/konto/totp")
    secret = page.locator("code.secret").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    checked(page, screenshot, "totp-offer")
    page.fill("#code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Włącz").click()
    assert "Kod się nie zgadza" in page.locator("#code-error").inner_text()
    assert page.get_attribute("#code", "aria-invalid") == "true"
    checked(page, screenshot, "totp-refused")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Włącz").click()
    assert "jest włączony" in page.get_by_role("status").inner_text()
    checked(page, screenshot, "totp-enrolled")
    page.get_by_role("button", name="Wyloguj się").click()
    page.wait_for_url("**/logowanie")

    log_in(page, base, "urzednik")  # the password alone no longer opens the desk
    assert "Nieprawidłowy login" in page.get_by_role("alert").inner_text()
    code = pyotp.TOTP(secret).at(datetime.now(UTC), counter_offset=1)  # the next step's (the enrolment used this one)
    log_in(page, base, "urzednik", code=code)
    page.wait_for_url("**/na-dzis")
    assert "Zalogowano jako Anna Urzędniczka" in page.locator("header").inner_text()


def focused(page) -> dict:
    """What has the keyboard's focus, and whether its focus mark shows (the 3 px outline of desk.css)."""
    return page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
        return {id: e.id, tag: e.tagName, text: e.innerText || '', outline: s.outlineStyle + ' ' + s.outlineWidth}; }""")


def test_the_login_form_and_na_dzis_work_with_the_keyboard_alone(desk, new_context, screenshot):
    base, review, _ = desk
    page = new_context().new_page()
    page.goto(f"{base}/logowanie")
    assert focused(page)["id"] == "login"  # the login field has the focus at once
    page.keyboard.type("urzednik")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password"
    assert focused(page)["outline"] == "solid 3px"  # the focus is visible
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/na-dzis")

    page.keyboard.press("Tab")  # the first stop: the skip link, shown when focused
    first = focused(page)
    assert first["tag"] == "A" and first["text"] == "Przejdź do treści" and first["outline"] == "solid 3px"
    box = page.locator(".skip-link").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0  # on screen, not off to the left
    screenshot(page, "keyboard-skip-link")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "procedure"  # past the header, straight to the filter
    page.keyboard.press("ArrowDown")  # a closed select takes the next option (Chromium on Linux and Windows)
    assert page.input_value("#procedure") == "open_call"
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "overdue"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Pokaż" and focused(page)["outline"] == "solid 3px"
    page.keyboard.press("Enter")
    page.wait_for_url("**overdue=1**")
    assert "procedure=open_call" in page.url
    # on to the first case of the list by Tab, opened with Enter
    for _ in range(20):  # the header's links, the filter, then the list
        page.keyboard.press("Tab")
        if focused(page)["text"] == review:
            break
    assert focused(page)["text"] == review and focused(page)["outline"] == "solid 3px"
    screenshot(page, "keyboard-case-link")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/sprawy/{review}")


def test_the_readme_pictures_are_made_again_from_the_demo(tmp_path):
    """tools/desk_screenshots.py remakes docs/images/desk-*.png (as a person runs it: no COOP_* of her own), and the
    README shows the three it makes."""
    import os
    import struct
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    done = subprocess.run([sys.executable, str(root / "tools" / "desk_screenshots.py"), "--out", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    readme = (root / "README.md").read_text(encoding="utf-8")
    for name in ("desk-login.png", "desk-today.png", "desk-case.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert width == 1280 and 300 < height <= 1100, (name, width, height)
        assert len(data) < 200_000  # reasonably small for a README
        assert f"(docs/images/{name})" in readme and (root / "docs" / "images" / name).is_file()
