"""The portal's forgotten password (states/password_reset.py): ask for a link (the same answer whether an account
matches or not), open it (a GET changes nothing: a mail scanner may open it), set a new password twice. Thin doors;
the portal's accounts only (the city's people ask an administrator: ``coop people password``)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kernel.text import tr
from states.errors import DomainError, InvalidInput
from web.portal import portal_page

router = APIRouter()

ASK = "portal_password_ask.html"
NEW = "portal_password_new.html"
# The request's answer leaves no sooner than this after the request came, whether an account matched (its link is
# written and sealed into the outbox) or not (nothing is): a name that exists answered in 12.6 ms and one that did
# not in 6.6 ms, which told an attacker timing the page which logins and addresses exist.
ANSWER_FLOOR = 0.25  # seconds


async def answer_no_sooner(started: float, floor: float | None = None) -> None:
    """Wait until ``floor`` (default ``ANSWER_FLOOR``) seconds after ``started`` (``time.monotonic``)."""
    rest = (ANSWER_FLOOR if floor is None else floor) - (time.monotonic() - started)
    if rest > 0:
        await asyncio.sleep(rest)


def _url(request: Request) -> str | None:
    return request.app.state.desk.url


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.get("/portal/haslo")
def ask_form(request: Request) -> Response:
    return portal_page(request, ASK, title=tr("Forgotten password"), name="", error=None, asked=False)


@router.post("/portal/haslo")
async def ask(request: Request) -> Response:
    from states.password_reset import ask_by_name, note_reset_request

    started = time.monotonic()
    form = await request.form()
    name = str(form.get("name") or "").strip()[:254]
    try:
        if not name:
            raise InvalidInput("reset_name_missing", tr("Type your login or the e-mail address of your account."))
        await run_in_threadpool(note_reset_request, _client(request), name, url=_url(request))
        await run_in_threadpool(ask_by_name, name, url=_url(request))
    except DomainError as refusal:
        status = 429 if refusal.rule == "reset_rate_limited" else 422
        return portal_page(request, ASK, title=tr("Forgotten password"), status_code=status, name=name,
                           error=refusal.message(), asked=False)
    # the same page, no sooner, whether an account matched or not: nobody learns which logins or addresses exist
    from states.password_reset import RESET_MINUTES

    await answer_no_sooner(started)

    return portal_page(request, ASK, title=tr("Check your e-mail"), name="", error=None, asked=True,
                       minutes=RESET_MINUTES)


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
