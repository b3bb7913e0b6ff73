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
from typing import TYPE_CHECKING, TypeVar

from models.moments import as_utc
from models.wal import AUTOCHECKPOINT_PAGES, Checkpointer
from states.errors import ConcurrentChange, DomainError
from states.text import Text

# The newest migration; a test checks it matches Alembic's head so the cheap check below stays honest.
SCHEMA_REVISION = "0004"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

T = TypeVar("T")

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import Session

# Every SQLite connection, the engine's and the quick path's, behaves the same way.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}",  # checkpoints run beside the writer: models/wal.py
)


def default_sqlite_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("coop-engine", appauthor=False)) / "coop.db"


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

    json_columns = {"json_serializer": json_text, "json_deserializer": json_value}
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
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


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
            Text(f"Schemat bazy danych ma wersję {revision!r}, której ten program nie zna (najnowsza znana: "
                 f"{SCHEMA_REVISION!r}); zaktualizuj coop-engine albo wskaż właściwą bazę (COOP_DATABASE_URL). "
                 "Niczego nie zmieniono.",
                 f"The database schema is at revision {revision!r}, which this program does not know (newest known: "
                 f"{SCHEMA_REVISION!r}); upgrade coop-engine or point COOP_DATABASE_URL at the right database. "
                 "Nothing was changed."),
        )
    upgrade(engine)


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
        # Through the connection, not the session: a session query would first flush the rows the step holds
        # (a tick's batch writes them later in one statement per table, models/rows.py).
        return as_utc(session.connection().exec_driver_sql("SELECT CURRENT_TIMESTAMP").scalar_one())
    session.connection()  # BEGIN (IMMEDIATE, for a writer): the moment is taken once the lock is ours
    return datetime.now(UTC)


TRANSIENT_MARKERS = (
    "database is locked",
    "could not serialize",
    "deadlock detected",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "consuming input failed",
)


def is_transient(error: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    text = str(getattr(error, "orig", error)).lower()
    return any(marker in text for marker in TRANSIENT_MARKERS)


def is_unique_violation(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text


class UnitOfWork:
    """One database transaction: everything a command writes commits together or not at all."""

    def __init__(self, url: str | None = None, *, readonly: bool = False) -> None:
        self.engine = get_engine(url)
        self.readonly = readonly
        self.checkpointer = None if readonly else checkpointer_for(self.engine)
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        from sqlmodel import Session

        bind = self.engine.execution_options(coop_readonly=True) if self.readonly else self.engine
        self.session = Session(bind=bind, expire_on_commit=False, autoflush=True)
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        if self.readonly:
            raise RuntimeError("a read-only unit of work cannot commit")
        from models.rows import write_pending

        write_pending(self.session)
        self.session.commit()
        if self.checkpointer is not None:
            self.checkpointer.request()


class RetryableDatabaseError(DomainError):
    exit_code = 75  # EX_TEMPFAIL


def run_in_transaction(
    work: Callable[[UnitOfWork], T],
    *,
    url: str | None = None,
    readonly: bool = False,
    attempts: int = 5,
    backoff: float = 0.2,
    retry_conflicts: bool = False,
) -> T:
    """Run ``work`` in a fresh unit of work, committing at the end; retry transient faults with backoff.

    A lost race on the same case (stale row version, duplicate audit sequence) is not retried: the caller
    must look at the case again, so it becomes ``ConcurrentChange`` (unless ``retry_conflicts``: the tick
    simply claims its batch again).
    """
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    for attempt in range(1, attempts + 1):
        try:
            with UnitOfWork(url, readonly=readonly) as uow:
                result = work(uow)
                if not readonly:
                    uow.commit()
                return result
        except (StaleDataError, IntegrityError) as error:
            # Handlers check uniqueness before writing, so a unique constraint that fails here means a
            # concurrent writer; any other integrity error is a bug and must surface as one.
            if isinstance(error, IntegrityError) and not is_unique_violation(error):
                raise
            if retry_conflicts and attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
                continue
            raise ConcurrentChange(
                "concurrent_change",
                Text(
                    "Sprawa została w międzyczasie zmieniona przez kogoś innego: sprawdź jej stan i ponów polecenie.",
                    "The case changed meanwhile: check it and retry.",
                ),
            ) from error
        except (OperationalError, DBAPIError) as error:
            if not is_transient(error) or attempt == attempts:
                if is_transient(error):
                    raise RetryableDatabaseError(
                        "database_unavailable",
                        Text(
                            "Baza danych chwilowo niedostępna; nic nie zostało zapisane. Ponów polecenie.",
                            "The database is temporarily unavailable; nothing was written. Retry the command.",
                        ),
                    ) from error
                raise
            time.sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")
