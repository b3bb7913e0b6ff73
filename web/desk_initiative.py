"""The desk's page of a local-initiative application filed through the portal (issue 22): what the residents (or
the organisation) filed, its receipt and its PDF, for the officer checking and evaluating it.

| route | page |
|---|---|
| ``GET /sprawy/{code}/wniosek`` | the receipt (number, moment, who filed, SHA-256) and the application, part by part |
| ``GET /sprawy/{code}/wniosek/pdf`` | the same as the PDF the applicants got |
| ``GET /sprawy/{code}/sprawozdanie?nr=K`` | the initiative's reports, report S<K> (the latest unless asked) part by part |
| ``GET /sprawy/{code}/sprawozdanie/{k}/pdf`` | report S<k> as the PDF its filer got |

Read through ``states.engine.execute`` as the desk's person: the matrix lets the officers and the auditors read it
(``local_initiative.initiative_receipt``). An application recorded from paper (``coop initiative file``) has no
filed form: the page says so, and names the residents' portal representative the officer named (the case page's
step ``name_representative``), if any. Registered before the case page (web/app.py), whose ``/sprawy/{code:path}`` would
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
    from states.inputs import CaseRef
    from states.procedures.local_initiative.handlers import show
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
    # a paper application: who represents the residents on the portal (the case page's step names them)
    named = None if receipt else read(request, show, CaseRef(code=code), actor).get("portal_representative")
    return page(request, "desk_initiative.html", title=tr("Application in {code}", code=code), code=code,
                receipt=receipt, sections=filed_sections(TREE, receipt["content"]) if receipt else [],
                portal_representative=named)


@router.get("/sprawy/{code:path}/wniosek/pdf")
def application_pdf(request: Request, code: str, actor: Actor = Depends(require_actor)) -> Response:
    from notifications.initiative_pdf import initiative_pdf

    try:
        receipt = _receipt(request, actor, code)
    except DomainError as refusal:
        return desk_refused(request, refusal)
    return download(initiative_pdf(receipt["content"], receipt), "wniosek", receipt["number"], "pdf")


# --- the report filed by the applicants (web/portal_initiative_reports.py) ----------------------------------------


@router.get("/sprawy/{code:path}/sprawozdanie")
def report_page(request: Request, code: str, nr: str = "", actor: Actor = Depends(require_actor)) -> Response:
    """What the officer reads before closing the initiative (its ``close`` step, after ``submit_report``): the
    agreement, the reports (an officer's typed one has no form) and report S<nr> part by part."""
    from states.inputs import CaseRef
    from states.procedures.local_initiative.handlers import initiative_reports
    from web.portal_form import filed_sections
    from web.portal_initiative_reports import TREE

    try:
        facts = read(request, initiative_reports, CaseRef(code=code), actor)
    except DomainError as refusal:
        return desk_refused(request, refusal)
    on_form = [r for r in facts["reports"] if r["content"] is not None]
    asked = int(nr) if nr.isdigit() else None
    shown = next((r for r in on_form if r["report"] == asked), None) if asked else (on_form[-1] if on_form else None)
    return page(request, "desk_initiative_report.html", title=tr("Report on the local initiative {code}", code=code),
                code=code, facts=facts, shown=shown,
                sections=filed_sections(TREE, shown["content"]) if shown else [])


@router.get("/sprawy/{code:path}/sprawozdanie/{report:int}/pdf")
def report_pdf(request: Request, code: str, report: int, actor: Actor = Depends(require_actor)) -> Response:
    from notifications.initiative_report_pdf import initiative_report_pdf
    from states.procedures.local_initiative.handlers import initiative_report_receipt
    from states.procedures.local_initiative.inputs import InitiativeReportRef

    try:
        receipt = read(request, initiative_report_receipt, InitiativeReportRef(code=code, report=report), actor)
    except DomainError as refusal:
        return desk_refused(request, refusal)
    return download(initiative_report_pdf(receipt["content"], receipt), "sprawozdanie", receipt["number"], "pdf")
