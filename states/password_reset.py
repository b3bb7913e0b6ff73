"""A forgotten password of a portal account (issue 22's portal): a one-time link by e-mail sets a new one.

The rules, each in one place, reusing the machinery of registration (states/portal_accounts.py):

- **Asking** (``ask_password_reset``): whoever types a login or an e-mail address gets the same answer whether an
  account matches or not (no account enumeration); the door counts the request per client address and per what was
  typed (``note_reset_request``: ``portal_accounts.note_attempt``, the registration's limiter) before it runs. A
  link is sent only to a person who registered on the portal, whose e-mail address is confirmed, who is active and
  who holds none of the city's roles (``GLOBAL_ROLES``: officer, auditor, administrator, scheduler): the city's
  people are managed by an administrator (``coop people password``), and their accounts may open far more than an
  organisation's. At most ``LINKS_PER_ACCOUNT`` links per account within the window (silently: the answer is the
  same). The link (``portal_accounts.new_link``: its SHA-256 only in ``password_resets``) is valid for
  ``RESET_MINUTES``; a newer link voids the older ones; it reaches the person sealed through the notification
  outbox (``PasswordResetAsked``), like the registration's link.
- **Resetting** (``reset_password``): a live link and a new password of the one policy
  (``credentials.check_password_policy``) set the password (argon2, ``credentials.store_password``), spend the
  link, revoke every session of the person, and are recorded in the people chain as the person's own act (proof
  ``email``; event ``reset_password``, no secret in it); a notice that the password changed goes to the address
  (``PasswordChanged``). A second factor (TOTP) stays: the reset replaces the password only.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field, SecretStr

from models.password_reset_tables import PasswordReset, PasswordResetAttempt
from models.people_tables import Person, PersonGrant
from models.portal_tables import PortalAccount
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.events import publish
from states.inputs import Command
from states.people import GLOBAL_ROLES, _append, registration_principal, token_digest
from states.portal_accounts import BASIS_ACCOUNT, link_live, link_row, login_of_token, new_link, note_attempt
from states.text import tr

RESET_MINUTES = 60
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_CLIENT = 10  # an office's shared address: several people may forget
RESETS_PER_NAME = 3  # per login or e-mail address typed
LINKS_PER_ACCOUNT = 3  # links sent to one account within the window (beyond: nothing sent, the same answer)

ASKER = registration_principal()  # nobody is proven when a stranger asks: the named actor of the portal's strangers

Token = Annotated[str, Field(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class AskPasswordReset(Command):
    name: Annotated[str, Field(min_length=1, max_length=254)]  # a login or an e-mail address


class ResetPassword(Command):
    token: Token
    password: SecretStr


def invalid_link() -> RuleViolation:
    # one sentence for a token unknown, spent, voided or expired: nobody learns which
    return RuleViolation("reset_link_invalid", tr(
        "This password reset link is not valid: it was used already, a newer link replaced it, it expired ({minutes} "
        "minutes after it was sent) or it was copied incompletely. Ask for a new link; nothing was done.",
        minutes=RESET_MINUTES), basis=BASIS_ACCOUNT)


def _name_digest(name: str) -> str:
    return hashlib.sha256((name or "").strip().lower().encode()).hexdigest()


def note_reset_request(client: str, name: str, *, url: str | None = None, now: datetime | None = None) -> None:
    """Count a reset link asked from ``client`` for ``name``, or refuse it (``reset_rate_limited``): the count is of
    what was typed, whether an account matches or not, so the refusal tells nothing about accounts either."""
    note_attempt(PasswordResetAttempt.__table__, "name_digest", client, _name_digest(name),
                 per_client=RESETS_PER_CLIENT, per_key=RESETS_PER_NAME, window=RESET_WINDOW,
                 refusal=lambda: NotPermitted("reset_rate_limited", tr(
                     "Too many password reset requests from this address or for this account: asking is paused for "
                     "{minutes} minutes. Try again later; nothing was done.",
                     minutes=int(RESET_WINDOW.total_seconds() // 60)), basis=BASIS_ACCOUNT),
                 url=url, now=now)


def _eligible(session, name: str) -> tuple[Person, PortalAccount] | None:
    """The person and portal account ``name`` (a login, or an e-mail address) names, when a link may be sent."""
    from sqlmodel import select

    name = name.strip().lower()
    query = select(Person, PortalAccount).join(PortalAccount, PortalAccount.person_id == Person.id)
    query = query.where(PortalAccount.email == name) if "@" in name else query.where(Person.login == name)
    found = session.exec(query).first()
    if found is None:
        return None
    person, account = found
    if not person.active or account.email_confirmed_at is None:
        return None
    g = PersonGrant.__table__
    city_role = session.connection().execute(sa.select(g.c.id).where(
        g.c.person_id == person.id, g.c.role.in_(GLOBAL_ROLES), g.c.revoked_at.is_(None))).first()
    return None if city_role is not None else (person, account)


def ask_password_reset(ctx, command: AskPasswordReset) -> dict:
    """Send a reset link when an account may have one; the answer is the same either way. Run with
    ``keyed=False`` by the named actor ``ASKER``."""
    from states.credentials import seal
    from states.events import PasswordResetAsked

    found = _eligible(ctx.session, command.name)
    if found is None:
        return {"asked": True}
    person, account = found
    r = PasswordReset.__table__
    connection = ctx.session.connection()
    recent = connection.execute(sa.select(sa.func.count()).select_from(r).where(
        r.c.person_id == person.id, r.c.created_at > ctx.written_at - RESET_WINDOW)).scalar_one()
    if recent >= LINKS_PER_ACCOUNT:
        return {"asked": True}
    connection.execute(r.update().where(r.c.person_id == person.id, r.c.used_at.is_(None), r.c.voided_at.is_(None))
                       .values(voided_at=ctx.written_at))  # only the newest link works
    token, row = new_link(ctx, PasswordReset, person, timedelta(minutes=RESET_MINUTES))
    # the outbox keeps the token sealed with the desk's key: the dispatcher opens it to write the link
    publish(ctx, PasswordResetAsked(key=f"portal/password-reset/{row.id}", email=account.email,
                                    name=person.display_name, login=person.login, sealed_token=seal(token),
                                    expires_at=row.expires_at))
    return {"asked": True}


def reset_password(ctx, command: ResetPassword) -> dict:
    """A live link and a password of the policy: the new password set, the link spent, every session revoked, the
    change recorded and the person told by e-mail."""
    from sqlmodel import select

    from states.credentials import check_password_policy, revoke_sessions, store_password
    from states.events import PasswordChanged

    row = link_row(ctx.session, PasswordReset, command.token)
    if not link_live(row, ctx.written_at):
        raise invalid_link()
    person = ctx.session.get(Person, row.person_id)
    found = _eligible(ctx.session, person.login)
    if found is None:  # deactivated, or given a role of the city, since the link was sent
        raise invalid_link()
    if ctx.actor.person != person.login:
        raise NotPermitted("reset_own_only", tr("A password reset link sets only its own person's password; "
                                                "nothing was done."), basis=BASIS_ACCOUNT)
    password = command.password.get_secret_value()
    check_password_policy(password)
    store_password(ctx, person, password)
    row.used_at = ctx.written_at
    ctx.session.add(row)
    revoked = revoke_sessions(ctx, person)
    _append(ctx, "reset_password", f"person:{person.login}", {"login": person.login, "by": "email_link",
                                                               "sessions_revoked": revoked})
    account = ctx.session.exec(select(PortalAccount).where(PortalAccount.person_id == person.id)).first()
    publish(ctx, PasswordChanged(key=f"portal/password-changed/{row.id}", email=account.email,
                                 name=person.display_name, login=person.login, at=ctx.written_at))
    return {"login": person.login, "sessions_revoked": revoked}


def _command(token: str, password: str) -> ResetPassword:
    try:
        return ResetPassword(token=token, password=SecretStr(password))
    except ValueError:
        raise invalid_link() from None


def reset_link_live(token: str, *, url: str | None = None) -> bool:
    """Whether the link's form may be shown (a GET: reads only): a live link of a person who may reset."""
    from models.db import get_engine

    try:
        command = _command(token, "-")
    except RuleViolation:
        return False
    r = PasswordReset.__table__
    with get_engine(url).execution_options(coop_readonly=True).connect() as connection:
        row = connection.execute(sa.select(r).where(r.c.token_hash == token_digest(command.token))).first()
    return link_live(row, datetime.now(UTC))


