"""The organisations' accounts (issue 22): a representative registers, proves their e-mail address, asks to represent
an organisation, an officer confirms it once, and the organisation's representatives keep its profile.

The rules, each in one place:

- **Registration** (``register_account``) makes a person of the registry (``states.people._add``: the people
  chain's ``add_person``) with a password of the desk's policy (states/credentials.py ``store_password``) and a
  portal account holding their e-mail address, unconfirmed. The actor of the records is the named system actor
  ``REGISTRATION`` (role ``public``, proof ``registration``): nobody is proven yet when a stranger registers, and a
  record must not claim the person proved anything; the records' payload names the login. Registrations are
  counted per client address and per e-mail address in ``registration_attempts`` (``note_registration``, before
  the command, in a transaction of its own, so a refused registration counts too), like login attempts.
- **The e-mail link**: a one-time token of 256 random bits, kept as its SHA-256 with an expiry
  (``CONFIRMATION_HOURS``); the link reaches the person through the notification outbox (``EmailConfirmationAsked``,
  notifications/outbox.py), sealed with the desk's key in the row (invariant 12: no token in a row as it is),
  delivered by the dispatcher like every message. Following it (``confirm_email``) confirms the address, spends
  the token, and is recorded as the person's own act (proof ``email``). An unconfirmed person cannot log in
  (``check_login``).
- **Representation** (``claim_representation``): a logged-in person names the organisation by its KRS number, or
  for an entity without one by its other register and number; one of the registry is linked, otherwise the claim
  carries the new organisation's data. An officer decides once (``decide_representation``): confirming creates the
  organisation when new and grants the person ``applicant`` for it (the people chain's ``grant``); refusing needs a
  reason. Several representatives per organisation, several organisations per person.
- **The profile** (``update_profile``): only a representative of the organisation (a live ``applicant`` grant for
  it, read in the command's transaction) changes it; each change is one record of the people chain, subject
  ``organisation:<id>``, event ``organisation_profile``, its payload the changed fields with their old and new
  values (``profile_history`` reads them back). ``coop audit verify`` verifies them with the rest of the chain.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field, SecretStr, model_validator

from models.people_tables import PeopleRecord, Person, PersonGrant
from models.portal_tables import (
    EmailConfirmation,
    OrganisationProfile,
    PortalAccount,
    RegistrationAttempt,
    RepresentationClaim,
)
from models.tables import Organisation
from states.actors import Actor
from states.errors import InvalidInput, NotFound, NotPermitted, RuleViolation
from states.events import publish
from states.inputs import Command, Email, Krs, ShortText, SingleLine
from states.people import LOGIN_PATTERN, _add, _append, _grant, _person, registration_principal, token_digest
from states.text import tr

BASIS_ACCOUNT = "RODO art. 32 ust. 1 lit. b"  # who registers proves their address: the security of processing
# an organisation (art. 3 ust. 2-3) acts through the people its statute and register name (KC art. 38)
BASIS_REPRESENTATION = "art. 3 ust. 2-3; KC art. 38"
BASIS_PRIVACY = "RODO art. 5 ust. 1 lit. f"  # an organisation's data are seen and changed by those it authorised

CONFIRMATION_HOURS = 48
# Registration limits (counted over the window): a client address may register a few accounts (an office, a
# family), an e-mail address only a couple (a link lost, asked again).
REGISTRATION_WINDOW = timedelta(hours=1)
REGISTRATIONS_PER_CLIENT = 5
REGISTRATIONS_PER_EMAIL = 3
KEEP_ATTEMPTS = timedelta(days=1)

REGISTRATION = registration_principal()
# The profile: the registry row's fields, then those of its ``organisation_profiles`` row
REGISTRY_FIELDS = ("name", "legal_form", "address", "email", "contact_person")
EXTRA_FIELDS = ("phone", "website", "areas", "publish_consent")
PROFILE_FIELDS = REGISTRY_FIELDS + EXTRA_FIELDS

Login = Annotated[str, Field(pattern=LOGIN_PATTERN)]
RegisterName = Annotated[SingleLine, Field(min_length=2, max_length=200)]
RegisterNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9./-]{1,50}$")]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{6,30}$")]
Website = Annotated[SingleLine, Field(pattern=r"^https?://[^\s]{3,290}$", max_length=300)]
Areas = Annotated[str, Field(max_length=2000)]
Reason = Annotated[SingleLine, Field(min_length=3, max_length=2000)]


class RegisterAccount(Command):
    login: Login
    display_name: ShortText
    email: Email
    password: SecretStr


class ConfirmEmail(Command):
    token: Annotated[str, Field(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class ClaimRepresentation(Command):
    krs: Krs | None = None
    register_name: RegisterName | None = None
    register_number: RegisterNumber | None = None
    # the new organisation's data: needed only when the registry does not know it yet
    name: ShortText | None = None
    legal_form: ShortText | None = None
    address: ShortText | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _one_register(self):
        if self.krs is None and not (self.register_name and self.register_number):
            raise ValueError(tr("give the KRS number (10 digits) or, for an entity not in the KRS, its register and "
                                "number"))
        if self.krs is not None and (self.register_name or self.register_number):
            raise ValueError(tr("give either the KRS number or another register, not both"))
        return self


class DecideRepresentation(Command):
    claim: Annotated[int, Field(ge=1)]
    confirm: bool
    reason: Reason | None = None


class UpdateProfile(Command):
    organisation: Annotated[int, Field(ge=1)]
    name: ShortText
    legal_form: ShortText
    address: ShortText
    email: Email
    contact_person: ShortText
    phone: Phone | None = None
    website: Website | None = None
    areas: Areas | None = None
    publish_consent: bool = False


# --- registration ---------------------------------------------------------------------------------------------


def email_digest(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def note_registration(client: str, email: str, *, url: str | None = None, now: datetime | None = None) -> None:
    """Count a registration tried from ``client`` for ``email``, or refuse it (``registration_rate_limited``) when
    either made ``REGISTRATIONS_PER_*`` within the window; a refused attempt is not counted (it did nothing)."""
    note_attempt(RegistrationAttempt.__table__, "email_digest", client, email_digest(email or ""),
                 per_client=REGISTRATIONS_PER_CLIENT, per_key=REGISTRATIONS_PER_EMAIL, window=REGISTRATION_WINDOW,
                 refusal=lambda: NotPermitted("registration_rate_limited", tr(
                     "Too many registrations from this address or for this e-mail address: registering is paused "
                     "for {minutes} minutes. Try again later; nothing was done.",
                     minutes=int(REGISTRATION_WINDOW.total_seconds() // 60)), basis=BASIS_ACCOUNT),
                 url=url, now=now)


def note_attempt(table: sa.Table, key_column: str, client: str, digest: str, *, per_client: int, per_key: int,
                 window: timedelta, refusal, url: str | None = None, now: datetime | None = None) -> None:
    """The portal's rate limit of a request a stranger may make (a registration, a password reset link): count it
    in ``table`` (its ``client``, ``key_column`` = ``digest``, ``at``) in a transaction of its own, or raise
    ``refusal()`` when the client or the key made ``per_client``/``per_key`` within ``window``; a refused attempt is
    not counted (it did nothing). Rows older than ``KEEP_ATTEMPTS`` are deleted on the way."""
    from models.db import get_engine

    # Real time, not the context's clock, on purpose: a rate limit counts the requests real clients send to this
    # server per real hour (a simulation's clock may jump a year in a second, or stand still); it is no step of any
    # case or person and no record keeps it. The desk's and the portal's sessions expire by real time likewise
    # (states/credentials.py ``open_session``): a browser's login lasts hours of the reader's time, whatever
    # moment a simulation claims.
    now = now or datetime.now(UTC)
    client = (client or "?")[:64]
    with get_engine(url).begin() as connection:
        recent = sa.select(sa.func.count()).select_from(table).where(table.c.at > now - window)
        by_client = connection.execute(recent.where(table.c.client == client)).scalar_one()
        by_key = connection.execute(recent.where(table.c[key_column] == digest)).scalar_one()
        if by_client >= per_client or by_key >= per_key:
            raise refusal()
        connection.execute(table.delete().where(table.c.at < now - KEEP_ATTEMPTS))
        connection.execute(table.insert().values(client=client, at=now, **{key_column: digest}))


def register_account(ctx, command: RegisterAccount) -> dict:
    """A new person with a password and an unconfirmed e-mail address; the confirmation link is enqueued. Run with
    ``keyed=False`` (no command log keeps the password) by the named actor ``REGISTRATION``."""
    from sqlmodel import select

    from states.credentials import check_password_policy, store_password

    check_password_policy(command.password.get_secret_value())
    email = command.email.lower()
    taken = ctx.session.exec(select(PortalAccount).where(PortalAccount.email == email)).first()
    if taken is not None:
        raise RuleViolation("email_registered", tr(
            "An account with this e-mail address is already registered: log in, or ask the office to help if you "
            "lost the password. Nothing was done."), basis=BASIS_ACCOUNT)
    from states.people import AddPerson

    person = _add(ctx, AddPerson(login=command.login, display_name=command.display_name))
    store_password(ctx, person, command.password.get_secret_value())
    ctx.session.add(PortalAccount(person_id=person.id, email=email, created_at=ctx.written_at))
    _append(ctx, "register_account", f"person:{person.login}", {"login": person.login, "email": email},
            to_state="unconfirmed")
    _ask_confirmation(ctx, person, email)
    return {"login": person.login, "email": email, "confirmed": False}


def new_link(ctx, table: type, person: Person, valid_for: timedelta):
    """A one-time e-mail link's token (256 random bits, returned once: the caller seals it for the outbox) and its
    row of ``table`` (``EmailConfirmation``, ``PasswordReset``): the token's SHA-256 only, valid for ``valid_for``."""
    token = secrets.token_urlsafe(32)
    row = table(person_id=person.id, token_hash=token_digest(token), created_at=ctx.written_at,
                expires_at=ctx.written_at + valid_for)
    ctx.session.add(row)
    ctx.session.flush()
    return token, row


