"""People, grants and personal tokens (invariant 9): who acts is proven, not claimed.

An administrator adds a person, grants them roles (globally, for one case, or for one organisation) and issues
them a personal token. The token is printed once, when it is issued, and kept here only as its SHA-256
(invariant 12); it expires and can be revoked. A command on a real database runs only for an actor made by
``authenticate`` from a valid token (states/engine.py refuses any other), so every record names the person
who proved who they are. On a simulation database a typed name still counts (states/clock.py: the demo, the
tests, a what-if).

Every change of the registry is a record of the people chain (``people_log``), hash-chained with the audit
log's own hash (states/audit.py), its head kept in ``engine_settings`` under ``people_chain``; ``coop audit
verify`` verifies it with the cases' chains.

The first administrator of a fresh database is made by ``bootstrap_administrator`` (``coop people
bootstrap``), allowed only while no administrator is granted: whoever runs it first holds the database's
credentials, which already let them write any row.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import sqlalchemy as sa
from pydantic import Field

from models.people_tables import AccessToken, PeopleRecord, Person, PersonGrant
from models.settings import EngineSetting
from models.tables import Case, Organisation
from states import audit
from states.actors import ROLE_ORDER, Actor, Grant, _proven
from states.errors import InvalidInput, NotFound, NotPermitted, RuleViolation
from states.inputs import CaseCode, Command, Krs, ShortText
from states.text import tr

# --- roles and where they hold -----------------------------------------------------------------------------------

GLOBAL_ROLES = ("officer", "auditor", "administrator", "scheduler")
CASE_ROLES = ("committee_member",)  # art. 15 ust. 2a: a member is appointed to one call's committee
ORGANISATION_ROLES = ("applicant",)  # a representative acts for the organisation they represent
GRANTABLE = GLOBAL_ROLES + CASE_ROLES + ORGANISATION_ROLES

PEOPLE_CHAIN = "people"  # the chain's name in its hash (a case's chain hashes the case's code there)
HEAD_KEY = "people_chain"  # engine_settings: "<seq>:<hash>" of the chain's last record
BASIS = "art. 15 ust. 2a-2f; RODO art. 32"  # who acts for the city is decided and recorded; access is controlled

TOKEN_PREFIX = "coop_"
TOKEN_ENV = "COOP_TOKEN"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366
VERIFIED_FOR = 60.0  # seconds a verified token is trusted within one process before it is read again

LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
Login = Annotated[str, Field(pattern=LOGIN_PATTERN)]
Role = Literal["officer", "auditor", "administrator", "scheduler", "committee_member", "applicant"]


class AddPerson(Command):
    login: Login
    display_name: ShortText


class PersonRef(Command):
    login: Login


class GrantRole(Command):
    login: Login
    role: Role
    case: CaseCode | None = None
    organisation: Krs | None = None


class IssueToken(Command):
    login: Login
    days: Annotated[int, Field(ge=1, le=MAX_TOKEN_DAYS)] = DEFAULT_TOKEN_DAYS


class TokenRef(Command):
    public_id: Annotated[str, Field(pattern=r"^[0-9a-f]{8}$")]


# --- tokens ---------------------------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    """What the database keeps of a token: a token has 256 random bits, so a plain SHA-256 is enough (no salt or
    slow hash needed: nobody can guess it, and a table of hashes gives nothing to try)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    public_id = secrets.token_hex(4)
    return public_id, f"{TOKEN_PREFIX}{public_id}_{secrets.token_urlsafe(32)}"


# (url, digest) -> (when verified, the person's rows): a CLI command verifies its token once.
_VERIFIED: dict[tuple[str, str], tuple[float, tuple]] = {}
_AUTH_QUERY = None


def _auth_query():
    global _AUTH_QUERY
    if _AUTH_QUERY is None:
        t, p, g, c = (AccessToken.__table__, Person.__table__, PersonGrant.__table__, Case.__table__)
        _AUTH_QUERY = (
            sa.select(p.c.login, p.c.display_name, p.c.active, t.c.expires_at, t.c.revoked_at, g.c.role, c.c.code,
                      g.c.organisation_id)
            .select_from(t.join(p, p.c.id == t.c.person_id)
                         .outerjoin(g, sa.and_(g.c.person_id == p.c.id, g.c.revoked_at.is_(None)))
                         .outerjoin(c, c.c.id == g.c.case_id))
            .where(t.c.token_hash == sa.bindparam("digest")))
    return _AUTH_QUERY


