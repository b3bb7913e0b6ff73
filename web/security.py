"""Who is logged in, and proof that a form was sent from the desk's own page.

- ``SESSION_COOKIE`` holds the session credential (states/credentials.py ``open_session``): HttpOnly, SameSite=Lax,
  Secure when served over https or configured so. ``actor_of(request)`` gives the proven ``Actor`` of the
  session (None when logged out); a page that needs a person depends on ``require_actor`` (a logged-out reader is
  sent to the login page and back).
- CSRF: every POST form carries ``csrf_field()`` (template: ``{{ csrf_field|safe }}`` — the base gives ``csrf``),
  an HMAC under the desk's key of the session credential (before login: of a random pre-session cookie) bound to
  the purpose ``form``. ``check_csrf`` is a dependency of the whole application: a POST without the right token is
  refused (403) before any route runs, so nothing is changed.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote

from fastapi import HTTPException, Request

from states.actors import Actor
from states.credentials import mac, session_actor

SESSION_COOKIE = "coop_desk_session"
PRE_COOKIE = "coop_desk_pre"  # before login: what the login form's CSRF token is bound to
LANG_COOKIE = "coop_lang"
CSRF_FIELD = "csrf"


class LoginRequired(Exception):
    """A page needs a logged-in person: answered by a redirect to the login page (web/app.py)."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def trusted_proxies(environ=None) -> tuple:
    """The proxies whose ``X-Forwarded-For`` the desk believes (``COOP_DESK_TRUSTED_PROXIES``: addresses or
    networks, separated by commas or spaces, e.g. ``127.0.0.1, 10.0.0.0/8``); none by default: the client address
    is the socket's peer. A wrong entry is refused at start, naming it."""
    import ipaddress
    import os

    from kernel.text import tr
    from states.errors import InvalidInput

    env = os.environ if environ is None else environ
    networks = []
    for entry in env.get("COOP_DESK_TRUSTED_PROXIES", "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise InvalidInput("trusted_proxy_invalid", tr(
                "COOP_DESK_TRUSTED_PROXIES: “{entry}” is not an IP address or network (e.g. 127.0.0.1 or "
                "10.0.0.0/8).", entry=entry)) from None
    return tuple(networks)


def _among(address, networks) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_address(request: Request) -> str:
    """The address the login rate limits count (states/credentials.py): the socket's peer, unless the peer is a
    trusted proxy (``trusted_proxies``); then the nearest address of ``X-Forwarded-For`` that is not a trusted
    proxy, read from the right (what the trusted proxies appended; anything further left the client may have
    written itself). A header that is not a list of addresses is not believed: the peer counts."""
    import ipaddress

    peer = request.client.host if request.client else "?"
    networks = getattr(request.app.state.desk, "trusted_proxies", ())
    try:
        if not networks or not _among(ipaddress.ip_address(peer), networks):
            return peer
        hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
        addresses = [ipaddress.ip_address(h) for h in hops]
    except ValueError:
        return peer
    for address in reversed(addresses):
        if not _among(address, networks):
            return str(address)
    return str(addresses[0]) if addresses else peer


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or bool(request.app.state.desk.secure)


def actor_of(request: Request) -> Actor | None:
    """The proven person of this request's session (read once per request)."""
    if not hasattr(request.state, "actor"):
        request.state.actor = session_actor(request.cookies.get(SESSION_COOKIE), url=request.app.state.desk.url)
    return request.state.actor


def require_actor(request: Request) -> Actor:
    """A route's dependency: the logged-in person, or a redirect to the login page."""
    actor = actor_of(request)
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return actor


def _seed(request: Request) -> str:
    """What this reader's CSRF tokens are bound to: the session credential, else the pre-session value (made and
    set as a cookie on the first page that needs one)."""
    session = request.cookies.get(SESSION_COOKIE)
    if session and actor_of(request) is not None:
        return "s:" + session
    pre = request.cookies.get(PRE_COOKIE) or getattr(request.state, "pre", None)
    if not pre:
        pre = request.state.pre = secrets.token_urlsafe(24)
    return "p:" + pre


