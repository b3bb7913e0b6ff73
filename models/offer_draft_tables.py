"""Drafts of the portal's forms (issue 22): what a person typed in the portal and saved, kept until it is filed.
A draft is not part of any case: no history, no state, no receipt; it holds what was typed, valid or not (the model
checks it when it is filed), and only its owner reads or changes it.

The table keeps its first purpose's name (``offer_drafts``: an offer on the model form, states/offer_drafts.py) and
holds every form's drafts, told apart by ``form``:

- ``offer``: an organisation's offer to a call (``case_id``), its correction (``offer_number``) or a small grant's
  offer (no case yet); owned by the organisation (``organisation_id``), changed by its representatives;
- ``local_initiative``: a local-initiative application (migration 0029, states/procedures/local_initiative/
  drafts.py), no case yet (filing makes it); owned by the organisation it is for (``organisation_id``), or, for a
  group of residents, by the person who prepares it (``person``, their login).

Exactly one owner is set (``ck_offer_drafts_one_owner``); one draft an owner and purpose (the unique indexes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, json_field, moment

OFFER, LOCAL_INITIATIVE = "offer", "local_initiative"
ONE_OWNER = "(organisation_id IS NULL) <> (person IS NULL)"


class OfferDraft(Table, table=True):
    __tablename__ = "offer_drafts"
    # one draft a purpose: a new offer to a call (``offer_number`` 0) or the answer to a correction of one offer
    __table_args__ = (sa.UniqueConstraint("organisation_id", "case_id", "offer_number"),
                      sa.CheckConstraint(ONE_OWNER, name="ck_offer_drafts_one_owner"))
    id: int | None = Field(default=None, primary_key=True)
    form: str = Field(default=OFFER, max_length=32, sa_column_kwargs={"server_default": OFFER})
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    person: str | None = Field(default=None, max_length=64)  # a group of residents' draft: its preparer's login
    case_id: int | None = Field(default=None, foreign_key="cases.id")  # None: a small-grant offer (no case yet)
    offer_number: int = 0  # 0: a new offer; N: the correction of offer N of that call
    content: Any = json_field(dict)  # the form's values as typed (a draft may be incomplete or refused)
    updated_at: datetime = moment(nullable=False)
    updated_by: str = Field(max_length=64)  # the person's login


# a draft made before any case (a small-grant offer, a local initiative): one such draft an organisation and form
sa.Index("ux_offer_drafts_no_case", OfferDraft.__table__.c.form, OfferDraft.__table__.c.organisation_id, unique=True,
         sqlite_where=sa.text("case_id IS NULL AND organisation_id IS NOT NULL"),
         postgresql_where=sa.text("case_id IS NULL AND organisation_id IS NOT NULL"))
# a group of residents' draft: one a person and form
sa.Index("ux_offer_drafts_person", OfferDraft.__table__.c.form, OfferDraft.__table__.c.person, unique=True,
         sqlite_where=sa.text("person IS NOT NULL"), postgresql_where=sa.text("person IS NOT NULL"))
