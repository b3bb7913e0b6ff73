"""Logging in and out, and enrolling a second factor (TOTP): ``/logowanie``, ``/wyloguj``, ``/konto/totp``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kernel.text import tr
from states.actors import Actor
from states.credentials import (
    SESSION_HOURS,
    EnrolTotp,
    check_login,
    close_session,
    enrol_totp,
    has_totp,
    open_session,
    totp_offer,
)
from states.errors import DomainError
from web.security import SESSION_COOKIE, actor_of, require_actor, safe_next, set_cookie
from web.templating import page

router = APIRouter()


def _client(request: Request) -> str:
    from web.security import client_address

    return client_address(request)


@router.get("/logowanie")
def login_form(request: Request, next: str | None = None) -> Response:
    if actor_of(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page(request, "login.html", title=tr("Log in"), next=safe_next(next), login="", error=None)


@router.post("/logowanie")
async def login(request: Request) -> Response:
    form = await request.form()
    login_text = str(form.get("login") or "")
    asked = str(form.get("next") or "")
    target = safe_next(asked)
    url = request.app.state.desk.url
    try:
        person = check_login(login_text, str(form.get("password") or ""), str(form.get("code") or ""),
                             _client(request), url=url)
    except DomainError as refusal:
        # the password is never sent back; the login is, so nothing typed but the secret is lost
        limited = refusal.rule not in ("login_failed", "email_not_confirmed")  # else: too many attempts
        return page(request, "login.html", title=tr("Log in"), status_code=429 if limited else 401, next=target,
                    login=login_text, error=refusal.message())
    if asked in ("", "/na-dzis"):  # no page asked for: a representative's place is the portal (web/portal.py)
        from states.people import person_principal
        from web.portal import landing

        target = landing(person_principal(person, proof="desk", url=url))
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, open_session(person, url=url), max_age=SESSION_HOURS * 3600)
    return response


@router.post("/wyloguj")
async def logout(request: Request) -> Response:
    """The session revoked at once; a session opened through the identity provider is then ended there too, when
    the provider offers it (web/oidc.py ``end_session_url``), else the logout is the desk's alone."""
    from starlette.concurrency import run_in_threadpool

    from web.oidc import VIA_COOKIE, end_session_url

    await run_in_threadpool(close_session, request.cookies.get(SESSION_COOKIE), url=request.app.state.desk.url)
    response = RedirectResponse(await end_session_url(request) or "/logowanie", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(VIA_COOKIE, path="/")
    return response


@router.get("/konto/totp")
def totp_form(request: Request, actor: Actor = Depends(require_actor)) -> Response:
    if has_totp(actor.person, url=request.app.state.desk.url):
        return page(request, "totp.html", title=tr("Second factor"), enrolled=True)
    secret, uri, sealed = totp_offer(actor.person)
    return page(request, "totp.html", title=tr("Second factor"), enrolled=False, secret=secret, uri=uri,
                sealed=sealed, error=None)


@router.post("/konto/totp")
async def totp_enrol(request: Request, actor: Actor = Depends(require_actor)) -> Response:
    from states.engine import execute

    form = await request.form()
    sealed = str(form.get("sealed") or "")
    try:
        execute(enrol_totp, EnrolTotp.parse(login=actor.person, sealed=sealed, code=str(form.get("code") or "")),
                actor=actor, url=request.app.state.desk.url, keyed=False)
    except DomainError as refusal:
        from states.credentials import unseal

        secret = unseal(sealed)
        if secret is None:  # a form not from this desk: offer a new secret
            return RedirectResponse("/konto/totp", status_code=303)
        import pyotp

        uri = pyotp.TOTP(secret).provisioning_uri(name=actor.person, issuer_name="coop-engine")
        return page(request, "totp.html", title=tr("Second factor"), status_code=422, enrolled=False,
                    secret=secret, uri=uri, sealed=sealed, error=refusal.message())
    return page(request, "totp.html", title=tr("Second factor"), enrolled=True, just_enrolled=True)