def reset_password_by_link(token: str, password: str, *, url: str | None = None) -> dict:
    """The door's call (web/portal_password_reset.py): the link proves the person, so the record's actor is the
    person (proof ``email``); a malformed token is refused like an unknown one."""
    from states.engine import execute
    from states.people import person_principal

    command = _command(token, password)
    login = login_of_token(command.token, url=url, table=PasswordReset)
    if login is None:
        raise invalid_link()
    try:
        actor = person_principal(login, proof="email", url=url)
    except NotPermitted:  # deactivated meanwhile
        raise invalid_link() from None
    return execute(reset_password, command, actor=actor, url=url, keyed=False)


def reset_request(name: str) -> AskPasswordReset:
    """The request for ``name``, or a refusal of a malformed one: pure, so the door can check it before it answers."""
    try:
        return AskPasswordReset(name=(name or "").strip())
    except ValueError:
        raise InvalidInput("reset_name_missing", tr(
            "Type your login or the e-mail address of your account."), basis=BASIS_ACCOUNT) from None


def ask_by_name(name: str, *, url: str | None = None) -> dict:
    """The request's work, the same whatever ``name`` is: a link written and queued when an account matches."""
    from states.engine import execute

    return execute(ask_password_reset, reset_request(name), actor=ASKER, url=url, keyed=False)
