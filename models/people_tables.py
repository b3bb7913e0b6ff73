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
    subject: str
    from_state: str | None = None
    to_state: str | None = None
    basis: str = ""
    payload: dict = json_field()
    prev_hash: str
    hash: str = Field(max_length=64)


