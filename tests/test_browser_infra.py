"""The browser tests' own machinery (tests/browser.py), proved on a small app defined here: a real HTTP server,
two people in two browser contexts, screenshots, and an axe-core check that fails on what it must."""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess
import sys
import textwrap
from contextlib import asynccontextmanager
from html import escape
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tests.browser import LiveServer, assert_accessible, run_async

pytestmark = pytest.mark.browser

LIMIT = 10_000
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>{escape(title)}</title>
<link rel="stylesheet" href="/style.css"></head>
<body><main><h1>{escape(title)}</h1>{body}</main></body></html>""", headers={"Content-Security-Policy": STRICT_CSP})


def small_app() -> FastAPI:
    """Log in by name (a cookie), then ask for an amount: over the limit is refused inline, else the server
    answers with the amount formatted its own way and the person's name read back from the cookie."""
    app = FastAPI()
    app.state.requests = 0

    @app.middleware("http")
    async def count(request, call_next):
        app.state.requests += 1
        return await call_next(request)

    @app.get("/style.css")
    def style():
        return HTMLResponse("body{font:16px sans-serif;color:#111;background:#fff}.error{color:#a00000}.tall{height:3000px}",
                            media_type="text/css")

    @app.get("/")
    def login_form():
        return _page("Logowanie", """<form method="post" action="/login">
<label for="person">Imię i nazwisko</label> <input id="person" name="person" required>
<button type="submit">Zaloguj</button></form>""")

    @app.post("/login")
    def login(person: str = Form()):
        response = RedirectResponse("/wniosek", status_code=303)
        response.set_cookie("person", person, httponly=True, samesite="strict")
        return response

    def request_form(person: str, amount: str = "", error: str = "") -> HTMLResponse:
        invalid = ' aria-invalid="true" aria-describedby="amount-error"' if error else ""
        message = f'<p id="amount-error" class="error" role="alert">{escape(error)}</p>' if error else ""
        return _page("Wniosek", f"""<p id="who">Zalogowano: {escape(person)}</p>
<form method="post" action="/wniosek"><label for="amount">Kwota (zł)</label>
<input id="amount" name="amount" inputmode="numeric" value="{escape(amount)}"{invalid}>{message}
<button type="submit">Złóż</button></form>""")

    @app.get("/wniosek")
    def show(request: Request):
        return request_form(request.cookies.get("person", "?"))

    @app.post("/wniosek")
    def submit(request: Request, amount: str = Form("")):
        person = request.cookies.get("person", "?")
        if not amount.isdigit() or not 0 < int(amount) <= LIMIT:
            return request_form(person, amount, f"Kwota musi być liczbą całkowitą od 1 do {LIMIT} zł.")
        formatted = f"{int(amount):,}".replace(",", "\u00a0")
        return _page("Przyjęto", f'<p id="result">Przyjęto {formatted} zł od {escape(person)}.</p>')

    @app.get("/tall")
    def tall():
        # The height comes from the stylesheet: the policy forbids style attributes
        return _page("Długa strona", '<div class="tall">początek</div><p>koniec</p>')

    @app.get("/unlabelled")
    def unlabelled():
        return _page("Bez etykiety", '<form><input id="nameless" name="x"><button>OK</button></form>')

    return app


