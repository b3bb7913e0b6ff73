"""Local accounts of the officers' desk (web/): passwords, a second factor (TOTP), login attempts and sessions.

A person's password is kept as its argon2 hash only (argon2-cffi); their TOTP secret, when they enrol one, is
sealed (Fernet: AES-128-CBC with HMAC-SHA256) with the desk's key, a 0600 file outside the database (like the
form-proof key, states/form_proofs.py): whoever copies the database gets neither. Setting a password and
enrolling or clearing a second factor are records of the people chain (states/people.py ``_append``), never with
the secret in their payload; those commands run with ``keyed=False`` so no command log keeps their input.

A login (``check_login``) is not a registry change: each attempt is a row of ``login_attempts`` (the login as its
SHA-256 only), counted by every desk process alike for the rate limits; a refusal never says whether the login
exists. A login that succeeds opens a session (``open_session``): a random credential kept as its SHA-256 only,
like a personal token, short-lived and revoked at logout; ``session_actor`` gives the proven ``Actor`` of a
session (``person_principal`` with the proof ``desk``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field, SecretStr

from kernel.private_files import create_private, exposed
from models.people_tables import DeskSession, LoginAttempt, Person, PersonCredential, PersonOidcLink
from models.portal_tables import PortalAccount
from states.actors import Actor
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.inputs import Command
from states.people import LOGIN_PATTERN, _append, _person, person_principal, token_digest
from states.text import tr

BASIS = "RODO art. 32 ust. 1 lit. b"  # the security of processing: who logs in is verified

KEY_ENV = "COOP_DESK_KEY_FILE"
KEY_FILE_NAME = "desk-key"

MIN_PASSWORD = 12  # NIST SP 800-63B: length, not composition rules
MAX_PASSWORD = 256
SESSION_HOURS = 8  # one working day; the cookie lasts as long
# Rate limits: failures counted over the window, per login and per client address (several people share an
# office's address, so its limit is higher).
WINDOW = timedelta(minutes=15)
LOGIN_LIMIT = 5
CLIENT_LIMIT = 20
KEEP_ATTEMPTS = timedelta(days=1)
TOTP_ISSUER = "coop-engine"

Login = Annotated[str, Field(pattern=LOGIN_PATTERN)]


class SetPassword(Command):
    login: Login
    password: SecretStr
    demo: bool = False  # a demo account's published password: accepted on a simulation database only


class PersonLogin(Command):
    login: Login


class EnrolTotp(Command):
    login: Login
    sealed: Annotated[str, Field(min_length=20, max_length=400)]  # the secret as the desk showed it, sealed
    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


# --- the desk's key -----------------------------------------------------------------------------------------------


class KeyRefused(InvalidInput):
    """The desk's key is missing or readable by others."""


