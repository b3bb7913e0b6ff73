"""The portal's small-grant offer (issue 22; art. 19a): the organisation's representative files an offer for a grant
outside an open call on the simplified model form the law prescribes for it (art. 19a ust. 1; Dz.U. 2018 poz. 2055
zał. 1: states/model_forms/simplified_offer.py), through pages like an open call's offer's.

| route | page |
|---|---|
| ``GET /portal/zloz`` | what the person may file: the open calls accepting offers and a small grant (art. 19a) |
| ``GET/POST /portal/pozakonkursowa?organizacja=<krs>`` | the draft of a small-grant offer: save, add a row, file |

Filing runs the small grant's ``file_offer_form`` (states/procedures/small_grant/handlers.py) through
``states.engine.execute`` as the session's person, under the idempotency key made when the page was shown (the
hidden ``intent``): the filing makes the case (``MG/…``), and the receipt, its PDF and the filed JSON are the open
call's pages (web/portal_offers.py: ``/portal/oferty/{code}/1/pokwitowanie``), the offer being number 1 of its
case. The draft is kept by states/offer_drafts.py without a case (``DraftRef.code`` None). The form's fields,
refusals and rows are web/portal_form.py's over the simplified form's tree (``TREE`` here), read from its model.
Files are attached to the draft as to a call's offer's, by the same code (web/portal_attachments.py,
states/offer_attachments.py: ``action=attach`` / ``detach:<id>``, the form sent as ``multipart/form-data``; the
same limits and refusals), and filed with the offer's version.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError
from states.model_forms.html import form_fields
from states.model_forms.simplified_offer import STATEMENT_TEXTS, SimplifiedOfferForm, is_simplified
from states.offer_drafts import (
    DraftRef,
    OrganisationRef,
    SaveDraft,
    open_calls,
    organisation_facts,
    public_open_calls,
    read_draft,
    save_draft,
)
from web import portal_attachments, portal_form
from web.portal import add_to_menu, portal_page, refuse, require_portal_actor
from web.portal_api import arrival
from web.portal_offers import PARTY_NAMES, declarations_worded, prefilled, receipt_path
from web.portal_steps import (
    acting_for,
    intent_key,
    intent_of,
    keep_draft,
    moment,
    read,
    read_or_refuse,
    refusal_text,
    represented,
    run,
    show_filed,
    url,
)
from web.security import actor_of

router = APIRouter(prefix="/portal")
add_to_menu("/portal/zloz", tr("File an offer"))

PATH = "/portal/pozakonkursowa"
TREE = portal_form.form_tree(SimplifiedOfferForm, form_fields(SimplifiedOfferForm))
# the model form's names where the engine's shared labels say less (as the open call's offer, web/portal_offers.py)
portal_form.relabel(TREE, paths={
    "basic.title": tr("title of the public task"),
    **PARTY_NAMES,
    "cost_estimate.name": tr("kind of cost"),
})
declarations_worded(TREE, "statements", STATEMENT_TEXTS)  # V: the full wording beside each box, 3) and 4) a choice


def tree_of(content: Any, full: portal_form.Node) -> portal_form.Node:
    """The page tree that shows filed ``content``: the simplified form's, or ``full`` (the open call's offer)."""
    return TREE if is_simplified(content) else full


def form_path(krs: str) -> str:
    return f"{PATH}?organizacja={krs}"


def _limits(request: Request, actor: Actor | None) -> dict[str, Any]:
    """The statutory conditions the page states above the form, as the rule set in force says them (the same
    figures the filing is checked by: states/rule_sets.py ``SmallGrantRules``)."""
    from models.db import run_in_transaction
    from states.rulebook import find_rule_set

    rules = run_in_transaction(lambda uow: find_rule_set(uow.session, None).small_grant, url=url(request),
                               readonly=True)
    return {"max_grant": rules.max_grant, "max_days": rules.max_days, "comment_days": rules.comment_days,
            "publish_within": rules.publish_within_working_days, "share": rules.yearly_share * 100}


@router.get("/zloz")
def what_to_file(request: Request) -> Response:
    """The open calls accepting offers (as ``/portal/nabory``) and the small grant, which needs no call."""
    actor = actor_of(request)
    organisations = represented(request, actor) if actor is not None else []
    listed = (read(request, open_calls, None, actor) if actor is not None
              else public_open_calls(url=url(request)))
    return portal_page(request, "portal_file_choice.html", title=tr("File an offer"), calls=listed,
                       organisations=organisations, limits=_limits(request, actor), path=PATH)


def _form_page(request: Request, *, organisation: dict[str, Any], typed: dict[str, Any], limits: dict[str, Any],
               add: str | None = None, errors: dict[str, Any] | None = None, general: list[Any] | None = None,
               message: Any = None, notice: Any = None, intent: str | None = None,
               status_code: int = 200) -> Response:
    values = portal_form.shown(TREE, typed, add=add)
    return portal_page(request, "portal_small_grant_form.html", title=tr("Small-grant offer (art. 19a)"),
                       organisation=organisation, limits=limits, tree=TREE, values=values,
                       spares=portal_form.spare_rows(TREE, values), errors=errors or {}, general=general or [],
                       message=message, notice=notice, intent=intent or secrets.token_hex(16),
                       action=form_path(organisation["krs"]), field_id=portal_form.field_ids,
                       path_label=portal_form.path_label, status_code=status_code,
                       files=portal_attachments.block(request, code=None, krs=organisation["krs"] or "", purpose=0))


def _choose_organisation(request: Request, actor: Actor) -> Response:
    mine = represented(request, actor)
    if not mine:
        return refuse(request, tr("You do not represent any organisation yet: an organisation files an offer "
                                  "through its representative, confirmed by the city's office."))
    return portal_page(request, "portal_file_choice.html", title=tr("File an offer"), calls=[],
                       organisations=mine, limits=_limits(request, actor), path=PATH, choose=True)


@router.get("/pozakonkursowa")
def new_small_grant(request: Request, organizacja: str = "",
                    actor: Actor = Depends(require_portal_actor)) -> Response:
    organisation = acting_for(request, actor, organizacja)
    if organisation is None and organizacja:
        return refuse(request, tr("You do not represent this organisation: its drafts and offers are seen and "
                                  "changed only by its representatives. Nothing was done."))
    if organisation is None:
        return _choose_organisation(request, actor)
    read_all, refused = read_or_refuse(request, lambda: (
        read(request, organisation_facts, OrganisationRef(organisation_krs=organisation), actor),
        read(request, read_draft, DraftRef(organisation_krs=organisation), actor)))
    if refused is not None:
        return refused
    facts, draft = read_all
    typed = draft["content"] if draft else prefilled(facts, {})
    notice = tr("Your draft of {moment} (Warsaw time).", moment=moment(draft["updated_at"])) if draft else None
    return _form_page(request, organisation=facts, typed=typed, limits=_limits(request, actor), notice=notice)


@router.post("/pozakonkursowa")
async def post_small_grant(request: Request, organizacja: str = "",
                           actor: Actor = Depends(require_portal_actor)) -> Response:
    form = await request.form()
    return await run_in_threadpool(_post, request, organizacja, actor, form)


def _keep_draft(request: Request, actor: Actor, ref: dict, typed: dict[str, Any]) -> None:
    keep_draft(request, actor, ref, portal_form.compact(TREE, typed))


def _post(request: Request, organizacja: str, actor: Actor, form: Any) -> Response:
    from states.procedures.small_grant.handlers import file_offer_form
    from states.procedures.small_grant.inputs import FileSmallGrantForm

    arrived_at = arrival(request)  # the offer's moment of receipt (states/offer_filings.py receipt_moment)
    organisation = acting_for(request, actor, organizacja)
    if organisation is None:
        return refuse(request, tr("You do not represent this organisation; nothing was saved."))
    try:
        facts = read(request, organisation_facts, OrganisationRef(organisation_krs=organisation), actor)
    except DomainError as refusal:
        return refuse(request, refusal_text(refusal))
    typed = portal_form.typed_from_post(TREE, form)
    action = str(form.get("action") or "save")
    intent = intent_of(form)
    page = {"request": request, "organisation": facts, "typed": typed, "limits": _limits(request, actor)}
    ref = {"organisation_krs": organisation}
    def show(**shown: Any) -> Response:
        return _form_page(**page, **shown, intent=intent)

    if action != "submit":
        try:
            run(request, save_draft, SaveDraft(**ref, content=portal_form.compact(TREE, typed)), actor)
        except DomainError as refusal:
            return show(message=refusal_text(refusal), status_code=422)
        return portal_attachments.after_save(request, actor, form, action, ref, show)
    refused = portal_attachments.before_filing(request, actor, form, action, ref,
                                               lambda: _keep_draft(request, actor, ref, typed), show)
    if refused is not None:
        return refused
    parsed = portal_form.parse_typed(SimplifiedOfferForm, TREE, typed)
    if not isinstance(parsed, SimplifiedOfferForm):
        _keep_draft(request, actor, ref, typed)
        return _form_page(**page, **parsed, intent=intent, status_code=422)
    try:
        filed = run(request, file_offer_form, FileSmallGrantForm(organisation_krs=facts["krs"], form=parsed), actor,
                    idempotency_key=intent_key(intent), arrived_at=arrived_at)
    except DomainError as refusal:
        _keep_draft(request, actor, ref, typed)
        return _form_page(**page, message=refusal_text(refusal), intent=intent, status_code=422)
    return show_filed(request, actor, ref, receipt_path(filed["code"], filed["offer"], filed["version"]))