def _refused(rule: str, text) -> NotPermitted:
    return NotPermitted(rule, text, basis="DESIGN inv. 9")


def authenticate(token: str, *, url: str | None = None, role: str | None = None) -> Actor:
    """The person a token proves, acting in ``role`` (one they hold; none named: the first of theirs in ROLE_ORDER
    that each command admits, states/authorization.py).

    One indexed read (the token's hash, its person and their grants in one statement), at most once a minute
    per process. Refused: an unknown, revoked or expired token, an inactive person, a role not held."""
    from models.db import get_engine

    token = (token or "").strip()
    if not token.startswith(TOKEN_PREFIX):
        raise _refused("token_malformed", tr("This is not a personal token of the engine (it starts with "
                                             "{prefix}); ask an administrator for one (coop token issue)."
                                             , prefix=TOKEN_PREFIX))
    engine = get_engine(url)
    key = (engine.url.render_as_string(hide_password=True), token_digest(token))
    held = _VERIFIED.get(key)
    if held is None or time.monotonic() - held[0] > VERIFIED_FOR:
        with engine.execution_options(coop_readonly=True).connect() as connection:  # SQLite: BEGIN, not IMMEDIATE
            rows = tuple(tuple(r) for r in connection.execute(_auth_query(), {"digest": key[1]}))
        held = _VERIFIED[key] = (time.monotonic(), rows)
    rows = held[1]
    if not rows:
        raise _refused("token_unknown", tr("The personal token is not known to this database (a mistyped or "
                                           "deleted token, or another database); nothing was done."))
    login, name, active, expires_at, revoked_at = rows[0][:5]
    if revoked_at is not None:
        raise _refused("token_revoked", tr("The personal token was revoked; ask an administrator for a new one. "
                                           "Nothing was done."))
    if _aware(expires_at) <= datetime.now(UTC):
        raise _refused("token_expired", tr("The personal token expired on {at}; ask an administrator for a new "
                                           "one. Nothing was done.", at=_aware(expires_at)))
    if not active:
        raise _refused("person_inactive", tr("The person {login} is no longer active; nothing was done.", login=login))
    grants = tuple(sorted({Grant(r[5], r[6], r[7]) for r in rows if r[5] is not None},
                          key=lambda g: (g.role, g.case or "", g.organisation or 0)))
    return _proven(name, _role_of(login, grants, role), person=login, proof="token", grants=grants,
                   role_given=bool(role))


def person_principal(login: str, *, proof: str, role: str | None = None, url: str | None = None) -> Actor:
    """The person ``login`` as a proven actor, for a door that verified a proof of them other than a token (a
    form answer signed by the engine for this person: flows/, the officer's web desk). The caller states what it
    verified (``proof``, e.g. ``form``); only such a door calls this. One read: the person and their grants."""
    from models.db import get_engine

    if proof in ("", "token"):
        raise ValueError("a token is verified by authenticate(); name the proof this door verified")
    p, g, c = Person.__table__, PersonGrant.__table__, Case.__table__
    query = (sa.select(p.c.login, p.c.display_name, p.c.active, g.c.role, c.c.code, g.c.organisation_id)
             .select_from(p.outerjoin(g, sa.and_(g.c.person_id == p.c.id, g.c.revoked_at.is_(None)))
                          .outerjoin(c, c.c.id == g.c.case_id))
             .where(p.c.login == login))
    with get_engine(url).execution_options(coop_readonly=True).connect() as connection:
        rows = connection.execute(query).all()
    if not rows:
        raise _refused("person_unknown", tr("No person with the login {login}; nothing was done.", login=login))
    if not rows[0][2]:
        raise _refused("person_inactive", tr("The person {login} is no longer active; nothing was done.", login=login))
    grants = tuple(sorted({Grant(r[3], r[4], r[5]) for r in rows if r[3] is not None},
                          key=lambda g: (g.role, g.case or "", g.organisation or 0)))
    return _proven(rows[0][1], _role_of(login, grants, role), person=login, proof=proof, grants=grants,
                   role_given=bool(role))


