"""People, their grants and their personal tokens (invariant 9), and the hash-chained history of every change.

A **person** logs in with a personal token an administrator issued; a token is kept here only as its SHA-256
(invariant 12). A **grant** gives a person a role: globally (officer, auditor, administrator, scheduler), for
one case (a committee member is appointed to one call's committee: art. 15 ust. 2a) or for one organisation
(an applicant acts only for the organisation they represent). A grant is never deleted: revoking it writes
``revoked_at``. Every addition, grant, revocation and token issued or revoked is also a record of the
**people chain** (``people_log``), hash-chained like a case's audit log (states/audit.py), its head kept in
``engine_settings`` (``people_chain``), and verified by ``coop audit verify``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from models.tables import Table, json_field, moment


class Person(Table, table=True):
    __tablename__ = "persons"
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    # Unique: the audit records name a person by this name, so it must say who it was.
    display_name: str = Field(max_length=300, unique=True)
    active: bool = True
    created_at: datetime = moment(nullable=False)


class PersonGrant(Table, table=True):
    __tablename__ = "person_grants"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", index=True)
    role: str = Field(max_length=32)
    case_id: int | None = Field(default=None, foreign_key="cases.id")  # a grant for one case only
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id")  # for one organisation
    granted_by: str
    granted_at: datetime = moment(nullable=False)
    revoked_by: str | None = None
    revoked_at: datetime | None = moment()


class AccessToken(Table, table=True):
    """A personal token: its SHA-256 only. ``public_id`` names it in lists and revocations (not secret)."""

    __tablename__ = "access_tokens"
    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=16, unique=True)
    person_id: int = Field(foreign_key="persons.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)  # the one indexed read of every authenticated command
    issued_by: str
    issued_at: datetime = moment(nullable=False)
    expires_at: datetime = moment(nullable=False)
    revoked_at: datetime | None = moment()


class PeopleRecord(Table, table=True):
    """One change of the people registry, hash-chained (the same fields and hash as ``audit_log``)."""

    __tablename__ = "people_log"
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: datetime = moment(nullable=False)
    recorded_at: datetime = moment(nullable=False)
    actor: str
    role: str
    event: str
    subject: str = Field(index=True)  # an organisation's profile page reads its history by it (``organisation:<id>``)
    from_state: str | None = None
    to_state: str | None = None
    basis: str = ""
    payload: dict = json_field()
    prev_hash: str
    hash: str = Field(max_length=64)




class PersonCredential(Table, table=True):
    """How a person logs in to the desk without an identity provider (web/): an argon2 hash of their password,
    and their TOTP secret sealed with the desk's key, a 0600 file outside the database (states/credentials.py):
    a copy of this table alone gives neither the password nor the second factor. ``demo``: set by the demo's
    accounts, whose passwords are published; refused on a real database."""

    __tablename__ = "person_credentials"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", unique=True)
    password_hash: str | None = Field(default=None, max_length=200)
    totp_sealed: str | None = Field(default=None, max_length=400)
    totp_last_step: int | None = None  # the last TOTP time step accepted: a code is never accepted twice
    demo: bool = False
    changed_at: datetime = moment(nullable=False)


class LoginAttempt(Table, table=True):
    """One login tried at the desk: counted for the rate limits by every process of the desk alike. The login is
    kept as its SHA-256 only (a password typed into the login field must not sit in a row)."""

    __tablename__ = "login_attempts"
    id: int | None = Field(default=None, primary_key=True)
    login_digest: str = Field(max_length=64, index=True)
    client: str = Field(max_length=64, index=True)
    at: datetime = moment(nullable=False)
    succeeded: bool = False


class DeskSession(Table, table=True):
    """A desk session: a short-lived credential issued at login, kept as its SHA-256 only (like a personal token),
    revoked at logout."""

    __tablename__ = "desk_sessions"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    issued_at: datetime = moment(nullable=False)
    expires_at: datetime = moment(nullable=False)
    revoked_at: datetime | None = moment()


class PersonOidcLink(Table, table=True):
    """A person's identity at a municipality's OpenID Connect provider (web/oidc.py): the provider (``issuer``)
    and its stable identifier of the person (``subject``, the ID token's ``sub``), linked by an administrator
    (``coop people link-oidc``, a record of the people chain). Nothing secret: the desk keeps no token of the
    provider. One identity names at most one person; a person may have one per provider."""

    __tablename__ = "person_oidc_links"
    __table_args__ = (UniqueConstraint("issuer", "subject"), UniqueConstraint("person_id", "issuer"))
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", index=True)
    issuer: str = Field(max_length=300)
    subject: str = Field(max_length=255)
    linked_by: str
    linked_at: datetime = moment(nullable=False)
