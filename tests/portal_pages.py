"""Helpers for the portal's offer form (web/portal_offers.py), shared by its tests and tools/portal_screenshots.py:
a form's JSON as the page posts it (``flatten``) and typed into the page in a browser (``fill_form``)."""

from __future__ import annotations

import re
from typing import Any


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A form's JSON as the page posts it: ``offerors.0.name``...; a ticked box "1", an unticked one absent."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
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
    its part's "add a row" button first (which saves the draft and shows the page again, no JavaScript)."""
    for name, value in values.items():
        field = page.locator(f'[name="{name}"]')
        while field.count() == 0:
            rows = re.match(r"(.*)\.(\d+)(?:\.[^.]+)?$", name).group(1)
            page.locator(f'button[value="add:{rows}"]').click()
            page.wait_for_load_state()
        kind = field.evaluate("e => e.tagName + ':' + (e.type || '')")
        if kind.startswith("SELECT"):
            field.select_option(value)
        elif kind.endswith("checkbox"):
            field.check()
        else:
            field.fill(value)
