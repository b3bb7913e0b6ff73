"""Group commit: filings into one call that arrive together are written by one transaction (issue 22, B6).

Every filing into a call appends to the call's hash-chained history (invariant 8) in its own step's transaction
(invariant 1), so filings into one call take turns for the call's row (``Context.hold``): on a deadline's eve,
one transaction a filing, each with its BEGIN, its hold, its COMMIT (a WAL flush) and its Python in between,
is what a call can take a second. Here the filings waiting together are run by one writer in ONE transaction:

- the call's row is held once, first (no filing's key is claimed before it: two batches never wait on each other);
- each filing runs as in a SAVEPOINT of its own, exactly as ``execute`` runs it (``engine.run_prepared``: the proven
  actor, the relation, the effective time, the plain handler): its idempotency key claimed, its offer, version,
  audit record (appended to the chain in turn, each on the head the one before it left), outbox rows and its
  answer in the command log under its key (invariant 10);
- a filing refused by a rule undoes its own step only and gets its own refusal; the others go on (as the tick
  does, the batch first runs without a savepoint per filing, two round trips each while the row is held; if one
  is refused, the batch is rolled back to its start and run again with a savepoint per filing);
- one COMMIT for the batch; then each filing's answer goes back to whoever waits for it.

The moment of receipt is each filing's own: the moment its door received it (``Context.arrived_at``, taken before
it waited for anything; ``offer_filings.receipt_moment``), so a filing that arrived before the deadline and was
committed after it is on time, and one that arrived after it is late, however the batch was formed.

When the batch's outcome is not what it seems, each filing falls back to what ``execute`` would have done:
a COMMIT without an answer: each filing's key is looked up on a fresh connection (written: its answer stands;
not written: it runs again alone, its key claimed first; the database out of reach: ``OutcomeUnknown``, and the
retry with the same key is decided by the command log); a database error before the COMMIT: nothing of the batch
was written and each filing runs again alone; a database error inside one filing's savepoint: that filing alone.
SQLite has one writer anyway: there each filing runs alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from states.engine import Prepared, run_prepared, run_prepared_alone

# At most this many filings in one transaction: a batch holds the call's row while it runs, and its filings wait for
# its COMMIT; a few dozen already make a COMMIT and a hold per filing negligible.
BATCH_CAP = 32


@dataclass
class Outcome:
    """What became of one filing of a batch: its answer (as the command log keeps it), or its refusal."""

    result: Any = None
    error: BaseException | None = None  # a DomainError (its own refusal), or a bug's exception
    alone: bool = False  # not decided by the batch: run alone (``run_prepared_alone``)

    def answer(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


def execute_batch(prepared: list[Prepared], *, code: str, url: str | None = None) -> list[Outcome]:
    """Run ``prepared`` (commands on the case ``code``, each with an idempotency key given from outside) in one
    transaction, each in its own savepoint; their outcomes in the same order."""
    from models.db import get_engine

    outcomes = [Outcome() for _ in prepared]
    batched = get_engine(url).dialect.name == "postgresql"
    for outcome, step in zip(outcomes, prepared, strict=True):
        outcome.alone = not batched or step.key is None or not step.key.given
    if any(not outcome.alone for outcome in outcomes):
        _in_one_transaction(prepared, outcomes, code, url)
    for outcome, step in zip(outcomes, prepared, strict=True):
        if outcome.alone:
            try:
                outcome.result, outcome.alone = plain_answer(run_prepared_alone(step, url=url, retry_conflicts=True)), False
            except Exception as error:  # noqa: BLE001 - the filing's own answer, a refusal or a bug, for its door
                outcome.error, outcome.alone = error, False
    return outcomes


def plain_answer(result: Any) -> Any:
    from models.command_log import plain

    return plain(result)


class _Refused(Exception):
    """A filing of a batch run without a savepoint each was refused (or failed): the batch runs again carefully."""


def _in_one_transaction(prepared: list[Prepared], outcomes: list[Outcome], code: str, url: str | None) -> None:
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm.exc import StaleDataError
    from sqlmodel import select

    from models.db import UnitOfWork, commit_in_doubt, note_held
    from models.tables import Case

    written: list[int] = []  # the filings whose answers stand only if the batch's COMMIT does
    uow = UnitOfWork(url)
    try:
        with uow:
            session = uow.session
            case = session.exec(select(Case).where(Case.code == code)).first()
            if case is None:  # each filing alone gets the door's own refusal (an unknown call)
                for outcome in outcomes:
                    outcome.alone = True
                return
            session.refresh(case, with_for_update=True)  # the call's row, once for the batch (Context.hold)
            note_held(session, case.id)
            # As the tick does: a refusal is the exception in a rush, so the batch first runs without a savepoint
            # per filing (each costs two round trips while the call's row is held); if one is refused, all of it
            # is rolled back and run again, each filing in its own savepoint, so a refusal undoes only its own.
            attempt = session.begin_nested()
            try:
                written = _run_each(session, uow.engine, prepared, outcomes, careful=False)
                attempt.commit()
            except _Refused:
                attempt.rollback()
                for outcome in outcomes:
                    outcome.result = outcome.error = None
                written = _run_each(session, uow.engine, prepared, outcomes, careful=True)
            if written:
                uow.commit()
    except (DBAPIError, StaleDataError) as error:
        if uow.committing and commit_in_doubt(error):
            _after_doubt(prepared, outcomes, written, url)
        else:  # nothing of the batch was written: each filing runs again alone, as execute would run it
            for index in range(len(outcomes)):
                outcomes[index] = Outcome(alone=True)


def _run_each(session, engine, prepared: list[Prepared], outcomes: list[Outcome], *, careful: bool) -> list[int]:
    """Each filing's step in the batch's transaction (``careful``: each in a savepoint of its own, a refusal or a
    database error undoing only its own); the filings whose answers the batch's COMMIT will make true."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm.exc import StaleDataError

    from models import command_log
    from models.db import replay
    from models.rows import write_pending

    written = []
    for index, (step, outcome) in enumerate(zip(prepared, outcomes, strict=True)):
        if outcome.alone:
            continue
        savepoint = session.begin_nested() if careful else None
        try:
            recorded = command_log.claim(session.connection(), step.key)
            if recorded is not None:  # done before (or earlier in this batch: the same key twice)
                if savepoint is not None:
                    savepoint.rollback()
                outcome.result = replay(step.key, recorded)
                written.append(index)  # recorded by an earlier filing of this batch, perhaps
                continue
            result = run_prepared(session, engine, step)
            write_pending(session)  # before the release (or the next filing), which would flush it row by row
            command_log.finish_claimed(session.connection(), step.key, result)
            if savepoint is not None:
                savepoint.commit()
            outcome.result = plain_answer(result)
            written.append(index)
        except (DBAPIError, StaleDataError) as error:
            if savepoint is None:
                raise _Refused from error
            # Not a refusal of the filing: run it alone after the batch, as execute would run it.
            outcome.alone = True
            if savepoint.is_active:
                savepoint.rollback()
        except Exception as error:  # noqa: BLE001 - a refusal (or a bug) is this filing's alone
            if savepoint is None:
                raise _Refused from error
            outcome.error = error
            if savepoint.is_active:
                savepoint.rollback()
    return written


def _after_doubt(prepared: list[Prepared], outcomes: list[Outcome], written: list[int], url: str | None) -> None:
    """The batch's COMMIT went unanswered: each written filing's key decides (models.db: as for one command)."""
    from models.db import look_up_after_doubt, outcome_unknown

    reachable = True
    for index in written:
        key = prepared[index].key
        found = look_up_after_doubt(key, url, backoff=0.2) if reachable else None
        if found is None:
            reachable = False  # out of reach for one key: for the others too, without ~3 s of looks each
            outcomes[index] = Outcome(error=outcome_unknown(key))
        elif not found:
            outcomes[index] = Outcome(alone=True)  # not written: it runs again, its key claimed first
