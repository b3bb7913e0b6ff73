"""Public comments held until their e-mail link is confirmed (issue 22; states/public_comments.py): anyone may comment
on a small-grant offer published for comments (art. 19a ust. 4) and on a draft act under consultation; the comment
is filed in its case only when its author opens the one-time link sent to the address they gave.

A row keeps the comment as typed, the address it came from (shown to officers only), the link's token as its
SHA-256 only (invariant 12), and, once filed, the comment's number in its case. Unconfirmed rows are deleted a day
after their link expired; filed ones are kept: they say which address proved each public comment."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, moment


class PublicCommentRequest(Table, table=True):
    __tablename__ = "public_comment_requests"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    intent: str = Field(max_length=64, unique=True)  # made when the form was shown: one comment per "send"
    token_hash: str = Field(max_length=64, unique=True)  # the link's token as its SHA-256
    email: str = Field(max_length=254, index=True)
    name: str = Field(max_length=300)  # as the commenter signs (the comment's author)
    author_kind: str | None = Field(default=None, max_length=16)  # a consultation's: ngo | resident | other
    provision: str | None = Field(default=None, max_length=300)  # a consultation's: the part of the draft
    text: str = Field(sa_type=sa.Text)
    client: str = Field(max_length=64, index=True)  # the client's address, for the rate limit
    created_at: datetime = moment(nullable=False, index=True)
    expires_at: datetime = moment(nullable=False)
    filed_at: datetime | None = moment()
    comment_number: int | None = None  # the comment's number in its case, once filed


# Who reads the addresses the commenters proved: the office and its auditors (RODO art. 5 ust. 1 lit. c: nobody else
# needs them; every other reader of a case, and every public page, sees the comments without them).
SEE_ADDRESSES = frozenset({"officer", "auditor"})


def confirmed_emails(session, case_id: int, role: str) -> dict[int, str]:
    """Comment number -> the e-mail address its author proved, for the comments of a case filed from the portal, when
    ``role`` may read them (``SEE_ADDRESSES``; else none): what a small grant's or a consultation's ``show`` adds."""
    if role not in SEE_ADDRESSES:
        return {}
    r = PublicCommentRequest.__table__
    return dict(session.connection().execute(sa.select(r.c.comment_number, r.c.email).where(
        r.c.case_id == case_id, r.c.comment_number.is_not(None))).all())