def link_row(session, table: type, token: str):
    """The row of ``table`` of a one-time link's token, whatever its state (``link_live`` says whether it works),
    or None for a token nobody was sent."""
    from sqlmodel import select

    return session.exec(select(table).where(table.token_hash == token_digest(token))).first()


def link_live(row, now: datetime) -> bool:
    """Whether a one-time link's row (``new_link``) still works at ``now``: not spent, not voided, not expired."""
    if row is None or row.used_at is not None or getattr(row, "voided_at", None) is not None:
        return False
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return expires > now


def _ask_confirmation(ctx, person: Person, email: str) -> None:
    from states.credentials import seal
    from states.events import EmailConfirmationAsked

    token, row = new_link(ctx, EmailConfirmation, person, timedelta(hours=CONFIRMATION_HOURS))
    # the outbox keeps the token sealed with the desk's key: the dispatcher opens it to write the link
    publish(ctx, EmailConfirmationAsked(key=f"portal/email/{row.id}", email=email, name=person.display_name,
                                        login=person.login, sealed_token=seal(token), expires_at=row.expires_at))


RESEND_AFTER = timedelta(minutes=15)  # a new link at most this often (each is an e-mail sent)


class ResendConfirmation(Command):
    login: Login


def resend_confirmation(ctx, command: ResendConfirmation) -> dict:
    """A person whose address is not confirmed yet, proven by their password at the portal's login, gets a new
    link (the old ones stay valid until they expire), at most one every ``RESEND_AFTER``."""
    from sqlmodel import select

    if ctx.actor.person != command.login:
        raise NotPermitted("resend_own_only", tr("A new confirmation link is sent only to the person who logs in; "
                                                 "nothing was done."), basis=BASIS_ACCOUNT)
    person = _person(ctx.session, command.login)
    account = ctx.session.exec(select(PortalAccount).where(PortalAccount.person_id == person.id)).first()
    if account is None or account.email_confirmed_at is not None:
        return {"login": person.login, "sent": False}
    e = EmailConfirmation.__table__
    recent = ctx.session.connection().execute(sa.select(sa.func.count()).select_from(e).where(
        e.c.person_id == person.id, e.c.created_at > ctx.written_at - RESEND_AFTER)).scalar_one()
    if recent:
        return {"login": person.login, "sent": False}
    _ask_confirmation(ctx, person, account.email)
    return {"login": person.login, "sent": True}


