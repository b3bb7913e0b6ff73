"""The organisations' JSON door (issue 22): an offer filed on the model form by a script or the portal, with a
personal token, answered by its receipt.

``POST /api/v1/oferty`` with ``Authorization: Bearer <personal token>`` (the CLI's tokens, states/people.py) and
``Idempotency-Key: <key>`` (the intent's key, invariant 10), body ``{"code", "organisation_krs", "form"}``:

- 201 and the receipt (``code``, ``offer``, ``state``, ``version``, ``receipt``, ``sha256``, ``received_at``);
- the same key again (a retry after a lost answer): the same receipt, 201, never a second offer (the command log
  answers it, models/command_log.py); the same key with another body: refused (``idempotency_key_reused``);
- a refusal: a 4xx JSON ``{"rule", "message", "basis"}``, nothing written, never a traceback: 400 a body or header
  that is not what the door takes, 401 no or a bad token, 403 not the actor's organisation or role, 404 an unknown
  call or organisation, 409 the rules refuse it (late, the call's state, ...), 422 the form itself is wrong,
  429 too many submissions by this person lately (``Retry-After``).

It authenticates by the bearer token alone and never reads the desk's session cookie, so a page of another site
cannot make a browser file through it: the desk's CSRF check does not apply to it (web/security.py
``check_csrf``). The handler is the one writer's (states.engine: the authorization matrix, the transaction); this
module only parses, authenticates and maps the answer to HTTP. With ``COOP_GROUP_COMMIT=1``, filings into one call
that wait together are written by one transaction, each as its own step with its own key and answer (group commit:
web/filing_queue.py, states/batched_filing.py; B6 in docs/benchmarks.md).

Rate limit: at most ``COOP_PORTAL_SUBMISSIONS`` submissions (default 30) per person in a minute, counted in the
database by every process of the application alike (states/offer_filings.py ``note_submission``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kernel.errors import DomainError, InvalidInput, NotFound, NotPermitted, RuleViolation
from kernel.text import tr

router = APIRouter(prefix="/api/v1")
log = logging.getLogger("coop.errors")

WINDOW_SECONDS = 60


def submissions_per_minute() -> int:
    try:
        return max(1, int(os.environ.get("COOP_PORTAL_SUBMISSIONS", "30")))
    except ValueError:
        return 30


def group_commit() -> bool:
    """``COOP_GROUP_COMMIT=1``: filings into one call that wait together are written by one transaction
    (web/filing_queue.py); off by default: B6 measured no gain from it on a shared two-core host (docs/benchmarks.md)."""
    return os.environ.get("COOP_GROUP_COMMIT", "") == "1"


def _file(prepared, url: str | None) -> dict[str, Any]:
    """A prepared filing in a transaction of its own (``execute``'s), from a worker thread."""
    from models.command_log import plain
    from states.engine import run_prepared_alone

    # On the deadline's eve many file into one call at once: a lost race for the case (the next offer number, the
    # audit chain's head) is run again, under the same key, rather than refused (nothing of it was written).
    return plain(run_prepared_alone(prepared, url=url, retry_conflicts=True))


ARRIVED_AT = "coop_arrived_at"


class Arrival:
    """Pure ASGI, the application's outermost layer (web/app.py): when the request reached the application, by the
    server's clock, before any middleware or a busy event loop delays it (B6 found offers that reached the
    application before the deadline stamped after it when the door took the moment itself)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope.setdefault("state", {})[ARRIVED_AT] = datetime.now(UTC)
        await self.app(scope, receive, send)


def arrival(request: Request) -> datetime:
    """A filing's moment of receipt: when its request reached the application (``Arrival``), before the body was read
    or anything was waited for; the moment itself only where no ``Arrival`` wraps the application (a test's own)."""
    return request.scope.get("state", {}).get(ARRIVED_AT) or datetime.now(UTC)


def _status(error: DomainError) -> int:
    from models.db import OutcomeUnknown

    if isinstance(error, OutcomeUnknown):
        return 503
    if isinstance(error, NotPermitted):
        if error.rule == "submission_rate_limited":
            return 429
        return 401 if error.rule.startswith("token_") or error.rule in ("person_inactive", "bearer_required") else 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InvalidInput):
        if error.rule == "idempotency_key_reused":  # the key names another submission: a conflict, not bad input
            return 409
        return 400 if error.rule in ("body_not_json", "idempotency_key_required", "invalid_idempotency_key") else 422
    if isinstance(error, RuleViolation):
        return 409
    return 409  # ConcurrentChange and the other refusals of a command the case's state did not allow


def refusal(error: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(WINDOW_SECONDS)} if error.rule == "submission_rate_limited" else None
    if error.rule.startswith("token_") or error.rule == "bearer_required":
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse({"rule": error.rule, "message": error.message(), "basis": error.basis},
                        status_code=_status(error), headers=headers)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotPermitted("bearer_required", tr("Send your personal token: Authorization: Bearer <token> (an "
                                                 "administrator issues one: coop token issue)."),
                           basis="DESIGN inv. 9")
    return token.strip()


def _key(request: Request) -> str:
    from models.command_log import check_key

    key = request.headers.get("idempotency-key", "").strip()
    if not key:
        raise InvalidInput("idempotency_key_required", tr("Send the submission's key: Idempotency-Key: <a key made "
                                                          "once for this offer, e.g. a uuid>, the same in every "
                                                          "retry, so a retried submission files once."),
                           basis="DESIGN inv. 10")
    return check_key(key)


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInput("body_not_json", tr("The body is not JSON in UTF-8: {reason}",
                                               reason=str(error))) from None
    if not isinstance(body, dict):
        raise InvalidInput("body_not_json", tr("The body is not JSON in UTF-8: {reason}",
                                               reason=tr("the body is an object {…}")))
    return body


def _prepare(url: str | None, token: str, key: str, body: dict[str, Any], arrived_at: datetime):
    """Everything of a filing that needs no call's row, before it waits for one: the token, the form's validation,
    the rate limit, the authorization matrix, the key's digest."""
    from states.engine import prepare
    from states.offer_filings import note_submission
    from states.people import authenticate
    from states.procedures.open_call.handlers import file_offer_form
    from states.procedures.open_call.inputs import SubmitOfferForm

    actor = authenticate(token, url=url)
    command = SubmitOfferForm.parse(**body)  # before the count: a malformed body is no submission
    note_submission(actor.person or actor.name, limit=submissions_per_minute(), window=WINDOW_SECONDS, url=url)
    return prepare(file_offer_form, command, actor=actor, idempotency_key=key, arrived_at=arrived_at, url=url)


def _submit(url: str | None, token: str, key: str, body: dict[str, Any], arrived_at: datetime) -> dict[str, Any]:
    """A filing from a thread (the tests' rush): prepared, then written with whatever waits for its call."""
    from web.filing_queue import submit

    prepared = _prepare(url, token, key, body, arrived_at)
    if not group_commit():
        return _file(prepared, url)
    return submit(prepared, code=prepared.command.code, url=url).result()


def internal_error(door: str, message: Any) -> JSONResponse:
    """A door's answer to what is no refusal (a bug, the database's fault): the traceback to the operator's log, a
    plain message to the client."""
    log.exception(door)
    return JSONResponse({"rule": "internal_error", "message": str(message), "basis": None}, status_code=500)


Submit = Callable[[str | None, str, str, dict[str, Any], datetime], Awaitable[dict[str, Any]]]


async def filed(request: Request, door: str, submit: Submit,
                location: Callable[[dict[str, Any]], str]) -> JSONResponse:
    """What every JSON filing door does around its own step: the moment of receipt (when the request reached the
    application, ``Arrival``, before it waits for anything), the token, the key and the body read, then
    ``submit(url, token, key, body, arrived_at)``; its receipt answered 201 at ``location(receipt)``, a refusal by its
    rule, anything else logged for the operator and answered 500 (send it again with the same key)."""
    arrived_at = arrival(request)
    try:
        token = _bearer(request)
        key = _key(request)
        body = _body(await request.body())
        receipt = await submit(request.app.state.desk.url, token, key, body, arrived_at)
    except DomainError as error:
        return refusal(error)
    except Exception:  # a bug or the database's fault: logged for the operator, a plain answer for the client
        return internal_error(door, tr("The submission could not be processed; send it again with the same "
                                       "Idempotency-Key."))
    return JSONResponse(receipt, status_code=201, headers={"Location": location(receipt)})


async def _submit_offer(url: str | None, token: str, key: str, body: dict[str, Any],
                        arrived_at: datetime) -> dict[str, Any]:
    from web.filing_queue import file

    prepared = await run_in_threadpool(_prepare, url, token, key, body, arrived_at)
    if group_commit():  # the filings waiting together written by one transaction (states/batched_filing.py)
        return await file(prepared, code=prepared.command.code, url=url)
    return await run_in_threadpool(_file, prepared, url)


@router.post("/oferty")
async def submit_offer(request: Request) -> JSONResponse:
    """An offer on the model form, filed for the organisation the token's person represents: its receipt."""
    return await filed(request, "POST /api/v1/oferty", _submit_offer, _receipt_path)


def _attach(url: str | None, token: str, key: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """A file attached to the organisation's draft by the one handler the browser's form uses
    (states/offer_attachments.py ``attach_file``): a call's offer's draft (``code``) or, without ``code``, its
    small-grant draft (art. 19a). With a key, a retry is answered as the first upload was, and nothing is written
    twice; the same key with another body is refused (``idempotency_key_reused``)."""
    import base64
    import binascii

    from models.command_log import plain
    from states.engine import execute
    from states.offer_attachments import CEILING_BYTES, AttachFile, attach_file
    from states.offer_filings import note_submission
    from states.people import authenticate

    actor = authenticate(token, url=url)
    encoded = body.pop("content_base64", None)
    if not isinstance(encoded, str) or len(encoded) > (CEILING_BYTES // 3 + 1) * 4:
        raise _not_base64()
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _not_base64() from None
    command = AttachFile.parse(**body, content=content)
    note_submission(actor.person or actor.name, limit=submissions_per_minute(), window=WINDOW_SECONDS, url=url)
    return plain(execute(attach_file, command, actor=actor, url=url, idempotency_key=key))


def _not_base64() -> InvalidInput:
    from states.offer_attachments import CEILING_BYTES

    return InvalidInput("attachment_base64", tr("Send the file as \"content_base64\": its bytes in base64, at most "
                                                "{limit} MB (the call's rule set may allow less).",
                                                limit=CEILING_BYTES // 1048576))


@router.post("/oferty/zalaczniki")
async def attach_to_draft(request: Request) -> JSONResponse:
    """A file attached to the organisation's draft offer (body ``{"code"?, "organisation_krs", "offer_number"?,
    "kind", "name", "content_base64"}``; without ``code`` its small-grant draft, art. 19a), filed with the next offer
    (or correction) it files: 201 and the file's kind, name, media type, size and SHA-256; refused as the portal's
    form refuses it (states/offer_attachments.py). ``Idempotency-Key`` (optional here: a retry without one is refused
    as ``attachment_repeated``, nothing attached twice): the same key again, the same answer."""
    from states.offer_attachments import CEILING_BYTES

    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > CEILING_BYTES * 4 // 3 + 64 * 1024:  # base64 and the JSON around it
        return JSONResponse({"rule": "attachment_too_large", "basis": None, "message": str(tr(
            "The file sent is larger than {limit} MB, the most a file attached to an offer may be. Nothing was saved: "
            "go back, choose a smaller file and send it again.", limit=CEILING_BYTES // 1048576))}, status_code=413)
    try:
        token = _bearer(request)
        key = _key(request) if request.headers.get("idempotency-key", "").strip() else None
        body = _body(await request.body())
        added = await run_in_threadpool(_attach, request.app.state.desk.url, token, key, body)
    except DomainError as error:
        return refusal(error)
    except Exception:  # a bug or the database's fault: logged for the operator, a plain answer for the client
        return internal_error("POST /api/v1/oferty/zalaczniki", tr("The file could not be processed; send it again "
                                                                     "with the same Idempotency-Key."))
    return JSONResponse({k: v for k, v in added.items() if k not in ("uploaded_at",)}, status_code=201)


def _receipt_path(receipt: dict[str, Any]) -> str:
    from urllib.parse import quote

    return (f"/api/v1/oferty/potwierdzenie?code={quote(str(receipt['code']), safe='')}&number={receipt['offer']}"
            f"&version={receipt['version']}")


@router.get("/oferty/potwierdzenie")
async def receipt(request: Request, code: str = "", number: str = "", version: str | None = None,
                  format: str = "json") -> Any:
    """One version's receipt (JSON, or ``format=pdf``), for the organisation's representative, the officer or the
    auditor (the matrix: ``offer_filings.offer_receipt``)."""
    try:
        token = _bearer(request)
        found = await run_in_threadpool(_receipt, request.app.state.desk.url, token, code, number, version)
    except DomainError as error:
        return refusal(error)
    if format == "pdf":
        from fastapi.responses import Response

        from notifications.offer_pdf import offer_pdf

        content = found.pop("content")
        name = "potwierdzenie-" + found["number"].replace("/", "-") + ".pdf"
        return Response(offer_pdf(content, found), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return JSONResponse(found)


def _receipt(url: str | None, token: str, code: str, number: str, version: str | None) -> dict[str, Any]:
    from models.command_log import plain
    from states.engine import execute
    from states.offer_filings import ReceiptRef, offer_receipt
    from states.people import authenticate

    actor = authenticate(token, url=url)
    command = ReceiptRef.parse(code=code, number=number, version=version or None)
    return plain(execute(offer_receipt, command, actor=actor, url=url, readonly=True))
