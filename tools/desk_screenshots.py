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

import argparse
import os
import sys
import tempfile
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


def shoot(page, path: Path, *, height: int | None = None, until: str | None = None) -> None:
    """The page, cropped to its useful part: at most ``height`` pixels tall, or down to the element ``until``
    (a CSS selector: e.g. the fifth row of a list, so no row is cut in half)."""
    size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    bottom = size[1]
    if until and page.locator(until).count():
        bottom = page.evaluate("s => document.querySelector(s).getBoundingClientRect().bottom + window.scrollY + 24",
                               until)
    clip = {"x": 0, "y": 0, "width": size[0], "height": min(size[1], bottom, height or size[1])}
    page.screenshot(path=str(path), clip=clip, full_page=True)
    print(f"{path} ({path.stat().st_size // 1024} kB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--lang", choices=("pl", "en"), default="pl")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="desk-shots-") as temp:
        folder = Path(temp)
        # the desk's key and the user data directory of this run only; the clock of the pictures
        os.environ.update(COOP_DESK_KEY_FILE=str(folder / "desk-key"), XDG_DATA_HOME=str(folder / "data"),
                          COOP_NOW=NOW, COOP_LANG=args.lang)
        for name in ("COOP_TOKEN", "COOP_DATABASE_URL", "COOP_ACTOR", "COOP_ROLE"):
            os.environ.pop(name, None)
        url = build(folder)

        from tests.browser import LiveServer, chromium
        from web.app import create_app

        server = LiveServer(create_app(url)).start()
        try:
            with chromium() as browser:
                context = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw",
                                              viewport={"width": args.width, "height": 800})
                page = context.new_page()
                page.goto(f"{server.url}/logowanie?lang={args.lang}")
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
                context.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
