"""The scheduler's tick: fire every due deadline exactly once, in due order, in batches (invariant 4).

Each batch is one transaction. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
ticks running at once never fire the same deadline; SQLite has a single writer (BEGIN IMMEDIATE). A deadline
whose event no longer applies (the case moved on) is marked ``skipped`` with the reason, never retried; one
whose case's clock is ahead of the tick waits for a tick that has caught up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import defer

from models.rows import update_deadlines, write_pending
from models.tables import Case, Deadline
from states.clock import at_written_time, claimed_moment
from states.engine import SCHEDULER, Actor, Context, execute
from states.errors import DomainError, RuleViolation
from states.events import Transition
from states.loaders import Loaded, load_batch, loaded_for
from states.text import Message, tr


@dataclass
class BatchResult:
    claimed: int = 0
    fired: int = 0
    skipped: int = 0
    events: list[Transition] = field(default_factory=list)
    skipped_reasons: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the batch's transaction, retries included
    outcomes: dict[str, list[int]] = field(default_factory=dict)  # outcome -> claimed deadline ids
    now: datetime | None = None  # the moment the batch fired at


@dataclass(frozen=True, slots=True)
class ClaimedDeadline:
    """A claimed deadline as its handler reads it. Its row changes once, the same way for the whole batch
    (fired at the tick's moment, or skipped and why), and the tick writes that itself: an ORM row per deadline
    cost its loading, two attribute sets and its share of the flush (~35 µs), 9 % of a tick."""

    id: int
    case_id: int
    offer_id: int | None
    kind: str
    due_at: datetime
    basis: str


_DEADLINE = Deadline.__table__.c


@at_written_time  # on a real database: the database's own time, never a moment claimed for it
def fire_batch(ctx: Context, batch_size: int) -> BatchResult:
    from states.procedures import deadline_handlers

    handlers = deadline_handlers()
    query = (
        select(_DEADLINE.id, _DEADLINE.case_id, _DEADLINE.offer_id, _DEADLINE.kind, _DEADLINE.due_at,
               _DEADLINE.basis, Case)
        .join_from(Deadline.__table__, Case, Case.id == _DEADLINE.case_id)
        .where(_DEADLINE.fired_at.is_(None), _DEADLINE.due_at <= ctx.now)
        # A case whose clock is already past this tick (an officer acted with a later --at) is left for a
        # later tick: firing it now would be refused as a clock running backwards and the deadline lost.
        .where(or_(Case.last_event_at.is_(None), Case.last_event_at <= ctx.now))
        .order_by(_DEADLINE.due_at, _DEADLINE.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True, of=Deadline.__table__)
        # A call's settings (its criteria, ~1.3 KB of JSON) serve scoring, which no deadline does: read only by a
        # handler that asks for them (a query of its own), not parsed for every claimed case.
        .options(defer(Case.settings))
    )
    claimed = [(ClaimedDeadline(*row[:-1]), row[-1]) for row in ctx.session.execute(query)]
    # Each procedure's loader reads what its handlers will read, for every claimed case at once: a few
    # queries a batch, whatever its size (states/loaders.py).
    facts = load_batch(ctx.session, claimed)
    # A refusal is rare (the case moved on), so the batch first runs without a savepoint per deadline (each
    # costs a flush); if any deadline is refused, everything after the claim is rolled back and the batch is
    # run again, each deadline in its own savepoint, so a refusal undoes only its own deadline's steps.
    attempt = ctx.session.begin_nested()
    try:
        result = _fire_claimed(ctx, claimed, handlers, facts, careful=False)
        write_pending(ctx.session)  # before the savepoint's release, which would flush it row by row
        _write_outcomes(ctx, result)
        attempt.commit()
    except _Refused:
        attempt.rollback()
        del ctx.events[:]
        ctx.cache.clear()  # what was read once may have been read from rows now rolled back
        # The loaded rows were read before the savepoint, and no handler writes a kind a loader loads: they are
        # what the database holds again (their attributes, if expired, are read anew when asked).
        result = _fire_claimed(ctx, claimed, handlers, facts, careful=True)
        write_pending(ctx.session)
        _write_outcomes(ctx, result)
    return result


def _write_outcomes(ctx: Context, result: BatchResult) -> None:
    """Every claimed deadline fired at the tick's moment, or skipped and why: one UPDATE per outcome. Written
    after the handlers' own changes, so a handler that cancelled its own deadline does not undo its firing."""
    for outcome, ids in result.outcomes.items():
        update_deadlines(ctx.session, {"fired_at": ctx.now, "outcome": outcome}, ids)


class _Refused(Exception):
    """A deadline was refused during a batch run without per-deadline savepoints."""


def _fire_claimed(ctx: Context, claimed, handlers, facts: Loaded, *, careful: bool) -> BatchResult:
    with loaded_for(ctx.session, facts):  # the handlers' reads answer from what the loaders loaded
        return _fire_each(ctx, claimed, handlers, careful=careful)


def _fire_each(ctx: Context, claimed, handlers, *, careful: bool) -> BatchResult:
    result = BatchResult()
    for deadline, case in claimed:
        result.claimed += 1
        handler = handlers.get(deadline.kind)
        savepoint = ctx.session.begin_nested() if careful else None
        announced = len(ctx.events)
        try:
            if handler is None:
                raise RuleViolation("unknown_deadline_kind",
                                    tr("Unknown deadline kind “{kind}”", kind=deadline.kind))
            handler(ctx, case, deadline)
            if savepoint is not None:
                savepoint.commit()
            result.outcomes.setdefault("fired", []).append(deadline.id)
            result.fired += 1
        except DomainError as refusal:
            # Only a refusal marks the deadline skipped; a bug (any other exception) fails the batch, which is
            # retried by the next tick, so no deadline is lost to it.
            if savepoint is None:
                raise _Refused from refusal
            savepoint.rollback()
            del ctx.events[announced:]  # nothing rolled back may be announced to Prefect
            result.outcomes.setdefault(f"skipped: {refusal}"[:500], []).append(deadline.id)
            result.skipped += 1
            result.skipped_reasons.append({"case": case.code, "kind": deadline.kind, "reason": str(refusal)})
    result.events = list(ctx.events)
    result.now = ctx.now
    return result


# Deadlines claimed per transaction. Each batch costs its own queries of the claimed cases' rows (one per kind
# of row and procedure), its statements and its commit, whatever its size: 10,000 deadlines took 2.75 s in
# batches of 500, 2.67 s of 1,000, 2.46 s of 2,000 and 2.50 s of 4,000 (median of 4, alternated in one process,
# 100,000 live cases on SQLite), at a peak of 92, 123 and 162 MB (500, 2,000, 4,000). A batch of 2,000 holds
# SQLite's write lock for ~0.5 s, which an officer's command waits out (busy_timeout 30 s).
DEFAULT_BATCH = 2000


@dataclass
class TickReport:
    now: datetime | None
    fired: int = 0
    skipped: int = 0
    batches: int = 0
    events: list[Transition] = field(default_factory=list)
    skipped_reasons: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0  # inside the batches' transactions: what is not Prefect's (or the caller's) share


def run_batch(moment: datetime | None, *, url: str | None = None, batch_size: int = DEFAULT_BATCH,
              actor: Actor = SCHEDULER) -> BatchResult:
    """One batch in one committed transaction (the unit a Prefect task run wraps); ``moment`` None: now."""
    started = time.perf_counter()
    # reason="": the scheduler states none (a COOP_REASON left in the environment is an officer's, not the tick's).
    # No idempotency key: a batch claims unfired deadline rows, so running it again never fires one twice, and a
    # write per deadline would cost the hot path (invariant 5).
    batch = execute(fire_batch, batch_size, actor=actor, at=moment, url=url, retry_conflicts=True, reason="",
                    keyed=False)
    batch.seconds = time.perf_counter() - started
    return batch


def add_batch(report: TickReport, batch: BatchResult, keep_events: bool = True) -> None:
    report.batches += 1
    report.fired += batch.fired
    report.skipped += batch.skipped
    report.seconds += batch.seconds
    if keep_events:
        report.events.extend(batch.events)
    report.skipped_reasons.extend(batch.skipped_reasons)


def tick(now: datetime | str | None = None, *, url: str | None = None, batch_size: int = DEFAULT_BATCH,
         actor: Actor = SCHEDULER, keep_events: bool = False,
         on_batch: Callable[[BatchResult], None] | None = None) -> TickReport:
    """Fire everything due at ``now``, batch after batch, each in its own transaction; returns what was fired.

    ``on_batch`` runs after each committed batch (the Prefect flow announces it there). The report counts; it
    keeps every transition only with ``keep_events`` (memory stays flat however many deadlines fall due).

    Without a moment (``now``, ``COOP_NOW``) each batch fires at its own time of writing; a simulation database
    may be ticked at any moment, a real one only now (states/clock.py)."""
    moment = claimed_moment(now)
    report = TickReport(now=None)  # the first batch's moment: claimed, or its time of writing
    while True:
        batch = run_batch(moment, url=url, batch_size=batch_size, actor=actor)
        if report.now is None:
            report.now = batch.now
        if batch.claimed == 0:
            break
        add_batch(report, batch, keep_events)
        if on_batch:
            on_batch(batch)
        if batch.claimed < batch_size:
            break
    return report


# --- the watchdog: how long the oldest due deadline has waited --------------------------------------------------



@dataclass(frozen=True)
class DeadlineWatch:
    """Due, unfired deadlines at ``now``: how many, and the oldest (its case, kind and due moment). A tick fires
    them within its interval, so the oldest's age is how late the scheduler is: zero when none is due."""

    now: datetime
    due: int = 0
    oldest_due_at: datetime | None = None
    case: str | None = None
    kind: str | None = None

    @property
    def age_seconds(self) -> float:
        return max(0.0, (self.now - self.oldest_due_at).total_seconds()) if self.oldest_due_at else 0.0

    def late(self, threshold_seconds: float) -> bool:
        return self.age_seconds > threshold_seconds

    def message(self, threshold_seconds: float) -> Message:
        """The figure as people read it (the tick's artifact, ``coop deadlines late``)."""
        if self.oldest_due_at is None:
            return tr("No due deadline is waiting to be fired (threshold {threshold} s).",
                      threshold=_seconds(threshold_seconds))
        values = {"due": self.due, "case": self.case, "kind": self.kind, "due_at": self.oldest_due_at,
                  "age": _seconds(self.age_seconds), "threshold": _seconds(threshold_seconds)}
        if self.late(threshold_seconds):
            return tr("Deadlines are late: {due} due and not fired; the oldest ({case}, {kind}, due {due_at}) has "
                      "waited {age} s, over the threshold of {threshold} s.", **values)
        return tr("Due deadlines not fired yet: {due}; the oldest ({case}, {kind}, due {due_at}) has waited {age} s, "
                  "within the threshold of {threshold} s.", **values)

    def as_dict(self, threshold_seconds: float | None = None) -> dict[str, Any]:
        shown = {"now": self.now, "due": self.due, "oldest_due_at": self.oldest_due_at, "case": self.case,
                 "kind": self.kind, "age_seconds": round(self.age_seconds, 3)}
        if threshold_seconds is not None:
            shown.update(threshold_seconds=threshold_seconds, late=self.late(threshold_seconds))
        return shown


def _seconds(value: float) -> int | float:
    """Whole seconds as people read them; a fraction only under one second."""
    return round(value) if value >= 1 or value == 0 else round(value, 3)


def due_deadlines(session, now: datetime) -> DeadlineWatch:
    """Two reads of the tick's own index (``ix_deadlines_due_unfired``: unfired rows in due order): its first
    entry, joined to its case by primary key, and the count of its entries due by ``now``; neither reads a fired
    row nor the table in full (tests/test_watchdog.py checks both plans)."""
    oldest = session.execute(
        select(_DEADLINE.due_at, _DEADLINE.kind, Case.__table__.c.code)
        .join_from(Deadline.__table__, Case.__table__, Case.__table__.c.id == _DEADLINE.case_id)
        .where(_DEADLINE.fired_at.is_(None), _DEADLINE.due_at <= now)
        .order_by(_DEADLINE.due_at, _DEADLINE.id)
        .limit(1)
    ).first()
    if oldest is None:
        return DeadlineWatch(now=now)
    due = session.execute(select(func.count()).select_from(Deadline.__table__)
                          .where(_DEADLINE.fired_at.is_(None), _DEADLINE.due_at <= now)).scalar_one()
    return DeadlineWatch(now=now, due=due, oldest_due_at=oldest.due_at, case=oldest.code, kind=oldest.kind)


def watch_deadlines(ctx: Context) -> DeadlineWatch:
    """The figure at the moment a tick would fire at: a simulation database's claimed moment (or now); on a real
    database its own time, as the tick fires there only (states/clock.py), whatever moment was claimed."""
    return due_deadlines(ctx.session, ctx.now if ctx.simulation else ctx.written_at)


def watch(moment: datetime | str | None = None, *, url: str | None = None, actor: Actor = SCHEDULER) -> DeadlineWatch:
    """``watch_deadlines`` in a read-only transaction of its own."""
    return execute(watch_deadlines, actor=actor, at=claimed_moment(moment), url=url, readonly=True)
