"""The consultation's own table (art. 5, 41i; states/procedures/consultation/): the comments on a draft act
and the answer to each."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, moment


class ConsultationComment(Table, table=True):
    __tablename__ = "consultation_comments"
    __table_args__ = (sa.UniqueConstraint("case_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    number: int
    author: str
    author_kind: str  # ngo | resident | other
    provision: str = ""  # the part of the draft the comment concerns
    text: str
    submitted_at: datetime = moment(nullable=False)
    answer: str | None = None  # accepted | partly_accepted | rejected
    reason: str | None = None
