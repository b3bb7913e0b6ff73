"""The portal's public comments (issue 22): the small-grant offers published for comments (art. 19a ust. 3-4) and the
consultations open, each with its comment form, for anyone, logged in or not; the comment is filed once its author
confirms the e-mail link (states/public_comments.py; docs/portal-comments.md). Thin doors: parse, call the engine,
show the answer.

| route | page |
|---|---|
| ``GET /portal/uwagi`` | what takes comments now: the offers and the consultations, each with its window |
| ``GET /portal/uwagi/{code}`` | one offer or consultation as published, and the comment form while it takes comments |
| ``POST /portal/uwagi/{code}`` | "send": the comment held, the link e-mailed |
| ``GET /portal/uwagi/potwierdz?t=…`` | the link: the held comment and a button (a GET files nothing) |
| ``POST /portal/uwagi/potwierdz`` | the button: the comment filed in its case, acknowledged with its number |
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kernel.text import tr
from states.errors import DomainError
from states.local_time import as_moment
from web.portal import portal_page
from web.security import client_address

router = APIRouter(prefix="/portal/uwagi")

FIELDS = ("name", "email", "text", "author_kind", "provision")
KINDS = {"small_grant": tr("Offer outside an open call (art. 19a)"), "consultation": tr("Consultation")}
AUTHOR_KINDS = (("resident", tr("a resident")), ("ngo", tr("an organisation")), ("other", tr("another entity")))
ACT_KINDS = {"programme": tr("the draft cooperation programme"), "resolution": tr("the draft resolution"),
             "strategy": tr("the draft strategy"), "other": tr("the draft act")}
CHANNELS = {"bip": tr("BIP"), "board": tr("notice board"), "website": tr("website"),
            "consultations_portal": tr("consultations portal"), "ngo_portal": tr("organisations' portal")}


# The form sent again, changed, after its comment was sent (the browser's "back", an edit, "send"): the key made when
# the form was shown names the comment sent, so the engine refuses another one under it (``idempotency_key_reused``);
# the commenter reads what happened and how to send another.
ALREADY_SENT = tr(
    "The comment from this form was already sent: we e-mailed a link to confirm it, and it is filed only once that "
    "link is confirmed. The changed text was not sent. To send another comment (or the changed one instead), press "
    "“Send the comment” again: the form below now sends a new comment with a link of its own; a comment whose link "
    "you do not confirm is not filed.")


def _url(request: Request) -> str | None:
    return request.app.state.desk.url


def _status(refusal: DomainError) -> int:
    if refusal.rule == "comment_rate_limited":
        return 429
    if refusal.rule == "not_open_for_comments":
        return 404
    return 422


def _page(request: Request, template: str, *, title: Any, **values: Any) -> Response:
    return portal_page(request, template, title=title, kinds=KINDS, act_kinds=ACT_KINDS, channels=CHANNELS,
                       author_kinds=AUTHOR_KINDS, **values)


@router.get("")
def listing(request: Request) -> Response:
    from states.public_comments import open_for_comments, public_read

    return _page(request, "portal_comment_list.html", title=tr("Comments on offers and draft acts"),
                 cases=public_read(open_for_comments, url=_url(request)))


def _case_page(request: Request, code: str, *, values: dict | None = None, error: Any = None,
               status_code: int = 200) -> Response:
    from states.public_comments import case_for_comments, public_read

    case = public_read(case_for_comments, code, url=_url(request))
    if case is None:
        return _page(request, "portal_error.html", title=tr("Not found"), status_code=404,
                     message=tr("{code} is not a small-grant offer or a consultation the public may comment on; "
                                "nothing was done.", code=code))
    # the intent: made when the form is shown, kept through a refusal, so one "send" is one comment
    intent = (values or {}).get("intent") or secrets.token_urlsafe(24)
    return _page(request, "portal_comment_case.html", title=f"{case['code']} · {case['title']}", case=case,
                 values=values or {}, intent=intent, error=error, status_code=status_code)


@router.get("/potwierdz")
def link_page(request: Request, t: str = "") -> Response:
    from states.public_comments import link_facts

    try:
        held = link_facts(t, url=_url(request))
    except DomainError as refusal:
        return _page(request, "portal_comment_confirm.html", title=tr("Confirm your comment"), status_code=422,
                     held=None, token="", error=refusal.message(), done=None)
    return _page(request, "portal_comment_confirm.html", title=tr("Confirm your comment"), held=held,
                 token=t if not held["filed_at"] and not held["expired"] else "", error=None, done=None)


@router.post("/potwierdz")
async def confirm(request: Request) -> Response:
    from states.public_comments import file_comment_by_link

    form = await request.form()
    token = str(form.get("t") or "")
    try:
        done = await run_in_threadpool(file_comment_by_link, token, url=_url(request))
    except DomainError as refusal:
        return _page(request, "portal_comment_confirm.html", title=tr("Confirm your comment"), status_code=422,
                     held=None, token="", error=refusal.message(), done=None)
    # a second press answers the first one's receipt from the command log, its moments as text: moments again
    done = {**done, "filed_at": as_moment(done["filed_at"])}
    return _page(request, "portal_comment_confirm.html", title=tr("Comment filed"), held=None, token="", error=None,
                 done=done)


@router.get("/{code:path}")
def case_page(request: Request, code: str) -> Response:
    return _case_page(request, code)


@router.post("/{code:path}")
async def send(request: Request, code: str) -> Response:
    from states.engine import execute
    from states.people import public_comment_principal
    from states.public_comments import RequestComment, request_comment

    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    values["text"] = str(form.get("text") or "").strip()
    values["intent"] = str(form.get("intent") or "")
    try:
        command = RequestComment.parse(
            code=code, intent=values["intent"], name=values["name"], email=values["email"], text=values["text"],
            author_kind=values["author_kind"] or None, provision=values["provision"] or None,
            client=client_address(request)[:64])
        done = await run_in_threadpool(
            lambda: execute(request_comment, command, actor=public_comment_principal(), url=_url(request),
                            idempotency_key=f"portal-comment-request:{command.intent}"))
    except DomainError as refusal:
        if refusal.rule == "idempotency_key_reused":  # a new intent: the next "send" is another comment, on purpose
            return _case_page(request, code, values={**values, "intent": ""}, error=ALREADY_SENT, status_code=409)
        return _case_page(request, code, values=values, error=refusal.message(), status_code=_status(refusal))
    return _page(request, "portal_comment_sent.html", title=tr("Check your e-mail"), email=command.email.lower(),
                 code=done["code"], expires_at=as_moment(done["expires_at"]))
