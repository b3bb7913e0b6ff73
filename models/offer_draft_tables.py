"""Drafts of offers on the model form (issue 22): what an organisation's representative typed in the portal and
saved, kept until it is filed. A draft is not part of any case: no history, no state, no receipt; it holds what was
typed, valid or not (the model checks it when it is filed), and only that organisation's representatives read or
change it (states/offer_drafts.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, json_field, moment


class OfferDraft(Table, table=True):
    __tablename__ = "offer_drafts"
    # one draft a purpose: a new offer to a call (``offer_number`` 0) or the answer to a correction of one offer
    __table_args__ = (sa.UniqueConstraint("organisation_id", "case_id", "offer_number"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id")  # None: a small-grant offer (no case yet)
    offer_number: int = 0  # 0: a new offer; N: the correction of offer N of that call
    content: Any = json_field(dict)  # the form's values as typed (a draft may be incomplete or refused)
    updated_at: datetime = moment(nullable=False)
    updated_by: str = Field(max_length=64)  # the representative's login


# a small-grant offer's draft has no case yet (filing makes the case, art. 19a): one such draft an organisation
sa.Index("ux_offer_drafts_small_grant", OfferDraft.__table__.c.organisation_id, unique=True,
         sqlite_where=sa.text("case_id IS NULL"), postgresql_where=sa.text("case_id IS NULL"))