def confirm_email(ctx, command: ConfirmEmail) -> dict:
    """The person followed the link: the address is theirs. A token unknown, spent or expired is refused in one
    sentence (nobody learns which)."""
    from sqlmodel import select

    row = link_row(ctx.session, EmailConfirmation, command.token)
    if not link_live(row, ctx.written_at):
        raise RuleViolation("confirmation_invalid", tr(
            "This confirmation link is not valid: it was used already, it expired ({hours} hours after "
            "registration) or it was copied incompletely. Log in on the portal with your login and password: a new "
            "link is sent to you.",
            hours=CONFIRMATION_HOURS), basis=BASIS_ACCOUNT)
    account = ctx.session.exec(select(PortalAccount).where(PortalAccount.person_id == row.person_id)).first()
    person = ctx.session.get(Person, row.person_id)
    row.used_at = ctx.written_at
    ctx.session.add(row)
    if account.email_confirmed_at is None:
        account.email_confirmed_at = ctx.written_at
        ctx.session.add(account)
        _append(ctx, "confirm_email", f"person:{person.login}", {"login": person.login, "email": account.email},
                to_state="confirmed")
    return {"login": person.login, "email": account.email, "confirmed": True}


def confirm_email_by_link(token: str, *, url: str | None = None) -> dict:
    """The door's call (web/portal_accounts.py): the link proves the person, so the record's actor is the person
    (proof ``email``); a malformed token is refused like an unknown one."""
    from states.engine import execute
    from states.people import person_principal

    try:
        command = ConfirmEmail(token=token)
    except ValueError:
        raise RuleViolation("confirmation_invalid", tr(
            "This confirmation link is not valid: it was used already, it expired ({hours} hours after "
            "registration) or it was copied incompletely. Log in on the portal with your login and password: a new "
            "link is sent to you.",
            hours=CONFIRMATION_HOURS), basis=BASIS_ACCOUNT) from None
    login = login_of_token(command.token, url=url)
    actor = person_principal(login, proof="email", url=url) if login else REGISTRATION
    return execute(confirm_email, command, actor=actor, url=url, keyed=False)


