"""Where the data lives and how a unit of work talks to it.

SQLite (a file in the user's data directory) by default, PostgreSQL by URL (``COOP_DATABASE_URL``).
The schema is created and upgraded by Alembic migrations only.

SQLAlchemy is imported where it is used, not here: the quick read path (``coop history``, coop/quick.py)
needs the URL, the schema revision and a plain DB-API connection, and answers before SQLAlchemy would load.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kernel.errors import ConcurrentChange, DomainError, InvalidInput
from kernel.moments import as_utc
from kernel.text import tr
from models.wal import AUTOCHECKPOINT_PAGES, Checkpointer

# The newest migration; a test checks it matches Alembic's head so the cheap check below stays honest.
SCHEMA_REVISION = "0029"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

T = TypeVar("T")

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlmodel import Session

    from models.command_log import CommandKey, Recorded

# Every SQLite connection, the engine's and the quick path's, behaves the same way.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}",  # checkpoints run beside the writer: models/wal.py
)


def user_data_path() -> Path:
    """The engine's per-user data directory (the default SQLite file, the Prefect server's auth string)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("coop-engine", appauthor=False))


def default_sqlite_path() -> Path:
    return user_data_path() / "coop.db"


def database_url() -> str:
    url = os.environ.get("COOP_DATABASE_URL", "").strip()
    if not url:
        path = default_sqlite_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    return normalise_url(url)


def shown_url(url: str) -> str:
    """A database URL fit to be printed or logged: its password (and any password-like query option) as ``***``
    (invariant 12). The one function for it; a URL that cannot be parsed is not shown at all."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "***"
    hidden = {key: "***" for key in parsed.query if any(word in key.lower() for word in ("pass", "secret", "token"))}
    return parsed.update_query_dict(hidden).render_as_string(hide_password=True)


def normalise_url(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver; accept the plain scheme people type.
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _configure_sqlite(engine: sa.Engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, issue BEGIN, so a writer can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # BEGIN IMMEDIATE: a writer waits for the lock at the start instead of failing on upgrade mid-way.
        readonly = conn.get_execution_options().get("coop_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def get_engine(url: str | None = None) -> sa.Engine:
    # Resolve the URL before the cache: COOP_DATABASE_URL may change within one process (tests, CLI runner).
    return _engine_for(normalise_url(url or database_url()))


@lru_cache(maxsize=16)
def _engine_for(url: str) -> sa.Engine:
    import sqlalchemy as sa

    from models.types import json_text, json_value

    # hide_parameters: an error's text (shown, or logged as an internal error's detail) never carries the values
    # written, which may be personal data or a secret (invariant 12).
    json_columns = {"json_serializer": json_text, "json_deserializer": json_value, "hide_parameters": True}
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **json_columns)
        _configure_sqlite(engine)
    else:
        # The pre-ping costs a round trip per transaction, but without it any use of the engine outside
        # run_in_transaction's retries (schema check, dispatcher claims, tools) would meet a connection the
        # server dropped while it sat in the pool.
        engine = sa.create_engine(url, pool_pre_ping=True, **json_columns)
    ensure_schema(engine)
    return engine


_CHECKPOINTERS: dict[str, Checkpointer] = {}


def checkpointer_for(engine: sa.Engine) -> Checkpointer | None:
    """The WAL checkpointer of a SQLite file engine, one per file; None for other databases."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.query or url.database in (None, "", ":memory:"):
        return None
    path = os.path.realpath(url.database)
    checkpointer = _CHECKPOINTERS.get(path)
    if checkpointer is None:
        checkpointer = _CHECKPOINTERS.setdefault(path, Checkpointer(path))
    return checkpointer


def current_revision(engine: sa.Engine) -> str | None:
    import sqlalchemy as sa

    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        # SQLite alters a table by copying it and dropping the old one; with foreign keys enforced, dropping a
        # table other rows reference fails. SQLite's own procedure: switch enforcement off outside the
        # transaction, check every reference before committing, switch it on again.
        raw = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
                if raw is not None and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("a migration left a foreign key pointing at nothing")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


class UnknownSchema(DomainError):
    """The database was migrated by a newer engine (or another program): nothing may touch it."""


