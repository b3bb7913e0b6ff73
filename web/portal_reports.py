"""The portal's report pages (issue 22): the organisation's representative files the partial or final report of a
contracted offer on the 2018 model form (states/model_forms/report.py), gets its receipt (page and PDF).

| route | page |
|---|---|
| ``GET /portal/sprawozdania`` | "Reports": the contracted offers of the organisations the person represents, their reports |
| ``GET/POST /portal/sprawozdania/{code}/{n}/nowe?rodzaj=final|partial`` | the report's form: add a row, file |
| ``GET /portal/sprawozdania/{code}/{n}/{k}/pokwitowanie`` | the receipt of report S<k> of offer n |
| ``GET /portal/sprawozdania/{code}/{n}/{k}/pokwitowanie.pdf`` | the report as PDF with its receipt |
| ``GET /portal/sprawozdania/{code}/{n}/{k}/tresc.json`` | the filed content as canonical JSON: what the SHA-256 is of |

Filing runs the open call's ``file_report_form`` through ``states.engine.execute`` as the session's person, under
the idempotency key made when the page was shown (a double click files once): the machine says when a report may
be filed, the sums are checked against the contract (states/report_filings.py). The form is drawn by
web/portal_form.py from the model, as the offer's; a refusal is shown beside its field, or at the top with its
rule, with everything typed kept. A report has no draft: the page keeps what was typed while it is open.
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
from states.model_forms.html import form_fields
from states.model_forms.offer import DECLARE_THAT
from states.model_forms.report import DECLARATION_TEXTS as REPORT_DECLARATION_TEXTS
from states.model_forms.report import ReportForm
from states.model_forms.simplified_report import SimplifiedReportForm
from web import portal_form
from web.portal import add_to_menu, portal_page, refuse, require_portal_actor
from web.portal_api import arrival
from web.portal_steps import moment, read, run, url

router = APIRouter(prefix="/portal")
add_to_menu("/portal/sprawozdania", tr("Reports"))

portal_form.CHOICES.setdefault("partial", tr("partial report"))
portal_form.CHOICES.setdefault("final", tr("final report"))
TREE = portal_form.form_tree(ReportForm, form_fields(ReportForm))
# the report's own name where the engine's shared label is the offer's ("plan i harmonogram działań", III.4 of the
# offer): part I.2 of the model report (Dz.U. 2018 poz. 2057 zał. 5; docs/model-forms.md)
portal_form.relabel(TREE, paths={"narrative.activities": tr("description of the execution of each activity")})
# the annex's heading of part II over II.1-II.3 (the model's parts), drawn by the page as the PDF prints it
portal_form.heading(TREE, "", ("expenses", "funding", "offeror_split", "income"),
                    tr("II. Report on the execution of the expenses"))
# A small grant's report is on the simplified form (Dz.U. 2018 poz. 2055 zał. 2); ``offer_reports`` says which.
SIMPLIFIED_TREE = portal_form.form_tree(SimplifiedReportForm, form_fields(SimplifiedReportForm))

# the simplified form's own headings where its parts differ from the model report's (the fields' labels are shared)
for _part, _label in {"narrative": tr("I. Description of the task carried out"),
                      **SimplifiedReportForm.FIELD_NAMES,  # "II. …": the names its refusals give these parts
                      "additional": tr("III. Additional information")}.items():
    _node = next(c for c in SIMPLIFIED_TREE.children if c.key == _part)
    _node.label = _label
    if _node.item is not None:  # a repeated part's rows carry its label too
        _node.item.label = _label
_header = next(c for c in SIMPLIFIED_TREE.children if c.key == "header")
_header.children = [c for c in _header.children if c.key != "kind"]  # always final: nothing to choose
TREES = {"report": TREE, "simplified": SIMPLIFIED_TREE}
for _tree in TREES.values():  # the annex's full wording beside each declaration (the simplified report has the same)
    portal_form.annotate(_tree, hints={"report_declarations": DECLARE_THAT, **{
        f"report_declarations.{key}": text for key, text in REPORT_DECLARATION_TEXTS.items()}})
MODELS = {"report": ReportForm, "simplified": SimplifiedReportForm}
# The offer's states in which its contract runs or ran: the offers the page lists (the machine decides the rest).
CONTRACTED = ("contracted", "report_due", "report_overdue", "report_submitted", "report_accepted", "settled")
SUMMARY = tr("The report is not filed yet: correct the fields marked below (each says the rule), then file it "
             "again. Nothing you typed was cleared.")


def _kind(rodzaj: str) -> str:
    return "partial" if rodzaj in ("partial", "czesciowe") else "final"


# --- the list ----------------------------------------------------------------------------------------------------


@router.get("/sprawozdania")
def my_reports(request: Request, actor: Actor = Depends(require_portal_actor)) -> Response:
    from states import labels
    from states.offer_filings import OrganisationOffers, organisation_offers
    from states.portal_accounts import represented_organisations
    from states.report_filings import OfferReportsRef, offer_reports

    organisations = []
    try:
        for organisation in represented_organisations(actor.person or "", url=url(request)):
            if not organisation["krs"]:  # an offer names its organisation by its KRS (web/portal_offers.py)
                continue
            listed = read(request, organisation_offers, OrganisationOffers(organisation_krs=organisation["krs"]),
                           actor)["offers"]
            offers = [{**read(request, offer_reports, OfferReportsRef(code=o["code"], number=o["offer"]), actor),
                       "state_label": labels.state("small_grant" if o.get("kind") == "small_grant" else "offer",
                                                   o["state"])}
                      for o in listed if o["state"] in CONTRACTED]
            organisations.append({**organisation, "offers": offers})
    except DomainError as refusal:
        return refuse(request, refusal.message())
    return portal_page(request, "portal_report_list.html", title=tr("Reports"), organisations=organisations)


# --- the form ----------------------------------------------------------------------------------------------------


def _facts(request: Request, actor: Actor, code: str, number: int) -> dict[str, Any]:
    from states.report_filings import OfferReportsRef, offer_reports

    return read(request, offer_reports, OfferReportsRef(code=code, number=number), actor)


def _prefilled(facts: dict[str, Any], kind: str) -> dict[str, Any]:
    if facts.get("form") == "simplified":
        return _prefilled_simplified(facts)
    return _prefilled_report(facts, kind)


def _prefilled_simplified(facts: dict[str, Any]) -> dict[str, Any]:
    """A small grant's report: the header from the contract the offer row keeps (its period is the task's, the
    report is final), the planned grant the contract's; the organisation types the rest."""
    from kernel.local_time import in_warsaw

    contract = facts["contract"] or {}
    signed = contract.get("signed_at")
    return {"header": {"period_start": str(contract.get("task_start") or ""),
                       "period_end": str(contract.get("task_end") or ""), "task_title": facts["title"],
                       "contractors": _contractors(facts), "contract_number": contract.get("number", ""),
                       "contract_date": in_warsaw(signed).date().isoformat() if signed else ""},
            "funding": {"planned_grant": contract.get("amount", "")}}


