"""The portal's offer pages (issue 22): the open calls accepting offers, a draft offer on the model form, filing it,
the receipt (page and PDF), the organisation's offers and the answer to a correction.

| route | page |
|---|---|
| ``GET /portal/nabory`` | the open calls accepting offers now (public), each with a link to start an offer |
| ``GET /portal/oferty`` | "My offers": the drafts and the offers of the organisations the person represents |
| ``GET/POST /portal/oferty/nowa/{code}?organizacja=<id>`` | the draft of a new offer to call ``code``: save, add a row, file |
| ``GET /portal/oferty/{code}/{n}/pokwitowanie?wersja=V`` | the receipt of version V of offer n |
| ``GET /portal/oferty/{code}/{n}/pokwitowanie.pdf?wersja=V`` | the receipt as PDF (the filed form and the receipt) |
| ``GET /portal/oferty/{code}/{n}/tresc.json?wersja=V`` | the filed content as canonical JSON: what the SHA-256 is of |
| ``GET/POST /portal/oferty/{code}/{n}/korekta`` | the answer to a correction the officer asked for, on the same form |

Every write runs through ``states.engine.execute`` as the session's person: a draft through states/offer_drafts.py
(only the organisation's representatives), a filing through the engine's ``file_offer_form`` and a correction
through ``correct_offer_form`` under the idempotency key made when the page was shown (``intent``, a hidden field):
a double click or a retry files once. The model form (states/model_forms/offer.py) is turned into fields by
web/portal_form.py; a refusal is shown beside its field with everything typed kept.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError
from states.model_forms.html import offer_form_fields
from states.model_forms.offer import ARREARS_TEXTS, DECLARATION_TEXTS, DECLARE_THAT, OfferForm
from states.offer_drafts import (
    DraftRef,
    OrganisationRef,
    SaveDraft,
    call_facts,
    drafts_of,
    open_calls,
    organisation_facts,
    public_open_calls,
    read_draft,
    save_draft,
)
from web import portal_attachments, portal_form
from web.portal import add_to_menu, portal_page, refuse, require_portal_actor
from web.portal_api import arrival
from web.portal_steps import (
    acting_for,
    download,
    intent_key,
    intent_of,
    keep_draft,
    moment,
    read,
    read_or_refuse,
    receipt_links,
    refusal_text,
    represented,
    run,
    show_filed,
    url,
    version_asked,
)
from web.security import actor_of

router = APIRouter(prefix="/portal")
add_to_menu("/portal/nabory", tr("Open calls"))
add_to_menu("/portal/oferty", tr("My offers"))

TREE = portal_form.form_tree(OfferForm, offer_form_fields())
# the annex's names (Dz.U. 2018 poz. 2057 zał. 1) where the engine's shared labels say less (docs/model-forms.md)
# The offerors' and the contact person's names, the same in the simplified offer (web/portal_small_grant.py).
PARTY_NAMES = {
    "offerors.name": tr("name of the offeror"),
    "offerors.address": tr("address of the seat"),
    "offerors.phone": tr("phone number"),
    "contact.name": tr("first name and surname"),
    "contact.phone": tr("phone number"),
}
portal_form.relabel(TREE, OfferForm.FIELD_NAMES, {
    **PARTY_NAMES,
    "task.title": tr("title of the public task"),
    "task.activities.name": tr("name of the activity"),
    "task.results.name": tr("name of the result"),
    "costs.name": tr("kind of cost"),
    "sources.total": tr("1. sum of all costs of the task"),
    "sources.grant": tr("2. planned grant under this offer"),
    "sources.own_contribution": tr("3. own contribution"),
    "sources.own_financial": tr("3.1 own financial contribution"),
    "sources.own_non_financial": tr("3.2 own non-financial contribution (personal and material)"),
    "sources.recipients_fees": tr("4. cash benefits from the task's recipients"),
})
# the annex's headings over parts the model does not group (docs/model-forms.md), drawn by the page
portal_form.heading(TREE, "task", ("place", "target_group", "goal", "complementarity"),
                    tr("III.3 Synthetic description of the task"))
portal_form.heading(TREE, "task", ("effects", "social_change", "durability"),
                    tr("III.5 Description of the expected results of the public task"))
portal_form.heading(TREE, "", ("costs", "sources", "cost_split"),
                    tr("V. Calculation of the expected costs of the public task"))


def declarations_worded(tree: portal_form.Node, part: str, texts: dict[str, Any]) -> None:
    """Section VII (or the simplified form's V) as the signer reads it: "I (we) declare that:", each box with the
    annex's full wording beside it, declarations 3) and 4) as the choice between its two wordings."""
    portal_form.annotate(
        tree, hints={part: DECLARE_THAT, **{f"{part}.{key}": text for key, text in texts.items()}},
        choices={f"{part}.{key}": {"true": answers[True], "false": answers[False]}
                 for key, answers in ARREARS_TEXTS.items()})


declarations_worded(TREE, "declarations", DECLARATION_TEXTS)


# --- the open calls ------------------------------------------------------------------------------------------------


@router.get("/nabory")
def calls(request: Request) -> Response:
    actor = actor_of(request)
    organisations = represented(request, actor) if actor is not None else []
    listed = (read(request, open_calls, None, actor) if actor is not None
              else public_open_calls(url=url(request)))
    return portal_page(request, "portal_offer_calls.html", title=tr("Open calls accepting offers"), calls=listed,
                       organisations=organisations)


# --- a draft offer -------------------------------------------------------------------------------------------------


def prefilled(facts: dict[str, Any], call: dict[str, Any]) -> dict[str, Any]:
    """A new form: the lead offeror as the registry knows the organisation, the call's task area. Keys the model
    does not have are ignored when the form is shown (web/portal_form.py ``shown``)."""
    return {"basic": {"task_kind": call.get("task_area") or ""},
            "offerors": [{"name": facts["name"], "legal_form": facts["legal_form"], "krs": facts["krs"] or "",
                          "address": facts["address"], "email": facts["email"]}],
            "contact": {"name": facts["contact_person"], "email": facts["email"]}}


def _form_page(request: Request, *, call: dict[str, Any], organisation: dict[str, Any], typed: dict[str, Any],
               add: str | None = None, errors: dict[str, Any] | None = None, general: list[Any] | None = None,
               message: Any = None, notice: Any = None, intent: str | None = None, correction: dict | None = None,
               status_code: int = 200) -> Response:
    values = portal_form.shown(TREE, typed, add=add)
    if correction is None:
        action = f"/portal/oferty/nowa/{call['code']}?organizacja={organisation['krs']}"
        title = tr("Offer to {code}", code=call["code"])
    else:
        action = f"/portal/oferty/{call['code']}/{correction['number']}/korekta"
        title = tr("Correction of offer {number} in {code}", number=correction["number"], code=call["code"])
    return portal_page(request, "portal_offer_form.html", title=title, call=call, organisation=organisation,
                       tree=TREE, values=values, spares=portal_form.spare_rows(TREE, values), errors=errors or {}, general=general or [], message=message,
                       notice=notice, intent=intent or secrets.token_hex(16), action=action,
                       correction=correction, field_id=portal_form.field_ids,
                       path_label=portal_form.path_label, status_code=status_code,
                       files=portal_attachments.block(request, code=call["code"], krs=organisation["krs"] or "",
                                                      purpose=correction["number"] if correction else 0))


def _draft_context(request: Request, actor: Actor, code: str, organisation: str) -> tuple[dict, dict]:
    call = read(request, call_facts, code, actor)
    facts = read(request, organisation_facts, OrganisationRef(organisation_krs=organisation), actor)
    return call, facts


@router.get("/oferty/nowa/{code:path}")
def new_offer(request: Request, code: str, organizacja: str = "",
              actor: Actor = Depends(require_portal_actor)) -> Response:
    organisation = acting_for(request, actor, organizacja)
    if organisation is None and organizacja:
        return refuse(request, tr("You do not represent this organisation: its drafts and offers are seen and "
                                  "changed only by its representatives. Nothing was done."))
    if organisation is None:
        return _choose_organisation(request, actor, code)
    read_all, refused = read_or_refuse(request, lambda: (
        *_draft_context(request, actor, code, organisation),
        read(request, read_draft, DraftRef(code=code, organisation_krs=organisation), actor)))
    if refused is not None:
        return refused
    call, facts, draft = read_all
    typed = draft["content"] if draft else prefilled(facts, call)
    notice = tr("Your draft of {moment} (Warsaw time).", moment=moment(draft["updated_at"])) if draft else None
    return _form_page(request, call=call, organisation=facts, typed=typed, notice=notice)


def _choose_organisation(request: Request, actor: Actor, code: str) -> Response:
    mine = represented(request, actor)
    if not mine:
        return refuse(request, tr("You do not represent any organisation yet: an organisation files an offer "
                                  "through its representative, confirmed by the city's office."))
    return portal_page(request, "portal_offer_choose.html", title=tr("Which organisation files the offer?"),
                       code=code, organisations=mine)


@router.post("/oferty/nowa/{code:path}")
async def post_offer(request: Request, code: str, organizacja: str = "",
                     actor: Actor = Depends(require_portal_actor)) -> Response:
    form = await request.form()
    return await run_in_threadpool(_post_offer, request, code, organizacja, actor, form)


def _post_offer(request: Request, code: str, organizacja: str, actor: Actor, form: Any) -> Response:
    organisation = acting_for(request, actor, organizacja)
    if organisation is None:
        return refuse(request, tr("You do not represent this organisation; nothing was saved."))
    context, refused = read_or_refuse(request, lambda: _draft_context(request, actor, code, organisation))
    if refused is not None:
        return refused
    call, facts = context
    typed = portal_form.typed_from_post(TREE, form)
    action = str(form.get("action") or "save")
    intent = intent_of(form)
    page = {"request": request, "call": call, "organisation": facts, "typed": typed}
    ref = {"code": code, "organisation_krs": organisation}
    if action != "submit":
        try:
            run(request, save_draft, SaveDraft(**ref, content=portal_form.compact(TREE, typed)), actor)
        except DomainError as refusal:
            return _form_page(**page, message=refusal_text(refusal), intent=intent, status_code=422)
        return _saved(request, actor, form, action, ref, page, intent)
    refused = _attach_on_filing(request, actor, form, action, ref, page, intent)
    return refused if refused is not None else _file(request, actor, page, ref, intent, facts)


def _saved(request: Request, actor: Actor, form: Any, action: str, ref: dict, page: dict,
           intent: str | None) -> Response:
    """The draft saved by a press other than "file": the file added or removed (if any) and the page again."""
    return portal_attachments.after_save(request, actor, form, action, ref,
                                         lambda **shown: _form_page(**page, **shown, intent=intent))


def _attach_on_filing(request: Request, actor: Actor, form: Any, action: str, ref: dict, page: dict,
                      intent: str | None) -> Response | None:
    """A file chosen when "file" is pressed is filed with the offer; its refusal keeps the draft and shows it."""
    return portal_attachments.before_filing(
        request, actor, form, action, ref, lambda: _keep_draft(request, actor, ref, page["typed"]),
        lambda **shown: _form_page(**page, **shown, intent=intent))


def _file(request: Request, actor: Actor, page: dict, ref: dict, intent: str | None, facts: dict) -> Response:
    """File the offer: the model first (a refusal beside its field, the draft kept), then the engine's
    ``file_offer_form`` under the page's idempotency key; done, the draft is discarded and the receipt shown."""
    from states.procedures.open_call.handlers import file_offer_form
    from states.procedures.open_call.inputs import SubmitOfferForm

    arrived_at = arrival(request)  # the offer's moment of receipt, before it waits for the call's row
    parsed = portal_form.parse_typed(OfferForm, TREE, page["typed"])
    if not isinstance(parsed, OfferForm):
        _keep_draft(request, actor, ref, page["typed"])
        return _form_page(**page, **parsed, intent=intent, status_code=422)
    try:
        portal_attachments.count_submission(request, actor)  # the one rate limit of submissions, as the JSON door's
        filed = run(request, file_offer_form, SubmitOfferForm(code=ref["code"], organisation_krs=facts["krs"],
                                                              form=parsed), actor, idempotency_key=intent_key(intent),
                    arrived_at=arrived_at)
    except DomainError as refusal:
        _keep_draft(request, actor, ref, page["typed"])
        return _form_page(**page, message=refusal_text(refusal), intent=intent, status_code=422)
    return show_filed(request, actor, ref, receipt_path(filed["code"], filed["offer"], filed["version"]))


def _keep_draft(request: Request, actor: Actor, ref: dict, typed: dict[str, Any]) -> None:
    keep_draft(request, actor, ref, portal_form.compact(TREE, typed))


# --- the receipt -----------------------------------------------------------------------------------------------


def receipt_path(code: str, number: int, version: int) -> str:
    return f"/portal/oferty/{code}/{number}/pokwitowanie?wersja={version}"


def _receipt(request: Request, actor: Actor, code: str, number: int, wersja: str) -> dict[str, Any]:
    """One version's receipt (the latest unless ``wersja``), read as the person: the matrix lets the offer's
    organisation's representatives, the officers and the auditors read it (states/offer_filings.py)."""
    from states.offer_filings import ReceiptRef, offer_receipt

    return read(request, offer_receipt, ReceiptRef(code=code, number=number, version=version_asked(wersja)), actor)


def _receipt_or_refusal(request: Request, actor: Actor, code: str, number: int, wersja: str):
    return read_or_refuse(request, lambda: _receipt(request, actor, code, number, wersja))


@router.get("/oferty/{code:path}/{number:int}/pokwitowanie")
def receipt_page(request: Request, code: str, number: int, wersja: str = "",
                 actor: Actor = Depends(require_portal_actor)) -> Response:
    receipt, refused = _receipt_or_refusal(request, actor, code, number, wersja)
    if refused is not None:
        return refused
    base = f"/portal/oferty/{code}/{number}"
    return portal_page(request, "portal_offer_receipt.html", title=tr("Receipt {number}", number=receipt["number"]),
                       receipt=receipt, **receipt_links(request, base, receipt),
                       files=portal_attachments.filed_links(base, receipt["version"], receipt["content"]))


@router.get("/oferty/{code:path}/{number:int}/pokwitowanie.pdf")
def receipt_pdf(request: Request, code: str, number: int, wersja: str = "",
                actor: Actor = Depends(require_portal_actor)) -> Response:
    from notifications.offer_pdf import offer_pdf

    receipt, refused = _receipt_or_refusal(request, actor, code, number, wersja)
    if refused is not None:
        return refused
    return download(offer_pdf(receipt["content"], receipt), "pokwitowanie", receipt["number"], "pdf")


@router.get("/oferty/{code:path}/{number:int}/tresc.json")
def filed_content(request: Request, code: str, number: int, wersja: str = "",
                  actor: Actor = Depends(require_portal_actor)) -> Response:
    """The filed content exactly as it was hashed (canonical JSON): ``sha256sum`` of this file is the receipt's
    SHA-256."""
    from states.model_forms.canonical import canonical_bytes

    receipt, refused = _receipt_or_refusal(request, actor, code, number, wersja)
    if refused is not None:
        return refused
    return download(canonical_bytes(receipt["content"]), "oferta", receipt["number"], "json")


# --- my offers -----------------------------------------------------------------------------------------------------


def _offers_of(request: Request, actor: Actor, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The offers the organisation filed, each with its versions and, when the office asked, its correction."""
    from states import labels
    from states.offer_drafts import OfferRef, offer_correction
    from states.offer_filings import OfferVersionsRef, OrganisationOffers, offer_versions, organisation_offers

    if not facts["krs"]:
        return []
    listed = read(request, organisation_offers, OrganisationOffers(organisation_krs=facts["krs"]), actor)["offers"]
    out = []
    for offer in listed:
        ref = {"code": offer["code"], "number": offer["offer"]}
        versions = read(request, offer_versions, OfferVersionsRef(**ref), actor)["versions"]
        small = offer.get("kind") == "small_grant"  # its case is the offer: no correction round (art. 19a)
        correction = None if small else read(request, offer_correction, OfferRef(**ref), actor)
        out.append({**offer, "versions": versions, "correction": correction, "requested": Decimal(offer["requested_grant"]),
                    "state_label": labels.state("small_grant" if small else "offer", offer["state"])})
    return out


@router.get("/oferty")
def my_offers(request: Request, actor: Actor = Depends(require_portal_actor)) -> Response:
    organisations = []
    try:
        for organisation in represented(request, actor):
            ref = OrganisationRef(organisation_krs=organisation["krs"])
            facts = read(request, organisation_facts, ref, actor)
            drafts = read(request, drafts_of, ref, actor)
            organisations.append({**facts, "drafts": drafts, "offers": _offers_of(request, actor, facts)})
    except DomainError as refusal:
        return refuse(request, refusal_text(refusal))
    return portal_page(request, "portal_offer_list.html", title=tr("My offers"), organisations=organisations)


# --- the answer to a correction ---------------------------------------------------------------------------------


def _correction_context(request: Request, actor: Actor, code: str, number: int) -> dict[str, Any]:
    """The call, the organisation, what was asked and the last version filed (the form's starting point)."""
    from states.offer_drafts import OfferRef, offer_correction
    from states.offer_filings import OfferVersionsRef, offer_versions

    asked = read(request, offer_correction, OfferRef(code=code, number=number), actor)
    versions = read(request, offer_versions, OfferVersionsRef(code=code, number=number), actor)["versions"]
    call = read(request, call_facts, code, actor)
    facts = read(request, organisation_facts, OrganisationRef(organisation_krs=asked["organisation_krs"]), actor)
    last = versions[-1] if versions else None
    return {"call": call, "organisation": facts, "asked": asked, "last": last,
            "correction": {"number": number, "due": asked["due"], "defects": asked["defects"],
                           "version": last["version"] if last else "—"}}


def _correction_refused(request: Request, context: dict[str, Any]) -> Response | None:
    if not context["asked"]["asked"]:
        return refuse(request, tr("The office has not asked for a correction of this offer (its state: {state}); "
                                  "a correction is filed only when asked, within its window (art. 14).",
                                  state=context["asked"]["state"]))
    if context["last"] is None:
        return refuse(request, tr("This offer was not filed on the model form (it was recorded from paper): "
                                  "correct it on paper at the office."))
    return None


@router.get("/oferty/{code:path}/{number:int}/korekta")
def correction_form(request: Request, code: str, number: int,
                    actor: Actor = Depends(require_portal_actor)) -> Response:
    def context_and_draft() -> tuple[dict[str, Any], Any]:
        context = _correction_context(request, actor, code, number)
        return context, read(request, read_draft, DraftRef(code=code, organisation_krs=context["organisation"]["krs"],
                                                          offer_number=number), actor)

    read_all, refused = read_or_refuse(request, context_and_draft)
    if refused is not None:
        return refused
    context, draft = read_all
    refused = _correction_refused(request, context)
    if refused is not None:
        return refused
    # the filed content typed as the page posts it: its "false" of 3) or 4) is the answer „zalega(-ją)”
    typed = draft["content"] if draft else portal_form.typed_from_content(TREE, context["last"]["content"])
    notice = tr("Your draft of {moment} (Warsaw time).", moment=moment(draft["updated_at"])) if draft else None
    return _form_page(request, call=context["call"], organisation=context["organisation"], typed=typed,
                      correction=context["correction"], notice=notice)


@router.post("/oferty/{code:path}/{number:int}/korekta")
async def post_correction(request: Request, code: str, number: int,
                          actor: Actor = Depends(require_portal_actor)) -> Response:
    form = await request.form()
    return await run_in_threadpool(_post_correction, request, code, number, actor, form)


def _post_correction(request: Request, code: str, number: int, actor: Actor, form: Any) -> Response:
    from states.procedures.open_call.handlers import correct_offer_form
    from states.procedures.open_call.inputs import CorrectOfferForm

    arrived_at = arrival(request)  # the correction's moment of receipt
    context, refused = read_or_refuse(request, lambda: _correction_context(request, actor, code, number))
    if refused is not None:
        return refused
    refused = _correction_refused(request, context)
    if refused is not None:
        return refused
    typed = portal_form.typed_from_post(TREE, form)
    action = str(form.get("action") or "save")
    intent = intent_of(form)
    page = {"request": request, "call": context["call"], "organisation": context["organisation"], "typed": typed,
            "correction": context["correction"]}
    ref = {"code": code, "organisation_krs": context["organisation"]["krs"], "offer_number": number}
    if action != "submit":
        _keep_draft(request, actor, ref, typed)
        return _saved(request, actor, form, action, ref, page, intent)
    refused = _attach_on_filing(request, actor, form, action, ref, page, intent)
    if refused is not None:
        return refused
    parsed = portal_form.parse_typed(OfferForm, TREE, typed)
    if not isinstance(parsed, OfferForm):
        _keep_draft(request, actor, ref, typed)
        return _form_page(**page, **parsed, intent=intent, status_code=422)
    try:
        portal_attachments.count_submission(request, actor)
        filed = run(request, correct_offer_form, CorrectOfferForm(code=code, number=number, form=parsed), actor,
                    idempotency_key=intent_key(intent), arrived_at=arrived_at)
    except DomainError as refusal:
        _keep_draft(request, actor, ref, typed)
        return _form_page(**page, message=refusal_text(refusal), intent=intent, status_code=422)
    return show_filed(request, actor, ref, receipt_path(filed["code"], filed["offer"], filed["version"]))
