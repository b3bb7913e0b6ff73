"""The portal's forgotten password (states/password_reset.py): ask for a link (the same answer whether an account
matches or not), open it (a GET changes nothing: a mail scanner may open it), set a new password twice. Thin doors;
the portal's accounts only (the city's people ask an administrator: ``coop people password``)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from kernel.text import tr
from states.errors import DomainError, InvalidInput
from web.portal import portal_page

router = APIRouter()

ASK = "portal_password_ask.html"
NEW = "portal_password_new.html"
log = logging.getLogger(__name__)


def _url(request: Request) -> str | None:
    return request.app.state.desk.url


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.get("/portal/haslo")
def ask_form(request: Request) -> Response:
    return portal_page(request, ASK, title=tr("Forgotten password"), name="", error=None, asked=False)


def write_link(name: str, url: str | None) -> None:
    """The request's work, after its answer has left: a failure is the server's to log, the asker saw the same page."""
    from states.password_reset import ask_by_name

    try:
        ask_by_name(name, url=url)
    except Exception:
        log.exception("a password reset request failed after its answer")


@router.post("/portal/haslo")
async def ask(request: Request) -> Response:
    from states.password_reset import RESET_MINUTES, note_reset_request, reset_request

    form = await request.form()
    name = str(form.get("name") or "").strip()[:254]
    try:
        if not name:
            raise InvalidInput("reset_name_missing", tr("Type your login or the e-mail address of your account."))
        reset_request(name)
        await run_in_threadpool(note_reset_request, _client(request), name, url=_url(request))
    except DomainError as refusal:
        status = 429 if refusal.rule == "reset_rate_limited" else 422
        return portal_page(request, ASK, title=tr("Forgotten password"), status_code=status, name=name,
                           error=refusal.message(), asked=False)
    # The same page whether an account matched or not, and it leaves before the link is looked for: what follows
    # it (an account found, a link written, sealed and queued, or nothing) cannot show in the answer's timing.
    # A floor of 250 ms did that before, and leaked whenever the work took longer than the floor (a loaded server).
    page = portal_page(request, ASK, title=tr("Check your e-mail"), name="", error=None, asked=True,
                       minutes=RESET_MINUTES)
    page.background = BackgroundTask(write_link, name, _url(request))
    return page


@router.get("/portal/haslo/nowe")
def new_form(request: Request, t: str = "") -> Response:
    from states.password_reset import invalid_link, reset_link_live

    if not reset_link_live(t, url=_url(request)):
        return portal_page(request, NEW, title=tr("Set a new password"), status_code=422, token="",
                           error=invalid_link().message(), link_dead=True, done=False)
    return portal_page(request, NEW, title=tr("Set a new password"), token=t, error=None, link_dead=False,
                       done=False)


@router.post("/portal/haslo/nowe")
async def set_new(request: Request) -> Response:
    from states.password_reset import reset_password_by_link

    form = await request.form()
    token = str(form.get("t") or "")[:200]
    password, repeated = str(form.get("password") or ""), str(form.get("password2") or "")
    try:
        if password != repeated:
            raise InvalidInput("passwords_differ", tr("The two passwords differ: type the same password twice. "
                                                      "Nothing was done."))
        done = reset_password_by_link(token, password, url=_url(request))
    except DomainError as refusal:
        dead = refusal.rule == "reset_link_invalid"
        return portal_page(request, NEW, title=tr("Set a new password"), status_code=422,
                           token="" if dead else token, error=refusal.message(), link_dead=dead, done=False)
    return portal_page(request, NEW, title=tr("Password changed"), token="", error=None, link_dead=False,
                       done=True, login=done["login"])
