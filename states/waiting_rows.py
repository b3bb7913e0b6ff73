"""The waiting steps' projection (``waiting_steps``): one row a step waiting on an audience (the officers' role),
with its due moment, so the desk's "Na dziś" reads a page of the list by an index (``ix_waiting_steps_list``)
instead of deriving every waiting step from the cases, offers and deadlines to sort them (B7, issue 21).

**Derived, never history.** The rows are what ``states.todo``'s set-based statement (``_officer_statement``, from
each procedure's ``waiting.py``) lists for a case; nothing else reads them as a fact, and deleting them all loses
nothing (every case would be derived again). So writing them is not a step of a case and does not go through a
machine: the one writer's invariant (DESIGN.md, 1) is about a case's state and history, which the refresh only
reads. It still runs as a command of its own through ``states.engine.execute`` (``todo.refresh_waiting``), in its
own transaction, before the list is read.

**Stale cases, at no cost to the writer.** Every change of a case updates its row, and every UPDATE of a case
bumps its ``row_version`` (the optimistic lock: the ORM's version column, ``models.rows.write_changed_cases`` for
the tick's batches); a step on an offer, a deadline fired or cancelled, a committee's record all append to the
case's audit chain, which is kept on the case row. ``cases.waiting_seen`` is the row version the case's rows were
derived from, so a case is stale when the two differ, which the partial index ``ix_cases_waiting_stale`` finds
without reading the others. The writer sets nothing.

**Time alone changes nothing.** A row holds the due moment, never "overdue": the reader compares it with its
``now``. Whether a step waits depends on states, data and deadline rows only (``_officer_statement`` has no
``now``); the one that changes with time, a pending deadline firing (the Council's opinion waived by silence),
is the tick's step on the case, which bumps its row version.

**Concurrency.** Refreshers take turns (PostgreSQL: a transaction-scoped advisory lock; SQLite: ``BEGIN
IMMEDIATE``, the writer's lock), so two never replace the same rows at once. A case's ``waiting_seen`` is set
to the version read before its rows were derived, and only where the row still carries it: a case changed
meanwhile stays stale and is derived again by the next reader. On PostgreSQL the refresher takes the case rows
it clears with ``SKIP LOCKED``, so it never waits on a writer that holds one (that case is being changed: it will
be stale), and a writer waits on it only for the moment before it commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from functools import cache

import sqlalchemy as sa

from models.tables import Case, WaitingStep
from states.procedures import PROCEDURES

AUDIENCE = "officer"
BATCH = 1000  # stale cases derived in one statement (their ids are passed to it)
# From this many stale cases on, deriving every case's steps in one statement and keeping the stale ones' is
# cheaper than restricting it to their ids (the whole list is one pass over the cases; the ids, a lookup each):
# the migration's backfill, a tick that moved thousands of cases
WHOLE_FROM = 3000
TAKEN = 50_000  # stale cases taken a pass (their ids and versions held in memory)
_LOCK = 0x57A17  # PostgreSQL's advisory lock of the refreshers ("waits")


def step_key(procedure, step) -> str:
    """A declared step's stable name: its procedure and a digest of its declaration, so a row derived before the
    declarations changed names no other step (a row whose key is not declared any more is not shown)."""
    what = getattr(step.what, "msgid", step.what)
    fields = (step.kind, str(step.state), step.event, step.deadline, tuple(map(str, step.during)),
              step.pending, step.machine, step.track, step.role, str(what))
    # the conditions added later are named only when set, so the steps declared before them keep their keys
    later = tuple(f"{name}={value}" for name, value in (("no_offer_in", tuple(map(str, step.no_offer_in))),
                                                       ("no_committee", step.no_committee),
                                                       ("due_day", step.due_day)) if value)
    declared = repr(fields + later if later else fields)
    return f"{procedure.slug}:{hashlib.sha256(declared.encode()).hexdigest()[:12]}"


@cache
def _declared():
    from states.todo import _steps

    steps = _steps(PROCEDURES, AUDIENCE)
    return steps, [step_key(s.procedure, s.step) for s in steps]


def declared_steps() -> dict:
    """Step key -> the declared step (states.todo._Step), for the officers' audience."""
    steps, keys = _declared()
    return dict(zip(keys, steps, strict=True))


def any_stale(connection) -> bool:
    """Whether some case changed since its steps were derived (the partial index alone)."""
    c = Case.__table__
    return connection.execute(sa.select(c.c.id).where(c.c.row_version != c.c.waiting_seen).limit(1)).first() is not None


def mark_stale(connection, case_id: int | None = None) -> int:
    """Mark one case (``case_id``) or every case stale, so the next refresh derives its rows again (``coop todo
    rederive``: after the declarations of what waits changed, or to repair the projection). Only the derived
    rows' marker moves (``waiting_seen``, set apart from the row version): no case's state, version or history."""
    c = Case.__table__
    update = c.update().values(waiting_seen=c.c.row_version - 1)
    if case_id is not None:
        update = update.where(c.c.id == case_id)
    return max(connection.execute(update).rowcount, 0)


