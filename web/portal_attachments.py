"""Files attached to an offer (issue 22): attached on the offer's form page, filed with its version, downloaded by
the organisation's representatives on the portal and by the officers, auditors and the call's committee on the
desk. The rules (types by their first bytes, sizes, counts, names) and who may do what are the engine's
(states/offer_attachments.py, states/authorization.py); this module parses, runs and shows.

| route | what |
|---|---|
| form page ``action=attach`` / ``action=detach:<id>`` | the offer's form (web/portal_offers.py, and a small grant's: web/portal_small_grant.py) saves the draft, then attaches the chosen file or removes one |
| ``GET /portal/oferty/szkic/zalacznik/{id}?nabor=CODE&organizacja=KRS&cel=N`` | a file of the draft (its representatives); without ``nabor``: a small grant's draft's |
| ``GET /portal/oferty/{code}/{n}/zalaczniki/{version}/{position}`` | a filed file (the offer's organisation's representatives) |
| ``GET /sprawy/{code}/oferty/{n}/zalaczniki/{version}/{position}`` | a filed file on the desk (officers, auditors, the call's committee) |

The offer's form is sent as ``multipart/form-data`` (python-multipart), one file at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError, NotFound
from states.offer_attachments import KIND_LABELS, AttachmentLimits
from web.portal import refuse, require_portal_actor
from web.security import actor_of, require_actor

router = APIRouter()

def _execute(request: Request, handler: Any, command: Any, actor: Actor, **options: Any) -> Any:
    from states.engine import execute

    return execute(handler, command, actor=actor, url=request.app.state.desk.url, **options)


def block(request: Request, *, code: str | None, krs: str, purpose: int) -> dict[str, Any]:
    """What the form page's attachments part shows: the files kept and attached, the kinds and the limits.
    ``code``: the call; None for a small grant's draft (art. 19a), which has no case yet."""
    from states.offer_attachments import DraftFiles, draft_files

    actor = actor_of(request)
    # Before the call's own are read (or when the page refuses): Leszno's defaults, as a rule set without its own
    files: dict[str, Any] = {"kept": [], "kept_version": None, "pending": [], "limits": AttachmentLimits()}
    if actor is not None and krs:
        try:
            files = _execute(request, draft_files, DraftFiles(code=code, organisation_krs=krs, offer_number=purpose),
                             actor, readonly=True)
        except DomainError:
            pass  # the form page itself says what is refused
    query = (f"nabor={quote(code, safe='')}&" if code else "") + f"organizacja={quote(krs, safe='')}&cel={purpose}"
    base = f"/portal/oferty/{code}/{purpose}"
    files["kept"] = [{**_decorated(f), "url": f"{base}/zalaczniki/{files['kept_version']}/{f['position']}"}
                     for f in files["kept"]]
    files["pending"] = [_decorated(f) for f in files["pending"]]
    return {**files, "kinds": KIND_LABELS, "count": len(files["kept"]) + len(files["pending"]), "small_grant": not code,
            "draft_url": lambda row: f"/portal/oferty/szkic/zalacznik/{row['id']}?{query}"}


def act(request: Request, actor: Actor, form: Any, action: str, ref: dict[str, Any]) -> tuple[Any, Any]:
    """After the draft is saved: the form's ``detach:<id>``, or the file chosen attached (whichever button was
    pressed: a file chosen and then "save" or "file" is not lost): (refusal, None), (None, notice), or (None, None)
    when there was nothing to do. The browser door's uploads count against the same rate limit as its filings
    (``count_submission``)."""
    from states.offer_attachments import AttachFile, DraftFileRef, attach_file, detach_file

    try:
        if action.startswith("detach:"):
            number = action.removeprefix("detach:")
            if not number.isdigit() or int(number) < 1:
                raise NotFound("unknown_attachment", tr("This draft has no such attachment."))
            removed = _execute(request, detach_file, DraftFileRef(**ref, attachment=int(number)), actor)
            return None, tr("Attachment “{name}” removed from the draft.", name=removed["removed"])
        upload = form.get("attachment_file")
        if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
            if action != "attach":
                return None, None
            return tr("Choose a file to attach first (what a file may be is said beside the field)."), None
        kind = str(form.get("attachment_kind") or "")
        if kind not in KIND_LABELS:
            return tr("Choose what the file is: {kinds}.", kinds=[KIND_LABELS[k] for k in KIND_LABELS]), None
        content = upload.file.read()
        count_submission(request, actor)
        added = _execute(request, attach_file, AttachFile(**ref, kind=kind, name=upload.filename, content=content),
                         actor)
    except DomainError as refusal:
        return refusal.message(), None
    return None, tr("Attached to the draft: “{name}” ({kind}), SHA-256 {sha256}. It is filed with the offer.",
                    name=added["name"], kind=KIND_LABELS[added["kind"]], sha256=added["sha256"])


