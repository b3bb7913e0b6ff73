"""An organisation from registration to receipt in a real browser (issue 22): a new person registers on the portal,
confirms the address from the e-mail the dispatcher sent to a real SMTP server, logs in, asks to represent an
organisation of the registry by its KRS; an officer confirms it on the desk; the representative opens the open
calls, files an offer on the model form, reads the receipt, downloads its PDF (pdftotext) and the filed content,
whose SHA-256 (``sha256sum``, and tools/verify_receipt.py) is the receipt's. Every page is checked against WCAG 2.1
AA (no serious or critical violation) and kept as a screenshot
(tests/output/screenshots/test_portal_registration_to_receipt_browser.*). SQLite: the steps are tested on
PostgreSQL in tests/test_portal_accounts.py and tests/test_portal_offers.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from notifications.dispatcher import dispatch
from tests.conftest import empty_tables
from tests.notification_helpers import SmtpServer, configure, free_port
from tests.offer_forms import sample_offer_form
from tests.portal_pages import (
    checked,
    downloaded_pdf_text,
    fill_form,
    flatten,
    officer_desk,
    portal_environment,
    portal_log_in,
)
from tests.test_open_call_guards import KRS, announced_call
from tests.test_portal_accounts import PASSWORD
from web.app import create_app

pytestmark = pytest.mark.browser

AT = "2026-01-12T10:00+01:00"  # the call takes offers
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def portal(sqlite_url, tmp_path, monkeypatch, live_server):
    """An announced open call of the registry's organisations (none represented on the portal), an SMTP server the
    dispatcher delivers to, and the application served. Returns (base URL, the call's code, SMTP)."""
    portal_environment(monkeypatch, tmp_path, AT)
    empty_tables(sqlite_url)
    code = announced_call(sqlite_url, orgs=1)
    smtp = SmtpServer(free_port()).start()
    server = live_server(create_app(sqlite_url))
    configure(monkeypatch, smtp.port, sqlite_url, portal_url=server.url)
    yield server.url, code, smtp
    smtp.stop()


def test_an_organisation_from_registration_to_receipt(portal, sqlite_url, new_context, screenshot, tmp_path):
    base, code, smtp = portal
    person = new_context().new_page()

    # registration, and the link of the e-mail
    person.goto(f"{base}/portal/rejestracja")
    checked(person, screenshot, "register")
    person.fill("#login", "ewa.lis")
    person.fill("#display_name", "Ewa Lis")
    person.fill("#email", "ewa@example.org")
    person.fill("#password", PASSWORD)
    person.fill("#password2", PASSWORD)
    person.locator("main").get_by_role("button", name="Zarejestruj się").click()
    assert person.locator("h1").inner_text() == "Sprawdź pocztę"
    checked(person, screenshot, "registered")
    assert dispatch(url=sqlite_url).sent == 1
    [mail] = smtp.inbox.to("ewa@example.org")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    person.goto(re.search(r"(http://127\.0\.0\.1:\d+/portal/potwierdz\?t=\S+)", text).group(1))
    checked(person, screenshot, "confirm")
    person.get_by_role("button", name="Potwierdzam mój adres e-mail").click()
    assert "Twój adres e-mail jest potwierdzony" in person.get_by_role("status").inner_text()
    checked(person, screenshot, "confirmed")

    # logged in, she represents nobody yet: the call is listed, but no form is offered to her
    portal_log_in(person, base, "ewa.lis", "/portal/nabory")
    calls = person.locator("table.calls").inner_text()
    assert code in calls and "Nie reprezentujesz jeszcze żadnej organizacji" in calls
    assert person.get_by_role("link", name="Przygotuj ofertę").count() == 0
    checked(person, screenshot, "calls-unrepresented")
    person.goto(f"{base}/portal/")
    assert "Nie reprezentujesz jeszcze żadnej organizacji" in person.locator("main").inner_text()
    checked(person, screenshot, "home-logged-in")

    # the representation request, by the organisation's KRS
    person.get_by_role("link", name="Złóż wniosek o reprezentowanie organizacji").click()
    person.wait_for_url("**/portal/reprezentacja")
    person.fill("#krs", KRS[0])
    person.get_by_role("button", name="Wyślij wniosek").click()
    assert "Wniosek wysłany" in person.get_by_role("status").inner_text()
    assert "czeka na urzędnika" in person.locator("table").inner_text()
    checked(person, screenshot, "claim-sent")

    # the officer confirms it on the desk
    desk = officer_desk(new_context, base, sqlite_url)
    desk.get_by_role("link", name="Wnioski o reprezentację").click()
    desk.wait_for_url("**/wnioski-o-reprezentacje")
    assert "Ewa Lis" in desk.locator("main").inner_text() and KRS[0] in desk.locator("main").inner_text()
    checked(desk, screenshot, "desk-requests")
    desk.get_by_role("button", name="Potwierdź reprezentację").click()
    assert "Wniosek nr 1 został rozpatrzony" in desk.get_by_role("status").inner_text()
    checked(desk, screenshot, "desk-decided")

    # the representative finds the open call and files an offer on the model form
    person.goto(f"{base}/portal/")
    assert "Organizacja 1" in person.locator("main").inner_text()
    person.get_by_role("link", name="Konkursy").first.click()
    person.wait_for_url("**/portal/nabory")
    assert code in person.locator("table.calls").inner_text()
    checked(person, screenshot, "calls")
    person.get_by_role("link", name="Przygotuj ofertę").click()
    person.wait_for_url(f"**/portal/oferty/nowa/{code}?organizacja={KRS[0]}")
    assert person.input_value('[name="offerors.0.name"]') == "Organizacja 1"  # from the registry
    checked(person, screenshot, "form-new")
    form = sample_offer_form(KRS[0])
    fill_form(person, flatten(form))
    checked(person, screenshot, "form-filled")
    person.get_by_role("button", name="Złóż ofertę").click()
    person.wait_for_url("**/pokwitowanie?wersja=1&zlozono=1")

    # the receipt: its number, the moment of filing, who filed it (her login), the SHA-256
    receipt = person.locator("dl.receipt").inner_text()
    assert f"{code}/1-1" in receipt and "2026-01-12 10:00 (+01:00)" in receipt and "Ewa Lis" in receipt  # by name, not login
    sha = person.locator("dd.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    checked(person, screenshot, "receipt")

    pdf = downloaded_pdf_text(person, "Pobierz potwierdzenie (PDF)", tmp_path / "receipt.pdf")
    assert f"{code}/1-1" in pdf and sha in pdf and form["task"]["title"] in pdf

    # what was filed, downloaded: its SHA-256 is the receipt's, by sha256sum and by the independent checker
    with person.expect_download() as download:
        person.get_by_role("link", name="Pobierz złożoną treść (JSON)").click()
    content = tmp_path / "tresc.json"
    download.value.save_as(content)
    assert form["task"]["title"] in content.read_text(encoding="utf-8")
    assert subprocess.run(["sha256sum", str(content)], capture_output=True, text=True,
                          check=True).stdout.split()[0] == sha
    verified = subprocess.run([sys.executable, str(ROOT / "tools" / "verify_receipt.py"), str(content),
                               "--sha256", sha], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    tampered = tmp_path / "zmieniona.json"
    tampered.write_text(content.read_text(encoding="utf-8").replace(form["task"]["title"],
                                                                    form["task"]["title"] + "!"), encoding="utf-8")
    assert subprocess.run([sys.executable, str(ROOT / "tools" / "verify_receipt.py"), str(tampered),
                           "--sha256", sha], capture_output=True, text=True).returncode == 1