def ensure_schema(engine: sa.Engine) -> None:
    """Bring the schema to the newest migration; cheap when it is already there (Alembic loads only when a
    migration is due). A revision this engine does not know is refused, never "upgraded" past."""
    revision = current_revision(engine)
    if revision == SCHEMA_REVISION:
        return
    if revision is not None and not is_known_revision(revision):
        raise UnknownSchema(
            "unknown_schema_revision",
            tr("The database schema is at revision “{revision}”, which this program does not know (newest "
               "known: “{SCHEMA_REVISION}”); upgrade coop-engine or point COOP_DATABASE_URL at the right "
               "database. Nothing was changed.", revision=revision, SCHEMA_REVISION=SCHEMA_REVISION),
        )
    from sqlalchemy.exc import DBAPIError

    try:
        upgrade(engine)
    except DBAPIError as error:
        if sqlstate(error) != "42501":
            raise
        # The engine's role owns nothing (models/roles.py): the owner migrates.
        raise UnknownSchema(
            "schema_needs_owner",
            tr("The database schema is at revision “{revision}” and this program needs “{SCHEMA_REVISION}”, but "
               "the engine's database role may not change the schema. Run `coop db upgrade` with "
               "COOP_DATABASE_OWNER_URL set to the owner's role (docs/production.md). Nothing was changed.",
               revision=revision or "-", SCHEMA_REVISION=SCHEMA_REVISION),
        ) from None


def is_known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision) is not None
    except CommandError:
        return False


def plain_connection(url: str):
    """A DB-API connection (sqlite3 or psycopg2) for a quick read outside SQLAlchemy, configured as the
    engine's; None when the URL is one only the engine handles (in-memory or not yet created SQLite, a
    driver or query options of its own): the caller then takes the engine's path. Read it through a cursor:
    psycopg2's connection has no ``execute``."""
    if url.startswith("sqlite:///") and "?" not in url:
        path = url.removeprefix("sqlite:///")
        if path in ("", ":memory:") or not os.path.isfile(path):
            return None  # the engine creates and migrates it
        import sqlite3

        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        return conn
    if url.startswith("postgresql+psycopg://") and "?" not in url:
        # psycopg2, not the engine's psycopg 3, for a one-off read: it imports in ~0.04 s where psycopg 3 takes
        # ~0.16 s, half of `coop history` on PostgreSQL (python -X importtime -c "import psycopg").
        import psycopg2

        return psycopg2.connect("postgresql://" + url.removeprefix("postgresql+psycopg://"))
    return None


def schema_is_current(conn) -> bool:
    """Whether a plain connection's database is at the newest migration (else the engine's path migrates it,
    or refuses it)."""
    cursor = conn.cursor()
    cursor.execute("SELECT version_num FROM alembic_version")
    row = cursor.fetchone()
    return row is not None and row[0] == SCHEMA_REVISION


def database_time(session: Session) -> datetime:
    """When the session's transaction writes, by the database's own clock (the audit record's ``recorded_at``).

    PostgreSQL: ``CURRENT_TIMESTAMP``, the transaction's start, one round trip, the same for every record the
    transaction writes whichever host runs the engine. SQLite is a file this process writes itself: its clock
    is the process's, read once the transaction holds the write lock (so one writer's time follows another's)."""
    if session.get_bind().dialect.name == "postgresql":
        # The same for the whole transaction: read once (the steps of a batch of filings each ask for it).
        known = session.info.get(_TRANSACTION_TIME)
        if known is None:
            _listen()
            # Through the connection, not the session: a session query would first flush the rows the step holds
            # (a tick's batch writes them later in one statement per table, models/rows.py).
            known = session.info[_TRANSACTION_TIME] = as_utc(
                session.connection().exec_driver_sql("SELECT CURRENT_TIMESTAMP").scalar_one())
        return known
    session.connection()  # BEGIN (IMMEDIATE, for a writer): the moment is taken once the lock is ours
    return datetime.now(UTC)


def note_transaction_time(session: Session, moment: datetime) -> None:
    """PostgreSQL's ``CURRENT_TIMESTAMP`` read beside another statement's rows (a case's, states/cases.py
    ``load_case``): the transaction's start, the same whichever statement reads it, so ``database_time`` needs no
    round trip of its own."""
    if _TRANSACTION_TIME not in session.info:
        _listen()
        session.info[_TRANSACTION_TIME] = as_utc(moment)


