"""The officers' desk: ``create_app()`` gives the FastAPI application (server-rendered pages, no JavaScript).

Served alone by ``coop desk`` or beside Prefect by ``coop serve`` (uvicorn). It reads and writes the engine's
database as the CLI does (``COOP_DATABASE_URL`` or the default file; ``url`` for the tests) and acts only through
``states.engine.execute`` for a proven person (web/security.py).

How to add a page: write a template extending ``base.html`` (fill ``{% block content %}``), and a route in a
router of its own module (see web/today.py) that depends on ``require_actor`` for the person and answers
``page(request, "x.html", title=tr(...), ...)`` (web/templating.py); include the router below. A POST form
carries ``<input type="hidden" name="csrf" value="{{ csrf }}">``; the application checks it on every POST.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from kernel.text import LANGUAGES, language_override, tr
from web.security import (
    LANG_COOKIE,
    PRE_COOKIE,
    ChunkedBodyLimit,
    LoginRequired,
    check_csrf,
    login_url,
    set_cookie,
)

STATIC = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class DeskSettings:
    url: str | None = None  # the engine's database (None: as the CLI finds it)
    secure: bool = False  # cookies Secure even over plain http (behind a TLS-terminating proxy)
    # Prefect's API, where the evaluation forms wait (web/prefect_forms.py); None: PREFECT_API_URL and
    # PREFECT_API_AUTH_STRING of the environment when a form is answered (coop serve sets both).
    prefect_api: str | None = None
    prefect_auth: str | None = None
    outcome_wait: float = 20.0  # seconds the desk waits for a flow to say what the engine answered
    # the proxies whose X-Forwarded-For names the client the rate limits count (web/security.py client_address)
    trusted_proxies: tuple = ()


class LanguageMiddleware:
    """The request's language: ``?lang=`` (kept in a cookie for the next pages), else the cookie, else Polish; set
    for this request only (kernel/text.py ``language_override``), so messages and templates follow it."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        asked = request.query_params.get("lang", "")
        chosen = asked if asked in LANGUAGES else request.cookies.get(LANG_COOKIE, "")
        chosen = chosen if chosen in LANGUAGES else "pl"

        async def send_with_cookie(message):
            if message["type"] == "http.response.start" and asked in LANGUAGES:
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", f"{LANG_COOKIE}={asked}; Path=/; Max-Age=31536000; SameSite=Lax"
                                .encode()))
                message = {**message, "headers": headers}
            await send(message)

        with language_override(chosen):
            await self.app(scope, receive, send_with_cookie)


_FROM_ENV = object()


def _portal_refusal(exc: HTTPException):
    """What the portal's error page says for an HTTPException: a route's own refusal (a Message), else the rule."""
    if exc.status_code == 403 and exc.detail == "csrf":
        return tr("The form was not sent from this portal's page, or it is out of date (its security token is "
                  "missing or wrong). Nothing was done. Go back, reload the page and send it again.")
    if exc.status_code == 404:
        return exc.detail if exc.detail and exc.detail != "Not Found" else tr("No such page.")
    if exc.status_code == 403:
        return exc.detail if exc.detail else tr("You may not see this page; nothing was done.")
    if exc.status_code == 413 and exc.detail:  # a form too large (web/security.py refuse_large_form)
        return exc.detail
    return tr("The request could not be handled.")


