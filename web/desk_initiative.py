"""The desk's page of a local-initiative application filed through the portal (issue 22): what the residents (or
the organisation) filed, its receipt and its PDF, for the officer checking and evaluating it.

| route | page |
|---|---|
| ``GET /sprawy/{code}/wniosek`` | the receipt (number, moment, who filed, SHA-256) and the application, part by part |
| ``GET /sprawy/{code}/wniosek/pdf`` | the same as the PDF the applicants got |

Read through ``states.engine.execute`` as the desk's person: the matrix lets the officers and the auditors read it
(``local_initiative.initiative_receipt``). An application recorded from paper (``coop initiative file``) has no
filed form: the page says so. Registered before the case page (web/app.py), whose ``/sprawy/{code:path}`` would
take ``…/wniosek`` for a part of the code.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError, NotFound
from web.portal_steps import desk_refused, download, read
from web.security import require_actor
from web.templating import page

router = APIRouter()


def _receipt(request: Request, actor: Actor, code: str):
    from states.procedures.local_initiative.handlers import initiative_receipt
    from states.procedures.local_initiative.inputs import FilingRef

    return read(request, initiative_receipt, FilingRef(code=code), actor)


@router.get("/sprawy/{code:path}/wniosek")
def application_page(request: Request, code: str, actor: Actor = Depends(require_actor)) -> Response:
    from web.portal_form import filed_sections
    from web.portal_initiative import TREE

    try:
        receipt = _receipt(request, actor, code)
    except NotFound as missing:
        if missing.rule != "no_form_filed":
            return desk_refused(request, missing)
        receipt = None
    except DomainError as refusal:
        return desk_refused(request, refusal)
    return page(request, "desk_initiative.html", title=tr("Application in {code}", code=code), code=code,
                receipt=receipt, sections=filed_sections(TREE, receipt["content"]) if receipt else [])


@router.get("/sprawy/{code:path}/wniosek/pdf")
def application_pdf(request: Request, code: str, actor: Actor = Depends(require_actor)) -> Response:
    from notifications.initiative_pdf import initiative_pdf

    try:
        receipt = _receipt(request, actor, code)
    except DomainError as refusal:
        return desk_refused(request, refusal)
    return download(initiative_pdf(receipt["content"], receipt), "wniosek", receipt["number"], "pdf")
