"""Drafts of offers on the model form (kept through states/drafts.py, as every portal form's draft), and the calls an organisation may file one to now (the portal, issue 22).

A draft keeps what a representative typed (``offer_drafts``, models/offer_draft_tables.py), valid or not: the model
form (states/model_forms/offer.py) checks it only when it is filed, by the filing command. A draft is no step of
any case (no history, no state): it is read and written only by the representatives of its organisation.

The handlers run through ``states.engine.execute`` like every command. A draft names its organisation by its KRS
(``organisation_krs``), so the authorization matrix holds a representative to their own organisation exactly as it
does for filing an offer (states/authorization.py: relation ``organisation``, ``check_relation``): the rule lives
there, once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from sqlmodel import select

from models.offer_draft_tables import OFFER, OfferDraft
from models.tables import Case, Deadline, Offer, Organisation
from states import drafts
from states.cases import load_case
from states.engine import Context
from states.errors import InvalidInput, NotFound
from states.inputs import CaseCode, Command, Krs, Ordinal
from states.offer_attachments import small_grant_no_correction
from states.procedures.open_call.names import CallState, OfferState
from states.text import tr

OPEN_CALL = "open_call"
SMALL_GRANT_TITLE = tr("Small grant outside an open call (art. 19a)")
MAX_DRAFT_BYTES = drafts.MAX_DRAFT_BYTES


class DraftRef(Command):
    code: CaseCode | None = None  # the call; None: a small-grant offer (art. 19a), whose case its filing makes
    organisation_krs: Krs  # the organisation (its representatives' grants name it: the matrix checks them)
    offer_number: Annotated[int, Field(ge=0)] = 0  # 0: a new offer; N: the answer to a correction of offer N


class SaveDraft(DraftRef, drafts.DraftContent):
    pass


class OfferRef(Command):
    code: CaseCode
    number: Ordinal


class OrganisationRef(Command):
    organisation_krs: Krs


def _organisation(ctx: Context, krs: str) -> Organisation:
    """The organisation the command names (execute has checked that the person represents it)."""
    organisation = ctx.session.exec(select(Organisation).where(Organisation.krs == krs)).first()
    if organisation is None:
        raise NotFound("unknown_organisation", tr("No organisation with KRS {krs} in the registry", krs=krs))
    return organisation


def _draft(ctx: Context, ref: DraftRef) -> tuple[Case | None, Organisation, OfferDraft | None]:
    organisation = _organisation(ctx, ref.organisation_krs)
    if ref.code is None:  # a small grant's: no case yet, one draft an organisation (a unique index keeps it so)
        if ref.offer_number:
            raise small_grant_no_correction()
        draft = ctx.session.exec(select(OfferDraft).where(OfferDraft.form == OFFER,
                                                          OfferDraft.organisation_id == organisation.id,
                                                          OfferDraft.case_id.is_(None))).first()
        return None, organisation, draft
    case = load_case(ctx.session, ref.code)
    draft = ctx.session.exec(select(OfferDraft).where(
        OfferDraft.form == OFFER, OfferDraft.organisation_id == organisation.id, OfferDraft.case_id == case.id,
        OfferDraft.offer_number == ref.offer_number)).first()
    return case, organisation, draft


def _plain(draft: OfferDraft, code: str | None) -> dict[str, Any]:
    return {"code": code, **drafts.plain(draft)}


def save_draft(ctx: Context, cmd: SaveDraft) -> dict[str, Any]:
    """Keep what was typed (replacing the organisation's earlier draft for the same purpose)."""
    case, organisation, draft = _draft(ctx, cmd)
    if case is not None and case.kind != OPEN_CALL:
        raise InvalidInput("not_an_open_call", tr("{code} is not an open call for offers; offers on the model form "
                                                  "are filed to open calls.", code=case.code), basis="art. 14 ust. 1")
    draft = drafts.keep(ctx, draft, cmd.content, form=OFFER, organisation_id=organisation.id,
                        case_id=case.id if case else None, offer_number=cmd.offer_number)
    return _plain(draft, case.code if case else None)


def read_draft(ctx: Context, ref: DraftRef) -> dict[str, Any] | None:
    """The organisation's draft for this purpose, or None."""
    case, _, draft = _draft(ctx, ref)
    return None if draft is None else _plain(draft, case.code if case else None)


def discard_draft(ctx: Context, ref: DraftRef) -> dict[str, Any]:
    """Forget the draft (after its offer was filed, or when the representative drops it), and the files attached
    to it and not filed (states/offer_attachments.py)."""
    from states import offer_attachments

    case, organisation, draft = _draft(ctx, ref)
    discarded = drafts.forget(ctx, draft)
    # a small grant's draft has no case yet: its files are kept under its organisation alone (case None)
    offer_attachments.discard_pending(ctx.session, organisation.id, case.id if case else None, ref.offer_number)
    return {"code": case.code if case else None, "discarded": discarded}


def drafts_of(ctx: Context, ref: OrganisationRef) -> list[dict[str, Any]]:
    """Every draft of the organisation, newest first, with its call's title and offer deadline (a small grant's:
    no call, ``code`` None)."""
    organisation = _organisation(ctx, ref.organisation_krs)
    rows = ctx.session.exec(select(OfferDraft, Case).outerjoin(Case, Case.id == OfferDraft.case_id)
                            .where(OfferDraft.form == OFFER, OfferDraft.organisation_id == organisation.id)
                            .order_by(OfferDraft.updated_at.desc(), OfferDraft.id.desc())).all()
    return [{**_plain(draft, case.code), "title": case.title, "offer_deadline": case.offer_deadline}
            if case is not None else {**_plain(draft, None), "title": SMALL_GRANT_TITLE, "offer_deadline": None}
            for draft, case in rows]


def organisation_facts(ctx: Context, ref: OrganisationRef) -> dict[str, Any]:
    """What the registry knows of a represented organisation: the lead offeror's part of a new form."""
    organisation = _organisation(ctx, ref.organisation_krs)
    return {"id": organisation.id, "name": organisation.name, "legal_form": organisation.legal_form,
            "krs": organisation.krs, "address": organisation.address, "email": organisation.email,
            "contact_person": organisation.contact_person}


def open_calls(ctx: Context) -> list[dict[str, Any]]:
    """The open calls accepting offers at ``ctx.now`` (``calls_accepting``)."""
    return calls_accepting(ctx.session, ctx.now)


def calls_accepting(session: Any, now: datetime) -> list[dict[str, Any]]:
    """The open calls accepting offers at ``now``: announced, their offer deadline not passed, soonest first.
    Whether one offer is in time is still the machine's to say when it is filed (``file_offer``: art. 13, KPA
    art. 57 §5); this is the list a representative chooses from. Public facts (each call is announced in the
    BIP, art. 13 ust. 3), so the portal shows them to a reader not logged in too (``public_open_calls``)."""
    rows = session.exec(select(Case).where(Case.kind == OPEN_CALL, Case.state == CallState.announced.value)
                        .order_by(Case.offer_deadline, Case.code)).all()
    return [_call_row(case) for case in rows if case.offer_deadline is None or case.offer_deadline >= now]


def public_open_calls(*, url: str | None = None) -> list[dict[str, Any]]:
    """``calls_accepting`` now (``COOP_NOW`` on a simulation), read-only, for a reader not logged in."""
    from models.db import run_in_transaction
    from states.clock import resolve_now

    now = resolve_now()
    return run_in_transaction(lambda uow: calls_accepting(uow.session, now), url=url, readonly=True)


def call_facts(ctx: Context, code: str) -> dict[str, Any]:
    """One call as the portal shows it above an offer's form."""
    return _call_row(load_case(ctx.session, code, OPEN_CALL))


def _call_row(case: Case) -> dict[str, Any]:
    return {"code": case.code, "title": case.title, "task_area": case.task_area, "budget": case.budget,
            "offer_deadline": case.offer_deadline, "state": case.state,
            "execution_start": case.data.get("execution_start"), "execution_end": case.data.get("execution_end")}



def offer_correction(ctx: Context, ref: OfferRef) -> dict[str, Any]:
    """What the office asked of one offer: its state, the formal defects to correct and the end of the correction
    window (its running ``correction_end`` deadline: 7 days by the rule set, art. 14 and the call's terms)."""
    case = load_case(ctx.session, ref.code, OPEN_CALL)
    offer = ctx.session.exec(select(Offer).where(Offer.case_id == case.id, Offer.number == ref.number)).first()
    if offer is None:
        raise NotFound("unknown_offer", tr("{code}: no offer {number}", code=case.code, number=ref.number))
    due = ctx.session.exec(select(Deadline).where(
        Deadline.case_id == case.id, Deadline.offer_id == offer.id, Deadline.kind == "correction_end",
        Deadline.fired_at.is_(None)).order_by(Deadline.due_at.desc())).first()
    return {"code": case.code, "number": offer.number, "state": offer.state, "title": offer.title,
            "organisation_krs": ctx.session.get(Organisation, offer.organisation_id).krs, "defects": list(offer.formal_defects or ()),
            "due": due.due_at if due is not None else None, "basis": due.basis if due is not None else None,
            "asked": offer.state == OfferState.correction_requested.value}