def create_app(url: str | None = None, *, secure: bool | None = None, oidc=_FROM_ENV, prefect_api: str | None = None,
               prefect_auth: str | None = None, outcome_wait: float = 20.0, trusted_proxies=_FROM_ENV) -> FastAPI:
    """The desk on the database ``url`` (None: the engine's, as the CLI reads it). ``secure``: Secure cookies even
    over http (default: ``COOP_DESK_SECURE_COOKIES=1``; over https they always are). ``oidc``: the identity
    provider (web/oidc.py ``OidcConfig``; default: from ``COOP_OIDC_*``; None: local accounts only).
    ``prefect_api`` and ``prefect_auth``: where the evaluation forms wait (default: the environment's, read when
    one is answered); ``outcome_wait``: how long an answer handed to a flow is watched for its outcome.
    ``trusted_proxies``: networks whose ``X-Forwarded-For`` is believed (default: ``COOP_DESK_TRUSTED_PROXIES``;
    none: the socket's peer is the client)."""
    import ipaddress
    import os

    from notifications.bootstrap import bootstrap

    bootstrap()  # an entry point like the CLI: the domain's events of a step reach the outbox (states/events.py)

    from web import auth_pages, cases, portal, portal_accounts, portal_api, today
    from web.templating import page

    if secure is None:
        secure = os.environ.get("COOP_DESK_SECURE_COOKIES", "").strip() == "1"
    app = FastAPI(title="coop-engine desk", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(check_csrf)])
    from web.security import trusted_proxies as proxies_from_env

    proxies = proxies_from_env() if trusted_proxies is _FROM_ENV else tuple(
        ipaddress.ip_network(p, strict=False) for p in trusted_proxies or ())
    app.state.desk = DeskSettings(url=url, secure=secure, prefect_api=prefect_api, prefect_auth=prefect_auth,
                                  outcome_wait=outcome_wait, trusted_proxies=proxies)
    app.add_middleware(LanguageMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth_pages.router)
    app.include_router(today.router)
    # before the case page: its /sprawy/{code:path} would take /sprawy/<code>/oferty/<n> as a case's code
    app.include_router(__import__("web.desk_offers", fromlist=["router"]).router)  # one offer: web/desk_offers.py
    app.include_router(__import__("web.portal_attachments", fromlist=["router"]).router)  # offers' files
    app.include_router(__import__("web.desk_reports", fromlist=["router"]).router)  # its reports: web/desk_reports.py
    app.include_router(__import__("web.desk_initiative", fromlist=["router"]).router)  # web/desk_initiative.py
    app.include_router(cases.router)
    app.include_router(portal.router)  # the organisations' portal under /portal/ (web/portal.py)
    app.include_router(portal_accounts.router)  # its accounts, representation, profiles; the desk's requests page
    app.include_router(__import__("web.portal_offers", fromlist=["router"]).router)  # offers: web/portal_offers.py
    app.include_router(__import__("web.portal_small_grant", fromlist=["router"]).router)  # art. 19a: its module
    app.include_router(__import__("web.portal_small_grant_api", fromlist=["router"]).router)  # its JSON door
    app.include_router(__import__("web.portal_initiative_api", fromlist=["router"]).router)  # art. 19b's JSON door
    app.include_router(__import__("web.portal_reports", fromlist=["router"]).router)  # web/portal_reports.py
    app.include_router(__import__("web.portal_comments", fromlist=["router"]).router)  # comments: web/portal_comments.py
    app.include_router(__import__("web.portal_initiative_reports", fromlist=["router"]).router)  # before the next
    app.include_router(__import__("web.portal_initiative", fromlist=["router"]).router)  # web/portal_initiative.py
    app.include_router(__import__("web.portal_password_reset", fromlist=["router"]).router)  # a forgotten password
    app.include_router(portal_api.router)  # the organisations' JSON door (bearer token; no CSRF: web/security.py)
    from web import oidc as oidc_login

    app.state.oidc = None
    config = oidc_login.oidc_config() if oidc is _FROM_ENV else oidc
    if config is not None:
        oidc_login.install(app, config, secure=secure)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        # No framing (clickjacking), no sniffing, nothing from elsewhere: the desk serves its own CSS only.
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; "
                                                               "form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path != "/static" and not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        pre = getattr(request.state, "pre", None)
        if pre and PRE_COOKIE not in request.cookies:
            set_cookie(response, request, PRE_COOKIE, pre)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.exception_handler(portal.PortalLoginRequired)
    async def to_portal_login(request: Request, exc: portal.PortalLoginRequired) -> Response:
        return RedirectResponse(portal.portal_login_url(exc.next_path), status_code=303)

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/portal/"):  # the portal's own look, its own words
            return portal.refuse(request, _portal_refusal(exc), status_code=exc.status_code)
        if exc.status_code == 403:
            return page(request, "error.html", title=tr("Refused"), status_code=403,
                        message=tr("The form was not sent from this desk's page, or it is out of date (its "
                                   "security token is missing or wrong). Nothing was done. Go back, reload the "
                                   "page and send it again."))
        if exc.status_code == 404:
            return page(request, "error.html", title=tr("Not found"), status_code=404,
                        # a route's refusal (e.g. "no case OK/2026/999") is shown; Starlette's own 404 of an unknown
                        # address says "Not Found", in English: the reader gets her language's sentence instead
                        message=exc.detail if exc.detail and exc.detail != "Not Found" else tr("No such page."))
        return page(request, "error.html", title=tr("Error"), status_code=exc.status_code,
                    message=tr("The request could not be handled."))

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        from web.security import actor_of

        return RedirectResponse(portal.landing(actor_of(request)) if actor_of(request) else "/na-dzis",
                                status_code=303)

    @app.get("/zdrowie", include_in_schema=False)
    def health() -> dict:
        return {"ok": True}

    app.add_middleware(ChunkedBodyLimit)  # a chunked body too large refused before any route reads it
    app.add_middleware(portal_api.Arrival)  # outermost: the moment a filing reached the application (its receipt)
    return app
