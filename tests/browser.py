"""Browser tests: the system's Chromium driven by Playwright, real HTTP servers for ASGI apps, screenshots, axe-core.

tests/conftest.py imports the fixtures, so any test can ask for them (mark the module ``pytest.mark.browser``):

- ``browser``: one headless Chromium (``/usr/bin/chromium`` from ``apt-get install chromium``, found on ``PATH``)
  per test module, closed after its last test (``chromium()`` says why not per session);
- ``new_context(**options) -> BrowserContext``: a fresh context (its own cookies: one per person), Polish and in
  Warsaw's time zone unless told otherwise; every context of the test is closed after it, and when the test
  failed each of its open pages is first saved as a ``<n>-failed.png`` screenshot;
- ``screenshot(page, name) -> Path``: the whole page saved as ``tests/output/screenshots/<module>.<test>/<n>-<name>.png``
  (the folder is emptied when the test starts; the path is printed and the session's summary names the folder);
- ``live_server(app, port=None) -> LiveServer``: the ASGI app served by uvicorn in a thread on 127.0.0.1 (a free
  port unless given); ``.url`` is its base URL; ``.stop()`` and ``.start()`` restart it on the same port;
  every server of the test is stopped after it.

``assert_accessible(page)`` runs axe-core (bundled with axe-playwright-python, injected from its file: nothing is
fetched) on the page with the WCAG 2.1 A and AA rules and fails naming every serious or critical violation.
``run_async(coroutine)``: what ``asyncio.run`` does, for a test whose browser is up.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

OUTPUT = Path(__file__).parent / "output"  # git-ignored
SCREENSHOTS = OUTPUT / "screenshots"
# axe-core's tags for the success criteria of WCAG 2.0 and 2.1, levels A and AA (2.1 adds to 2.0, not replaces)
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
FAILING_IMPACTS = ("serious", "critical")
DEFAULT_TIMEOUT_MS = 15_000  # a missing element fails in seconds, not Playwright's 30 s, yet a loaded CI machine passes

_failed = pytest.StashKey[bool]()
_SHOT_PROPERTY = "browser screenshot"


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system's Chromium, headless, driven by Playwright's sync API for the block.

    While it is up, Playwright's event loop counts as running in this thread: ``asyncio.run`` here fails
    ("cannot be called from a running event loop"); use ``run_async`` inside the block. After it, nothing is left."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("no `chromium` on PATH: the browser tests drive the system's Chromium "
                    "(`apt-get install chromium`; .ci/run installs it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright adds --no-sandbox itself (chromium_sandbox defaults to False): CI runs as root.
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for a test module, started once (about a second): not for the session, since the tests
    of other modules run in the same worker afterwards and many of them call ``asyncio.run`` (see ``chromium``)."""
    with chromium() as started:
        yield started


