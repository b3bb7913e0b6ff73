"""Tables of the notifications layer: the outbox and recipients' preferences.

Public notices need no table of their own: their rendered text goes into ``Publication.text``
(``models/tables.py``), next to the publication time per channel the officer recorded.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, json_field, moment


class Notification(Table, table=True):
    """One message to one recipient over one channel, written in the transaction of the step it tells of.

    ``status``: pending -> sent | failed | cancelled (a reminder whose subject was done) | opted_out;
    ``undeliverable`` (an e-mail to a person with no address: recorded so when queued, never sent or retried).
    A pending row is due when ``next_attempt_at`` (first ``not_before``, then the backoff) has passed.
    A dispatcher leases a row (``claimed_by``: the claim's fencing token / ``claimed_until``: the lease's end, real
    time) and renews the lease before each send, so two dispatchers never send the same row; ``status = 'sent'``
    is set once, only by the holder of the token (kept in ``claimed_by``), and never cleared.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index(
            "ix_notifications_due_pending",
            "next_attempt_at",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    # idempotency key; the Message-ID derives from it. Unique per row, so it lets a flush insert many rows in
    # one statement and still match each returned id to its row (SQLAlchemy insert sentinel).
    key: str = Field(unique=True, max_length=300, sa_column_kwargs={"insert_sentinel": True})
    # the case whose step produced it; None for the daily anchor's public notice (states/anchors.py)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    audit_seq: int  # the audit record that produced it (0: none, the daily anchor)
    template: str
    category: str  # legal | task | reminder | information | notice (opt-out only for reminder, information)
    channel: str  # email | webhook
    audience: str  # applicant | member | officers | public
    # an e-mail address, or the name of a webhook channel ("public-portal": its URL, a secret, stays in the
    # settings); empty = nobody to deliver to (fails visibly)
    recipient: str = ""
    recipient_name: str = ""
    lang: str = "pl"
    data: dict = json_field()
    cancel_tag: str | None = Field(default=None, index=True)  # a reminder is cancelled when this is done
    not_before: datetime = moment(nullable=False)
    next_attempt_at: datetime = moment(nullable=False)
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: datetime | None = moment()
    last_error: str | None = None
    message_id: str
    created_at: datetime = moment(nullable=False)
    sent_at: datetime | None = moment()
    closed_at: datetime | None = moment()  # when it became failed, cancelled or opted_out


class NotificationPreference(Table, table=True):
    """A recipient's choices: language (template ``*``) and opt-outs where the law allows one."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("address", "template"),)
    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True)
    template: str = "*"
    opted_out: bool = False
    lang: str | None = None
    updated_at: datetime = moment(nullable=False)
