#!/usr/bin/env python3
"""The README's pictures of the officers' desk (docs/images/desk-*.png), made again from the demo's data.

A fresh simulation database in a temporary folder gets the demo programme (flows/demo_programme.py) and the demo
accounts (docs/desk.md), on a fixed clock so the pictures do not change with the day they are made; the desk is
served on 127.0.0.1 and the system's Chromium (tests/browser.py) logs in as the officer ``urzednik`` and takes:

- ``desk-login.png``: the login page, her login and password typed;
- ``desk-today.png``: „Na dziś” of the officer, the calls in formal review waiting on her;
- ``desk-case.png``: the case page of the call in formal review.

    .venv/bin/python tools/desk_screenshots.py [--out docs/images] [--width 1280] [--lang pl]

Nothing outside the temporary folder is touched (the desk's key and the user data directory are made there).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = "2026-11-16T09:30+01:00"  # a Monday morning: the demo's calls are dated relative to it
PASSWORD = "demo-biurko-2026"


def build(folder: Path) -> str:
    """A demo database in ``folder``: the demo programme and its accounts; returns its URL."""
    from flows.demo_programme import load_demo
    from states.credentials import demo_accounts

    url = f"sqlite:///{folder / 'desk-demo.db'}"
    load_demo(url, datetime.fromisoformat(NOW))
    demo_accounts(url)
    return url


def main() -> None:
    from tools.screenshots import arguments, scratch, served_page, shoot

    args = arguments(__doc__)
    with scratch("desk-shots-", NOW, args.lang) as folder:
        with served_page(build(folder), args.width) as (page, base):
            page.goto(f"{base}/logowanie?lang={args.lang}")
            page.fill("#login", "urzednik")
            page.fill("#password", PASSWORD)
            page.locator("#password").blur()
            shoot(page, args.out / "desk-login.png", height=640)
            page.click("main button[type=submit]")
            page.wait_for_url("**/na-dzis")
            shoot(page, args.out / "desk-today.png", until="table.todo tbody tr:nth-child(5)")
            page.click("table.todo tbody tr >> nth=0 >> a")
            page.wait_for_url("**/sprawy/**")
            shoot(page, args.out / "desk-case.png", height=1100)


if __name__ == "__main__":
    main()