def after_save(request: Request, actor: Actor, form: Any, action: str, ref: dict[str, Any],
               show: Callable[..., Response]) -> Response:
    """The draft saved by a press other than "file" (a call's offer's or a small grant's form page): the file added
    or removed (if any), and the page again through ``show`` (its ``add``, ``message`` or ``notice``,
    ``status_code``)."""
    from web.portal_steps import SAVED, added_row

    added = added_row(action)
    refused, done = act(request, actor, form, action, ref)
    if refused is not None:
        return show(add=added, message=refused, status_code=422)
    return show(add=added, notice=done or SAVED)


def before_filing(request: Request, actor: Actor, form: Any, action: str, ref: dict[str, Any],
                  keep: Callable[[], None], show: Callable[..., Response]) -> Response | None:
    """A file chosen when "file" is pressed is attached first, and filed with the offer; its refusal keeps the
    draft (``keep``) and shows it (``show``), and nothing is filed. None: go on and file."""
    refused, _ = act(request, actor, form, action, ref)
    if refused is None:
        return None
    keep()
    return show(message=refused, status_code=422)


def count_submission(request: Request, actor: Actor) -> None:
    """The browser door's filings and uploads counted by the JSON door's rule (states/offer_filings.py
    ``note_submission``, ``COOP_PORTAL_SUBMISSIONS`` a minute per person): one limit, whatever the door."""
    from states.offer_filings import note_submission
    from web.portal_api import WINDOW_SECONDS, submissions_per_minute

    note_submission(actor.person or actor.name, limit=submissions_per_minute(), window=WINDOW_SECONDS,
                    url=request.app.state.desk.url)


def _download(found: dict[str, Any]) -> Response:
    ascii_name = found["name"].encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(found['name'], safe='')}"
    return Response(found["content"], media_type=found["media_type"],
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
                             "Content-Security-Policy": "sandbox", "X-Attachment-SHA256": found["sha256"]})


@router.get("/portal/oferty/szkic/zalacznik/{attachment:int}")
def draft_attachment(request: Request, attachment: int, nabor: str = "", organizacja: str = "", cel: str = "0",
                     actor: Actor = Depends(require_portal_actor)) -> Response:
    from states.offer_attachments import DraftFileRef, draft_file

    try:
        ref = DraftFileRef.parse(code=nabor or None, organisation_krs=organizacja, offer_number=cel,
                                 attachment=attachment)
        found = _execute(request, draft_file, ref, actor, readonly=True)
    except NotFound as missing:
        return refuse(request, missing.message(), status_code=404)
    except DomainError as refusal:
        return refuse(request, refusal.message())
    return _download(found)


def _filed(request: Request, actor: Actor, code: str, number: int, version: int, position: int) -> dict[str, Any]:
    from states.offer_attachments import FiledFileRef, filed_file

    return _execute(request, filed_file, FiledFileRef.parse(code=code, number=number, version=version,
                                                            position=position), actor, readonly=True)


@router.get("/portal/oferty/{code:path}/{number:int}/zalaczniki/{version:int}/{position:int}")
def portal_attachment(request: Request, code: str, number: int, version: int, position: int,
                      actor: Actor = Depends(require_portal_actor)) -> Response:
    try:
        found = _filed(request, actor, code, number, version, position)
    except NotFound as missing:
        return refuse(request, missing.message(), status_code=404)
    except DomainError as refusal:
        return refuse(request, refusal.message())
    return _download(found)


@router.get("/sprawy/{code:path}/oferty/{number:int}/zalaczniki/{version:int}/{position:int}")
def desk_attachment(request: Request, code: str, number: int, version: int, position: int,
                    actor: Actor = Depends(require_actor)) -> Response:
    from web.templating import page

    try:
        found = _filed(request, actor, code, number, version, position)
    except DomainError as refusal:
        return page(request, "error.html", title=tr("Refused"), message=refusal.message(),
                    status_code=404 if isinstance(refusal, NotFound) else 403)
    return _download(found)


def _decorated(entry: dict[str, Any]) -> dict[str, Any]:
    """A file as a page shows it: its kind's label and its size in kB (in the reader's notation)."""
    from decimal import Decimal

    return {**entry, "kind_label": KIND_LABELS.get(entry.get("kind"), entry.get("kind")),
            "size_kb": (Decimal(int(entry.get("size") or 0)) / 1024).quantize(Decimal("0.1"))}


def filed_links(base: str, version: int, content: dict[str, Any]) -> list[dict[str, Any]]:
    """The files a version's content lists, each with its download link under ``base`` (the offer's path)."""
    return [{**_decorated(entry), "url": f"{base}/zalaczniki/{version}/{position}"}
            for position, entry in enumerate(content.get("attachments") or [], start=1)]