def login_of_token(token: str, *, url: str | None, table: type = EmailConfirmation) -> str | None:
    """The login of the person a one-time link's token (of ``table``) was sent to, whatever its state."""
    from models.db import get_engine

    e, p = table.__table__, Person.__table__
    with get_engine(url).execution_options(coop_readonly=True).connect() as connection:
        return connection.execute(sa.select(p.c.login).join(e, e.c.person_id == p.c.id)
                                  .where(e.c.token_hash == token_digest(token))).scalar()


def email_confirmed(person_id_or_login, *, connection) -> bool | None:
    """None: no portal account (a person an administrator added); else whether their e-mail is confirmed."""
    a, p = PortalAccount.__table__, Person.__table__
    row = connection.execute(sa.select(a.c.email_confirmed_at).join(p, p.c.id == a.c.person_id)
                             .where(p.c.login == person_id_or_login)).first()
    return None if row is None else row.email_confirmed_at is not None


# --- representation -------------------------------------------------------------------------------------------


def _match(session, command: ClaimRepresentation) -> Organisation | None:
    from sqlmodel import select

    if command.krs:
        return session.exec(select(Organisation).where(Organisation.krs == command.krs)).first()
    return session.exec(select(Organisation).join(
        OrganisationProfile, OrganisationProfile.organisation_id == Organisation.id).where(
        sa.func.lower(OrganisationProfile.register_name) == command.register_name.lower(),
        OrganisationProfile.register_number == command.register_number)).first()


def _own_person(ctx) -> Person:
    if not ctx.actor.person:
        raise NotPermitted("portal_login_required", tr("Log in first: a representation is asked for by a person "
                                                       "of the registry. Nothing was done."), basis=BASIS_ACCOUNT)
    return _person(ctx.session, ctx.actor.person)