# What a transaction knows of itself, kept in its session's ``info`` and forgotten when it ends: its start by the
# database's clock, and the cases whose rows it holds (``note_held``).
_TRANSACTION_TIME = "coop_transaction_time"
_HELD_CASES = "coop_cases_held"


def note_held(session: Session, case_id: int) -> None:
    """This transaction holds the case's row (``SELECT … FOR UPDATE`` outside any savepoint, so no rollback to one
    lets it go) until it ends: a step holding it again need not ask the database (states/batched_filing.py)."""
    _listen()
    session.info.setdefault(_HELD_CASES, set()).add(case_id)


def is_held(session: Session, case_id: int | None) -> bool:
    return case_id in session.info.get(_HELD_CASES, ())


def _forget_transaction(session, transaction) -> None:
    if transaction.parent is None:  # the transaction itself, not a savepoint
        session.info.pop(_TRANSACTION_TIME, None)
        session.info.pop(_HELD_CASES, None)


_listening: list[bool] = []


def _listen() -> None:
    """Forget what a transaction noted of itself when it ends. Registered at the first note, not at import: the
    quick path (coop/quick.py) imports this module and must not load the ORM (tests/test_b4_quick.py)."""
    if _listening:
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    if not event.contains(OrmSession, "after_transaction_end", _forget_transaction):
        event.listen(OrmSession, "after_transaction_end", _forget_transaction)
    _listening.append(True)


def database_clock(session: Session) -> datetime:
    """The database's clock now, within the transaction (``database_time`` is its start): for a step that waited
    for a row another writer held, so that it is written after that writer (PostgreSQL ``clock_timestamp()``;
    SQLite's clock is the process's, its one writer holds the lock already)."""
    if session.get_bind().dialect.name == "postgresql":
        return as_utc(session.connection().exec_driver_sql("SELECT clock_timestamp()").scalar_one())
    session.connection()
    return datetime.now(UTC)


# --- what a database error means (by SQLSTATE on PostgreSQL, by result code on SQLite) -------------------------

# Worth waiting for and trying again: the connection (class 08), the server shutting down or starting (57P0x),
# too many connections or another resource short (class 53), a serialization failure or a deadlock (40001,
# 40P01), a lock not available (55P03), an idle transaction cut off (25P03).
TRANSIENT_CLASSES = ("08", "53")
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "55P03", "25P03"})
# SQLite: another writer holds the lock; the disk is full or failing.
TRANSIENT_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_IOERR")
# The data itself is refused: too long, out of range, malformed (class 22); a constraint (class 23).
REFUSED_CLASSES = ("22", "23")
REFUSED_SQLITE = ("SQLITE_CONSTRAINT", "SQLITE_TOOBIG", "SQLITE_MISMATCH", "SQLITE_RANGE")
UNIQUE_SQLSTATE = "23505"
UNIQUE_SQLITE = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