def key_path() -> Path:
    given = os.environ.get(KEY_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    from models.db import user_data_path

    return user_data_path() / KEY_FILE_NAME


def desk_key() -> bytes:
    """The desk's key (a Fernet key): made on first use, 0600 from creation; a file others may read is refused,
    not repaired (the sealed secrets and the CSRF tokens may have leaked)."""
    from cryptography.fernet import Fernet

    path = key_path()
    if not path.exists():
        create_private(path, Fernet.generate_key().decode() + "\n")  # made meanwhile by another process: theirs
    if exposed(path):
        raise KeyRefused("desk_key_exposed", tr(
            "{path} may be read by other users: the desk's key must be private. Run: chmod 600 {path} (and replace "
            "the key if it may have leaked: delete the file; second factors enrolled before must be enrolled "
            "again)", path=path))
    value = path.read_text().strip().encode()
    if len(value) != 44:
        raise KeyRefused("desk_key_missing", tr("{path} holds no usable key: delete it and start the desk again",
                                                path=path))
    return value


def _fernet():
    from cryptography.fernet import Fernet

    return Fernet(desk_key())


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def mac(purpose: str, value: str) -> str:
    """An HMAC-SHA256 under a key derived from the desk's key, bound to ``purpose`` (web/security.py: CSRF)."""
    key = hashlib.sha256(b"coop-desk-mac\n" + desk_key()).digest()
    return hmac.new(key, f"{purpose}\n{value}".encode(), hashlib.sha256).hexdigest()


# --- passwords and the second factor (records of the people chain) ----------------------------------------------

_HASHER = None


def _hasher():
    global _HASHER
    if _HASHER is None:
        from argon2 import PasswordHasher

        _HASHER = PasswordHasher()  # RFC 9106's second recommended parameters (argon2id, 64 MiB)
    return _HASHER


def _credential(session, person_id: int) -> PersonCredential | None:
    from sqlmodel import select

    return session.exec(select(PersonCredential).where(PersonCredential.person_id == person_id)).first()


def new_password() -> str:
    """A password for an administrator to hand over (printed once): 16 characters of a URL-safe alphabet."""
    return secrets.token_urlsafe(12)


def check_password_policy(password: str) -> None:
    """The one password policy, for the administrator's ``coop people password`` and the portal's registration."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput("password_length", tr("A password has at least {min} and at most {max} characters.",
                                                 min=MIN_PASSWORD, max=MAX_PASSWORD), basis=BASIS)


def store_password(ctx, person: Person, password: str, *, demo: bool = False) -> None:
    """The person's password as its argon2 hash (the caller records the change in the people chain)."""
    credential = _credential(ctx.session, person.id) or PersonCredential(person_id=person.id,
                                                                          changed_at=ctx.written_at)
    credential.password_hash = _hasher().hash(password)
    credential.demo, credential.changed_at = demo, ctx.written_at
    ctx.session.add(credential)


def set_password(ctx, command: SetPassword) -> dict:
    """The administrator sets or resets a person's password (the people chain records that, never the password)."""
    password = command.password.get_secret_value()
    check_password_policy(password)
    if command.demo and not ctx.simulation:
        raise RuleViolation("demo_password_real", tr("A demo account's published password is for a simulation "
                                                     "database only; nothing was done."), basis=BASIS)
    person = _person(ctx.session, command.login)
    store_password(ctx, person, password, demo=command.demo)
    # whoever held the old password is logged out everywhere, as after a reset by the e-mail link
    revoked = revoke_sessions(ctx, person)
    _append(ctx, "set_password", f"person:{person.login}", {"login": person.login, "demo": command.demo,
                                                             "sessions_revoked": revoked})
    return {"login": person.login, "password_set": True, "sessions_revoked": revoked}


def revoke_sessions(ctx, person: Person) -> int:
    """Every live session of ``person`` revoked in this transaction (a password set by the administrator or reset by
    the person's e-mail link): how many were."""
    s = DeskSession.__table__
    return ctx.session.connection().execute(s.update().where(
        s.c.person_id == person.id, s.c.revoked_at.is_(None)).values(revoked_at=ctx.written_at)).rowcount


def totp_offer(login: str) -> tuple[str, str, str]:
    """A new TOTP secret for ``login`` to enrol: (the secret as base32, its otpauth URI, the secret sealed for the
    confirming form). Nothing is stored until a code proves the person's authenticator holds it."""
    import pyotp

    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=TOTP_ISSUER)
    return secret, uri, seal(secret)


def enrol_totp(ctx, command: EnrolTotp) -> dict:
    """A person enrols their own second factor, confirming it with a code of their authenticator."""
    import pyotp

    if ctx.actor.person != command.login:
        raise NotPermitted("totp_own_only", tr("A person enrols only their own second factor; nothing was done."),
                           basis=BASIS)
    secret = unseal(command.sealed)
    if secret is None:
        raise InvalidInput("totp_offer_invalid", tr("The enrolment form was not made by this desk (or its key "
                                                    "changed); start the enrolment again."), basis=BASIS)
    totp = pyotp.TOTP(secret)
    if not totp.verify(command.code, valid_window=1):
        raise InvalidInput("totp_code_wrong", tr("The code does not match: check the time on the device and type "
                                                 "the code it shows now."), basis=BASIS)
    person = _person(ctx.session, command.login)
    credential = _credential(ctx.session, person.id)
    if credential is None or credential.password_hash is None:
        raise RuleViolation("totp_needs_password", tr("A second factor is enrolled beside a password; ask an "
                                                      "administrator to set one first."), basis=BASIS)
    credential.totp_sealed = seal(secret)  # sealed again: the form's copy is not the row's
    credential.totp_last_step = totp.timecode(datetime.now(UTC))
    credential.changed_at = ctx.written_at
    ctx.session.add(credential)
    _append(ctx, "enrol_totp", f"person:{person.login}", {"login": person.login})
    return {"login": person.login, "totp": True}


