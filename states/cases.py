"""Commands and queries shared by every procedure: the registry of organisations, case look-up, codes."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, event
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from models.rows import SEES_HELD_ROWS
from models.tables import AuditRecord, Case, Deadline, Offer, Organisation
from states import audit, calendar, clock, labels
from states.engine import ANYONE, Context, permitted
from states.errors import InvalidInput, NotFound, RuleViolation
from states.inputs import RegisterOrganisation
from states.text import Message, capitalized, ntr, tr

# --- what one transaction reads many times --------------------------------------------------------------------
# A step reads the same rows again and again (its call's offers and members, the organisations behind them):
# each read is a query and, with pending rows, an autoflush. ``memo(session, Kind)`` keeps them for the
# session (one transaction). Rows are identity-mapped, so a kept row is the very object a new query would
# return; only a row of that kind added or deleted, or a rollback, could make an answer differ, and each of
# those forgets the kind (or everything).
T = TypeVar("T")
_MEMO = "coop_memo"


def memo(session: Session, kind: type) -> dict[Any, Any]:
    """The session's memo for rows of ``kind`` (an ORM class); forgotten when such a row is added or deleted."""
    kept = session.info.get(_MEMO)
    if kept is None:
        kept = session.info[_MEMO] = {}
    found = kept.get(kind)
    if found is None:
        found = kept[kind] = {}
    return found


def forget(session: Session, kind: type) -> None:
    """Forget what the session keeps of ``kind``: for rows written without the ORM, which no event reports."""
    for store in (session.info.get(_MEMO), session.info.get(_BY_CASE)):
        if store:
            store.pop(kind, None)


def _forget(session: OrmSession, instance: Any) -> None:
    forget(session, type(instance))


@event.listens_for(OrmSession, "before_attach")
def _on_attach(session: OrmSession, instance: Any) -> None:
    _forget(session, instance)


@event.listens_for(OrmSession, "persistent_to_deleted")
def _on_delete(session: OrmSession, instance: Any) -> None:
    # Rows of a procedure are never deleted (they are its record); should one ever be, it is forgotten here.
    _forget(session, instance)


@event.listens_for(OrmSession, "after_soft_rollback")
def _on_rollback(session: OrmSession, _previous) -> None:
    session.info.pop(_MEMO, None)  # rolled-back rows are expunged or expired: nothing kept is trusted
    session.info.pop(_BY_CASE, None)
    session.info.pop(_APPENDED, None)  # what survived (flushed before a savepoint) is read from the database


# --- a tick's batch: each case's rows read for every claimed case at once ---------------------------------------
_BATCH = "coop_batch_case_ids"
_BY_CASE = "coop_by_case"
_IN_LIMIT = 900  # ids per query: under SQLite's bound-parameter limit


def start_batch(session: Session, cases: list[Case]) -> None:
    """The transaction fires deadlines of these cases: ``case_rows`` reads for all of them at once."""
    session.info[_BATCH] = {case.id: case.kind for case in cases}


def batch_case_ids(session: Session, procedure: str | None = None) -> list[int]:
    """The batch's case ids (those of one procedure, when given), in order."""
    batch = session.info.get(_BATCH, {})
    return sorted(i for i, kind in batch.items() if procedure is None or kind == procedure)


def in_batch(session: Session, case_id: int | None) -> bool:
    return case_id in session.info.get(_BATCH, ())


def case_rows(session: Session, kind: type[T], case_id: int, *, column: str = "case_id",
              order_by: tuple = ()) -> list[T]:
    """The rows of ``kind`` whose ``column`` is ``case_id``, in ``order_by``.

    In a tick's batch (``start_batch``) they are read for every claimed case of the same procedure in one
    query, not one per deadline (on PostgreSQL a round trip each), and kept like ``memo``: forgotten when a
    row of ``kind`` is added or the transaction rolls back, so a row added since is never missed. (Of the
    same procedure: the procedure's handlers are the ones that ask; every case has publications.)"""
    key = getattr(kind, column)
    if not in_batch(session, case_id):
        with quiet_read(session, kind):
            return list(session.exec(select(kind).where(key == case_id).order_by(*order_by)))
    procedure = session.info[_BATCH][case_id]
    kept = session.info.setdefault(_BY_CASE, {}).setdefault(kind, {})
    by_case = kept.get((column, procedure))
    if by_case is None:
        by_case = {}
        ids = batch_case_ids(session, procedure)
        with quiet_read(session, kind):
            for start in range(0, len(ids), _IN_LIMIT):
                for row in session.exec(select(kind).where(key.in_(ids[start:start + _IN_LIMIT]))
                                        .order_by(key, *order_by)):
                    by_case.setdefault(getattr(row, column), []).append(row)
        kept[(column, procedure)] = by_case
    return list(by_case.get(case_id, ()))