def sqlstate(error: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of an error (psycopg 3 or psycopg2), or None: not the server's answer."""
    orig = getattr(error, "orig", error)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def sqlite_code(error: BaseException) -> str | None:
    return getattr(getattr(error, "orig", error), "sqlite_errorname", None)


def classify(error: BaseException) -> str:
    """``transient`` (exit 75, retried), ``conflict`` (a unique key taken meanwhile: exit 4), ``refused`` (the
    data: exit 2) or ``internal`` (exit 70)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    if isinstance(error, StaleDataError):
        return "conflict"
    if not isinstance(error, DBAPIError):
        return "internal"
    state = sqlstate(error)
    if state is not None:
        if state == UNIQUE_SQLSTATE:
            return "conflict"
        if state.startswith(TRANSIENT_CLASSES) or state in TRANSIENT_SQLSTATES:
            return "transient"
        return "refused" if state.startswith(REFUSED_CLASSES) else "internal"
    code = sqlite_code(error)
    if code is not None:
        if code in UNIQUE_SQLITE:
            return "conflict"
        if code.startswith(TRANSIENT_SQLITE):
            return "transient"
        return "refused" if code.startswith(REFUSED_SQLITE) else "internal"
    # No code at all: the driver's own report. A broken or refused connection is the client's side of class 08.
    if error.connection_invalidated or isinstance(error, OperationalError | InterfaceError):
        return "transient"
    return "internal"


def is_transient(error: BaseException) -> bool:
    return classify(error) == "transient"


def commit_in_doubt(error: BaseException) -> bool:
    """Whether a COMMIT that failed so may still have been written: the server's answer never came (no SQLSTATE,
    or the client-side connection class 08, or the server going away, 57P0x). An error the server answered
    with (a serialization failure, a deferred constraint) means the transaction was rolled back."""
    state = sqlstate(error)
    return state is None or state.startswith(("08", "57P"))


class RetryableDatabaseError(DomainError):
    exit_code = 75  # EX_TEMPFAIL


class DatabaseRefusal(DomainError):
    """The database refused the data (too long, out of range, a constraint): exit 2, like any refusal."""


class InternalError(DomainError):
    """Something no rule foresaw: exit 70 (EX_SOFTWARE); the detail goes to the log, not to the person."""

    exit_code = 70


class OutcomeUnknown(DomainError):
    """The COMMIT's answer was lost and the database stayed out of reach: written or not, nobody can say yet."""

    exit_code = 76


NOTHING_WRITTEN = tr("The database is temporarily unavailable; nothing was written. Retry the command.")


def database_error(error: BaseException) -> DomainError:
    """The answer a person gets for a database error that no retry cured."""
    import logging

    kind = classify(error)
    state = sqlstate(error) or sqlite_code(error) or type(getattr(error, "orig", error)).__name__
    if kind == "transient":
        return RetryableDatabaseError("database_unavailable", NOTHING_WRITTEN, sqlstate=state)
    if kind == "conflict":
        return _concurrent_change()
    first_line = (str(getattr(error, "orig", error)).splitlines() or [""])[0]
    if kind == "refused":
        return DatabaseRefusal(
            "database_refused",
            tr("The database refused the data ({state}): {first_line}. Nothing was written.", state=state, first_line=first_line),
            sqlstate=state,
        )
    logging.getLogger("coop.errors").error("internal database error (%s)", state, exc_info=error)
    return InternalError(
        "internal_error",
        tr("Internal database error ({state}); the command was not carried out. The details are in the log.", state=state),
        sqlstate=state,
    )


def _concurrent_change() -> ConcurrentChange:
    return ConcurrentChange(
        "concurrent_change",
        tr("The case changed meanwhile: check it and retry."),
    )


def outcome_unknown(key: CommandKey | None) -> OutcomeUnknown:
    if key is None:  # the tick's batches, the dispatcher's claims: exactly once by their own rows
        return OutcomeUnknown("outcome_unknown", tr("Outcome unknown: the connection broke while the last "
                                                    "attempt was being committed (COMMIT) and the database "
                                                    "still does not answer. It is safe to run again once "
                                                    "the database is back: it does nothing twice."))
    check = f"coop history {key.subject}" if key.subject else "coop list / coop org list"
    return OutcomeUnknown("outcome_unknown", tr("Outcome unknown: the connection to the database broke "
                                                "while the command was being committed (COMMIT) and the "
                                                "database still does not answer. When it is back, check "
                                                "with {check}, or run exactly the same command again with "
                                                "--idempotency-key {key} (or COOP_IDEMPOTENCY_KEY={key}): "
                                                "if it was written you will see its result, not a second "
                                                "copy.", check=check, key=key.key), key=key.key)


class UnitOfWork:
    """One database transaction: everything a command writes commits together or not at all."""

    def __init__(self, url: str | None = None, *, readonly: bool = False) -> None:
        self.engine = get_engine(url)
        self.readonly = readonly
        self.checkpointer = None if readonly else checkpointer_for(self.engine)
        self.committing = False  # COMMIT sent: a failure from here on may have been written
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        from sqlmodel import Session

        bind = self.engine.execution_options(coop_readonly=True) if self.readonly else self.engine
        self.session = Session(bind=bind, expire_on_commit=False, autoflush=True)
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self, key: CommandKey | None = None, result: Any = None, *, claimed: bool = False) -> None:
        """Write everything, the command's key and answer last, then COMMIT."""
        if self.readonly:
            raise RuntimeError("a read-only unit of work cannot commit")
        from models import command_log
        from models.rows import write_pending

        write_pending(self.session)
        self.session.flush()
        if key is not None:
            if claimed:
                command_log.finish_claimed(self.session.connection(), key, result)
            else:
                command_log.record(self.session.connection(), key, result)
        self.committing = True
        self.session.commit()
        if self.checkpointer is not None:
            self.checkpointer.request()