def _role_of(login: str, grants: tuple[Grant, ...], role: str | None) -> str:
    roles = {g.role for g in grants} | {"public"}
    if role:
        if role not in roles:
            raise _refused("role_not_granted", tr("{login} does not hold the role {role} (held: {roles}); an "
                                                  "administrator grants roles (coop people grant).", login=login,
                                                  role=role, roles=", ".join(sorted(roles))))
        return role
    return next(r for r in ROLE_ORDER if r in roles)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def forget_verified() -> None:
    """Forget the tokens verified in this process (a test that revokes one and tries it again)."""
    _VERIFIED.clear()


def bootstrap_principal() -> Actor:
    """Who makes the first administrator: the operating-system account running ``coop people bootstrap`` with
    the database's credentials. The handler allows it only while no administrator is granted."""
    import getpass

    try:
        account = getpass.getuser()
    except Exception:  # no account name (a container without one)
        account = "?"
    return _proven(f"bootstrap ({account})", "administrator", person=None, proof="bootstrap")


def registration_principal() -> Actor:
    """Who acts when a stranger registers on the portal (states/portal_accounts.py): nobody is proven yet, so the
    records name this system actor, role ``public``, proof ``registration``; the person's own later acts (following
    their e-mail link, logging in) are theirs."""
    return _proven("portal (self-registration)", "public", person=None, proof="registration")


def public_comment_principal() -> Actor:
    """Who acts when a stranger sends a comment from the portal's public pages (states/public_comments.py): nobody is
    proven yet, so the held comment is written by this system actor (role ``public``, proof ``comment-request``);
    the comment itself is filed only by ``email_principal`` once its link is confirmed."""
    return _proven("portal (public comment)", "public", person=None, proof="comment-request")


def email_principal(email: str) -> Actor:
    """Someone who proved they receive mail at ``email`` by opening its one-time link (states/public_comments.py, which
    verifies the link's token before and inside the command): no person of the registry, role ``public``, proof
    ``email``, the address its name, so the history names the address that proved the comment, never a typed name."""
    return _proven(email, "public", person=None, proof="email")


# --- the people chain -----------------------------------------------------------------------------------------


def _append(ctx, event: str, subject: str, payload: dict, *, to_state: str | None = None) -> PeopleRecord:
    settings = EngineSetting.__table__
    connection = ctx.session.connection()
    head = connection.execute(sa.select(settings.c.value).where(settings.c.key == HEAD_KEY)).scalar()
    seq, prev = (0, audit.GENESIS) if head is None else (int(head.split(":")[0]), head.split(":")[1])
    fields = {"seq": seq + 1, "at": ctx.now, "recorded_at": ctx.written_at, "actor": ctx.actor.name,
              "role": ctx.actor.role, "event": event, "subject": subject, "from_state": None, "to_state": to_state,
              "basis": BASIS, "payload": audit.json_ready(payload)}
    digest = audit.chain_hash(prev, {**fields, "case_code": PEOPLE_CHAIN})
    record = PeopleRecord(**fields, prev_hash=prev, hash=digest)
    ctx.session.add(record)
    value = f"{seq + 1}:{digest}"
    if head is None:
        connection.execute(settings.insert().values(key=HEAD_KEY, value=value, changed_at=ctx.written_at))
    else:  # the previous head in the WHERE: two registry changes at once cannot both write the next record
        done = connection.execute(settings.update().where(settings.c.key == HEAD_KEY, settings.c.value == head)
                                  .values(value=value, changed_at=ctx.written_at))
        if done.rowcount != 1:
            from states.errors import ConcurrentChange

            raise ConcurrentChange("concurrent_change", tr("The case changed meanwhile: check it and retry."))
    return record