def csrf_token(request: Request, purpose: str = "form") -> str:
    return mac(f"csrf:{purpose}", _seed(request))


# The JSON door (web/portal_api.py) authenticates by ``Authorization: Bearer <personal token>`` alone and never
# reads the session cookie. A CSRF attack rides on a credential the browser attaches by itself (the cookie); a
# page of another site cannot make a browser send this header, so a forged request there carries no credential
# and is refused as unauthenticated. Only this prefix is exempt: a route under it must not accept the cookie.
BEARER_ONLY_PREFIX = "/api/v1/"


def refuse_large_form(request: Request) -> None:
    """A POST larger than the largest form a page sends (an offer with one attached file: the most any rule set
    allows, states/offer_attachments.py ``CEILING_BYTES``, and the typed form) is refused (413) before its body is
    read; the call's own limit is its rule set's, checked by the handler."""
    from kernel.text import tr
    from states.offer_attachments import CEILING_BYTES

    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > CEILING_BYTES + 1024 * 1024:
        raise HTTPException(status_code=413, detail=tr(
            "The file sent is larger than {limit} MB, the most a file attached to an offer may be. Nothing was saved: "
            "go back, choose a smaller file and send it again.", limit=CEILING_BYTES // 1048576))


def largest_body() -> int:
    """The largest request body a door takes: a file as large as any rule set allows, in base64 inside the JSON
    door's body (the larger of the two), with the typed form around it."""
    from states.offer_attachments import CEILING_BYTES

    return CEILING_BYTES * 4 // 3 + 1024 * 1024


class ChunkedBodyLimit:
    """Pure ASGI: a request body sent without ``Content-Length`` (chunked) is read here, at most ``largest_body``
    bytes, before any route sees it; a larger one is refused (413) and never reaches a form parser or a door. With
    ``Content-Length`` the server frames the body by it, and the doors refuse a large one by the header before
    reading it (``refuse_large_form``, the JSON door's own check)."""

    def __init__(self, app, limit: int | None = None) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or ()) if scope["type"] == "http" else {}
        if scope["type"] != "http" or b"content-length" in headers or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        limit = self.limit or largest_body()
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: the app sees it as it would
                return await self.app(scope, _replay([], message, receive), send)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > limit:
                return await _too_large(scope, send, limit)
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], None, receive), send)


def _replay(messages: list, last, receive):
    pending = list(messages) + ([last] if last is not None else [])

    async def replayed():
        return pending.pop(0) if pending else await receive()
    return replayed


async def _too_large(scope, send, limit: int) -> None:
    import json

    from kernel.text import tr

    text = str(tr("The request's body is larger than {limit} MB, the most a form with its file may be. Nothing was "
                  "saved: send a smaller file.", limit=-(-limit // 1048576)))
    if scope["path"].startswith(BEARER_ONLY_PREFIX):
        body, kind = json.dumps({"rule": "body_too_large", "message": text, "basis": None}).encode(), b"application/json"
    else:
        body, kind = text.encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def check_csrf(request: Request) -> None:
    """Every POST: the form's ``csrf`` field must be this reader's token; else 403 and nothing is done. Except the
    bearer-token JSON door (``BEARER_ONLY_PREFIX``), which no cookie authenticates."""
    if request.method != "POST" or request.url.path.startswith(BEARER_ONLY_PREFIX):
        return
    refuse_large_form(request)
    form = await request.form()
    given = str(form.get(CSRF_FIELD) or "")
    if not given or not hmac.compare_digest(given, csrf_token(request)):
        raise HTTPException(status_code=403, detail="csrf")


def set_cookie(response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure_cookies(request),
                        path="/")


def login_url(next_path: str) -> str:
    return "/logowanie?next=" + quote(next_path, safe="/")


def safe_next(value: str | None) -> str:
    """Where to go after login: a path of this desk only (never another site: an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/na-dzis"
    return value
