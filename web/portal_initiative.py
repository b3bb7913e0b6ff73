"""The portal's local-initiative pages (issue 22; art. 19b-19h): residents, or an organisation on their behalf, file
an application for a local initiative themselves, get its receipt and its PDF, and find their applications again.

| route | page |
|---|---|
| ``GET /portal/inicjatywa`` | "Local initiative": what it is, the person's applications with their receipts, a link to a new one |
| ``GET/POST /portal/inicjatywa/nowa[?organizacja=<KRS>]`` | the application's form: save the draft, add a row, discard the draft, file it |
| ``GET /portal/inicjatywa/{code}/pokwitowanie?wersja=V`` | the receipt (the latest version without ``wersja``) |
| ``GET /portal/inicjatywa/{code}/pokwitowanie.pdf?wersja=V`` | the receipt as PDF: the application and the receipt |
| ``GET /portal/inicjatywa/{code}/tresc.json?wersja=V`` | the filed content as canonical JSON: what the SHA-256 is of |

Filing runs the procedure's ``file_residents_application`` (a group of residents: any logged-in person, who is the
group's contact) or ``file_organisation_application`` (the representative of the organisation the form names)
through ``states.engine.execute`` as the session's person, under the idempotency key made when the page was shown
(``intent``): a double click files once. The form is drawn from the model (states/model_forms/initiative.py) by
web/portal_form.py, as the offer's; a refusal is shown beside its field with everything typed kept.

Drafts (states/initiative_drafts.py, kept in ``offer_drafts`` as an offer's): every press but "file" saves what was
typed as the owner's draft (the person's own for a group of residents; the organisation's, for its
representatives, with ``?organizacja=``); the page opens on it again, "discard the draft" drops it, and filing it
(``from_draft``) deletes it in the filing's own transaction. A refused filing keeps the draft too.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kernel.text import capitalized, tr
from states.actors import Actor
from states.errors import DomainError
from states.model_forms.html import form_fields
from states.model_forms.initiative import CHOICES, InitiativeForm
from states.text import Money
from web import portal_form
from web.portal import add_to_menu, portal_page, refuse, require_portal_actor
from web.portal_api import arrival
from web.portal_steps import (
    added_row,
    download,
    intent_key,
    intent_of,
    moment,
    read,
    read_or_refuse,
    receipt_links,
    refusal_text,
    represented,
    run,
    version_asked,
)

router = APIRouter(prefix="/portal/inicjatywa")
add_to_menu("/portal/inicjatywa", tr("Local initiative"))

# The application's parts and the fields whose label is the initiative's own (the engine's labels are the offer's
# for the same names: "contact" is the offer's II.2), by their path in the form.
LABELS: dict[str, Any] = {
    "applicant": tr("1. Applicants"),
    "applicant.kind": tr("who applies"),
    "applicant.members": tr("members of the group (name and address)"),
    "applicant.members.name": tr("first name and surname"),
    "applicant.members.address": tr("address"),
    "contact": tr("2. Contact person"),
    "contact.name": tr("first name and surname"),
    "task": tr("3. The task"),
    "task.title": tr("title of the task"),
    "task.sphere": tr("sphere of public tasks (art. 19b ust. 1)"),
    "task.description": tr("description of the task"),
    "task.place": tr("place (address or plot)"),
    "schedule": tr("4. Schedule"),
    "schedule.task_start": tr("the task starts"),
    "schedule.task_end": tr("the task ends"),
    "schedule.actions": tr("actions"),
    "schedule.actions.name": tr("action"),
    "costs": tr("5. Cost estimate"),
    "costs.name": tr("kind of cost"),
    "costs.total": tr("value"),
    "work": tr("6. Social work of the residents"),
    "work.description": tr("what the residents will do"),
    "work.value": tr("value of the work"),
    "budget": tr("7. Budget"),
    "budget.total": tr("estimated cost of the task"),
    "declarations": tr("8. Declarations"),
    "declarations.residents": tr("we are residents of the city (art. 19b ust. 1)"),
    "declarations.information_true": tr("the information in the application is true"),
    "declarations.personal_data": tr("the people named here consented to their data being processed for the "
                                     "application"),
}
HINTS: dict[str, Any] = {
    "applicant": tr("A group of residents applies directly: name the group and list its members. An organisation "
                    "applies on the residents' behalf through its representative: give its name and KRS number."),
    "costs": tr("What the task needs, line by line. The city buys its part itself: a local initiative receives no "
                "grant (art. 19e). The applicants' money and goods are their own contribution."),
    "work": tr("The residents' social work weighs most in the evaluation (art. 19c ust. 1). Its value is the hours "
               "times the value of one hour set by the council's resolution."),
    "budget": tr("The estimated cost is the city's share plus the own contribution (money, goods and work); each "
                 "figure must equal the sum of its lines above."),
}


def relabel(node: portal_form.Node, path: str = "", labels: dict[str, Any] = LABELS,
            hints: dict[str, Any] = HINTS) -> None:
    """Give the form's parts and fields the initiative's own ``labels`` and ``hints``, by their path (the
    application's; the report's, web/portal_initiative_reports.py, has its own)."""
    if path in labels:  # a value's label starts with a capital, as the engine's own labels on the page do
        node.label = labels[path] if node.kind == "group" else capitalized(labels[path])
    if path in hints:
        node.hint = hints[path]
    if node.choices:
        node.choices = tuple((value, CHOICES.get(value, label)) for value, label in node.choices)
    if node.kind == "group":
        for child in node.children:
            relabel(child, f"{path}.{child.key}" if path else child.key, labels, hints)
    elif node.kind == "rows" and node.item is not None:
        relabel(node.item, path, labels, hints)
        node.item.label = node.label


TREE = portal_form.form_tree(InitiativeForm, form_fields(InitiativeForm))
relabel(TREE)


# --- the person's applications -------------------------------------------------------------------------------------


@router.get("")
def my_applications(request: Request, actor: Actor = Depends(require_portal_actor)) -> Response:
    from states import labels
    from states.initiative_drafts import my_initiative_drafts
    from states.procedures.local_initiative.handlers import my_initiatives

    try:
        listed = read(request, my_initiatives, None, actor)
        drafts = read(request, my_initiative_drafts, None, actor)
    except DomainError as refusal:
        return refuse(request, refusal.message())
    for item in listed:
        item["state_label"] = labels.state("local_initiative", item["state"])
        item["received"] = moment(item["received_at"])
    for draft in drafts:
        draft["link"] = _draft_link(draft["organisation_krs"])
        draft["saved"] = moment(draft["updated_at"])
    notice = DISCARDED if request.query_params.get("odrzucono") else None
    from web.desk_initiative import OUTCOMES

    return portal_page(request, "portal_initiative_list.html", title=tr("Local initiative"), applications=listed,
                       drafts=drafts, organisations=represented(request, actor), outcomes=OUTCOMES, notice=notice)


def _draft_link(krs: str | None) -> str:
    return "/portal/inicjatywa/nowa" + (f"?organizacja={krs}" if krs else "")


SAVED = tr("Draft saved. Only you (or, for an organisation's application, its representatives) see it; it is not "
           "filed yet.")
DISCARDED = tr("The draft was discarded.")


# --- the form ------------------------------------------------------------------------------------------------------


def _prefilled(facts: dict[str, Any], organisation: dict[str, Any] | None) -> dict[str, Any]:
    """A new application: the person as the contact (and, for a group, its first member), the hour's value of the
    rule set in force, the organisation when the person applies as its representative."""
    if organisation is not None:
        applicant = {"kind": "ngo", "organisation_name": organisation["name"], "organisation_krs": organisation["krs"]}
    else:
        applicant = {"kind": "residents", "members": [{"name": facts["name"]}]}
    return {"applicant": applicant, "contact": {"name": facts["name"], "email": facts["email"]},
            "work": {"hour_value": facts["hour_value"]}}


def _form_page(request: Request, *, typed: dict[str, Any], add: str | None = None,
               errors: dict[str, Any] | None = None, general: list[Any] | None = None, message: Any = None,
               intent: str | None = None, facts: dict[str, Any], notice: Any = None, has_draft: bool = False,
               status_code: int = 200) -> Response:
    values = portal_form.shown(TREE, typed, add=add)
    return portal_page(request, "portal_initiative_form.html", title=tr("Application for a local initiative"),
                       tree=TREE, values=values, spares=portal_form.spare_rows(TREE, values), errors=errors or {},
                       general=general or [], message=message, intent=intent or secrets.token_hex(16),
                       notice=notice, has_draft=has_draft,
                       action=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                       facts=facts, rate=Money(Decimal(facts["hour_value"])), field_id=portal_form.field_ids, path_label=portal_form.path_label,
                       status_code=status_code)


def _facts(request: Request, actor: Actor) -> dict[str, Any]:
    from states.procedures.local_initiative.handlers import application_facts

    return read(request, application_facts, None, actor)


def _organisation(request: Request, actor: Actor, asked: str) -> dict[str, Any] | None:
    return next((o for o in represented(request, actor) if o["krs"] == asked), None)


@router.get("/nowa")
def new_application(request: Request, organizacja: str = "", actor: Actor = Depends(require_portal_actor)) -> Response:
    organisation = _organisation(request, actor, organizacja) if organizacja else None
    if organizacja and organisation is None:
        return refuse(request, tr("You do not represent this organisation: an organisation's application is filed "
                                  "by its representatives. Nothing was done."))
    from states.initiative_drafts import InitiativeDraftRef, read_initiative_draft

    facts = _facts(request, actor)
    krs = organisation["krs"] if organisation else None
    draft, refused = read_or_refuse(request, lambda: read(
        request, read_initiative_draft, InitiativeDraftRef(organisation_krs=krs), actor))
    if refused is not None:
        return refused
    if draft is None:
        return _form_page(request, typed=_prefilled(facts, organisation), facts=facts)
    return _form_page(request, typed=draft["content"], facts=facts, has_draft=True,
                      notice=tr("Your draft of {moment} (Warsaw time).", moment=moment(draft["updated_at"])))


@router.post("/nowa")
async def post_application(request: Request, organizacja: str = "",
                           actor: Actor = Depends(require_portal_actor)) -> Response:
    form = await request.form()
    return await run_in_threadpool(_post_application, request, actor, form, organizacja)


def _post_application(request: Request, actor: Actor, form: Any, organizacja: str = "") -> Response:
    from states.initiative_drafts import (
        InitiativeDraftRef,
        SaveInitiativeDraft,
        discard_initiative_draft,
        save_initiative_draft,
    )

    arrived_at = arrival(request)  # the application's moment of receipt
    organisation = _organisation(request, actor, organizacja) if organizacja else None
    if organizacja and organisation is None:
        return refuse(request, tr("You do not represent this organisation: an organisation's application is filed "
                                  "by its representatives. Nothing was done."))
    ref = InitiativeDraftRef(organisation_krs=organisation["krs"] if organisation else None)
    facts = _facts(request, actor)
    typed = portal_form.typed_from_post(TREE, form)
    action = str(form.get("action") or "")
    intent = intent_of(form)
    page = {"request": request, "typed": typed, "facts": facts, "intent": intent}
    if action == "discard":
        try:
            run(request, discard_initiative_draft, ref, actor)
        except DomainError as refusal:
            return _form_page(**page, message=refusal_text(refusal), has_draft=True, status_code=422)
        return RedirectResponse("/portal/inicjatywa?odrzucono=1", status_code=303)

    def keep() -> Any:  # what was typed, as the owner's draft; a refusal to keep it is the page's message
        try:
            run(request, save_initiative_draft, SaveInitiativeDraft(
                organisation_krs=ref.organisation_krs, content=portal_form.compact(TREE, typed)), actor)
        except DomainError as refusal:
            return refusal_text(refusal)
        return None

    if action != "submit":  # "save the draft", "add a row": the draft kept, the page again (one more empty row)
        refused = keep()
        if refused is not None:
            return _form_page(**page, add=added_row(action), message=refused, status_code=422)
        return _form_page(**page, add=added_row(action), notice=SAVED, has_draft=True)
    parsed = portal_form.parse_typed(InitiativeForm, TREE, typed, summary=SUMMARY)
    if not isinstance(parsed, InitiativeForm):
        keep()
        return _form_page(**page, **parsed, has_draft=True, status_code=422)
    from states.procedures.local_initiative.handlers import (
        file_organisation_application,
        file_residents_application,
    )
    from states.procedures.local_initiative.inputs import FileApplication

    # the draft filed with it (deleted in the filing's transaction) is this page's: filed for another owner than the
    # page's (an organisation chosen in the form, or the residents), that owner's own draft is not touched
    krs = parsed.applicant.organisation_krs if parsed.applicant.kind == "ngo" else None
    handler = file_organisation_application if krs is not None else file_residents_application
    command = FileApplication(form=parsed, organisation_krs=krs, from_draft=krs == ref.organisation_krs)
    try:
        filed = run(request, handler, command, actor, idempotency_key=intent_key(intent), arrived_at=arrived_at)
    except DomainError as refusal:
        keep()
        return _form_page(**page, message=refusal.message(), has_draft=True, status_code=422)
    if command.organisation_krs != ref.organisation_krs:  # filed for another owner than the page's: its draft too
        try:
            run(request, discard_initiative_draft, ref, actor)
        except DomainError:
            pass  # only a draft left behind (listed under "Drafts"): the application is filed
    return RedirectResponse(receipt_path(filed["code"], filed["version"]) + "&zlozono=1", status_code=303)


SUMMARY = tr("The application is not filed yet: correct the fields marked below (each says its rule), then file it "
             "again. Nothing you typed was cleared.")


# --- the receipt ---------------------------------------------------------------------------------------------------


def receipt_path(code: str, version: int) -> str:
    return f"/portal/inicjatywa/{code}/pokwitowanie?wersja={version}"


def _receipt_or_refusal(request: Request, actor: Actor, code: str, wersja: str):
    from states.procedures.local_initiative.handlers import initiative_receipt
    from states.procedures.local_initiative.inputs import FilingRef

    ref = FilingRef(code=code, version=version_asked(wersja, most=1000))  # FilingRef takes up to 1000
    return read_or_refuse(request, lambda: read(request, initiative_receipt, ref, actor))


@router.get("/{code:path}/pokwitowanie")
def receipt_page(request: Request, code: str, wersja: str = "",
                 actor: Actor = Depends(require_portal_actor)) -> Response:
    receipt, refused = _receipt_or_refusal(request, actor, code, wersja)
    if refused is not None:
        return refused
    base = f"/portal/inicjatywa/{code}"
    return portal_page(request, "portal_initiative_receipt.html",
                       title=tr("Receipt {number}", number=receipt["number"]), receipt=receipt,
                       **receipt_links(request, base, receipt),
                       sections=portal_form.filed_sections(TREE, receipt["content"]))


@router.get("/{code:path}/pokwitowanie.pdf")
def receipt_pdf(request: Request, code: str, wersja: str = "",
                actor: Actor = Depends(require_portal_actor)) -> Response:
    from notifications.initiative_pdf import initiative_pdf

    receipt, refused = _receipt_or_refusal(request, actor, code, wersja)
    if refused is not None:
        return refused
    return download(initiative_pdf(receipt["content"], receipt), "pokwitowanie", receipt["number"], "pdf")


@router.get("/{code:path}/tresc.json")
def filed_content(request: Request, code: str, wersja: str = "",
                  actor: Actor = Depends(require_portal_actor)) -> Response:
    """The filed content exactly as it was hashed: ``sha256sum`` of this file is the receipt's SHA-256."""
    from states.model_forms.canonical import canonical_bytes

    receipt, refused = _receipt_or_refusal(request, actor, code, wersja)
    if refused is not None:
        return refused
    return download(canonical_bytes(receipt["content"]), "wniosek", receipt["number"], "json")