def test_two_people_fill_and_submit_a_form_with_a_refusal_inline(live_server, new_context, screenshot):
    server = live_server(small_app())
    ewa, jan = new_context().new_page(), new_context().new_page()
    shots = []
    for page, name in ((ewa, "Ewa Nowak"), (jan, "Jan Kowalski")):
        page.goto(server.url)
        assert_accessible(page)
        page.get_by_label("Imię i nazwisko").fill(name)
        page.get_by_role("button", name="Zaloguj").click()
        page.wait_for_url(f"{server.url}/wniosek")
    # Each context has its own cookie: each person sees themself
    assert ewa.locator("#who").inner_text() == "Zalogowano: Ewa Nowak"
    assert jan.locator("#who").inner_text() == "Zalogowano: Jan Kowalski"
    shots.append(screenshot(ewa, "ewa-form"))

    ewa.get_by_label("Kwota (zł)").fill("25000")
    ewa.get_by_role("button", name="Złóż").click()
    alert = ewa.get_by_role("alert")
    assert alert.inner_text() == f"Kwota musi być liczbą całkowitą od 1 do {LIMIT} zł."
    assert ewa.get_by_label("Kwota (zł)").get_attribute("aria-invalid") == "true"
    assert_accessible(ewa)  # the refusal too: tied to its field, readable
    shots.append(screenshot(ewa, "ewa-refused"))

    ewa.get_by_label("Kwota (zł)").fill("1234")
    ewa.get_by_role("button", name="Złóż").click()
    assert ewa.locator("#result").inner_text() == "Przyjęto 1\u00a0234 zł od Ewa Nowak."
    jan.get_by_label("Kwota (zł)").fill("7")
    jan.get_by_role("button", name="Złóż").click()
    assert jan.locator("#result").inner_text() == "Przyjęto 7 zł od Jan Kowalski."
    assert_accessible(ewa)
    shots += [screenshot(ewa, "ewa-accepted"), screenshot(jan, "jan-accepted")]

    assert [p.name for p in shots] == ["01-ewa-form.png", "02-ewa-refused.png", "03-ewa-accepted.png",
                                       "04-jan-accepted.png"]
    assert len({p.parent for p in shots}) == 1
    assert shots[0].parent.name == "test_browser_infra.test_two_people_fill_and_submit_a_form_with_a_refusal_inline"
    for path in shots:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_screenshot_holds_the_whole_page_not_the_window(live_server, new_context, screenshot):
    server = live_server(small_app())
    page = new_context(viewport={"width": 800, "height": 600}).new_page()
    page.goto(f"{server.url}/tall")
    width, height = struct.unpack(">II", screenshot(page, "tall").read_bytes()[16:24])  # the PNG's IHDR
    assert width == 800
    assert height > 3000


def test_axe_fails_naming_an_unlabelled_field_and_an_image_without_text(new_context):
    context = new_context()
    requested = []
    context.route("**/*", lambda route: (requested.append(route.request.url), route.abort()))  # offline
    page = context.new_page()
    page.set_content('<!doctype html><html lang="pl"><head><title>Zła strona</title></head><body><main>'
                     '<input id="nameless" type="text"><img id="mute" src="logo.png"></main></body></html>')
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    message = str(failure.value)
    assert "2 accessibility violation(s) (serious/critical)" in message
    assert "- label (critical): Form elements must have labels" in message
    assert "#nameless" in message
    assert "- image-alt (critical): Images must have alternative text" in message
    assert "#mute" in message
    assert [url for url in requested if "logo.png" not in url] == []  # axe came from its file, not the network


def test_axe_fails_on_low_contrast_text(new_context):
    page = new_context().new_page()
    page.set_content('<!doctype html><html lang="pl"><head><title>Blado</title></head><body><main>'
                     '<p id="pale" style="color:#bbb;background:#fff">Termin mija jutro.</p></main></body></html>')
    with pytest.raises(AssertionError, match=r"color-contrast \(serious\)[\s\S]*#pale"):
        assert_accessible(page)


def test_axe_runs_under_a_strict_content_security_policy(live_server, new_context):
    """The desk's pages forbid inline and foreign scripts: axe, put in by the browser's debugging protocol,
    still runs there; it passes the clean page and fails the unlabelled one."""
    server = live_server(small_app())
    page = new_context().new_page()
    response = page.goto(server.url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert assert_accessible(page) == []
    page.goto(f"{server.url}/unlabelled")
    with pytest.raises(AssertionError, match=r"label \(critical\)[\s\S]*#nameless"):
        assert_accessible(page)
    assert assert_accessible(page, context={"exclude": ["#nameless"]}) == []  # axe's context: a part of the page


def test_a_served_app_restarts_on_the_same_port_and_the_page_goes_on(live_server, new_context):
    app = small_app()
    server = live_server(app)
    page = new_context().new_page()
    page.goto(server.url)
    page.get_by_label("Imię i nazwisko").fill("Ewa Nowak")
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_url(f"{server.url}/wniosek")

    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url)
    server.start()
    seen = app.state.requests
    page.get_by_label("Kwota (zł)").fill("50")
    page.get_by_role("button", name="Złóż").click()  # the page opened before the restart, answered after it
    assert page.locator("#result").inner_text() == "Przyjęto 50 zł od Ewa Nowak."
    assert app.state.requests > seen


