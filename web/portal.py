"""The organisations' portal (issue 22): its own section of the desk's application under ``/portal/``, with its own
look for the public (``portal_base.html``, ``static/portal.css``) and the same login, session and CSRF as the desk
(web/security.py): a representative is a person with an ``applicant`` grant for an organisation.

How to add a portal page: a template extending ``portal_base.html`` (fill ``{% block content %}``) and a route on
``router`` below (or a router of its own module, included in web/app.py) answering ``portal_page(request,
"x.html", title=tr(...), ...)``; a page for a logged-in person depends on ``require_portal_actor`` (a logged-out
reader is sent to the portal's login page and back). A refusal of another organisation's page is
``refuse(request, message)``: the portal's 403 page, nothing done.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError
from web.security import SESSION_COOKIE, LoginRequired, actor_of, set_cookie
from web.templating import page

router = APIRouter(prefix="/portal")

HOME = "/portal/"
PORTAL_ROLES = frozenset({"applicant"})  # the grants of a person the portal serves (and nothing of the desk)

# The menu of a logged-in person, in order: (path, label). Another module's pages add theirs with ``add_to_menu``
# when it is imported (web/app.py includes its router), e.g. ``add_to_menu("/portal/oferty", tr("Offers"))``.
MENU: list[tuple[str, Any]] = [(HOME, tr("My organisations")), ("/portal/reprezentacja", tr("Representation"))]


def add_to_menu(path: str, label: Any) -> None:
    if path not in {p for p, _ in MENU}:
        MENU.append((path, label))


class PortalLoginRequired(LoginRequired):
    """A portal page needs a logged-in person: answered by a redirect to the portal's login page (web/app.py)."""


def portal_login_url(next_path: str) -> str:
    return "/portal/logowanie?next=" + quote(next_path, safe="/")


def portal_only(actor: Actor | None) -> bool:
    """A person whose grants are all ``applicant`` (or who holds none yet: just registered): the portal is theirs,
    the officers' desk has nothing for them."""
    return actor is not None and {g.role for g in actor.grants} <= PORTAL_ROLES


def landing(actor: Actor | None) -> str:
    """Where a person lands after logging in when no page was asked for."""
    return HOME if portal_only(actor) else "/na-dzis"


def safe_portal_next(value: str | None) -> str | None:
    """A path of this application to go back to after login (never another site), else None."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def require_portal_actor(request: Request) -> Actor:
    actor = actor_of(request)
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise PortalLoginRequired(target)
    return actor


def office_name(request: Request) -> str:
    """The city's office as the engine's settings name it (``coop settings set office-name``): the header's title."""
    from notifications.settings import engine_settings

    try:
        return engine_settings(request.app.state.desk.url).office_name
    except Exception:  # noqa: BLE001 - a header must not fail a page: the default name
        from notifications.settings import EngineValues

        return EngineValues.model_fields["office_name"].default


def portal_page(request: Request, template: str, *, title: Any, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page of the portal: ``template`` extends ``portal_base.html`` (the desk's ``page`` with the city's name)."""
    actor_of(request)  # the header shows who is logged in on every page, public ones too
    return page(request, template, title=title, status_code=status_code, office=office_name(request), menu=MENU,
                **values)


def refuse(request: Request, message: Any, *, status_code: int = 403) -> HTMLResponse:
    """The portal's refusal page: what was refused and why; nothing was done."""
    return portal_page(request, "portal_error.html", title=tr("Refused") if status_code == 403 else tr("Error"),
                       status_code=status_code, message=message)


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.get("/")
def home(request: Request) -> Response:
    actor = actor_of(request)
    organisations = []
    if actor is not None:
        from states.portal_accounts import represented_organisations

        organisations = represented_organisations(actor.person or "", url=request.app.state.desk.url)
    return portal_page(request, "portal_home.html", title=tr("Organisations' portal"), organisations=organisations)


@router.get("/logowanie")
def login_form(request: Request, next: str | None = None) -> Response:
    if actor_of(request) is not None:
        return RedirectResponse(safe_portal_next(next) or HOME, status_code=303)
    return portal_page(request, "portal_login.html", title=tr("Log in"), next=safe_portal_next(next) or "",
                       login="", error=None)


@router.post("/logowanie")
async def login(request: Request) -> Response:
    from states.credentials import SESSION_HOURS, check_login, open_session
    from states.people import person_principal

    form = await request.form()
    login_text = str(form.get("login") or "")
    asked = safe_portal_next(str(form.get("next") or ""))
    url = request.app.state.desk.url
    try:
        person = check_login(login_text, str(form.get("password") or ""), str(form.get("code") or ""),
                             _client(request), url=url)
    except DomainError as refusal:
        error = refusal.message()
        if refusal.rule == "email_not_confirmed":  # the password was right: the person may have lost the link
            error = _new_link(login_text, url) or error
        return portal_page(request, "portal_login.html", title=tr("Log in"),
                           status_code=401 if refusal.rule in ("login_failed", "email_not_confirmed") else 429,
                           next=asked or "", login=login_text, error=error)
    target = asked or landing(person_principal(person, proof="desk", url=url))
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, open_session(person, url=url), max_age=SESSION_HOURS * 3600)
    return response


def _new_link(login: str, url: str | None) -> Any:
    """A new e-mail link for a person just proven by their password whose address is not confirmed; what to tell
    them, or None when none was sent (one was sent lately)."""
    from states.engine import execute
    from states.people import person_principal
    from states.portal_accounts import ResendConfirmation, resend_confirmation

    login = login.strip().lower()
    done = execute(resend_confirmation, ResendConfirmation(login=login),
                   actor=person_principal(login, proof="password", url=url), url=url)
    if not done["sent"]:
        return None
    return tr("Your e-mail address is not confirmed yet. We sent you a new confirmation link: open it, then log in.")


@router.post("/wyloguj")
def logout(request: Request) -> Response:
    from states.credentials import close_session

    close_session(request.cookies.get(SESSION_COOKIE), url=request.app.state.desk.url)
    response = RedirectResponse(HOME, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
