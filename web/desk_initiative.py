"""The desk's page of a local-initiative application filed through the portal (issue 22): what the residents (or
the organisation) filed, its receipt and its PDF, for the officer checking and evaluating it.

| route | page |
|---|---|
| ``GET /sprawy/{code}/wniosek`` | the receipt (number, moment, who filed, SHA-256) and the application, part by part |
| ``GET /sprawy/{code}/wniosek/pdf`` | the same as the PDF the applicants got |
| ``GET /sprawy/{code}/sprawozdanie?nr=K`` | the initiative's reports, report S<K> (the latest unless asked) part by part |
| ``GET /sprawy/{code}/sprawozdanie/{k}/pdf`` | report S<k> as the PDF its filer got |
| ``POST /sprawy/{code}/sprawozdanie/ocena`` | the officer's review of the latest report: accept it, or call for corrections with the reason |

Read through ``states.engine.execute`` as the desk's person: the matrix lets the officers and the auditors read it
(``local_initiative.initiative_receipt``). An application recorded from paper (``coop initiative file``) has no
filed form: the page says so, and names the residents' portal representative the officer named (the case page's
step ``name_representative``), if any. Registered before the case page (web/app.py), whose ``/sprawy/{code:path}`` would
take ``…/wniosek`` for a part of the code.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

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
    try:
        named = None if receipt else read(request, show, CaseRef(code=code), actor).get("portal_representative")
    except DomainError as refusal:
        return desk_refused(request, refusal)
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


REVIEWED = {"accepted": tr("The report is accepted and the group is told by e-mail. The initiative may now be "
                            "closed on the case's page."),
            "corrections": tr("Corrections of the report are requested and the group is told by e-mail, with your "
                              "reason and the date of the written call; the report is due again, and the group files "
                              "the corrected one on the portal.")}


# What became of a report, as its row keeps it (states/report_filings.py ``note_review``); shared with the portal.
OUTCOMES = {"submitted": tr("awaiting review"), "accepted": tr("accepted"),
            "corrections_requested": tr("corrections requested")}


def _may_review(actor: Actor, code: str) -> bool:
    """Whether the matrix lets this person review the initiative's report (the officers), so the page shows the
    buttons only to those the domain would not refuse for who they are."""
    from states.authorization import MATRIX
    from web.case_view import _may_run

    return _may_run(MATRIX.get("local_initiative.review_report", {}), actor, code)


def _report_page(request: Request, actor: Actor, code: str, *, nr: str = "", review: dict[str, Any] | None = None,
                 notice: Any = None, status_code: int = 200) -> Response:
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
    from states import labels
    from states.procedures.local_initiative.names import InitiativeState

    return page(request, "desk_initiative_report.html", title=tr("Report on the local initiative {code}", code=code),
                code=code, facts=facts, shown=shown, notice=notice, outcomes=OUTCOMES,
                stage=labels.state("local_initiative", facts["state"]),
                accepted=facts["state"] == InitiativeState.report_accepted,
                may_review=facts["may_review"] and _may_review(actor, code), review=review or {},
                intent=secrets.token_hex(16),
                sections=filed_sections(TREE, shown["content"]) if shown else [], status_code=status_code)


@router.get("/sprawy/{code:path}/sprawozdanie")
def report_page(request: Request, code: str, nr: str = "", oceniono: str = "",
                actor: Actor = Depends(require_actor)) -> Response:
    """What the officer reads before reviewing the initiative's report (``review_report``: accept it, or call for
    corrections), then closing the case (``close``, once it is accepted): the agreement, the reports (an officer's
    typed one has no form), report S<nr> part by part, and the review's buttons while a report awaits it."""
    return _report_page(request, actor, code, nr=nr, notice=REVIEWED.get(oceniono))


@router.post("/sprawy/{code:path}/sprawozdanie/ocena")
async def review_report(request: Request, code: str, actor: Actor = Depends(require_actor)) -> Response:
    form = await request.form()
    return await run_in_threadpool(_review, request, code, actor, form)


def _review(request: Request, code: str, actor: Actor, form: Any) -> Response:
    """The officer's button: ``decision`` accept, or corrections with ``reason``; through the one writer as the case
    page's steps run (the form's idempotency key: a second press does nothing twice). A refusal comes back on the
    same page with the reason typed kept."""
    from states.procedures.local_initiative.handlers import review_report as review
    from states.procedures.local_initiative.inputs import ReviewInitiativeReport
    from web.portal_steps import run

    decision = str(form.get("decision") or "")
    reason = str(form.get("reason") or "")
    intent = str(form.get("intent") or "")[:64]
    try:
        if decision not in ("accept", "corrections"):
            from states.errors import InvalidInput

            raise InvalidInput("decision_required", tr("Choose: accept the report, or call for its corrections"),
                               basis="art. 19e (umowa)")
        command = ReviewInitiativeReport.parse(code=code, accept=decision == "accept",
                                               reason=reason.strip() if decision == "corrections" else "")
        done = run(request, review, command, actor, idempotency_key=f"desk:{intent}" if intent else None)
    except DomainError as refusal:
        # the page again with a fresh key, as the case page's steps do (web/cases.py): the next press is another
        # intent (its reason changed), and a key carried back would grow a suffix at every refusal
        return _report_page(request, actor, code, review={"reason": reason, "message": refusal.message()},
                            status_code=422)
    return RedirectResponse(f"/sprawy/{done['code']}/sprawozdanie?oceniono="
                            f"{'accepted' if decision == 'accept' else 'corrections'}#review-notice", status_code=303)


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
