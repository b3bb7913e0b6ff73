"""Offers filed on the model form (issue 22): every version an organisation filed, with its receipt.

A row is written once, by the command that filed the version (states/offer_filings.py), and never changed: the
content is the form as filed (``OfferForm.content()``), ``sha256`` its canonical hash
(states/model_forms/canonical.py), the same hash the case's audit record of the filing carries, so the receipt
proves what was filed. ``receipt`` is ``<case code>/<offer number>-<version>`` (``OK/2026/002/3-1``): unique because
the case code, the offer's number in it and the version are, and readable without a sequence of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, json_field, moment


class OfferVersion(Table, table=True):
    """A version of an open call's offer (``offer_id``) or of a small grant's offer (``small_grant_offer_id``,
    art. 19a: the same model form); exactly one of the two is set."""

    __tablename__ = "offer_versions"
    __table_args__ = (sa.UniqueConstraint("offer_id", "version"),
                      sa.UniqueConstraint("small_grant_offer_id", "version",
                                          name="uq_offer_versions_small_grant_offer_id_version"),
                      sa.CheckConstraint("(offer_id IS NULL) <> (small_grant_offer_id IS NULL)",
                                         name="ck_offer_versions_one_owner"))
    id: int | None = Field(default=None, primary_key=True)
    offer_id: int | None = Field(default=None, foreign_key="offers.id", index=True)
    small_grant_offer_id: int | None = Field(default=None, foreign_key="small_grant_offers.id", index=True)
    version: int
    content: Any = json_field(dict)
    sha256: str = Field(max_length=64)
    receipt: str = Field(max_length=80, unique=True)
    received_at: datetime = moment(nullable=False)  # the moment of receipt (the step's, by the server's clock)
    written_at: datetime = moment(nullable=False)  # the database's own time of writing (invariant 3)
    filed_by: str = Field(max_length=64)  # the person's login (a simulation's typed name: that name)


class SubmissionAttempt(Table, table=True):
    """One submission through the JSON door (web/portal_api.py), counted for its rate limit per person by every
    process alike (as the desk counts login attempts); rows older than a day are deleted as new ones come."""

    __tablename__ = "submission_attempts"
    id: int | None = Field(default=None, primary_key=True)
    person: str = Field(max_length=64, index=True)
    at: datetime = moment(nullable=False)