def _represents(session, person_id: int, organisation_id: int) -> bool:
    g = PersonGrant.__table__
    return session.connection().execute(sa.select(g.c.id).where(
        g.c.person_id == person_id, g.c.role == "applicant", g.c.organisation_id == organisation_id,
        g.c.revoked_at.is_(None))).first() is not None


def claim_representation(ctx, command: ClaimRepresentation) -> dict:
    """The logged-in person asks to represent an organisation; an officer decides."""
    from sqlmodel import select

    person = _own_person(ctx)
    organisation = _match(ctx.session, command)
    if organisation is None:
        missing = [name for name in ("name", "legal_form", "address", "email") if not getattr(command, name)]
        if missing:
            from states import labels
            from states.text import Joined

            raise InvalidInput("claim_needs_organisation", tr(
                "The registry has no organisation with this number yet: give its name, legal form, address and "
                "e-mail address (missing: {fields}). Nothing was done.",
                fields=Joined([labels.field(m) for m in missing], ", ")), basis=BASIS_REPRESENTATION)
    else:
        if _represents(ctx.session, person.id, organisation.id):
            raise RuleViolation("already_representative", tr(
                "You already represent {name}; nothing was done.", name=organisation.name), basis=BASIS_REPRESENTATION)
    c = RepresentationClaim
    pending = ctx.session.exec(select(c).where(c.person_id == person.id, c.state == "pending", sa.or_(
        (c.organisation_id == organisation.id) if organisation is not None else sa.false(),
        (c.krs == command.krs) if command.krs else sa.and_(c.register_name == command.register_name,
                                                            c.register_number == command.register_number)))).first()
    if pending is not None:
        raise RuleViolation("claim_pending", tr(
            "Your request to represent this organisation waits for an officer already (request no. {number}); "
            "nothing was done.", number=pending.id), basis=BASIS_REPRESENTATION)
    fresh = organisation is None
    claim = RepresentationClaim(
        person_id=person.id, organisation_id=None if fresh else organisation.id, krs=command.krs,
        register_name=command.register_name, register_number=command.register_number,
        name=command.name if fresh else None, legal_form=command.legal_form if fresh else None,
        address=command.address if fresh else None, email=command.email if fresh else None,
        created_at=ctx.now)  # the step's moment (invariant 3): a simulation's clock, on a real database now
    ctx.session.add(claim)
    ctx.session.flush()
    _append(ctx, "claim_representation", f"person:{person.login}", {
        "claim": claim.id, "organisation": None if fresh else organisation.id, "krs": command.krs,
        "register": [command.register_name, command.register_number] if command.register_name else None,
        "new_organisation": {k: getattr(command, k) for k in ("name", "legal_form", "address", "email")} if fresh
        else None}, to_state="pending")
    return {"claim": claim.id, "organisation": None if fresh else organisation.id, "state": "pending"}