def verify_people_chain(session) -> tuple[int, audit.Break | None]:
    """How many records the people chain holds, and its first break (None when it verifies)."""
    from sqlmodel import select

    settings = EngineSetting.__table__
    if not sa.inspect(session.connection()).has_table(PeopleRecord.__tablename__):
        return 0, None  # a database older than the people registry (an auditor reading it before an upgrade)
    head = session.connection().execute(sa.select(settings.c.value).where(settings.c.key == HEAD_KEY)).scalar()
    records = [r.model_dump() for r in session.exec(select(PeopleRecord).order_by(PeopleRecord.seq, PeopleRecord.id))]
    length, last = (0, None) if head is None else (int(head.split(":")[0]), head.split(":")[1])
    return len(records), audit.verify_chain(PEOPLE_CHAIN, records, head=last, length=length)


def export_people_chain(ctx) -> dict:
    """The people chain as ``coop audit export`` gives a case's (format ``coop-audit-export/1``): one chain, its
    code ``people``, for tools/verify_chain.py (with ``--anchors``: against the people heads the anchors signed)."""
    from sqlmodel import select

    from states.auditing.history import EXPORT_FORMAT, exported_record

    settings = EngineSetting.__table__
    head = ctx.session.connection().execute(sa.select(settings.c.value).where(settings.c.key == HEAD_KEY)).scalar()
    length, last = (0, None) if head is None else (int(head.split(":")[0]), head.split(":")[1])
    records = ctx.session.exec(select(PeopleRecord).order_by(PeopleRecord.seq, PeopleRecord.id))
    return {"format": EXPORT_FORMAT, "algorithm": "sha256(prev_hash + '\\n' + canonical JSON of the hashed fields); "
            "see docs/audit.md", "hashed_fields": list(audit.HASHED_FIELDS), "genesis": audit.GENESIS,
            "exported_at": audit.jsonable(ctx.now), "clock": "simulation" if ctx.simulation else "real",
            "case": PEOPLE_CHAIN,
            "chains": [{"case_code": PEOPLE_CHAIN, "kind": PEOPLE_CHAIN, "parent": None, "rule_set": None,
                        "length": length, "head": last, "records": [exported_record(r) for r in records]}]}


# --- the administrator's commands -----------------------------------------------------------------------------


def _person(session, login: str) -> Person:
    from sqlmodel import select

    person = session.exec(select(Person).where(Person.login == login)).first()
    if person is None:
        raise NotFound("person_not_found", tr("No person with the login {login}.", login=login))
    return person


def _add(ctx, command: AddPerson) -> Person:
    from sqlmodel import select

    taken = ctx.session.exec(select(Person).where(sa.or_(Person.login == command.login,
                                                         Person.display_name == command.display_name))).first()
    if taken is not None:
        raise RuleViolation("person_exists", tr("A person with the login {login} or the name {name} is already "
                                                "registered; a record names a person by their name, so both are "
                                                "unique.", login=command.login, name=command.display_name))
    person = Person(login=command.login, display_name=command.display_name, created_at=ctx.written_at)
    ctx.session.add(person)
    ctx.session.flush()
    _append(ctx, "add_person", f"person:{command.login}", {"login": command.login, "name": command.display_name},
            to_state="active")
    return person


def add_person(ctx, command: AddPerson) -> dict:
    person = _add(ctx, command)
    return {"login": person.login, "name": person.display_name}


def deactivate_person(ctx, command: PersonRef) -> dict:
    """A person who left: their tokens stop at once (``person_inactive``), their grants stay in the record."""
    person = _person(ctx.session, command.login)
    if person.active:
        g = PersonGrant.__table__
        admin = ctx.session.connection().execute(sa.select(sa.func.count()).select_from(g).where(
            g.c.person_id == person.id, g.c.role == "administrator", g.c.revoked_at.is_(None))).scalar_one()
        if admin and _administrators(ctx.session) == 1:
            raise RuleViolation("last_administrator", tr("The last administrator cannot be revoked: nobody could "
                                                         "add people or issue tokens any more. Grant the role to "
                                                         "another person first."))
        person.active = False
        ctx.session.add(person)
        _append(ctx, "deactivate_person", f"person:{person.login}", {"login": person.login}, to_state="inactive")
    return {"login": person.login, "active": False}


