"""Commands and queries shared by every procedure: the registry of organisations, case look-up, codes."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, event, func
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from models.db import note_transaction_time
from models.rows import SEES_HELD_ROWS
from models.tables import AuditRecord, Case, Deadline, Organisation
from states import audit, calendar, clock
from states.engine import Context
from states.errors import InvalidInput, NotFound, RuleViolation
from states.inputs import RegisterOrganisation
from states.loaders import loaded
from states.text import Message, capitalized, tr

# --- reads of a case's rows ------------------------------------------------------------------------------------
# An officer's command reads what it needs plainly: the stored rows, and those its step added and the session
# has not written yet (``Session.new``), without flushing first. A flush would also write the case the step is
# moving, through the unit of work, at every read after its first change; the step's rows go out once, at
# commit (models/rows.py). Rows of a case never change the columns these reads select or order by (their case,
# number, id), so the stored rows come back as the session holds them and the new ones are appended, as a
# flush would number them. In a tick's batch the rows were loaded for every claimed case before the handlers
# ran (states/loaders.py: each procedure's ``load_batch``), and these reads answer from what was loaded; a
# read the loader did not foresee falls back to a query of its own.
T = TypeVar("T")


def case_rows(session: Session, kind: type[T], case_id: int, *, column: str = "case_id",
              order_by: tuple = ()) -> list[T]:
    """The rows of ``kind`` whose ``column`` is ``case_id``, in ``order_by`` (in a batch: as its loader loaded
    them, in the same order)."""
    facts = loaded(session)
    if facts is not None:
        rows = facts.rows(kind, case_id, column)
        if rows is not None:
            return rows
    shape = (kind, column, tuple(map(str, order_by)))  # by names: a column's == builds an expression
    query = _ROWS_OF_CASE.get(shape)
    if query is None:  # built once per kind, column and order: building a statement costs about as much as running it
        query = _ROWS_OF_CASE[shape] = (
            select(kind).where(getattr(kind, column) == bindparam("case_id")).order_by(*order_by))
    with session.no_autoflush:
        stored = list(session.exec(query, params={"case_id": case_id}))
    return stored + [row for row in session.new if type(row) is kind and getattr(row, column) == case_id]


# Statements, not rows: the same for every session, never a cache of what a transaction read.
_ROWS_OF_CASE: dict[tuple, object] = {}


def one_case_row(session: Session, kind: type[T], case_id: int) -> T:
    """The one row of ``kind`` a case has (its application, its offer): ``case_rows`` held to exactly one."""
    rows = case_rows(session, kind, case_id)
    if len(rows) != 1:
        raise (NoResultFound if not rows else MultipleResultsFound)(
            f"{kind.__name__}: {len(rows)} rows for case {case_id}, exactly one expected")
    return rows[0]


def row_by_id(session: Session, kind: type[T], row_id: int | None) -> T | None:
    """A row by its primary key (a case's parent): loaded by the batch, or ``session.get`` without the autoflush
    a miss would cause (a row found by its primary key cannot be among the pending changes: one already in the
    session is returned as it is; a new one has no id until flushed)."""
    if row_id is None:
        return None
    facts = loaded(session)
    if facts is not None and kind is Case and row_id in facts.cases:
        return facts.cases[row_id]
    with session.no_autoflush:
        return session.get(kind, row_id)


def first_record(session: Session, case: Case, event: str) -> AuditRecord | None:
    """The case's first audit record of ``event``, without flushing the transaction's pending rows first: one
    appended in this transaction (``note_appended``) is found among those, an older one in the database (in a
    tick's batch: as its loader loaded it)."""
    appended = [r for r in session.info.get(_APPENDED, {}).get(case.id, ()) if r.event == event]
    facts = loaded(session)
    found, stored = facts.first_record(case.id, event) if facts is not None else (False, None)
    if not found:
        with session.no_autoflush:
            stored = session.exec(_FIRST_RECORD, params={"case_id": case.id, "event": event}).first()
    return min((r for r in (*appended, stored) if r is not None), key=lambda r: r.seq, default=None)


def note_appended(session: Session, record: AuditRecord) -> None:
    """Remember a record appended in this transaction (``states.engine.append_audit`` calls this), pending or
    flushed since: ``first_record`` finds it without a flush or a scan of the session's pending rows."""
    session.info.setdefault(_APPENDED, {}).setdefault(record.case_id, []).append(record)


@event.listens_for(OrmSession, "after_soft_rollback")
def _on_rollback(session: OrmSession, _previous) -> None:
    session.info.pop(_APPENDED, None)  # what survived (flushed before a savepoint) is read from the database


# Built once: building it cost as much as running it.
_FIRST_RECORD = (select(AuditRecord).where(AuditRecord.case_id == bindparam("case_id"),
                                           AuditRecord.event == bindparam("event")).order_by(AuditRecord.seq)
                 .execution_options(**{SEES_HELD_ROWS: True}))  # this transaction's own: _APPENDED
_APPENDED = "coop_appended_records"


# Built once: building a statement costs about as much as running it on SQLite.
_CASE_BY_CODE = select(Case).where(Case.code == bindparam("code"))
# On PostgreSQL the transaction's start by the database's clock comes with the case (``CURRENT_TIMESTAMP``: the
# time every record of the step is written at, models/db.py ``database_time``), instead of a round trip of its own.
_CASE_BY_CODE_AND_TIME = select(Case, func.current_timestamp()).where(Case.code == bindparam("code"))


def load_case(session: Session, code: str, kind: str | None = None) -> Case:
    if session.get_bind().dialect.name == "postgresql":
        found = session.exec(_CASE_BY_CODE_AND_TIME, params={"code": code}).first()
        case = found[0] if found is not None else None
        if found is not None:
            note_transaction_time(session, found[1])
    else:
        case = session.exec(_CASE_BY_CODE, params={"code": code}).first()
    if case is None or (kind is not None and case.kind != kind):
        raise NotFound("unknown_case", tr("No case {code}", code=code))
    return case


def organisation(session: Session, organisation_id: int | None) -> Organisation | None:
    """An organisation by id: loaded by the batch, or read by its primary key."""
    if organisation_id is None:
        return None
    facts = loaded(session)
    if facts is not None and organisation_id in facts.organisations:
        return facts.organisations[organisation_id]
    return row_by_id(session, Organisation, organisation_id)


def organisations(session: Session, ids: set[int | None]) -> dict[int, Organisation]:
    """Organisations by id, in one query (a ranking's, a notice's applicants); in a tick's batch, as loaded."""
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    facts = loaded(session)
    if facts is not None and all(i in facts.organisations for i in wanted):
        return {i: facts.organisations[i] for i in wanted if facts.organisations[i] is not None}
    with session.no_autoflush:  # found by primary key: a pending row has none yet
        return {o.id: o for o in session.exec(_ORGANISATIONS, params={"ids": wanted})}


_ORGANISATIONS = select(Organisation).where(Organisation.id.in_(bindparam("ids", expanding=True)))


def received_moment(ctx: Context, received_at: datetime | None) -> datetime:
    """When a filing arrived: given, or now; never later than now (a receipt cannot be recorded in advance), and
    on a real database within the bounds of states/clock.py (a past receipt with a reason, KPA art. 57 § 5)."""
    if received_at is None:
        return ctx.now
    return claimed_before(ctx, received_at.astimezone(ctx.now.tzinfo), clock.RECEIPT)


def claimed_before(ctx: Context, moment: datetime, what: Message, rule: str = "received_in_future") -> datetime:
    """A moment a command states for something that happened before the step: never later than the step, and
    on a real database bounded like the step's own moment (states/clock.py)."""
    if moment > ctx.now:
        raise InvalidInput(rule, tr("{what} {moment} is later than the step's moment ({now})", what=capitalized(what),
                                    moment=moment, now=ctx.now))
    clock.check_claimed(ctx, moment, what)
    return moment


def next_code(session: Session, prefix: str, ctx: Context) -> str:
    year = calendar.local_date(ctx.now).year
    stem = f"{prefix}/{year}/"
    codes = session.exec(select(Case.code).where(Case.code.startswith(stem)))
    highest = max((int(code.rsplit("/", 1)[1]) for code in codes), default=0)
    return f"{stem}{highest + 1:03d}"


def organisation_by_krs(session: Session, krs: str) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.krs == krs)).first()
    if org is None:
        raise NotFound(
            "unknown_organisation",
            tr("No organisation with KRS {krs} in the registry", krs=krs),
        )
    return org