def decide_representation(ctx, command: DecideRepresentation) -> dict:
    """The officer confirms a pending claim (the organisation made if new, ``applicant`` granted) or refuses it."""
    from states.cases import register_organisation
    from states.inputs import RegisterOrganisation
    from states.people import forget_verified

    claim = ctx.session.get(RepresentationClaim, command.claim)
    if claim is None:
        raise NotFound("claim_not_found", tr("No representation request no. {number}.", number=command.claim))
    if claim.state != "pending":
        raise RuleViolation("claim_decided", tr(
            "Request no. {number} was decided already ({state}); nothing was done.", number=claim.id,
            state=tr("confirmed") if claim.state == "confirmed" else tr("refused")), basis=BASIS_REPRESENTATION)
    person = ctx.session.get(Person, claim.person_id)
    if not command.confirm:
        if not command.reason:
            raise InvalidInput("refusal_needs_reason", tr(
                "A refused request says why (the reason is shown to the person who asked); nothing was done."),
                basis="KPA art. 8; art. 5 ust. 3")
        claim.state, claim.reason = "refused", command.reason
        claim.decided_by, claim.decided_at = ctx.actor.name, ctx.now
        ctx.session.add(claim)
        _append(ctx, "refuse_representation", f"person:{person.login}", {"claim": claim.id, "reason": command.reason},
                to_state="refused")
        return {"claim": claim.id, "state": "refused"}
    organisation = ctx.session.get(Organisation, claim.organisation_id) if claim.organisation_id else None
    if organisation is None:
        organisation = _match(ctx.session, ClaimRepresentation(
            krs=claim.krs, register_name=claim.register_name, register_number=claim.register_number))
    if organisation is None:  # new: made from the claim's data, with the person who asked as its contact
        made = register_organisation(ctx, RegisterOrganisation(
            name=claim.name, legal_form=claim.legal_form, krs=claim.krs, address=claim.address, email=claim.email,
            contact_person=person.display_name))
        organisation = ctx.session.get(Organisation, made["id"])
        ctx.session.add(OrganisationProfile(organisation_id=organisation.id, register_name=claim.register_name,
                                            register_number=claim.register_number, changed_at=ctx.written_at))
        _append(ctx, "register_organisation", organisation_subject(organisation.id),
                {"organisation": organisation.id, "claim": claim.id, "krs": organisation.krs,
                 "register_name": claim.register_name, "register_number": claim.register_number,
                 **{k: getattr(organisation, k) for k in REGISTRY_FIELDS}}, to_state="registered")
    claim.organisation_id = organisation.id
    claim.state, claim.decided_by, claim.decided_at = "confirmed", ctx.actor.name, ctx.now
    ctx.session.add(claim)
    if not _represents(ctx.session, person.id, organisation.id):
        _grant(ctx, person, "applicant", None, organisation, claim=str(claim.id))
    forget_verified()
    return {"claim": claim.id, "state": "confirmed", "organisation": organisation.id, "login": person.login}


# --- the profile ----------------------------------------------------------------------------------------------


def organisation_subject(organisation_id: int) -> str:
    return f"organisation:{organisation_id}"


def _require_representative(ctx, organisation_id: int) -> Organisation:
    """The organisation, when the actor is a live representative of it; else ``not_your_organisation``."""
    organisation = ctx.session.get(Organisation, organisation_id)
    person = _own_person(ctx)
    if organisation is None or not _represents(ctx.session, person.id, organisation.id):
        raise NotPermitted("not_your_organisation", tr(
            "You do not represent this organisation: its profile is seen and changed only by its confirmed "
            "representatives. Nothing was done."), basis=BASIS_PRIVACY)
    return organisation


def update_profile(ctx, command: UpdateProfile) -> dict:
    """A representative changes the profile: the fields that differ, each with its old and new value, in one record
    of the people chain (nothing recorded when nothing changed)."""
    from sqlmodel import select

    organisation = _require_representative(ctx, command.organisation)
    extra = ctx.session.exec(select(OrganisationProfile).where(
        OrganisationProfile.organisation_id == organisation.id)).first()
    if extra is None:
        extra = OrganisationProfile(organisation_id=organisation.id, changed_at=ctx.written_at)
    changes = {}
    for name in PROFILE_FIELDS:
        row = organisation if name in REGISTRY_FIELDS else extra
        new, old = getattr(command, name), getattr(row, name)
        if name == "publish_consent":
            differs = bool(old) != bool(new)
        else:
            if isinstance(new, str) and name in ("phone", "website", "areas"):
                new = new.strip() or None  # an emptied optional field is no value, not an empty text
            differs = (old or None) != (new or None)
        if differs:
            changes[name] = {"from": old, "to": new}
            setattr(row, name, new)
    if changes:
        extra.changed_at = ctx.written_at
        ctx.session.add(organisation)
        ctx.session.add(extra)
        _append(ctx, "organisation_profile", organisation_subject(organisation.id),
                {"organisation": organisation.id, "changes": changes})
    return {"organisation": organisation.id, "changed": sorted(changes)}