def clear_totp(ctx, command: PersonLogin) -> dict:
    """The administrator removes a person's second factor (a lost phone); they enrol a new one after login."""
    person = _person(ctx.session, command.login)
    credential = _credential(ctx.session, person.id)
    if credential is not None and credential.totp_sealed is not None:
        credential.totp_sealed, credential.totp_last_step = None, None
        credential.changed_at = ctx.written_at
        ctx.session.add(credential)
        _append(ctx, "clear_totp", f"person:{person.login}", {"login": person.login})
    return {"login": person.login, "totp": False}


def has_totp(login: str, *, url: str | None = None) -> bool:
    from models.db import get_engine

    p, c = Person.__table__, PersonCredential.__table__
    with get_engine(url).execution_options(coop_readonly=True).connect() as connection:
        return connection.execute(sa.select(c.c.totp_sealed).join(p, p.c.id == c.c.person_id)
                                  .where(p.c.login == login)).scalar() is not None


# --- logging in -------------------------------------------------------------------------------------------------


def login_digest(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()


def _failed() -> NotPermitted:
    # One message for an unknown login, a wrong password, a missing or wrong code: nobody learns which it was.
    return NotPermitted("login_failed", tr("Wrong login, password or one-time code. Try again."), basis=BASIS)


def _limited(connection, digest: str | None, client: str, now: datetime) -> NotPermitted | None:
    """The refusal when this login (``digest``; None: not known yet, as at an OIDC callback) or this client
    address failed too often within the window, counted over every kind of login attempt."""
    a = LoginAttempt.__table__
    since = now - WINDOW
    failures = sa.select(sa.func.count()).select_from(a).where(a.c.at > since, a.c.succeeded.is_(False))
    by_login = connection.execute(failures.where(a.c.login_digest == digest)).scalar_one() if digest else 0
    by_client = connection.execute(failures.where(a.c.client == client)).scalar_one()
    if by_login >= LOGIN_LIMIT or by_client >= CLIENT_LIMIT:
        return NotPermitted("login_rate_limited", tr(
            "Too many failed logins: logging in is paused for {minutes} minutes for this account or this "
            "address. Try again later, or ask an administrator to reset the password.",
            minutes=int(WINDOW.total_seconds() // 60)), basis=BASIS)
    return None


_DUMMY_HASH = None


def check_login(login: str, password: str, code: str | None, client: str, *, url: str | None = None,
                now: datetime | None = None) -> str:
    """The login of the person whose password (and TOTP code, when they enrolled one) this is, or NotPermitted:
    ``login_rate_limited`` (too many failures of this login or this address lately: not even tried) or
    ``login_failed`` (whatever was wrong). Every attempt tried is recorded, the login as its SHA-256 only."""
    import pyotp
    from argon2.exceptions import InvalidHashError, VerificationError

    from models.db import get_engine
    from models.settings import SIMULATION, clock_mode

    global _DUMMY_HASH
    now = now or datetime.now(UTC)
    login = (login or "").strip().lower()[:64]
    client = (client or "?")[:64]
    digest = login_digest(login)
    engine = get_engine(url)
    p, c = Person.__table__, PersonCredential.__table__
    with engine.begin() as connection:
        refusal = _limited(connection, digest, client, now)
        if refusal is not None:
            raise refusal
        a = PortalAccount.__table__  # a person who registered on the portal logs in once their e-mail is proved
        row = connection.execute(sa.select(p.c.active, c.c.id, c.c.password_hash, c.c.totp_sealed,
                                           c.c.totp_last_step, c.c.demo, a.c.id.label("account"),
                                           a.c.email_confirmed_at)
                                 .join(c, c.c.person_id == p.c.id).outerjoin(a, a.c.person_id == p.c.id)
                                 .where(p.c.login == login)).first()
    ok = False
    step = None
    if row is None or row.password_hash is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hasher().hash(secrets.token_hex(16))
        try:  # the same work as for a known login: the time taken does not tell either
            _hasher().verify(_DUMMY_HASH, password or "-")
        except VerificationError:
            pass
    else:
        try:
            ok = _hasher().verify(row.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        ok = ok and bool(row.active) and not (row.demo and clock_mode(engine) != SIMULATION)
        if ok and row.totp_sealed is not None:
            secret = unseal(row.totp_sealed)
            code = (code or "").strip().replace(" ", "")
            ok = False
            if secret is not None and code.isdigit() and len(code) == 6:
                totp = pyotp.TOTP(secret)
                for offset in (-1, 0, 1):  # one step of clock drift either way, as pyotp's valid_window=1
                    candidate = totp.timecode(now) + offset
                    if hmac.compare_digest(totp.generate_otp(candidate), code) and candidate > (row.totp_last_step
                                                                                                  or 0):
                        ok, step = True, candidate  # a code once accepted is never accepted again (replay)
                        break
    with engine.begin() as connection:
        connection.execute(LoginAttempt.__table__.insert().values(login_digest=digest, client=client, at=now,
                                                                  succeeded=ok))
        if step is not None:
            connection.execute(c.update().where(c.c.id == row.id).values(totp_last_step=step))
        if ok:  # attempts older than a day count for no limit any more: the table stays small
            a = LoginAttempt.__table__
            connection.execute(a.delete().where(a.c.at < now - KEEP_ATTEMPTS))
    if not ok:
        raise _failed()
    if row.account is not None and row.email_confirmed_at is None:
        from states.portal_accounts import CONFIRMATION_HOURS

        # said only to whoever knows the password: the account exists but its address is not proved yet
        raise NotPermitted("email_not_confirmed", tr(
            "Your e-mail address is not confirmed yet: open the link in the message we sent you after "
            "registration (it is valid for {hours} hours), then log in.", hours=CONFIRMATION_HOURS), basis=BASIS)
    return login


# --- OpenID Connect: a person's identity at the municipality's provider (web/oidc.py) ------------------------


class LinkOidc(Command):
    login: Login
    # The provider as its ID tokens name it (``iss``: an https URL, http only for a provider on this machine)
    issuer: Annotated[str, Field(min_length=8, max_length=300, pattern=r"^https?://[^\s]+$")]
    # The provider's stable identifier of the person (``sub``: at most 255 ASCII characters, OIDC Core 2)
    subject: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]


def link_oidc(ctx, command: LinkOidc) -> dict:
    """The administrator links a person to their identity at a provider: a login through that provider with that
    subject opens a desk session for this person. One identity names one person; a person has one per provider."""
    from sqlmodel import select

    issuer = command.issuer.rstrip("/")
    person = _person(ctx.session, command.login)
    taken = ctx.session.exec(select(PersonOidcLink).where(PersonOidcLink.issuer == issuer,
                                                          PersonOidcLink.subject == command.subject)).first()
    if taken is not None:
        raise RuleViolation("oidc_subject_linked", tr(
            "This identity of the provider is already linked to a person; unlink it first (coop people "
            "unlink-oidc). Nothing was done."), basis=BASIS)
    held = ctx.session.exec(select(PersonOidcLink).where(PersonOidcLink.person_id == person.id,
                                                         PersonOidcLink.issuer == issuer)).first()
    if held is not None:
        raise RuleViolation("oidc_person_linked", tr(
            "{login} is already linked to an identity of this provider; unlink it first (coop people "
            "unlink-oidc). Nothing was done.", login=person.login), basis=BASIS)
    ctx.session.add(PersonOidcLink(person_id=person.id, issuer=issuer, subject=command.subject,
                                   linked_by=ctx.actor.name, linked_at=ctx.written_at))
    _append(ctx, "link_oidc", f"person:{person.login}", {"login": person.login, "issuer": issuer,
                                                         "subject": command.subject})
    return {"login": person.login, "issuer": issuer, "subject": command.subject}


class UnlinkOidc(Command):
    login: Login
    issuer: Annotated[str, Field(min_length=8, max_length=300, pattern=r"^https?://[^\s]+$")]


def unlink_oidc(ctx, command: UnlinkOidc) -> dict:
    """The administrator removes a person's link to a provider: that identity opens nothing any more (sessions
    already open stay until logout or expiry, or until the person is deactivated)."""
    from sqlmodel import select

    issuer = command.issuer.rstrip("/")
    person = _person(ctx.session, command.login)
    link = ctx.session.exec(select(PersonOidcLink).where(PersonOidcLink.person_id == person.id,
                                                         PersonOidcLink.issuer == issuer)).first()
    if link is not None:
        ctx.session.delete(link)
        _append(ctx, "unlink_oidc", f"person:{person.login}", {"login": person.login, "issuer": issuer,
                                                               "subject": link.subject})
    return {"login": person.login, "issuer": issuer, "linked": False}


OIDC_REFUSED = "oidc-refused"  # the attempt's name for a callback refused before any identity was verified


def check_client(client: str, *, url: str | None = None, now: datetime | None = None) -> None:
    """Before an OIDC callback is worked on: NotPermitted ``login_rate_limited`` when this address failed too
    often lately (passwords and OIDC callbacks counted alike, ``CLIENT_LIMIT`` in ``WINDOW``)."""
    from models.db import get_engine

    with get_engine(url).connect() as connection:
        refusal = _limited(connection, None, (client or "?")[:64], now or datetime.now(UTC))
    if refusal is not None:
        raise refusal


def record_oidc_refusal(issuer: str, client: str, *, url: str | None = None, now: datetime | None = None) -> None:
    """A callback refused (a token that did not verify, a state not this browser's, no ID token): a failed
    attempt of its address, counted by ``check_client`` (no identity is known, so none is named)."""
    from models.db import get_engine

    with get_engine(url).begin() as connection:
        connection.execute(LoginAttempt.__table__.insert().values(
            login_digest=login_digest(f"{OIDC_REFUSED}\n{(issuer or '').rstrip('/')}"), client=(client or "?")[:64],
            at=now or datetime.now(UTC), succeeded=False))


def oidc_login(issuer: str, subject: str, client: str, *, url: str | None = None,
               now: datetime | None = None) -> str:
    """The login of the active person linked to ``subject`` at ``issuer`` (an ID token already verified by the
    caller), or NotPermitted ``oidc_not_linked`` — one refusal for an identity linked to nobody and for one linked
    to a person no longer active, so nobody learns which. Each attempt is a row of ``login_attempts`` (the
    identity as its SHA-256 only)."""
    from models.db import get_engine

    now = now or datetime.now(UTC)
    issuer = (issuer or "").rstrip("/")
    p, link = Person.__table__, PersonOidcLink.__table__
    engine = get_engine(url)
    with engine.begin() as connection:
        row = connection.execute(sa.select(p.c.login, p.c.active).join(link, link.c.person_id == p.c.id)
                                 .where(link.c.issuer == issuer, link.c.subject == subject)).first()
        ok = row is not None and bool(row.active)
        connection.execute(LoginAttempt.__table__.insert().values(
            login_digest=login_digest(f"oidc\n{issuer}\n{subject}"), client=(client or "?")[:64], at=now,
            succeeded=ok))
    if not ok:
        raise NotPermitted("oidc_not_linked", tr(
            "The identity provider confirmed who you are, but this identity may not log in to the desk. Ask an "
            "administrator to link your account (coop people link-oidc)."), basis=BASIS)
    return row.login


# --- sessions -----------------------------------------------------------------------------------------------------

# Sessions live by real time (``datetime.now``), never by a context's clock: a login lasts hours of its reader's time,
# whatever moment a simulation database claims (its clock may jump a year in a second); a session is no step of a case
# and no record's moment. Revoking them with a step (``revoke_sessions``) stamps the database's time of writing.


def open_session(login: str, *, url: str | None = None, hours: float = SESSION_HOURS) -> str:
    """A new session for ``login`` (after ``check_login``): its credential, returned once (for the cookie)."""
    from models.db import get_engine

    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    p = Person.__table__
    with get_engine(url).begin() as connection:
        person_id = connection.execute(sa.select(p.c.id).where(p.c.login == login)).scalar_one()
        connection.execute(DeskSession.__table__.insert().values(
            person_id=person_id, token_hash=token_digest(token), issued_at=now,
            expires_at=now + timedelta(hours=hours)))
    return token


def session_actor(token: str | None, *, url: str | None = None) -> Actor | None:
    """The proven person of a live session (None: no session, an unknown, revoked or expired one, or a person no
    longer active). Two indexed reads: the session, then the person and their grants."""
    from models.db import get_engine

    if not token or len(token) > 100:
        return None
    s, p = DeskSession.__table__, Person.__table__
    with get_engine(url).execution_options(coop_readonly=True).connect() as connection:
        row = connection.execute(sa.select(p.c.login, s.c.expires_at, s.c.revoked_at)
                                 .join(p, p.c.id == s.c.person_id)
                                 .where(s.c.token_hash == token_digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        return None
    try:
        return person_principal(row.login, proof="desk", url=url)
    except NotPermitted:  # deactivated meanwhile
        return None


def close_session(token: str | None, *, url: str | None = None) -> bool:
    """Revoke a session (logout): its credential stops at once, in every desk process."""
    from models.db import get_engine

    if not token:
        return False
    s = DeskSession.__table__
    with get_engine(url).begin() as connection:
        done = connection.execute(s.update().where(s.c.token_hash == token_digest(token), s.c.revoked_at.is_(None))
                                  .values(revoked_at=datetime.now(UTC)))
    return done.rowcount == 1


# --- demo accounts ----------------------------------------------------------------------------------------------

# The demo programme's people (flows/demo_scenario.py) as desk accounts, with published passwords (README,
# docs/desk.md): on a simulation database only (``SetPassword.demo``; ``check_login`` refuses them elsewhere).
DEMO_PASSWORD = "demo-biurko-2026"
DEMO_ACCOUNTS = (
    ("urzednik", "Anna Urzędniczka", ("officer",)),
    ("jan.kowalski", "Jan Kowalski", ("committee_member",)),
    ("ewa.nowak", "Ewa Nowak", ("committee_member",)),
    ("piotr.wisniewski", "Piotr Wiśniewski", ("committee_member",)),
    ("audytor", "Ala Audytorka", ("auditor",)),
)


def demo_accounts(url: str | None = None) -> list[str]:
    """The demo accounts on a simulation database (made once; a person already there is left as they are). A
    committee member's grant is for each call whose committee lists her name. Returns the logins made."""
    from models.tables import Case, CommitteeMember
    from states.engine import execute
    from states.people import AddPerson, GrantRole, add_person, grant_role

    admin = Actor("demo", "administrator")  # a typed name: a real database refuses it (states/engine.py)

    from models.db import get_engine

    c, m = Case.__table__, CommitteeMember.__table__
    with get_engine(url).connect() as connection:
        present = set(connection.execute(sa.select(Person.__table__.c.login)).scalars())
        seats = connection.execute(sa.select(m.c.name, c.c.code).join(c, c.c.id == m.c.case_id)).all()

    made = []
    for login, name, roles in DEMO_ACCOUNTS:
        if login in present:
            continue
        execute(add_person, AddPerson(login=login, display_name=name), actor=admin, url=url, keyed=False)
        for role in roles:
            if role == "committee_member":
                for code in sorted({code for member, code in seats if member == name}):
                    execute(grant_role, GrantRole(login=login, role=role, case=code), actor=admin, url=url,
                            keyed=False)
            else:
                execute(grant_role, GrantRole(login=login, role=role), actor=admin, url=url, keyed=False)
        execute(set_password, SetPassword(login=login, password=SecretStr(DEMO_PASSWORD), demo=True), actor=admin,
                url=url, keyed=False)
        made.append(login)
    return made