def _administrators(session) -> int:
    g = PersonGrant.__table__
    return session.connection().execute(sa.select(sa.func.count()).select_from(g).where(
        g.c.role == "administrator", g.c.revoked_at.is_(None))).scalar_one()


def bootstrap_administrator(ctx, command: AddPerson) -> dict:
    """The first administrator: only while nobody holds the role (then an administrator adds people)."""
    if _administrators(ctx.session):
        raise NotPermitted("administrator_exists", tr("An administrator is already granted; the bootstrap makes "
                                                      "only the first one. An administrator adds people (coop "
                                                      "people add, coop people grant)."), basis="DESIGN inv. 9")
    person = _add(ctx, command)
    _grant(ctx, person, "administrator", None, None)
    return {"login": person.login, "name": person.display_name, "role": "administrator"}


def _scope(ctx, command: GrantRole) -> tuple[Case | None, Organisation | None]:
    from states.cases import load_case, organisation_by_krs

    if command.role in CASE_ROLES and command.case is None:
        raise InvalidInput("grant_needs_case", tr("The role {role} is granted for one case (--case): a member of "
                                                  "one call's committee does not score another's.",
                                                  role=command.role), basis="art. 15 ust. 2a")
    if command.role in ORGANISATION_ROLES and command.organisation is None:
        raise InvalidInput("grant_needs_organisation", tr("The role {role} is granted for one organisation "
                                                          "(--organisation KRS): a representative acts only for "
                                                          "their own.", role=command.role))
    if command.role in GLOBAL_ROLES and (command.case or command.organisation):
        raise InvalidInput("grant_is_global", tr("The role {role} holds everywhere; it takes no --case or "
                                                 "--organisation.", role=command.role))
    case = load_case(ctx.session, command.case) if command.case else None
    organisation = organisation_by_krs(ctx.session, command.organisation) if command.organisation else None
    return case, organisation


def _grant(ctx, person: Person, role: str, case: Case | None, organisation: Organisation | None,
           **why: str) -> PersonGrant:
    grant = PersonGrant(person_id=person.id, role=role, case_id=case.id if case else None,
                        organisation_id=organisation.id if organisation else None, granted_by=ctx.actor.name,
                        granted_at=ctx.written_at)
    ctx.session.add(grant)
    _append(ctx, "grant", f"person:{person.login}", {"role": role, "case": case.code if case else None,
                                                     "organisation": organisation.krs if organisation else None,
                                                     **why},
            to_state=role)
    return grant


def _held(ctx, person: Person, role: str, case: Case | None, organisation: Organisation | None):
    from sqlmodel import select

    return ctx.session.exec(select(PersonGrant).where(
        PersonGrant.person_id == person.id, PersonGrant.role == role, PersonGrant.revoked_at.is_(None),
        (PersonGrant.case_id == case.id) if case else PersonGrant.case_id.is_(None),
        (PersonGrant.organisation_id == organisation.id) if organisation else PersonGrant.organisation_id.is_(None),
    )).first()


def grant_role(ctx, command: GrantRole) -> dict:
    person = _person(ctx.session, command.login)
    case, organisation = _scope(ctx, command)
    if _held(ctx, person, command.role, case, organisation) is not None:
        raise RuleViolation("grant_held", tr("{login} already holds this grant.", login=command.login))
    _grant(ctx, person, command.role, case, organisation)
    return {"login": person.login, "role": command.role, "case": command.case, "organisation": command.organisation}


def revoke_grant(ctx, command: GrantRole) -> dict:
    person = _person(ctx.session, command.login)
    case, organisation = _scope(ctx, command)
    grant = _held(ctx, person, command.role, case, organisation)
    if grant is None:
        raise NotFound("grant_not_found", tr("{login} holds no such grant.", login=command.login))
    if command.role == "administrator" and _administrators(ctx.session) == 1:
        raise RuleViolation("last_administrator", tr("The last administrator cannot be revoked: nobody could add "
                                                     "people or issue tokens any more. Grant the role to another "
                                                     "person first."))
    grant.revoked_at, grant.revoked_by = ctx.written_at, ctx.actor.name
    ctx.session.add(grant)
    _append(ctx, "revoke", f"person:{person.login}", {"role": command.role, "case": command.case,
                                                      "organisation": command.organisation}, to_state=None)
    return {"login": person.login, "role": command.role, "case": command.case, "organisation": command.organisation,
            "revoked": True}


