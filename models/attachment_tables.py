"""Attachments to offers filed on the model form (issue 22): the statute, the partnership agreement and other files
an organisation attaches to its draft and files with the offer's version.

A row belongs to a draft while ``version_id`` is null: the draft's purpose is named by its key (the organisation,
the call and ``offer_number``: 0 a new offer, N the correction of offer N, as ``offer_drafts``), so the file is kept
whether the typed form was saved yet or not. Filing the version sets ``version_id`` and ``position`` (its place in
the version's list) in the filing's transaction, and the version's canonical content lists the file's kind, name,
media type, size and SHA-256, so the receipt's hash proves which files were filed (states/offer_attachments.py).
A filed row is never changed. The bytes are kept here, in the database: not secrets (invariant 12 does not apply),
and kept with the case's other facts, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, moment


class OfferAttachment(Table, table=True):
    __tablename__ = "offer_attachments"
    __table_args__ = (sa.Index("ix_offer_attachments_draft", "organisation_id", "case_id", "offer_number"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id")
    # the call; None while the file is a small grant's draft's (art. 19a: its filing makes the case, and the filed
    # file then names it; migration 0026)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    offer_number: int = 0  # the draft's purpose: 0 a new offer, N the correction of offer N
    version_id: int | None = Field(default=None, foreign_key="offer_versions.id", index=True)  # None: still a draft's
    position: int | None = None  # its place (1, 2, ...) in the filed version's list
    kind: str = Field(max_length=32)  # statute / partnership_agreement / other (states/offer_attachments.py KINDS)
    name: str = Field(max_length=120)  # the file's name, sanitised
    media_type: str = Field(max_length=40)  # from the file's first bytes, not from its name or the browser's word
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_type=sa.LargeBinary, nullable=False)
    uploaded_at: datetime = moment(nullable=False)
    uploaded_by: str = Field(max_length=64)  # the representative's login
