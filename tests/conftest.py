"""Shared fixtures: every database test runs on SQLite and on PostgreSQL with the same code.

Each backend's schema is migrated once per session; each test starts from empty tables.

Every database the tests create is a simulation (``COOP_SIMULATION=1``, set for the whole session and
inherited by the CLI run as a subprocess): the tests claim moments of 2026 with ``--at``. A test of a real
database makes one explicitly (``real_db_url``).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

os.environ["COOP_SIMULATION"] = "1"  # before any engine is made: only a database's first use reads it
# No test signs with, or publishes into, the user's own anchor key and folder (states/anchors.py): a tick in a test
# finds no key here unless the test makes one.
_ANCHORS = tempfile.mkdtemp(prefix="coop-test-anchors-")
os.environ["COOP_ANCHOR_KEY"] = os.path.join(_ANCHORS, "no-key.pem")
os.environ["COOP_ANCHOR_DIR"] = os.path.join(_ANCHORS, "anchors")
# The engine's default database and data (models/db.py ``default_sqlite_path``: platformdirs' user data folder) are
# this session's own, never the user's: a test that reaches the default read a database another checkout's newer
# code had migrated (session 14: nine tests failed on a revision they did not know). Inherited by every process a
# test starts; a test that wants another sets its own.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="coop-test-data-")
# The engine's form-proof key (states/form_proofs.py): one 0600 file for the session, made on the first proof,
# inherited by every process a test starts (workers, the CLI).
os.environ.setdefault("COOP_FORM_PROOF_KEY_FILE", os.path.join(tempfile.mkdtemp(prefix="coop-proof-key-"),
                                                               "form-proof-key"))

import models.schema  # noqa: F401, E402  (every table, for empty_tables and dump)
from models.db import get_engine, normalise_url  # noqa: E402
from models.settings import CLOCK, REAL, EngineSetting, initialise_clock  # noqa: E402
from notifications.bootstrap import bootstrap  # noqa: E402

bootstrap()  # an entry point like the CLI and the flows: the domain's events reach the outbox (states/events.py)
# Passwords hashed in the tests' own process: argon2id still, at its smallest cost (8 KiB, one pass), not the
# engine's 64 MiB and three passes, which took ~0.15-0.3 s a hash or check, about half of a login test's time.
# A check reads the cost from the hash, so the engine's processes (coop serve, the CLI) check these hashes, and
# these processes the engine's, as the engine would. The engine's own parameters are a test of their own
# (tests/test_desk.py::test_passwords_are_hashed_with_rfc_9106s_second_recommended_parameters).
from argon2 import PasswordHasher  # noqa: E402

from states import credentials as _credentials  # noqa: E402

_credentials._HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# The browser tests' fixtures and hooks (tests/browser.py): imported here so one Chromium serves every module.
from tests.browser import (  # noqa: F401, E402
    browser,
    live_server,
    new_context,
    pytest_runtest_makereport,
    pytest_terminal_summary,
    screenshot,
)
from tests.fast_tier import (  # noqa: F401, E402
    _no_database_in_a_fast_test,
    pytest_ignore_collect,
)
from tests.fast_tier import pytest_collection_modifyitems as _fast_tier_guard  # noqa: E402
from tests.prefect_fixtures import prefect_api  # noqa: F401, E402  (one Prefect test harness for the whole session)
from tests.scheduling import longest_first  # noqa: E402


def pytest_collection_modifyitems(config, items):
    _fast_tier_guard(config, items)
    longest_first(config, items)  # make test's order: the longest files first (tests/scheduling.py)


PG_ADMIN_URL = os.environ.get("COOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Every message a test renders must read as text: a parameter with no human form (an object that would print as
# its Python repr) raises instead of leaking (kernel/text.py).
os.environ.setdefault("COOP_STRICT_MESSAGES", "1")
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    return f"sqlite:///{Path(tmp_path_factory.mktemp('db')) / 'coop.db'}"


@contextmanager
def scratch_postgresql(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own for the block, dropped after it (its engine disposed first)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        get_engine(normalise_url(url)).dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def unused_database(backend: str, folder: Path, prefix: str) -> Iterator[str]:
    """A database nothing has used yet (not the session's, which is already migrated), on ``backend``."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / (prefix + '.db')}"
        try:
            yield url
        finally:
            get_engine(url).dispose()
        return
    with scratch_postgresql(prefix) as url:
        yield normalise_url(url)


@pytest.fixture(scope="session")
def postgresql_url():
    with scratch_postgresql("coop_test") as url:
        yield url


@contextmanager
def history_unlocked(conn) -> Iterator[None]:
    """Let this transaction delete or change audit records, which the database refuses to anyone (migration
    0008): for emptying the tables between tests, and for the tests that tamper with the history on purpose
    to prove the verifiers find it. PostgreSQL: as a superuser (the tests' ``postgres``), with the ordinary
    triggers off for this transaction only (``SET LOCAL session_replication_role = replica``) — what the
    engine's role can never do. SQLite: the triggers dropped and made again inside the transaction."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield
        conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
        return
    triggers = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                    "AND tbl_name IN ('audit_log', 'audit_anchors', 'people_log')").all()
    for name, _ in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in triggers:
        conn.exec_driver_sql(sql)


def _emptied(table: sa.Table) -> tuple[sa.ColumnElement[bool], ...]:
    """Which rows of ``table`` emptying deletes: all but the database's clock mode, which it keeps for life."""
    settings = EngineSetting.__table__
    return (settings.c.key != CLOCK,) if table is settings else ()


@lru_cache(maxsize=4)
def _held(tables: tuple[sa.Table, ...]) -> sa.CompoundSelect:
    """One query naming (by their place in ``tables``) the tables that hold a row to empty."""
    return sa.union_all(*(
        sa.select(sa.literal(number)).where(sa.exists(sa.select(1).select_from(table).where(*_emptied(table))))
        for number, table in enumerate(tables)))


def empty_tables(url: str) -> None:
    """Every row gone but the database's clock mode, which a database keeps for life (models/settings.py).
    For each test (``db_url``): one query finds the tables that hold rows (most tests write to a few of the ~50),
    and only those are emptied, children before parents."""
    engine = get_engine(normalise_url(url))  # migrates on first use
    tables = tuple(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        held = sorted(number for number, in conn.execute(_held(tables)))
        if not held:
            return
        with history_unlocked(conn):
            for number in held:
                conn.execute(tables[number].delete().where(*_emptied(tables[number])))


@pytest.fixture(params=BACKENDS)
def db_url(request) -> str:
    url = request.getfixturevalue(f"{request.param}_url")
    empty_tables(url)
    return url


@pytest.fixture(scope="session")
def real_sqlite_url(tmp_path_factory) -> str:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('real')) / 'coop.db'}"
    initialise_clock(get_engine(url), REAL)
    return url