def run_async(coroutine):
    """``asyncio.run(coroutine)`` in a thread of its own, for a browser test (Playwright's loop holds this one)."""
    with ThreadPoolExecutor(1, thread_name_prefix="run-async") as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def new_context(browser, request, screenshot):
    """A factory of browser contexts (one per person of the test), closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        options = {"locale": "pl-PL", "timezone_id": "Europe/Warsaw", "viewport": {"width": 1280, "height": 900},
                   **options}
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    failed = request.node.stash.get(_failed, False)
    for context in contexts:
        if failed:  # the pages as they were when the test failed: the first thing one wants to see
            for page in context.pages:
                try:
                    screenshot(page, "failed")
                except Exception as error:  # a crashed page must not hide the test's own failure
                    print(f"no screenshot of {page.url}: {error}")
        context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, name) -> Path``: the whole page as the test's next numbered PNG."""
    test = _safe(f"{request.node.module.__name__.rsplit('.', 1)[-1]}.{request.node.name}")
    folder = SCREENSHOTS / test
    shutil.rmtree(folder, ignore_errors=True)  # only this run's pages, not a previous run's
    count = 0

    def save(page: Page, name: str) -> Path:
        nonlocal count
        count += 1
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{count:02d}-{_safe(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        request.node.user_properties.append((_SHOT_PROPERTY, str(path)))
        return path

    return save


def assert_accessible(page: Page, *, context=None, tags=WCAG_21_AA, impacts=FAILING_IMPACTS) -> list[dict]:
    """Run axe-core on the page as it is now; fail listing every violation of ``impacts`` (rule, impact, what it
    asks, the elements). Returns the violations of lesser impact, for a test that wants to look at them.

    ``context``: axe's context (a CSS selector, or ``{"exclude": [...]}``), the whole page by default."""
    from axe_playwright_python.base import AXE_SCRIPT  # axe.min.js as shipped in the package

    if not page.evaluate("typeof window.axe === 'object'"):  # once per document: 570 kB of script
        page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    violations = page.evaluate("([context, options]) => axe.run(context ?? document, options)",
                               [context, options])["violations"]
    failing = [v for v in violations if v["impact"] in impacts]
    if failing:
        lines = [f"{len(failing)} accessibility violation(s) ({'/'.join(impacts)}) on {page.url}:"]
        for violation in failing:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
            for node in violation["nodes"]:
                target = " > ".join(str(part) for part in node["target"])
                lines.append(f"    {target}: {node['html'][:160]}")
        raise AssertionError("\n".join(lines))
    return [v for v in violations if v["impact"] not in impacts]


class LiveServer:
    """An ASGI app served over real HTTP by uvicorn in a background thread, on 127.0.0.1."""

    def __init__(self, app, *, host: str = "127.0.0.1", port: int | None = None, startup_timeout: float = 30):
        self.app, self.host, self.startup_timeout = app, host, startup_timeout
        self.port = port or _free_port(host)
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.url

    def start(self) -> LiveServer:
        """Serve on the server's port (the same one after a stop); return when it accepts requests."""
        import uvicorn

        if self._thread is not None:
            raise RuntimeError(f"{self.url} is already served")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart reuses the port despite TIME_WAIT
        sock.bind((self.host, self.port))
        # as web/serve.py serves the desk: uvicorn's own X-Forwarded-For handling off (it trusts 127.0.0.1 by
        # default), so the desk's COOP_DESK_TRUSTED_PROXIES alone decides (web/security.py client_address)
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, timeout_graceful_shutdown=2,
                                proxy_headers=False)
        server = uvicorn.Server(config)
        errors: list[BaseException] = []

        def run():
            try:
                server.run(sockets=[sock])
            except BaseException as error:  # uvicorn exits (SystemExit) when the app's startup fails
                errors.append(error)
            finally:
                sock.close()

        thread = threading.Thread(target=run, name=f"live-server-{self.port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(5)
                why = repr(errors[0]) if errors else f"not started in {self.startup_timeout:g} s"
                raise RuntimeError(f"the app did not start on {self.url}: {why}")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop accepting, let requests in progress finish (2 s at most), run the app's shutdown."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(10)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(5)
        self._server = self._thread = None


@pytest.fixture
def live_server():
    """``live_server(app, port=None) -> LiveServer``: ``app`` served until the end of the test; ``.url``."""
    servers: list[LiveServer] = []

    def serve(app, port: int | None = None) -> LiveServer:
        server = LiveServer(app, port=port)
        servers.append(server)
        return server.start()

    yield serve
    for server in servers:
        server.stop()


def _safe(name: str) -> str:
    """A file name from a test's or a page's name (parameters such as ``[sqlite-Ewa Nowak]`` included)."""
    return re.sub(r"[^\w.-]+", "_", name)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# Hooks, imported by tests/conftest.py.

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_failed] = True
    return report


def pytest_terminal_summary(terminalreporter):
    shots = {value for reports in terminalreporter.stats.values() for report in reports
             for name, value in getattr(report, "user_properties", ()) if name == _SHOT_PROPERTY}
    if shots:
        terminalreporter.write_line(f"browser screenshots: {len(shots)} under {SCREENSHOTS}")
