"""Helpers for the portal's offer form (web/portal_offers.py), shared by its tests and tools/portal_screenshots.py:
a form's JSON as the page posts it (``flatten``) and typed into the page in a browser (``fill_form``); and the
set-up and steps the portal's browser tests share (``portal_environment``, ``portal_log_in``, ``checked``,
``downloaded_pdf_text``, ``officer_desk``). What the browser tests need is imported when called, so the tool does
not need pytest."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

# the model forms' yes/no choices (a radio group posting "true" / "false"): the offer's declarations 3) and 4)
CHOICES = ("no_tax_arrears", "no_social_security_arrears")


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A form's JSON as the page posts it: ``offerors.0.name``...; a ticked box "1", an unticked one absent; a
    choice (``CHOICES``) "true" or "false"."""
    out: dict[str, str] = {}
    if isinstance(value, bool) and prefix.rsplit(".", 1)[-1] in CHOICES:
        out[prefix] = "true" if value else "false"
    elif isinstance(value, dict):
        for key, sub in value.items():
            out.update(flatten(sub, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list | tuple):
        for i, sub in enumerate(value):
            out.update(flatten(sub, f"{prefix}.{i}"))
    elif value is True:
        out[prefix] = "1"
    elif value is None or value is False:
        pass
    else:
        out[prefix] = str(value)
    return out


def fill_form(page, values: dict[str, str]) -> None:
    """Type the form as a person would (Playwright ``page``): each field by its name; a row missing is added with
    its part's "add a row" button first (which saves the draft and shows the page again, no JavaScript).

    The page's named fields and their kinds are read in one call per page shown (not two calls per field: a
    hundred fields made it seconds of round trips); each field is still typed, ticked or chosen by Playwright."""
    kinds = _field_kinds(page)
    for name, value in values.items():
        field = page.locator(f'[name="{name}"]')
        while name not in kinds:
            rows = re.match(r"(.*)\.(\d+)(?:\.[^.]+)?$", name).group(1)
            page.locator(f'button[value="add:{rows}"]').click()
            page.wait_for_load_state()
            kinds = _field_kinds(page)
        kind = kinds[name]
        if kind.startswith("SELECT"):
            field.select_option(value)
        elif kind.endswith("radio"):  # a choice: the button of the value posted
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind.endswith("checkbox"):
            field.check()
        else:
            field.fill(value)


def _field_kinds(page) -> dict[str, str]:
    """``name -> "TAG:type"`` of the first element of each name on the page (as ``locator(...).first``)."""
    return page.evaluate("""() => {
        const kinds = {};
        for (const e of document.querySelectorAll("[name]")) {
            const name = e.getAttribute("name");
            if (!(name in kinds)) kinds[name] = e.tagName + ":" + (e.type || "");
        }
        return kinds;
    }""")


# --- the portal's browser tests ---------------------------------------------------------------------------------


def portal_environment(monkeypatch, tmp_path, now: str) -> None:
    """What a browser test's application runs with: its own desk key and data folder, no API token, the clock at
    ``now``."""
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    monkeypatch.setenv("COOP_NOW", now)


def portal_log_in(page, base: str, login: str, next_path: str) -> None:
    """Log in on the portal's page as ``login`` (the password of tests/test_desk.py) and land on ``next_path``."""
    from tests.test_desk import PASSWORD

    page.goto(f"{base}/portal/logowanie?next={next_path}")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile("Zaloguj|Log in")).click()
    page.wait_for_url(f"**{next_path}")


def checked(page, screenshot, name: str) -> None:
    """The page has no serious or critical WCAG 2.1 AA violation (axe-core), and is kept as a screenshot."""
    from tests.browser import assert_accessible

    assert_accessible(page)
    screenshot(page, name)


def pdf_text(path) -> str:
    import pytest

    if shutil.which("pdftotext") is None:
        pytest.fail("no pdftotext (apt-get install poppler-utils; .ci/run installs it)", pytrace=False)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def downloaded_pdf_text(page, link: str, path) -> str:
    """Press the link ``link`` names, save the PDF it downloads at ``path`` and give its text."""
    with page.expect_download() as download:
        page.get_by_role("link", name=link).click()
    download.value.save_as(path)
    return pdf_text(path)


def officer_desk(new_context, base: str, url: str):
    """A new browser page on the desk, logged in as the officer "anna" (made now), on her "today" page."""
    from tests.test_desk import with_password
    from tests.test_desk_browser import log_in as desk_log_in

    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = new_context().new_page()
    desk_log_in(desk, base, "anna")
    desk.wait_for_url("**/na-dzis")
    return desk