def _contractors(facts: dict[str, Any]) -> str:
    return ", ".join(p for p in (facts["organisation"], facts.get("organisation_address") or "",
                                 f"KRS {facts['organisation_krs']}" if facts.get("organisation_krs") else "") if p)


def _prefilled_report(facts: dict[str, Any], kind: str) -> dict[str, Any]:
    """A new report: the header from the contract, and what the offer filed on the form planned (its activities,
    results, cost lines and sources), so the organisation types what it did and spent beside what it planned."""
    contract = facts["contract"] or {}
    offer = facts.get("offer_content") or {}
    task, sources = offer.get("task") or {}, offer.get("sources") or {}
    signed = contract.get("signed_at")
    from kernel.local_time import in_warsaw

    contractors = _contractors(facts)
    return {
        "header": {"kind": kind, "period_start": str(contract.get("task_start") or ""),
                   "period_end": str(contract.get("task_end") or "") if kind == "final" else "",
                   "authority": (offer.get("basic") or {}).get("authority", ""), "task_title": facts["title"],
                   "contractors": contractors, "contract_date": in_warsaw(signed).date().isoformat() if signed else "",
                   "contract_number": contract.get("number", "")},
        "narrative": {
            "results": [{"name": r.get("name", ""), "planned_value": r.get("target_value", "")}
                        for r in task.get("results") or []],
            "activities": [{"name": a.get("name", ""), "start": a.get("start", ""), "end": a.get("end", ""),
                            "performed_by": facts["organisation"]} for a in task.get("activities") or []]},
        "expenses": [{"category": c.get("category", ""), "name": c.get("name", ""),
                      "planned_total": c.get("total", ""), "planned_grant": c.get("from_grant", "")}
                     for c in offer.get("costs") or []],
        "funding": {"planned_total": sources.get("total", ""), "planned_grant": contract.get("amount", ""),
                    "planned_own_financial": sources.get("own_financial", ""),
                    "planned_volunteer_work": sources.get("volunteer_work", ""),
                    "planned_in_kind": sources.get("in_kind", ""),
                    "planned_recipients_fees": sources.get("recipients_fees", "")},
    }


