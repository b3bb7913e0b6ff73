"""Tables of the organisations' portal (web/portal.py, states/portal_accounts.py): a person's own account (their
e-mail address and its confirmation), the one-time e-mail confirmation links (their SHA-256 only), the
registrations tried (for the rate limits), and the representation claims an officer decides.

The organisation's profile is its ``organisations`` row (models/tables.py: name, legal form, address, e-mail, contact
person) and its ``organisation_profiles`` row here (the rest); its history is records of the people chain
(``people_log``, subject ``organisation:<id>``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from models.tables import Table, moment


class PortalAccount(Table, table=True):
    """A person who registered through the portal: their e-mail address and when they proved it is theirs. A person
    with such a row logs in only once ``email_confirmed_at`` is set (states/credentials.py ``check_login``); people
    an administrator added (officers, members) have none."""

    __tablename__ = "portal_accounts"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", unique=True)
    email: str = Field(max_length=254, index=True)
    email_confirmed_at: datetime | None = moment()
    created_at: datetime = moment(nullable=False)


class EmailConfirmation(Table, table=True):
    """A one-time link that proves an e-mail address: the link's token as its SHA-256 only (256 random bits: no
    salt needed, as a personal token), valid until ``expires_at``, spent at ``used_at``."""

    __tablename__ = "email_confirmations"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = moment(nullable=False)
    used_at: datetime | None = moment()
    created_at: datetime = moment(nullable=False)


class RegistrationAttempt(Table, table=True):
    """A registration tried at the portal, counted for its rate limits by every process alike (like
    ``login_attempts``): the client's address and the e-mail address as its SHA-256 only."""

    __tablename__ = "registration_attempts"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    email_digest: str = Field(max_length=64, index=True)
    at: datetime = moment(nullable=False, index=True)


class RepresentationClaim(Table, table=True):
    """A person asks to represent an organisation: one of the registry (``organisation_id``, matched by its KRS or
    its other register's number), or a new one whose data the claim carries. ``state``: pending -> confirmed |
    refused (by an officer, with a reason when refused)."""

    __tablename__ = "representation_claims"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    krs: str | None = Field(default=None, max_length=10)
    register_name: str | None = Field(default=None, max_length=200)
    register_number: str | None = Field(default=None, max_length=50)
    name: str | None = Field(default=None, max_length=300)
    legal_form: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=254)
    state: str = Field(default="pending", max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=2000)
    decided_by: str | None = None
    decided_at: datetime | None = moment()
    created_at: datetime = moment(nullable=False)


class OrganisationProfile(Table, table=True):
    """What an organisation's representatives keep beside its registry row: its other register (an entity without
    a KRS number, art. 3 ust. 3), phone, website, areas of activity (one a line) and the consent to publish."""

    __tablename__ = "organisation_profiles"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", unique=True)
    register_name: str | None = Field(default=None, max_length=200)
    register_number: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=50)
    website: str | None = Field(default=None, max_length=300)
    areas: str | None = Field(default=None, max_length=2000)
    publish_consent: bool = False
    changed_at: datetime = moment(nullable=False)