def refresh(connection, batch: int | None = None) -> int:
    """Derive the stale cases' rows again, ``batch`` cases a statement; returns how many cases were cleared.
    Runs in the caller's write transaction (``todo.refresh_waiting``)."""
    c = Case.__table__
    stale = c.c.row_version != c.c.waiting_seen
    if connection.execute(sa.select(c.c.id).where(stale).limit(1)).first() is None:
        return 0  # the usual case: nothing changed since the last reader; no lock taken
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
    derive = _derive_postgres if postgres else _derive
    batch = batch or BATCH
    cleared, after = 0, 0
    while True:
        # keyset by id: each pass moves on, so a case skipped (held by a writer) is not taken again in this run
        found = connection.execute(sa.select(c.c.id, c.c.row_version).where(stale, c.c.id > after)
                                   .order_by(c.c.id).limit(TAKEN)).all()
        if not found:
            return cleared
        after = found[-1][0]
        if len(found) >= WHOLE_FROM:
            cleared += derive(connection, dict(found), whole=True)
        else:
            for start in range(0, len(found), batch):
                cleared += derive(connection, dict(found[start:start + batch]))
        if len(found) < TAKEN:
            return cleared


def _values(rows, versions: dict[int, int]) -> list[dict]:
    from states.todo import due_of

    steps, keys = _declared()
    return [{"case_id": case_id, "audience": AUDIENCE, "procedure": steps[index].procedure.slug, "step": keys[index],
             "code": code, "offer_number": number, "undated": due is None, "due_at": due, "basis": basis}
            for index, code, number, due, basis, case_id, _title, day in rows if case_id in versions
            for due in (due_of(due, day),)]


@cache
def _postgres_statements():
    from sqlalchemy.dialects import postgresql

    from states.todo import _officer_statement

    c, w = Case.__table__, WaitingStep.__table__
    ids = sa.bindparam("ids", type_=postgresql.ARRAY(sa.Integer))
    versions = sa.bindparam("versions", type_=postgresql.ARRAY(sa.Integer))
    # the cases among ``ids`` no writer holds, taken without waiting; cleared where they carry the version read
    held = sa.select(c.c.id).where(c.c.id == sa.any_(ids)).with_for_update(skip_locked=True)
    read = sa.func.unnest(ids, versions).table_valued("id", "seen").render_derived(name="v")
    clear = (c.update().where(c.c.id == read.c.id, c.c.row_version == read.c.seen, c.c.id.in_(held))
             .values(waiting_seen=read.c.seen))
    return (_officer_statement(_declared()[0], [], postgres=True), _officer_statement(_declared()[0]),
            w.delete().where(w.c.case_id == sa.any_(ids)), clear)


def _derive_postgres(connection, versions: dict[int, int], whole: bool = False) -> int:
    """One batch on PostgreSQL: four statements built once (the ids an array parameter), so their plans are too.
    ``whole``: every case's steps derived, the stale ones' kept."""
    derive, derive_all, delete, clear = _postgres_statements()
    ids = sorted(versions)
    rows = connection.execute(derive_all).all() if whole else connection.execute(derive, {"cases": ids}).all()
    connection.execute(delete, {"ids": ids})
    values = _values(rows, versions)
    if values:
        connection.execute(WaitingStep.__table__.insert(), values)
    return connection.execute(clear, {"ids": ids, "versions": [versions[i] for i in ids]}).rowcount


def _derive(connection, versions: dict[int, int], whole: bool = False) -> int:
    """One batch elsewhere (SQLite: the refresh holds the writer's lock, so no case changes meanwhile)."""
    from states.todo import _officer_statement

    c, w = Case.__table__, WaitingStep.__table__
    ids = sorted(versions)
    rows = connection.execute(_officer_statement(_declared()[0], None if whole else ids)).all()
    among = sa.bindparam("ids", ids, expanding=True, literal_execute=True)
    connection.execute(w.delete().where(w.c.case_id.in_(among)))
    values = _values(rows, versions)
    if values:
        connection.execute(w.insert(), values)
    done = connection.execute(
        c.update().where(c.c.id == sa.bindparam("_id"), c.c.row_version == sa.bindparam("_seen"))
        .values(waiting_seen=sa.bindparam("_seen")), [{"_id": i, "_seen": versions[i]} for i in ids])
    return max(done.rowcount, 0)


def _filters(audience: str, procedures: Iterable[str] | None, overdue_at: datetime | None) -> list:
    w = WaitingStep.__table__
    where = [w.c.audience == audience]
    if procedures is not None:
        where.append(w.c.procedure.in_(sorted(procedures)))
    if overdue_at is not None:
        where.append(w.c.due_at <= overdue_at)
    return where


def read(connection, *, audience: str = AUDIENCE, procedures: Iterable[str] | None = None,
         overdue_at: datetime | None = None, limit: int | None = None, offset: int = 0) -> list[tuple]:
    """A page of the list, in its order (dated first by due moment, so the overdue come first; then by case,
    offer and step): (step key, code, offer number, due moment, row basis, the case's title) each, by the list's
    index (the title joined by the case's key for the page's rows only, not copied into the projection)."""
    w, c = WaitingStep.__table__, Case.__table__
    query = (sa.select(w.c.step, w.c.code, w.c.offer_number, w.c.due_at, w.c.basis, c.c.title)
             .select_from(w.join(c, c.c.id == w.c.case_id))
             .where(*_filters(audience, procedures, overdue_at))
             .order_by(w.c.undated, w.c.due_at, w.c.code, w.c.offer_number, w.c.step))
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return connection.execute(query).all()


def count(connection, *, audience: str = AUDIENCE, procedures: Iterable[str] | None = None,
          overdue_at: datetime | None = None) -> int:
    w = WaitingStep.__table__
    return connection.execute(sa.select(sa.func.count()).select_from(w)
                              .where(*_filters(audience, procedures, overdue_at))).scalar_one()