def _form_page(request: Request, *, facts: dict[str, Any], kind: str, typed: dict[str, Any], add: str | None = None,
               errors: dict[str, Any] | None = None, general: list[Any] | None = None, message: Any = None,
               rule: str | None = None, intent: str | None = None, status_code: int = 200) -> Response:
    tree = TREES[facts.get("form") or "report"]
    values = portal_form.shown(tree, typed, add=add)
    action = f"/portal/sprawozdania/{facts['code']}/{facts['offer']}/nowe?rodzaj={kind}"
    title = (tr("Final report on offer {number} in {code}", number=facts["offer"], code=facts["code"])
             if kind == "final" else
             tr("Partial report on offer {number} in {code}", number=facts["offer"], code=facts["code"]))
    return portal_page(request, "portal_report_form.html", title=title, facts=facts, kind=kind, tree=tree,
                       values=values, spares=portal_form.spare_rows(tree, values), errors=errors or {},
                       general=general or [], message=message, rule=rule, intent=intent or secrets.token_hex(16),
                       action=action, field_id=portal_form.field_ids, path_label=portal_form.path_label,
                       status_code=status_code)


def _refused_offer(request: Request, facts: dict[str, Any]) -> Response | None:
    if facts["contract"] is None:
        return refuse(request, tr("Offer {number} in {code} has no contract: a report is filed on a contract "
                                  "(art. 18).", number=facts["offer"], code=facts["code"]))
    return None


@router.get("/sprawozdania/{code:path}/{number:int}/nowe")
def report_form(request: Request, code: str, number: int, rodzaj: str = "final",
                actor: Actor = Depends(require_portal_actor)) -> Response:
    try:
        facts = _facts(request, actor, code, number)
    except NotFound as missing:
        return refuse(request, missing.message(), status_code=404)
    except DomainError as refusal:
        return refuse(request, refusal.message())
    refused = _refused_offer(request, facts)
    if refused is not None:
        return refused
    kind = "final" if facts.get("form") == "simplified" else _kind(rodzaj)  # the simplified report is final
    return _form_page(request, facts=facts, kind=kind, typed=_prefilled(facts, kind))


@router.post("/sprawozdania/{code:path}/{number:int}/nowe")
async def post_report(request: Request, code: str, number: int, rodzaj: str = "final",
                      actor: Actor = Depends(require_portal_actor)) -> Response:
    form = await request.form()
    return await run_in_threadpool(_post_report, request, code, number, _kind(rodzaj), actor, form)


