"""The JSON door for a local-initiative application (issue 22; art. 19b-19h): the same door as an offer's
(web/portal_api.py), for the residents' (or an organisation's) application.

``POST /api/v1/inicjatywy`` with ``Authorization: Bearer <personal token>`` and ``Idempotency-Key: <key>`` (the
intent's key, invariant 10), body ``{"form", "organisation_krs"?, "from_draft"?}``: ``form`` the application as the
portal's form holds it (states/model_forms/initiative.py, docs/portal-initiative.md), validated by the same pydantic
model (``FileApplication.parse``); without ``organisation_krs`` the token's person files for a group of residents
and is its contact (``local_initiative.file_residents_application``), with it the person files as that
organisation's representative (``file_organisation_application``); ``from_draft: true`` deletes the owner's draft
saved in the portal (states/initiative_drafts.py) in the filing's transaction.

- 201 and the receipt: ``code`` (the new ``IL/…`` case), ``state``, ``version``, ``receipt`` (its number),
  ``received_at`` (the moment of receipt), ``sha256`` (of the filed content), ``links`` (the receipt as JSON and as
  PDF through this door, the portal's receipt page and the filed content); ``Location`` the JSON receipt;
- the same key again (a retry after a lost answer): the same receipt, one case; the same key with another body:
  refused (``idempotency_key_reused``, 409);
- a refusal: ``{"rule", "message", "basis"}``, nothing written, never a traceback: 400 a body or header the door does
  not take, 401 no or a bad token, 403 another organisation's representative, 409 a rule of the case (the hour's
  rate of the rule set, a group's form sent as an organisation's), 422 the form itself (the rule named, as beside the
  portal form's field), 429 too many submissions by this person lately.

Statuses, the bearer-only authentication and the rate limit (``COOP_PORTAL_SUBMISSIONS`` a minute, counted in the
database) are web/portal_api.py's, by its functions.

``GET /api/v1/inicjatywy/potwierdzenie?code=<code>[&version=V][&format=pdf]``: the receipt again (JSON with the
filed content, or the PDF), for whoever may read it (the matrix: the filer, the organisation's representatives, the
officers and the auditors).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kernel.errors import DomainError
from web.portal_api import (
    WINDOW_SECONDS,
    _bearer,
    filed,
    refusal,
    submissions_per_minute,
)

router = APIRouter(prefix="/api/v1")


def _links(code: str, version: int) -> dict[str, str]:
    quoted = quote(code, safe="")
    api = f"/api/v1/inicjatywy/potwierdzenie?code={quoted}&version={version}"
    portal = f"/portal/inicjatywa/{code}"
    return {"receipt": api, "pdf": api + "&format=pdf", "portal_receipt": f"{portal}/pokwitowanie?wersja={version}",
            "portal_pdf": f"{portal}/pokwitowanie.pdf?wersja={version}",
            "content": f"{portal}/tresc.json?wersja={version}"}


def _submit(url: str | None, token: str, key: str, body: dict[str, Any], arrived_at: datetime) -> dict[str, Any]:
    from models.command_log import plain
    from states.engine import execute
    from states.offer_filings import note_submission
    from states.people import authenticate
    from states.procedures.local_initiative.handlers import (
        file_organisation_application,
        file_residents_application,
    )
    from states.procedures.local_initiative.inputs import FileApplication

    actor = authenticate(token, url=url)
    command = FileApplication.parse(**body)  # the portal form's model; a malformed body is no submission
    note_submission(actor.person or actor.name, limit=submissions_per_minute(), window=WINDOW_SECONDS, url=url)
    handler = file_residents_application if command.organisation_krs is None else file_organisation_application
    filed = plain(execute(handler, command, actor=actor, url=url, idempotency_key=key, retry_conflicts=True,
                          arrived_at=arrived_at))
    return {**filed, "links": _links(filed["code"], filed["version"])}


@router.post("/inicjatywy")
async def submit_initiative(request: Request) -> JSONResponse:
    """A local-initiative application on its form, filed by the token's person: its receipt."""
    return await filed(request, "POST /api/v1/inicjatywy", lambda *given: run_in_threadpool(_submit, *given),
                       lambda receipt: receipt["links"]["receipt"])


def _receipt(url: str | None, token: str, code: str, version: str | None) -> dict[str, Any]:
    from models.command_log import plain
    from states.engine import execute
    from states.people import authenticate
    from states.procedures.local_initiative.handlers import initiative_receipt
    from states.procedures.local_initiative.inputs import FilingRef

    actor = authenticate(token, url=url)
    command = FilingRef.parse(code=code, version=version or None)
    return plain(execute(initiative_receipt, command, actor=actor, url=url, readonly=True))


@router.get("/inicjatywy/potwierdzenie")
async def receipt(request: Request, code: str = "", version: str | None = None, format: str = "json") -> Any:
    """One version's receipt (JSON with the filed content, or ``format=pdf``)."""
    try:
        token = _bearer(request)
        found = await run_in_threadpool(_receipt, request.app.state.desk.url, token, code, version)
    except DomainError as error:
        return refusal(error)
    if format == "pdf":
        from notifications.initiative_pdf import initiative_pdf

        content = found.pop("content")
        name = "pokwitowanie-" + found["number"].replace("/", "-") + ".pdf"
        return Response(initiative_pdf(content, found), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return JSONResponse({**found, "links": _links(found["case_code"], found["version"])})