# --- a committee appointment names a person (art. 15 ust. 2a) ---------------------------------------------------


def looks_like_login(name: str) -> bool:
    import re

    return re.fullmatch(LOGIN_PATTERN, name) is not None


def appointee(ctx, name: str) -> Person | None:
    """The person a committee appointment names by their login, or None for a typed name.

    The rule: a name that is the login of a person of the registry appoints that person (any database); a name
    that is none is accepted only on a simulation database (the demo, the tests, a what-if: as before the
    registry). On a real database it is refused: a seat held by a typed name could be proven by nobody
    (invariant 9)."""
    from sqlmodel import select

    person = (ctx.session.exec(select(Person).where(Person.login == name)).first()
              if looks_like_login(name) else None)
    if person is None:
        if ctx.simulation:
            return None
        raise RuleViolation("appointee_not_a_person", tr(
            "A real database: a committee member is appointed by the login of a person of the registry, and “{name}” "
            "is none (an administrator adds them: coop people add). The appointment grants that person the seat "
            "she then proves with her token or a form proof; a typed name counts only on a simulation database. "
            "Nothing was done.", name=name), basis="art. 15 ust. 2a; DESIGN inv. 9")
    if not person.active:
        raise RuleViolation("person_inactive", tr("The person {login} is no longer active; nothing was done.",
                                                  login=person.login))
    return person


def grant_seat(ctx, person: Person, case: Case) -> None:
    """The appointment's grant: ``committee_member`` for this call, recorded in the people chain in the
    appointment's own transaction (invariant 1). A grant held already (given by hand before) is kept as it is."""
    if _held(ctx, person, "committee_member", case, None) is None:
        _grant(ctx, person, "committee_member", case, None, appointment="appoint_member")
    forget_verified()  # this process reads the person's grants again (the new seat) at their next command


def person_name(session, member: str) -> str:
    """The registry's name of a person named by their login, else ``member`` as given (a name typed on a simulation):
    the name a committee seat is held under (a proof or an officer names a member appointed by login), and who
    filed a form through the portal as its receipt shows her (the row keeps the login, ``filed_by``)."""
    if not looks_like_login(member):
        return member
    p = Person.__table__
    name = session.connection().execute(sa.select(p.c.display_name).where(p.c.login == member)).scalar()
    return name if name is not None else member


def issue_token(ctx, command: IssueToken) -> dict:
    """A new personal token. Its text is in the answer only: run with ``keyed=False`` (the command log keeps
    answers) and printed once by the CLI; the database keeps its SHA-256."""
    person = _person(ctx.session, command.login)
    if not person.active:
        raise RuleViolation("person_inactive", tr("The person {login} is no longer active; nothing was done.",
                                                  login=person.login))
    public_id, token = _new_token()
    expires_at = ctx.written_at + timedelta(days=command.days)
    ctx.session.add(AccessToken(public_id=public_id, person_id=person.id, token_hash=token_digest(token),
                                issued_by=ctx.actor.name, issued_at=ctx.written_at, expires_at=expires_at))
    _append(ctx, "issue_token", f"person:{person.login}", {"token": public_id, "expires_at": expires_at})
    return {"login": person.login, "token_id": public_id, "expires_at": expires_at, "token": token}


def revoke_token(ctx, command: TokenRef) -> dict:
    from sqlmodel import select

    row = ctx.session.exec(select(AccessToken).where(AccessToken.public_id == command.public_id)).first()
    if row is None:
        raise NotFound("token_not_found", tr("No token {token_id}.", token_id=command.public_id))
    if row.revoked_at is None:
        row.revoked_at = ctx.written_at
        ctx.session.add(row)
        login = ctx.session.get(Person, row.person_id).login
        _append(ctx, "revoke_token", f"person:{login}", {"token": command.public_id})
    return {"token_id": command.public_id, "revoked": True}