def run_in_transaction(
    work: Callable[[UnitOfWork], T],
    *,
    url: str | None = None,
    readonly: bool = False,
    attempts: int = 5,
    backoff: float = 0.2,
    retry_conflicts: bool = False,
    key: CommandKey | None = None,
) -> T:
    """Run ``work`` in a fresh unit of work, committing at the end; retry transient faults with backoff.

    ``key`` (a writing command's idempotency key, models/command_log.py) is written with the command. When a
    COMMIT fails without an answer, the key is looked up on a fresh connection: recorded, the command is done
    and its answer returned; absent, it was not written and runs again (claiming its key first); the database
    out of reach, ``OutcomeUnknown`` (exit 76) — never "nothing was written". A key given from outside is
    claimed before the command runs: recorded already, its answer is returned and nothing runs again.

    A lost race on the same case (stale row version, duplicate audit sequence) is not retried: the caller
    must look at the case again, so it becomes ``ConcurrentChange`` (unless ``retry_conflicts``: the tick
    simply claims its batch again).
    """
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm.exc import StaleDataError

    from models import command_log

    may_be_recorded = key is not None and key.given
    in_doubt = False  # an unkeyed attempt's COMMIT went unanswered
    for attempt in range(1, attempts + 1):
        uow: UnitOfWork | None = None
        result: Any = None
        try:
            with UnitOfWork(url, readonly=readonly) as uow:
                if may_be_recorded:
                    recorded = command_log.claim(uow.session.connection(), key)
                    if recorded is not None:
                        return replay(key, recorded)
                result = work(uow)
                if not readonly:
                    uow.commit(key, result, claimed=may_be_recorded)
                return result
        except (DBAPIError, StaleDataError) as error:
            if uow is not None and uow.committing and commit_in_doubt(error):
                if key is None:
                    in_doubt = True  # the tick and the dispatcher do nothing twice: run again
                else:
                    found = look_up_after_doubt(key, url, backoff)
                    if found is None:
                        raise outcome_unknown(key) from error
                    if found:
                        return result  # written: this very answer is the recorded one
                    may_be_recorded = True  # not written: run again, and claim the key first
                    continue
            kind = classify(error)
            if kind == "conflict":
                # Not another run of the same intent: a claimed key makes any other wait for this transaction.
                if retry_conflicts and attempt < attempts:
                    time.sleep(backoff * 2 ** (attempt - 1))
                    continue
                raise _concurrent_change() from error
            if kind == "transient" and attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
                continue
            if kind == "transient" and in_doubt:
                raise outcome_unknown(None) from error
            raise database_error(error) from error
    if in_doubt:
        raise outcome_unknown(None)
    raise RetryableDatabaseError("database_unavailable", NOTHING_WRITTEN)


def replay(key: CommandKey, recorded: Recorded) -> Any:
    if recorded.digest != key.digest:
        raise InvalidInput("idempotency_key_reused", tr("The idempotency key {key} was already used for "
                                                        "another command (or by someone else); nothing was "
                                                        "written. A new command needs a new key.", key=key.key))
    return recorded.result


def _recorded(key: CommandKey, url: str | None) -> Recorded | None:
    from models import command_log

    with UnitOfWork(url, readonly=True) as uow:
        return command_log.look_up(uow.session.connection(), key.key)


def look_up_after_doubt(key: CommandKey, url: str | None, backoff: float, tries: int = 5) -> bool | None:
    """Whether ``key`` is recorded (as this command's), on a fresh connection; None when the database stays out
    of reach for ``tries`` looks (~3 s)."""
    from sqlalchemy.exc import DBAPIError

    for attempt in range(tries):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            recorded = _recorded(key, url)
        except DBAPIError:
            continue
        return recorded is not None and recorded.digest == key.digest
    return None