def one_case_row(session: Session, kind: type[T], case_id: int) -> T:
    """The one row of ``kind`` a case has (its application, its offer): ``case_rows`` held to exactly one."""
    rows = case_rows(session, kind, case_id)
    if len(rows) != 1:
        raise (NoResultFound if not rows else MultipleResultsFound)(
            f"{kind.__name__}: {len(rows)} rows for case {case_id}, exactly one expected")
    return rows[0]


def row_by_id(session: Session, kind: type[T], row_id: int | None) -> T | None:
    """``session.get`` without the autoflush a miss would cause: a row found by its primary key cannot be among
    the pending changes (one already in the session is returned as it is; a new one has no id until flushed),
    so flushing the whole batch first changes nothing but the cost (the tick: a parent case per micro-grant)."""
    if row_id is None:
        return None
    with session.no_autoflush:
        return session.get(kind, row_id)


def first_record(session: Session, case: Case, event: str) -> AuditRecord | None:
    """The case's first audit record of ``event``, without flushing the transaction's pending rows first: one
    appended in this transaction (``note_appended``) is found among those, an older one in the database. In a
    tick's batch the stored ones are read for every claimed case of the procedure at once."""
    appended = [r for r in session.info.get(_APPENDED, {}).get(case.id, ()) if r.event == event]
    if in_batch(session, case.id):
        stored = _first_stored_in_batch(session, case, event)
    else:
        with session.no_autoflush:
            stored = session.exec(_FIRST_RECORD, params={"case_id": case.id, "event": event}).first()
    return min((r for r in (*appended, stored) if r is not None), key=lambda r: r.seq, default=None)


def note_appended(session: Session, record: AuditRecord) -> None:
    """Remember a record appended in this transaction (``states.engine.append_audit`` calls this), pending or
    flushed since: ``first_record`` finds it without a flush or a scan of the session's pending rows."""
    session.info.setdefault(_APPENDED, {}).setdefault(record.case_id, []).append(record)


def _first_stored_in_batch(session: Session, case: Case, event: str) -> AuditRecord | None:
    # Read before this transaction appended anything of its own: those are in _APPENDED. Kept with the batch's
    # rows under a key of its own (adding a record forgets what is kept of AuditRecord, not this).
    procedure = session.info[_BATCH][case.id]
    kept = session.info.setdefault(_BY_CASE, {}).setdefault(("first_record", event), {})
    firsts = kept.get(procedure)
    if firsts is None:
        firsts = kept[procedure] = {}
        ids = batch_case_ids(session, procedure)
        with session.no_autoflush:
            for start in range(0, len(ids), _IN_LIMIT):
                for row in session.exec(select(AuditRecord).where(
                        AuditRecord.case_id.in_(ids[start:start + _IN_LIMIT]), AuditRecord.event == event)
                        .order_by(AuditRecord.case_id, AuditRecord.seq)
                        .execution_options(**{SEES_HELD_ROWS: True})):
                    firsts.setdefault(row.case_id, row)
    return firsts.get(case.id)


# Built once: building it cost as much as running it.
_FIRST_RECORD = (select(AuditRecord).where(AuditRecord.case_id == bindparam("case_id"),
                                           AuditRecord.event == bindparam("event")).order_by(AuditRecord.seq)
                 .execution_options(**{SEES_HELD_ROWS: True}))  # this transaction's own: _APPENDED
_APPENDED = "coop_appended_records"


def quiet_read(session: Session, *kinds: type) -> AbstractContextManager:
    """A read of rows of ``kinds`` that need not flush first: none is pending or changed in the session.

    Autoflush sends every pending row before any query, so a step that reads after each write flushes again
    and again (each flush re-writes the case row: a new row version). A query whose rows cannot be among the
    pending changes gives the same answer without it; the step's rows go out once, at commit."""
    if any(issubclass(kind, kinds) for kind in _changed_kinds(session)):
        return nullcontext()
    return session.no_autoflush


