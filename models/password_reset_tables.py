"""Tables of the portal's password reset (states/password_reset.py): the one-time reset links (their SHA-256 only)
and the requests for one (for the rate limits), beside the portal's accounts (models/portal_tables.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from models.tables import Table, moment


class PasswordReset(Table, table=True):
    """A one-time link that lets the person set a new password: the token as its SHA-256 only (256 random bits, as
    an e-mail confirmation's), valid until ``expires_at``, spent at ``used_at``, or voided at ``voided_at`` when a
    newer link was sent (only the newest link works)."""

    __tablename__ = "password_resets"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = moment(nullable=False)
    used_at: datetime | None = moment()
    voided_at: datetime | None = moment()
    created_at: datetime = moment(nullable=False)


class PasswordResetAttempt(Table, table=True):
    """A reset link asked for at the portal, counted for its rate limits (like ``registration_attempts``): the
    client's address and what was typed (a login or an e-mail address) as its SHA-256 only."""

    __tablename__ = "password_reset_attempts"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    name_digest: str = Field(max_length=64, index=True)
    at: datetime = moment(nullable=False, index=True)
