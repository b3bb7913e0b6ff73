"""The JSON door for a small-grant offer (issue 22; art. 19a): the same door as an open call's offer
(web/portal_api.py), without a call.

``POST /api/v1/oferty-pozakonkursowe`` with ``Authorization: Bearer <personal token>`` and ``Idempotency-Key``,
body ``{"organisation_krs", "form"}`` (the simplified model form, Dz.U. 2018 poz. 2055 zał. 1: docs/offer-form.md): 201 and the receipt (``code`` of
the new ``MG/…`` case, ``offer`` 1, ``state``, ``version``, ``receipt``, ``sha256``, ``received_at``,
``publish_by``), ``Location`` the receipt's (``GET /api/v1/oferty/potwierdzenie``, the open call's: the offer is
number 1 of its case). The same key again: the same receipt, one case. Refusals, statuses, the rate limit and the
bearer-only authentication are web/portal_api.py's, by its functions: 409 a limit of art. 19a (amount, duration,
the yearly ceiling) with its basis, 422 the form itself, 403 another organisation's representative.

Files uploaded before it through ``POST /api/v1/oferty/zalaczniki`` without a ``code`` (web/portal_api.py, the
organisation's small-grant draft, as the browser's page attaches them) are filed with the offer's version 1 and
listed under ``attachments`` in the content its receipt's hash is of (states/offer_attachments.py
``file_with_version``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from web.portal_api import (
    WINDOW_SECONDS,
    _receipt_path,
    filed,
    submissions_per_minute,
)

router = APIRouter(prefix="/api/v1")


def _submit(url: str | None, token: str, key: str, body: dict[str, Any], arrived_at: datetime) -> dict[str, Any]:
    from models.command_log import plain
    from states.engine import execute
    from states.offer_filings import note_submission
    from states.people import authenticate
    from states.procedures.small_grant.handlers import file_offer_form
    from states.procedures.small_grant.inputs import FileSmallGrantForm

    actor = authenticate(token, url=url)
    command = FileSmallGrantForm.parse(**body)  # before the count: a malformed body is no submission
    note_submission(actor.person or actor.name, limit=submissions_per_minute(), window=WINDOW_SECONDS, url=url)
    return plain(execute(file_offer_form, command, actor=actor, url=url, idempotency_key=key, retry_conflicts=True,
                         arrived_at=arrived_at))


@router.post("/oferty-pozakonkursowe")
async def submit_small_grant(request: Request) -> JSONResponse:
    """A small-grant offer on the simplified model form, filed for the organisation the token's person represents."""
    return await filed(request, "POST /api/v1/oferty-pozakonkursowe",
                       lambda *given: run_in_threadpool(_submit, *given), _receipt_path)
