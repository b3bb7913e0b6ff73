"""What the README's picture tools share (tools/desk_screenshots.py, tools/portal_screenshots.py): their command
line, a temporary folder that is the run's whole world on a fixed clock, the application served to the system's
Chromium (tests/browser.py), and a screenshot cropped to the page's useful part.

The tools import it as ``tools.screenshots`` once they have put the project's root on ``sys.path``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def arguments(doc: str) -> argparse.Namespace:
    """``--out`` (made if missing), ``--width`` and ``--lang``; the tool's first paragraph is its description."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--lang", choices=("pl", "en"), default="pl")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


@contextmanager
def scratch(prefix: str, now: str, lang: str) -> Iterator[Path]:
    """A temporary folder holding the desk's key and the user data directory of this run only, the clock of the
    pictures set to ``now``; none of the person's own COOP_* settings leak in."""
    with tempfile.TemporaryDirectory(prefix=prefix) as temp:
        folder = Path(temp)
        os.environ.update(COOP_DESK_KEY_FILE=str(folder / "desk-key"), XDG_DATA_HOME=str(folder / "data"),
                          COOP_NOW=now, COOP_LANG=lang)
        for name in ("COOP_TOKEN", "COOP_DATABASE_URL", "COOP_ACTOR", "COOP_ROLE"):
            os.environ.pop(name, None)
        yield folder


@contextmanager
def served_page(url: str, width: int) -> Iterator[tuple[object, str]]:
    """The application on the database ``url`` served on 127.0.0.1, and a Polish page in Warsaw's time zone of
    the system's Chromium, ``width`` pixels wide: yields the page and the server's base URL."""
    from tests.browser import LiveServer, chromium
    from web.app import create_app

    server = LiveServer(create_app(url)).start()
    try:
        with chromium() as browser:
            context = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw",
                                          viewport={"width": width, "height": 800})
            yield context.new_page(), server.url
            context.close()
    finally:
        server.stop()


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
