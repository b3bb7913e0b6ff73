"""The portal's pages of a local initiative's report (issue 22; the agreement of art. 19e): the initiative's applicant
(whoever filed its application through the portal, or a representative of the organisation it was filed for) files
the report on its form (states/model_forms/initiative_report.py), gets its receipt (page and PDF) and finds it under
"Local initiative".

| route | page |
|---|---|
| ``GET/POST /portal/inicjatywa/sprawozdanie/{code}/nowe`` | the report's form: add a row, file it |
| ``GET /portal/inicjatywa/sprawozdanie/{code}/{k}/pokwitowanie`` | the receipt of report S<k> and what was filed |
| ``GET /portal/inicjatywa/sprawozdanie/{code}/{k}/pokwitowanie.pdf`` | the report as PDF with its receipt |
| ``GET /portal/inicjatywa/sprawozdanie/{code}/{k}/tresc.json`` | the filed content as canonical JSON |

Filing runs the procedure's ``file_report_form`` (its machine's ``submit_report``) through ``states.engine.execute``
as the session's person, under the idempotency key made when the page was shown (a double click files once); the
matrix lets only the initiative's filer (relation ``filer``) file and read it. Registered before
web/portal_initiative.py, whose ``/portal/inicjatywa/{code:path}/pokwitowanie`` would take these addresses.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kernel.text import tr
from states.actors import Actor
from states.model_forms.html import form_fields
from states.model_forms.initiative_report import InitiativeReportForm
from web import portal_form
from web.portal import portal_page, require_portal_actor
from web.portal_api import arrival
from web.portal_initiative import relabel
from web.portal_steps import added_row, download, intent_key, intent_of, moment, read, read_or_refuse, run

router = APIRouter(prefix="/portal/inicjatywa/sprawozdanie")

LABELS: dict[str, Any] = {
    "header": tr("The report"),
    "header.period_start": tr("the report's period: from"),
    "header.period_end": tr("the report's period: to"),
    "header.task_title": tr("title of the task"),
    "header.applicants": tr("applicants (the group of residents or the organisation)"),
    "header.contract_number": tr("number of the agreement"),
    "narrative": tr("I. What was done"),
    "narrative.task_done": tr("the task carried out"),
    "contribution": tr("II. The residents' own contribution"),
    "contribution.work_description": tr("social work: what the residents did"),
    "contribution.people": tr("number of people working"),
    "contribution.hours": tr("hours of social work"),
    "contribution.in_kind": tr("contribution in kind: its value"),
    "contribution.in_kind_description": tr("contribution in kind: what it was"),
    "contribution.cash": tr("contribution in money: the amount"),
    "contribution.cash_description": tr("contribution in money: what it paid for"),
    "additional": tr("III. Additional information"),
    "report_declarations": tr("Declarations"),
    "report_declarations.information_true": tr("the information in the report is true"),
    "report_declarations.personal_data": tr("the people named in the report consented to their data being processed "
                                            "for its settlement"),
}
HINTS: dict[str, Any] = {
    "header": tr("The report covers the agreement's period or a part of it: a period outside it is refused "
                 "(art. 19e, the agreement's schedule)."),
    "contribution": tr("What the residents gave themselves: their social work (its value is the hours times the "
                       "council resolution's rate), goods and money. The city's purchases are the city's: a local "
                       "initiative receives no grant, so there is nothing to account for in money (art. 19e)."),
}

TREE = portal_form.form_tree(InitiativeReportForm, form_fields(InitiativeReportForm))
relabel(TREE, "", LABELS, HINTS)
SUMMARY = tr("The report is not filed yet: correct the fields marked below (each says the rule), then file it "
             "again. Nothing you typed was cleared.")


def base_path(code: str) -> str:
    return f"/portal/inicjatywa/sprawozdanie/{code}"


def _facts(request: Request, actor: Actor, code: str) -> dict[str, Any]:
    from states.inputs import CaseRef
    from states.procedures.local_initiative.handlers import initiative_reports

    return read(request, initiative_reports, CaseRef(code=code), actor)


def _prefilled(facts: dict[str, Any]) -> dict[str, Any]:
    """A new report: its period the agreement's, the task's title, the applicants and the agreement's number; a
    corrected one (the office called for corrections): what the group filed last, to correct."""
    filed = [r["content"] for r in facts["reports"] if r.get("content")]
    if facts.get("corrections") and filed:
        return filed[-1]
    contract = facts["contract"] or {}
    return {"header": {"period_start": str(contract.get("task_start") or ""),
                       "period_end": str(contract.get("task_end") or ""), "task_title": facts["title"],
                       "applicants": facts["applicants"], "contract_number": contract.get("number") or ""}}


def _form_page(request: Request, *, facts: dict[str, Any], typed: dict[str, Any], add: str | None = None,
               errors: dict[str, Any] | None = None, general: list[Any] | None = None, message: Any = None,
               rule: str | None = None, intent: str | None = None, status_code: int = 200) -> Response:
    values = portal_form.shown(TREE, typed, add=add)
    return portal_page(request, "portal_initiative_report_form.html",
                       title=tr("Report on the local initiative {code}", code=facts["code"]), facts=facts, tree=TREE,
                       values=values, spares=portal_form.spare_rows(TREE, values), errors=errors or {},
                       general=general or [], message=message, rule=rule, intent=intent or secrets.token_hex(16),
                       action=f"{base_path(facts['code'])}/nowe", field_id=portal_form.field_ids,
                       path_label=portal_form.path_label, status_code=status_code)


def _refused(request: Request, facts: dict[str, Any]) -> Response | None:
    from web.portal import refuse

    if facts["contract"] is None:
        return refuse(request, tr("{code}: the agreement is not signed yet; the initiative's report is filed under "
                                  "its agreement (art. 19e).", code=facts["code"]))
    return None


@router.get("/{code:path}/nowe")
def report_form(request: Request, code: str, actor: Actor = Depends(require_portal_actor)) -> Response:
    facts, refused = read_or_refuse(request, lambda: _facts(request, actor, code))
    if refused is not None:
        return refused
    return _refused(request, facts) or _form_page(request, facts=facts, typed=_prefilled(facts))


@router.post("/{code:path}/nowe")
async def post_report(request: Request, code: str, actor: Actor = Depends(require_portal_actor)) -> Response:
    form = await request.form()
    return await run_in_threadpool(_post_report, request, code, actor, form)


def _post_report(request: Request, code: str, actor: Actor, form: Any) -> Response:
    from states.errors import DomainError
    from states.procedures.local_initiative.handlers import file_report_form
    from states.procedures.local_initiative.inputs import FileInitiativeReport

    arrived_at = arrival(request)  # the report's moment of receipt
    facts, refused = read_or_refuse(request, lambda: _facts(request, actor, code))
    if refused is not None:
        return refused
    refused = _refused(request, facts)
    if refused is not None:
        return refused
    typed = portal_form.typed_from_post(TREE, form)
    action = str(form.get("action") or "")
    intent = intent_of(form)
    page = {"request": request, "facts": facts, "typed": typed, "intent": intent}
    if action != "submit":  # "add a row": the page again, everything typed kept
        return _form_page(**page, add=added_row(action))
    parsed = portal_form.parse_typed(InitiativeReportForm, TREE, typed, summary=SUMMARY)
    if not isinstance(parsed, InitiativeReportForm):
        return _form_page(**page, **parsed, status_code=422)
    try:
        filed = run(request, file_report_form, FileInitiativeReport(code=code, form=parsed), actor,
                    idempotency_key=intent_key(intent), arrived_at=arrived_at)
    except DomainError as refusal:
        return _form_page(**page, message=refusal.message(), rule=refusal.rule, status_code=422)
    return RedirectResponse(f"{base_path(filed['code'])}/{filed['report']}/pokwitowanie?zlozono=1", status_code=303)


# --- the receipt -------------------------------------------------------------------------------------------------


def _receipt(request: Request, actor: Actor, code: str, report: int):
    from states.procedures.local_initiative.handlers import initiative_report_receipt
    from states.procedures.local_initiative.inputs import InitiativeReportRef

    return read_or_refuse(request, lambda: read(request, initiative_report_receipt,
                                                InitiativeReportRef(code=code, report=report), actor))


@router.get("/{code:path}/{report:int}/pokwitowanie")
def receipt_page(request: Request, code: str, report: int, actor: Actor = Depends(require_portal_actor)) -> Response:
    receipt, refused = _receipt(request, actor, code, report)
    if refused is not None:
        return refused
    base = f"{base_path(code)}/{report}"
    return portal_page(request, "portal_initiative_report_receipt.html",
                       title=tr("Receipt {number}", number=receipt["number"]), receipt=receipt,
                       pdf=f"{base}/pokwitowanie.pdf", content_url=f"{base}/tresc.json",
                       received=moment(receipt["received_at"]), filed=request.query_params.get("zlozono") == "1",
                       sections=portal_form.filed_sections(TREE, receipt["content"]))


@router.get("/{code:path}/{report:int}/pokwitowanie.pdf")
def receipt_pdf(request: Request, code: str, report: int, actor: Actor = Depends(require_portal_actor)) -> Response:
    from notifications.initiative_report_pdf import initiative_report_pdf

    receipt, refused = _receipt(request, actor, code, report)
    if refused is not None:
        return refused
    return download(initiative_report_pdf(receipt["content"], receipt), "sprawozdanie", receipt["number"], "pdf")


@router.get("/{code:path}/{report:int}/tresc.json")
def filed_content(request: Request, code: str, report: int, actor: Actor = Depends(require_portal_actor)) -> Response:
    """The filed content exactly as it was hashed: ``sha256sum`` of this file is the receipt's SHA-256."""
    from states.model_forms.canonical import canonical_bytes

    receipt, refused = _receipt(request, actor, code, report)
    if refused is not None:
        return refused
    return download(canonical_bytes(receipt["content"]), "sprawozdanie", receipt["number"], "json")