def register_organisation(ctx: Context, cmd: RegisterOrganisation) -> dict:
    if cmd.krs and ctx.session.exec(select(Organisation).where(Organisation.krs == cmd.krs)).first():
        raise RuleViolation(
            "duplicate_krs",
            tr("KRS {krs} is already registered", krs=cmd.krs),
        )
    org = Organisation(**cmd.model_dump(), created_at=ctx.now)
    ctx.session.add(org)
    ctx.session.flush()
    return {"id": org.id, "name": org.name, "krs": org.krs}


def list_organisations(ctx: Context) -> list[dict]:
    rows = ctx.session.exec(select(Organisation).order_by(Organisation.name))
    return [{"krs": o.krs, "name": o.name, "legal_form": o.legal_form, "email": o.email,
             "contact_person": o.contact_person, "address": o.address} for o in rows]


def list_cases(ctx: Context) -> list[dict]:
    rows = ctx.session.exec(select(Case).order_by(Case.code))
    return [{"code": c.code, "kind": c.kind, "title": c.title, "state": c.state, "budget": c.budget} for c in rows]


def history_rows(session: Session, case: Case) -> list[dict]:
    rows = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq))
    return [audit.history_row(seq=r.seq, at=r.at, actor=r.actor, role=r.role, event=r.event, subject=r.subject,
                              from_state=r.from_state, to_state=r.to_state, basis=r.basis, payload=r.payload,
                              digest=r.hash) for r in rows]


def case_history(ctx: Context, code: str) -> list[dict]:
    return history_rows(ctx.session, load_case(ctx.session, code))


def pending_deadlines(session: Session, case: Case) -> list[dict]:
    rows = session.exec(select(Deadline).where(Deadline.case_id == case.id, Deadline.fired_at.is_(None))
                        .order_by(Deadline.due_at))
    return [{"kind": d.kind, "due_at": d.due_at, "basis": d.basis, "offer_id": d.offer_id} for d in rows]