def read_profile(ctx, organisation_id: int) -> dict:
    """The profile, its representatives and its history (newest first), for a representative of it."""
    from sqlmodel import select

    organisation = _require_representative(ctx, organisation_id)
    g, p = PersonGrant.__table__, Person.__table__
    people = ctx.session.connection().execute(
        sa.select(p.c.display_name).join(g, g.c.person_id == p.c.id).where(
            g.c.role == "applicant", g.c.organisation_id == organisation.id, g.c.revoked_at.is_(None))
        .order_by(p.c.display_name)).scalars().all()
    records = ctx.session.exec(select(PeopleRecord).where(
        PeopleRecord.subject == organisation_subject(organisation.id)).order_by(PeopleRecord.seq.desc())).all()
    extra = ctx.session.exec(select(OrganisationProfile).where(
        OrganisationProfile.organisation_id == organisation.id)).first()
    shown = {**organisation.model_dump(), "register_name": None, "register_number": None,
             **{name: None for name in EXTRA_FIELDS}, "publish_consent": False}
    if extra is not None:
        shown.update({name: getattr(extra, name) for name in ("register_name", "register_number", *EXTRA_FIELDS)})
    return {"organisation": shown, "representatives": list(people),
            "history": [{"seq": r.seq, "at": r.at, "actor": r.actor, "event": r.event,
                         "changes": (r.payload or {}).get("changes"), "payload": r.payload} for r in records]}


def my_claims(ctx) -> list[dict]:
    """The logged-in person's representation requests, newest first."""
    from sqlmodel import select

    person = _own_person(ctx)
    rows = ctx.session.exec(select(RepresentationClaim).where(RepresentationClaim.person_id == person.id)
                            .order_by(RepresentationClaim.id.desc())).all()
    names = _names(ctx.session, {r.organisation_id for r in rows if r.organisation_id})
    return [_claim_row(r, names) for r in rows]


def pending_claims(ctx) -> list[dict]:
    """The requests waiting for an officer, oldest first, with who asked."""
    from sqlmodel import select

    rows = ctx.session.exec(select(RepresentationClaim).where(RepresentationClaim.state == "pending")
                            .order_by(RepresentationClaim.id)).all()
    names = _names(ctx.session, {r.organisation_id for r in rows if r.organisation_id})
    people = {}
    if rows:
        p, a = Person.__table__, PortalAccount.__table__
        people = {r.id: (r.display_name, r.login, r.email) for r in ctx.session.connection().execute(
            sa.select(p.c.id, p.c.display_name, p.c.login, a.c.email).outerjoin(a, a.c.person_id == p.c.id)
            .where(p.c.id.in_({r.person_id for r in rows})))}
    out = []
    for row in rows:
        entry = _claim_row(row, names)
        entry["person"], entry["login"], entry["person_email"] = people.get(row.person_id, ("?", "?", None))
        out.append(entry)
    return out


def _names(session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    o = Organisation.__table__
    return dict(session.connection().execute(sa.select(o.c.id, o.c.name).where(o.c.id.in_(ids))).all())


def _claim_row(row: RepresentationClaim, names: dict[int, str]) -> dict:
    return {"id": row.id, "state": row.state, "organisation": row.organisation_id,
            "organisation_name": names.get(row.organisation_id) if row.organisation_id else row.name,
            "krs": row.krs, "register_name": row.register_name, "register_number": row.register_number,
            "new": row.organisation_id is None and row.state == "pending", "legal_form": row.legal_form,
            "address": row.address, "email": row.email, "reason": row.reason, "created_at": row.created_at,
            "decided_at": row.decided_at}


def represented_organisations(login: str, *, url: str | None = None) -> list[dict]:
    """The organisations ``login`` represents now (a live ``applicant`` grant), by name."""
    from models.db import get_engine

    if not login:
        return []
    o, g, p = Organisation.__table__, PersonGrant.__table__, Person.__table__
    x = OrganisationProfile.__table__
    with get_engine(url).execution_options(coop_readonly=True).connect() as connection:
        rows = connection.execute(
            sa.select(o.c.id, o.c.name, o.c.legal_form, o.c.krs, x.c.register_name, x.c.register_number)
            .join(g, g.c.organisation_id == o.c.id).join(p, p.c.id == g.c.person_id)
            .outerjoin(x, x.c.organisation_id == o.c.id)
            .where(p.c.login == login, g.c.role == "applicant", g.c.revoked_at.is_(None))
            .order_by(o.c.name)).all()
    return [dict(zip(("id", "name", "legal_form", "krs", "register_name", "register_number"), r, strict=True))
            for r in rows]


def actor_for_registration() -> Actor:
    return REGISTRATION