@pytest.fixture(scope="session")
def real_postgresql_url():
    with scratch_postgresql("coop_real") as url:
        initialise_clock(get_engine(normalise_url(url)), REAL)
        yield url


@pytest.fixture(params=BACKENDS)
def real_db_url(request) -> str:
    """A real database (for work, not a simulation) of each backend, emptied for each test."""
    url = request.getfixturevalue(f"real_{request.param}_url")
    empty_tables(url)
    return url


@pytest.fixture
def cli(db_url):
    """The installed CLI as an officer types it on a simulation database at a fixed moment (a test file may define its
    own): ``cli("offer", "file", ..., role=..., lang=..., at=...)``; a user error exits with a message, never a
    traceback."""
    from typer.testing import CliRunner

    from coop.cli import app

    runner = CliRunner()

    def invoke(*args: str, lang: str = "pl", role: str = "officer", at: str | None = "2026-01-02T12:00+01:00"):
        env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": role, "COOP_LANG": lang,
               "COOP_NOW": at}
        result = runner.invoke(app, list(args), env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result

    invoke.url = db_url
    return invoke


# Every column of every table, in one query (a dump runs hundreds of times a file: one reflection per table
# was half its cost).
_COLUMNS = {
    "sqlite": "SELECT m.name, c.name FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS c "
              "WHERE m.type = 'table'",
    "postgresql": "SELECT c.relname, a.attname FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid "
                  "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
                  "AND a.attnum > 0 AND NOT a.attisdropped",
}


@lru_cache(maxsize=64)
def _dump_selects(present: frozenset[tuple[str, str]]) -> tuple[tuple[str, sa.Select], ...]:
    """The SELECT of each table that ``present`` (its (table, column) pairs) holds, of the columns it holds."""
    return tuple((t.name, sa.select(*(c for c in t.columns if (t.name, c.name) in present)))
                 for t in SQLModel.metadata.sorted_tables if any((t.name, c.name) in present for c in t.columns))


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, to show that a refused command changed nothing."""
    engine = get_engine(normalise_url(url))
    with engine.connect() as conn:
        # a database at an older revision lacks the newer tables and columns: the ones it has are read
        present = frozenset(map(tuple, conn.execute(sa.text(_COLUMNS[engine.dialect.name]))))
        return {name: sorted(map(tuple, conn.execute(selected).all()), key=repr)
                for name, selected in _dump_selects(present)}