def _changed_kinds(session: Session) -> set[type]:
    """The classes of the rows added or changed since the last flush (SQLAlchemy's public ``session.new`` and
    ``session.dirty``). Each call walks the pending rows, so a tick's batch asks it once per kind of row it
    loads (``case_rows``), not once per deadline."""
    return {type(instance) for instance in (*session.new, *session.dirty)}


# Built once: building a statement costs about as much as running it on SQLite.
_CASE_BY_CODE = select(Case).where(Case.code == bindparam("code"))


def load_case(session: Session, code: str, kind: str | None = None) -> Case:
    case = session.exec(_CASE_BY_CODE, params={"code": code}).first()
    if case is None or (kind is not None and case.kind != kind):
        raise NotFound("unknown_case", tr("No case {code}", code=code))
    return case


def organisation(session: Session, organisation_id: int | None) -> Organisation | None:
    """An organisation by id, kept for the transaction (``session.get`` forgets it once nobody holds it)."""
    if organisation_id is None:
        return None
    kept = memo(session, Organisation)
    if organisation_id not in kept:
        # Whoever needs one offer's organisation (a notice, the applicants, the ranking) soon needs the others':
        # the organisations behind the offers already read in this transaction come in the same query.
        wanted = {organisation_id}
        for offers in memo(session, Offer).values():
            wanted.update(o.organisation_id for o in offers if o.organisation_id not in kept)
            if len(wanted) > _PREFETCH:
                break
        with quiet_read(session, Organisation):
            found = {o.id: o for o in session.exec(_ORGANISATIONS, params={"ids": list(wanted)})}
        for wanted_id in wanted:
            kept[wanted_id] = found.get(wanted_id)
    return kept[organisation_id]


_ORGANISATIONS = select(Organisation).where(Organisation.id.in_(bindparam("ids", expanding=True)))
_PREFETCH = 200  # a tick's transaction holds many calls' offers; one query stays small


def require_state(case: Case, allowed: tuple[str, ...], doing: Message, basis: str | None = None) -> None:
    if case.state not in allowed:
        raise RuleViolation(
            "wrong_state",
            # "czynność" agrees with every verb whatever the gender of the act's own name ("ocena", "powołanie")
            ntr("{code}: {doing} is possible only in the state {allowed}; the case is in the state {state}",
                "{code}: {doing} is possible only in the states {allowed}; the case is in the state {state}",
                len(allowed), code=case.code, doing=doing, allowed=labels.states(case.kind, allowed),
                state=labels.state(case.kind, case.state)),
            basis=basis,
        )


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


@permitted("officer")
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


@permitted(*ANYONE)
def list_organisations(ctx: Context) -> list[dict]:
    rows = ctx.session.exec(select(Organisation).order_by(Organisation.name))
    return [{"krs": o.krs, "name": o.name, "legal_form": o.legal_form, "email": o.email,
             "contact_person": o.contact_person, "address": o.address} for o in rows]


@permitted(*ANYONE)
def list_cases(ctx: Context) -> list[dict]:
    rows = ctx.session.exec(select(Case).order_by(Case.code))
    return [{"code": c.code, "kind": c.kind, "title": c.title, "state": c.state, "budget": c.budget} for c in rows]


def history_rows(session: Session, case: Case) -> list[dict]:
    rows = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq))
    return [audit.history_row(seq=r.seq, at=r.at, actor=r.actor, role=r.role, event=r.event, subject=r.subject,
                              from_state=r.from_state, to_state=r.to_state, basis=r.basis, payload=r.payload,
                              digest=r.hash) for r in rows]


@permitted(*ANYONE)
def case_history(ctx: Context, code: str) -> list[dict]:
    return history_rows(ctx.session, load_case(ctx.session, code))


def pending_deadlines(session: Session, case: Case) -> list[dict]:
    rows = session.exec(select(Deadline).where(Deadline.case_id == case.id, Deadline.fired_at.is_(None))
                        .order_by(Deadline.due_at))
    return [{"kind": d.kind, "due_at": d.due_at, "basis": d.basis, "offer_id": d.offer_id} for d in rows]