def list_people(ctx) -> list[dict]:
    """Every person, their active grants and their tokens (by public id; never a token's text or hash)."""
    from sqlmodel import select

    people = ctx.session.exec(select(Person).order_by(Person.login)).all()
    grants = ctx.session.exec(select(PersonGrant).where(PersonGrant.revoked_at.is_(None))).all()
    cases = dict(ctx.session.connection().execute(sa.select(Case.__table__.c.id, Case.__table__.c.code)).all())
    orgs = dict(ctx.session.connection().execute(sa.select(Organisation.__table__.c.id,
                                                           Organisation.__table__.c.krs)).all())
    tokens = ctx.session.exec(select(AccessToken)).all()
    now = ctx.written_at
    out = []
    for person in people:
        held = [g.role + (f"@{cases[g.case_id]}" if g.case_id else "") + (f"@{orgs[g.organisation_id]}"
                                                                           if g.organisation_id else "")
                for g in grants if g.person_id == person.id]
        live = [t.public_id for t in tokens if t.person_id == person.id and t.revoked_at is None
                and _aware(t.expires_at) > now]
        out.append({"login": person.login, "name": person.display_name, "active": person.active,
                    "roles": ", ".join(sorted(held)), "tokens": ", ".join(sorted(live))})
    return out




def token_from_environment() -> str | None:
    """The person's token: ``COOP_TOKEN``, else the file ``coop login`` wrote (models.db.user_data_path())."""
    value = os.environ.get(TOKEN_ENV, "").strip()
    if value:
        return value
    path = token_path()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if os.name == "posix" and mode & 0o077:
        raise _refused("token_file_open", tr("The token file {path} may be read by other accounts; it must be "
                                             "readable by its owner only (chmod 600 {path}, or coop login "
                                             "again).", path=str(path)))
    return path.read_text(encoding="utf-8").strip() or None


def save_token(token: str) -> str:
    """Keep the person's token for the next commands: a file readable by its owner only (0600), created so
    (never world-readable even for a moment). Returns where."""
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".token.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return str(path)


def principal(name: str | None = None, role: str | None = None, *, url: str | None = None) -> Actor:
    """The CLI's authenticated person (or, on a simulation database, a claimed name).

    A real database: the person of the personal token (``COOP_TOKEN``, else the file of ``coop login``), in
    ``role`` when they hold it; ``--actor``/``COOP_ACTOR`` naming anybody else is refused, and no token is
    refused. A simulation database: the token's person when a token is there and no name is claimed, else the
    claimed name and role as before (the demo, the tests, a what-if)."""
    from models.db import get_engine
    from models.settings import SIMULATION, clock_mode

    claimed = (name or os.environ.get("COOP_ACTOR") or "").strip()
    role = (role or os.environ.get("COOP_ROLE") or "").strip() or None
    engine = get_engine(url)
    if clock_mode(engine) == SIMULATION:
        token = None if claimed else token_from_environment()
        if token:
            try:
                return authenticate(token, url=url, role=role)
            except NotPermitted as error:  # a token kept for another database: a simulation may go on unproven
                if error.rule != "token_unknown" or os.environ.get(TOKEN_ENV, "").strip():
                    raise
        return Actor.from_environment(name, role)
    token = token_from_environment()
    if not token:
        raise _refused("token_required", tr("A real database: every command runs for a person proven by their "
                                            "personal token (coop login, or COOP_TOKEN); a name given with "
                                            "--actor or COOP_ACTOR counts only on a simulation database. Nothing "
                                            "was done."))
    actor = authenticate(token, url=url, role=role)
    if claimed and claimed not in (actor.name, actor.person):
        raise _refused("actor_claimed", tr("A real database: the command runs for the person of the token "
                                           "({name}); --actor/COOP_ACTOR “{claimed}” counts only on a simulation "
                                           "database. Nothing was done.", name=actor.name, claimed=claimed))
    return actor


def token_path():
    from models.db import user_data_path

    return user_data_path() / "token"
