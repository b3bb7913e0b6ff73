"""Drafts of local-initiative applications (issue 22; art. 19b-19h): what a resident or an organisation's
representative typed in the portal's application form and saved, kept until it is filed or discarded.

A draft is kept in ``offer_drafts`` (``form`` = ``local_initiative``, models/offer_draft_tables.py) through
states/drafts.py, as an offer's. It has no case (filing makes one) and belongs to its owner:

- a group of residents' application: the person who prepares it (``person``, their login): one draft a person;
- an organisation's application (``organisation_krs``): the organisation, whose representatives read and change it:
  one draft an organisation.

Who may read or change one is the authorization matrix's relation ``owner`` (states/authorization.py): a command
naming an organisation is held to that organisation's representatives, exactly as an offer's draft is; a command
naming none reads or keeps only the proven person's own draft. Filing the application through the portal
(``local_initiative.file_*_application`` with ``from_draft``) deletes its draft in the same transaction: the draft
becomes the filed application.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from models.offer_draft_tables import LOCAL_INITIATIVE, OfferDraft
from models.tables import Organisation
from states import drafts
from states.authorization import not_your_draft
from states.cases import organisation_by_krs
from states.inputs import Command, Krs


class InitiativeDraftRef(Command):
    organisation_krs: Krs | None = None  # None: the person's own draft (a group of residents' application)


class SaveInitiativeDraft(InitiativeDraftRef, drafts.DraftContent):
    pass


def _owner(session: Any, person: str | None, krs: str | None) -> dict[str, Any]:
    """The draft's owner as its columns: the organisation by KRS, or the person."""
    if krs is None:
        if person is None:  # the authorization refuses it first (states/authorization.py): never "nobody's" drafts
            raise not_your_draft()
        return {"organisation_id": None, "person": person}
    return {"organisation_id": organisation_by_krs(session, krs).id, "person": None}


def _find(session: Any, owner: dict[str, Any]) -> OfferDraft | None:
    column = OfferDraft.person if owner["person"] is not None else OfferDraft.organisation_id
    value = owner["person"] if owner["person"] is not None else owner["organisation_id"]
    return session.exec(select(OfferDraft).where(OfferDraft.form == LOCAL_INITIATIVE, column == value)).first()


def _plain(draft: OfferDraft, krs: str | None) -> dict[str, Any]:
    return {**drafts.plain(draft), "organisation_krs": krs}


def save_initiative_draft(ctx: Any, cmd: SaveInitiativeDraft) -> dict[str, Any]:
    """Keep what was typed, replacing the owner's earlier draft."""
    owner = _owner(ctx.session, ctx.actor.person, cmd.organisation_krs)
    draft = drafts.keep(ctx, _find(ctx.session, owner), cmd.content, form=LOCAL_INITIATIVE, **owner)
    return _plain(draft, cmd.organisation_krs)


def read_initiative_draft(ctx: Any, ref: InitiativeDraftRef) -> dict[str, Any] | None:
    """The owner's draft, or None."""
    draft = _find(ctx.session, _owner(ctx.session, ctx.actor.person, ref.organisation_krs))
    return None if draft is None else _plain(draft, ref.organisation_krs)


def discard_initiative_draft(ctx: Any, ref: InitiativeDraftRef) -> dict[str, Any]:
    """Forget the owner's draft (the person drops it)."""
    owner = _owner(ctx.session, ctx.actor.person, ref.organisation_krs)
    return {"organisation_krs": ref.organisation_krs, "discarded": drafts.forget(ctx, _find(ctx.session, owner))}


def discard_filed(ctx: Any, *, organisation_id: int | None) -> bool:
    """Inside a filing's transaction: the draft the application was filed from (the organisation's, or the filing
    person's own) is deleted with it. Called by the procedure's filing (states/procedures/local_initiative)."""
    owner = ({"organisation_id": organisation_id, "person": None} if organisation_id is not None
             else {"organisation_id": None, "person": ctx.actor.person})
    if owner["person"] is None and owner["organisation_id"] is None:
        return False
    return drafts.forget(ctx, _find(ctx.session, owner))


def my_initiative_drafts(ctx: Any, cmd: None = None) -> list[dict[str, Any]]:
    """The drafts the acting person may resume: their own and those of the organisations they represent (their
    grants), newest first."""
    person = ctx.actor.person
    organisations = sorted({g.organisation for g in ctx.actor.grants
                            if g.role == "applicant" and g.organisation is not None})
    if person is None:
        return []
    mine = OfferDraft.person == person
    where = mine | OfferDraft.organisation_id.in_(organisations) if organisations else mine
    rows = ctx.session.exec(select(OfferDraft, Organisation).outerjoin(
        Organisation, Organisation.id == OfferDraft.organisation_id).where(OfferDraft.form == LOCAL_INITIATIVE, where)
        .order_by(OfferDraft.updated_at.desc(), OfferDraft.id.desc())).all()
    return [{**_plain(draft, organisation.krs if organisation else None),
             "organisation_name": organisation.name if organisation else None,
             "title": ((draft.content or {}).get("task") or {}).get("title") or ""}
            for draft, organisation in rows]
