"""The steps every filed-form page takes, the portal's (offer, small grant, local initiative) and the desk's reading
of what was filed, in one place: run a command as the session's person, read the organisations the person
represents, turn a refusal into the page that says it, the idempotency key of a press, the receipt's links and
downloads.

Every write and read runs through ``states.engine.execute`` (imported when called: the engine imports the web's
neighbours lazily too) against the desk's database (``request.app.state.desk.url``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError, NotFound
from web.portal import refuse

SAVED = tr("Draft saved. Only your organisation's representatives see it; it is not filed yet.")


def url(request: Request) -> str | None:
    return request.app.state.desk.url


def run(request: Request, handler: Any, command: Any, actor: Actor, **options: Any) -> Any:
    from states.engine import execute

    return execute(handler, command, actor=actor, url=url(request), **options)


def read(request: Request, handler: Any, command: Any, actor: Actor) -> Any:
    return run(request, handler, command, actor, readonly=True)


def refusal_text(refusal: DomainError) -> Any:
    """A refusal as the page shows it: the rule's message, which names its legal basis when it has one."""
    return refusal.message()


def moment(value: Any) -> str:
    from kernel.local_time import moment_text

    return moment_text(value)


def read_or_refuse(request: Request, reading: Callable[[], Any]) -> tuple[Any, Response | None]:
    """``reading()`` and None, or None and the page refusing it: 404 for what does not exist, 403 otherwise."""
    try:
        return reading(), None
    except NotFound as missing:
        return None, refuse(request, missing.message(), status_code=404)
    except DomainError as refusal:
        return None, refuse(request, refusal_text(refusal))


# --- the organisations a person acts for --------------------------------------------------------------------------


def represented(request: Request, actor: Actor) -> list[dict[str, Any]]:
    """The organisations the person represents (live ``applicant`` grants) that have a KRS number: the number an
    offer, its draft and an organisation's application name their organisation by (an entity outside the KRS files
    at the office)."""
    from states.portal_accounts import represented_organisations

    return [o for o in represented_organisations(actor.person or "", url=url(request)) if o["krs"]]


def acting_for(request: Request, actor: Actor, asked: str) -> str | None:
    """The KRS of the organisation this page acts for: the one asked, or, none asked, the only one represented. One
    asked that the person does not represent is None: refused, never quietly another (and execute would refuse
    it anyway: states/authorization.py)."""
    mine = [o["krs"] for o in represented(request, actor)]
    if asked:
        return asked if asked in mine else None
    return mine[0] if len(mine) == 1 else None


# --- a press of the form's buttons ---------------------------------------------------------------------------------


def intent_of(form: Any) -> str | None:
    """The page's intent (a hidden field made when the form was shown), at most 64 characters."""
    return str(form.get("intent") or "")[:64] or None


def intent_key(intent: str | None) -> str | None:
    """The command's idempotency key: the page's intent (made when the form was shown), so the same press sent
    twice files once (models/command_log.py)."""
    return f"portal:{intent}" if intent else None


def added_row(action: str) -> str | None:
    """The rows an "add a row" press (``add:<path>``) adds to, or None for any other press."""
    return action.removeprefix("add:") if action.startswith("add:") else None


def keep_draft(request: Request, actor: Actor, ref: dict[str, Any], content: dict[str, Any]) -> None:
    """A refused filing keeps what was typed (``content``, compacted) as the draft, so nothing is lost if the page is
    left; a draft that cannot be saved is only not saved (the page still shows everything typed)."""
    from states.offer_drafts import SaveDraft, save_draft

    try:
        run(request, save_draft, SaveDraft(**ref, content=content), actor)
    except DomainError:
        pass


def show_filed(request: Request, actor: Actor, ref: dict[str, Any], receipt: str) -> Response:
    """After a filing: its draft discarded and the receipt shown, saying it was filed. A draft left behind is only a
    draft (shown under "My offers"): the offer is filed."""
    from states.offer_drafts import DraftRef, discard_draft

    try:
        run(request, discard_draft, DraftRef(**ref), actor)
    except DomainError:
        pass
    return RedirectResponse(receipt + "&zlozono=1", status_code=303)


# --- the receipt ---------------------------------------------------------------------------------------------------


def version_asked(wersja: str, most: int = 9_999) -> int | None:
    """The version a receipt's address asks for (``?wersja=V``), or None (the latest) for none or nonsense: not a
    number, 0, or above ``most`` (the most a reference of the read takes, so a long number is no traceback)."""
    return int(wersja) if wersja.isdigit() and 0 < int(wersja) <= most else None


def receipt_links(request: Request, base: str, receipt: dict[str, Any]) -> dict[str, Any]:
    """What a receipt page shows beside the receipt: its PDF, the filed JSON, the moment and "just filed"."""
    return {"pdf": f"{base}/pokwitowanie.pdf?wersja={receipt['version']}",
            "content_url": f"{base}/tresc.json?wersja={receipt['version']}",
            "received": moment(receipt["received_at"]), "filed": request.query_params.get("zlozono") == "1"}


MEDIA = {"pdf": "application/pdf", "json": "application/json"}


def download(body: bytes, stem: str, number: str, kind: str) -> Response:
    """A filed document to save: ``<stem>-<number with / as ->.<kind>``."""
    name = number.replace("/", "-")
    return Response(body, media_type=MEDIA[kind],
                    headers={"Content-Disposition": f'attachment; filename="{stem}-{name}.{kind}"'})


def desk_refused(request: Request, refusal: DomainError) -> Response:
    """The desk's page refusing a read: 404 for what does not exist, 403 otherwise, with the rule's reason."""
    from web.templating import page

    status = 404 if isinstance(refusal, NotFound) else 403
    return page(request, "error.html", title=tr("Refused"), status_code=status, message=refusal.message())
