"""The daily anchors of the history: each day's signed chain heads (states/anchors.py). Insert-only, like the
audit log (migration 0008): a day's row is written once and never changed."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, moment


class AuditAnchor(Table, table=True):
    __tablename__ = "audit_anchors"
    day: date = Field(primary_key=True)  # the Europe/Warsaw date it anchors: one anchor a day
    made_at: datetime = moment(nullable=False)  # the tick's moment
    recorded_at: datetime = moment(nullable=False)  # the database's time of writing
    cases: int
    digest: str = Field(max_length=64)  # sha256 over every case's head, as in the document
    fingerprint: str = Field(max_length=64)  # sha256 of the raw public key that signed it
    document: str = Field(sa_type=sa.Text)  # the signed anchor, byte for byte what the day's file holds
