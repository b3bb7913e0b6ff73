"""What every draft of a portal form shares (issue 22): its size limit, how it is kept and how it is read back.

A draft (``offer_drafts``, models/offer_draft_tables.py) keeps what its owner typed, valid or not: the form's model
checks it only when it is filed, by the filing command. It is no step of any case (no history, no state). Who owns
it and who may read or change it is the authorization matrix's (states/authorization.py: the relations
``organisation`` and ``owner``); which draft a command names is its form's module: states/offer_drafts.py (offers),
states/initiative_drafts.py (local-initiative applications). Both keep and read drafts through this one module.
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from models.offer_draft_tables import OfferDraft
from states.inputs import Command
from states.model_forms.canonical import canonical_bytes

MAX_DRAFT_BYTES = 200_000  # a whole model form as typed is a few kB; a draft larger than this is no form


class DraftContent(Command):
    """A command carrying what was typed: at most ``MAX_DRAFT_BYTES`` of JSON."""

    content: dict[str, Any]

    @field_validator("content")
    @classmethod
    def _not_too_large(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(canonical_bytes(value)) > MAX_DRAFT_BYTES:
            raise ValueError(f"a draft is at most {MAX_DRAFT_BYTES} bytes of JSON")
        return value


def keep(ctx: Any, draft: OfferDraft | None, content: dict[str, Any], **owner: Any) -> OfferDraft:
    """Keep ``content`` in ``draft`` (the owner's draft for this purpose, found by the caller), or in a new draft of
    ``owner`` (its columns: ``form``, ``organisation_id`` or ``person``, ``case_id``, ``offer_number``)."""
    by = ctx.actor.person or ctx.actor.name
    if draft is None:
        draft = OfferDraft(**owner, content=dict(content), updated_at=ctx.now, updated_by=by)
        ctx.session.add(draft)
    else:
        draft.content = dict(content)
        draft.updated_at = ctx.now
        draft.updated_by = by
    return draft


def forget(ctx: Any, draft: OfferDraft | None) -> bool:
    """Delete the draft (filed or dropped); whether there was one."""
    if draft is None:
        return False
    ctx.session.delete(draft)
    return True


def plain(draft: OfferDraft) -> dict[str, Any]:
    return {"form": draft.form, "organisation": draft.organisation_id, "person": draft.person,
            "offer_number": draft.offer_number, "content": draft.content, "updated_at": draft.updated_at,
            "updated_by": draft.updated_by}
