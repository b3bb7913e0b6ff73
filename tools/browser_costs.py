#!/usr/bin/env python3
"""What the browser tests' machinery costs on this machine (docs/testing.md): starting the system's Chromium,
and one axe-core check (tests/browser.py ``assert_accessible``) on a small page and on a long one.

    .venv/bin/python tools/browser_costs.py
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser import assert_accessible  # noqa: E402

SMALL = ('<!doctype html><html lang="pl"><head><title>Logowanie</title></head><body><main><h1>Logowanie</h1>'
         '<form><label for="p">Imię i nazwisko</label><input id="p"><button>Zaloguj</button></form></main></body></html>')
LONG = ('<!doctype html><html lang="pl"><head><title>Na dziś</title></head><body><main><h1>Na dziś</h1><table>'
        '<caption>Sprawy</caption><tr><th scope="col">Sygnatura</th><th scope="col">Termin</th><th scope="col">Ocena</th></tr>'
        + "".join(f'<tr><td><a href="/s/{i}">OK.524.{i}.2026</a></td><td>2026-02-{i % 28 + 1:02d}</td>'
                  f'<td><label for="s{i}">Punkty</label> <input id="s{i}"></td></tr>' for i in range(200))
        + "</table></main></body></html>")


def main() -> None:
    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("no `chromium` on PATH (apt-get install chromium)")
    starts = []
    for _ in range(5):
        began = time.perf_counter()
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        browser.new_context().new_page().goto("about:blank")
        starts.append(time.perf_counter() - began)
        browser.close()
        playwright.stop()
    print(f"Chromium {executable}: start (Playwright, launch, first page), 5 runs: "
          f"{', '.join(f'{s:.2f}' for s in starts)} s; median {statistics.median(starts):.2f} s")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        page = browser.new_context().new_page()
        for name, html in (("small page (a login form)", SMALL), ("long page (a table of 200 rows)", LONG)):
            times = []
            for _ in range(6):
                page.set_content(html)  # a fresh document each time, as after a navigation: axe injected again
                began = time.perf_counter()
                assert_accessible(page)
                times.append(time.perf_counter() - began)
            print(f"axe check, {name}: first {times[0] * 1000:.0f} ms, then median "
                  f"{statistics.median(times[1:]) * 1000:.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