def _post_report(request: Request, code: str, number: int, kind: str, actor: Actor, form: Any) -> Response:
    from pydantic import ValidationError

    from states.procedures.open_call import handlers as open_call
    from states.procedures.small_grant import handlers as small_grant
    from states.report_filings import FileReportForm, FileSimplifiedReport

    arrived_at = arrival(request)  # the report's moment of receipt, before it waits for the call's row
    try:
        facts = _facts(request, actor, code, number)
    except NotFound as missing:
        return refuse(request, missing.message(), status_code=404)
    except DomainError as refusal:
        return refuse(request, refusal.message())
    refused = _refused_offer(request, facts)
    if refused is not None:
        return refused
    simplified = facts.get("form") == "simplified"
    if simplified:
        kind = "final"
    tree = TREES[facts.get("form") or "report"]
    typed = portal_form.typed_from_post(tree, form)
    action = str(form.get("action") or "submit")
    intent = str(form.get("intent") or "")[:64] or None
    page = {"request": request, "facts": facts, "kind": kind, "typed": typed, "intent": intent}
    if action.startswith("add:"):
        return _form_page(**page, add=action.removeprefix("add:"))
    data, where = portal_form.model_input(tree, typed)
    try:
        parsed = MODELS[facts.get("form") or "report"].model_validate(data)
    except ValidationError as error:
        fields, general = portal_form.refusals(error, where)
        return _form_page(**page, errors=fields, general=general, message=SUMMARY, status_code=422)
    try:
        handler, command = ((small_grant.file_report_form, FileSimplifiedReport(code=code, form=parsed))
                             if simplified else
                             (open_call.file_report_form, FileReportForm(code=code, number=number, form=parsed)))
        filed = run(request, handler, command, actor, idempotency_key=f"portal:{intent}" if intent else None, arrived_at=arrived_at)
    except DomainError as refusal:
        return _form_page(**page, message=refusal.message(), rule=refusal.rule, status_code=422)
    return RedirectResponse(receipt_path(filed["code"], filed["offer"], filed["report"]) + "?zlozono=1",
                            status_code=303)


# --- the receipt -------------------------------------------------------------------------------------------------


def receipt_path(code: str, number: int, report: int) -> str:
    return f"/portal/sprawozdania/{code}/{number}/{report}/pokwitowanie"


def _receipt_or_refusal(request: Request, actor: Actor, code: str, number: int, report: int):
    from states.report_filings import ReportReceiptRef, report_receipt

    try:
        return read(request, report_receipt, ReportReceiptRef(code=code, number=number, report=report), actor), None
    except NotFound as missing:
        return None, refuse(request, missing.message(), status_code=404)
    except DomainError as refusal:
        return None, refuse(request, refusal.message())


@router.get("/sprawozdania/{code:path}/{number:int}/{report:int}/pokwitowanie")
def receipt_page(request: Request, code: str, number: int, report: int,
                 actor: Actor = Depends(require_portal_actor)) -> Response:
    receipt, refused = _receipt_or_refusal(request, actor, code, number, report)
    if refused is not None:
        return refused
    base = f"/portal/sprawozdania/{code}/{number}/{report}"
    return portal_page(request, "portal_report_receipt.html", title=tr("Receipt {number}", number=receipt["number"]),
                       receipt=receipt, pdf=f"{base}/pokwitowanie.pdf", content_url=f"{base}/tresc.json",
                       received=moment(receipt["received_at"]), filed=request.query_params.get("zlozono") == "1")


def _file_name(receipt: dict[str, Any]) -> str:
    return receipt["number"].replace("/", "-")


@router.get("/sprawozdania/{code:path}/{number:int}/{report:int}/pokwitowanie.pdf")
def receipt_pdf(request: Request, code: str, number: int, report: int,
                actor: Actor = Depends(require_portal_actor)) -> Response:
    from notifications.report_pdf import report_pdf

    receipt, refused = _receipt_or_refusal(request, actor, code, number, report)
    if refused is not None:
        return refused
    return Response(report_pdf(receipt["content"], receipt), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="sprawozdanie-{_file_name(receipt)}.pdf"'})


@router.get("/sprawozdania/{code:path}/{number:int}/{report:int}/tresc.json")
def filed_content(request: Request, code: str, number: int, report: int,
                  actor: Actor = Depends(require_portal_actor)) -> Response:
    """The filed content exactly as it was hashed: ``sha256sum`` of this file is the receipt's SHA-256."""
    from states.model_forms.canonical import canonical_bytes

    receipt, refused = _receipt_or_refusal(request, actor, code, number, report)
    if refused is not None:
        return refused
    return Response(canonical_bytes(receipt["content"]), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="sprawozdanie-{_file_name(receipt)}.json"'})