def test_an_app_that_fails_to_start_is_reported_not_waited_for():
    @asynccontextmanager
    async def lifespan(app):
        raise RuntimeError("no database")
        yield

    server = LiveServer(FastAPI(lifespan=lifespan), startup_timeout=10)
    with pytest.raises(RuntimeError, match=f"the app did not start on {server.url}"):
        server.start()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url)


def test_while_the_browser_is_up_asyncio_runs_through_run_async(browser):
    """Playwright's sync API holds an event loop in the test's thread: ``asyncio.run`` is refused there (why the
    browser lives for a module, not the session); ``run_async`` runs the coroutine in a thread of its own."""
    browser.new_page().close()
    coroutine = asyncio.sleep(0, "too early")
    with pytest.raises(RuntimeError, match="running event loop"):
        asyncio.run(coroutine)
    coroutine.close()
    assert run_async(asyncio.sleep(0, "answered")) == "answered"


def test_after_the_browser_asyncio_runs_again():
    """What the next module of the same worker sees: nothing of Playwright's loop is left once the browser is
    closed (run in a process of its own: this module's browser is still up)."""
    script = textwrap.dedent("""
        import asyncio
        from tests.browser import chromium
        with chromium() as browser:
            page = browser.new_page()
            page.set_content("<p>x</p>")
            assert page.inner_text("p") == "x"
        print(asyncio.run(asyncio.sleep(0, "free")))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "free"


def test_a_failed_test_leaves_a_screenshot_of_each_open_page(tmp_path):
    """Run in a pytest of its own (tests/browser.py as its plugin): the failing test's open page is saved."""
    (tmp_path / "test_failing_page_probe.py").write_text(textwrap.dedent("""
        def test_fails(new_context):
            page = new_context().new_page()
            page.set_content('<h1 id="state">Stan przed błędem</h1>')
            assert page.inner_text("#state") == "Inny stan"
    """))
    root = Path(__file__).parents[1]
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.browser", "-p", "no:cacheprovider", "-q",
                           "test_failing_page_probe.py"], capture_output=True, text=True, timeout=180, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 1, done.stdout + done.stderr
    shot = root / "tests/output/screenshots/test_failing_page_probe.test_fails/01-failed.png"
    assert f"screenshot: {shot}" in done.stdout
    assert "browser screenshots: 1 under" in done.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_prefect_ui_asks_for_the_auth_string_and_lets_in_with_it(tmp_path, monkeypatch, new_context, screenshot):
    """The real door of `coop serve` (flows/launcher.py's server, its auth string): a Vue application, not a
    page of ours, driven the same way. A wrong string is refused on the login page; the right one opens it."""
    from flows.launcher import start_server, wait_healthy
    from tests.notification_helpers import free_port

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server("127.0.0.1", port, tmp_path / "prefect.log", "coop:browser-test-string")
    try:
        wait_healthy(server, f"{url}/api")
        page = new_context(locale="en-US").new_page()
        page.goto(url)
        page.wait_for_url("**/login**")
        field = page.get_by_placeholder("admin:pass")
        screenshot(page, "prefect-login")
        field.fill("coop:guess")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Invalid credentials").wait_for()
        assert "/login" in page.url
        screenshot(page, "prefect-refused")
        field.fill("coop:browser-test-string")
        page.get_by_role("button", name="Login").click()
        page.wait_for_url("**/dashboard**")
        page.get_by_text("Logout").wait_for()  # only a logged-in page offers it
        screenshot(page, "prefect-dashboard")
    finally:
        server.terminate()
        server.wait(30)
