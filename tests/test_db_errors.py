"""Database errors by what they mean (their SQLSTATE on PostgreSQL, their result code on SQLite): exit 75
"temporarily unavailable" only for what is transient, a refusal (exit 2) for data the database refuses, exit 4
for a unique key taken meanwhile, an internal error (exit 70, the detail in the log, no traceback) for the
rest. And lengths: an input model takes its limit from the column, so both backends refuse the same text
before the database (a 294-character member name was stored on SQLite and exited 75 on PostgreSQL).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import coop.core_cli  # noqa: F401  (registers the command groups)
from coop.cli import app
from models.command_log import CommandRecord
from models.db import (
    DatabaseRefusal,
    InternalError,
    RetryableDatabaseError,
    classify,
    get_engine,
    normalise_url,
    run_in_transaction,
)
from models.notification_tables import Notification
from models.settings import SIMULATION, initialise_clock
from models.tables import CommitteeMember
from notifications.routing import TEMPLATES
from states.errors import ConcurrentChange
from states.inputs import CASE_CODE_PATTERN
from states.procedures.open_call.inputs import AppointMember
from tests.conftest import PG_ADMIN_URL, dump
from tests.test_open_call_guards import OFFICER, announced_call

TRANSIENT = ("40001", "40P01", "57P01", "57P03", "53300", "08006", "55P03")
REFUSED = ("22001", "22003", "23502", "23503", "23514")
INTERNAL = ("42P01", "42703", "XX000", "0A000")


def raising(state: str, attempts: list):
    def work(uow):
        attempts.append(state)
        uow.session.execute(sa.text(f"DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '{state}'; END $$"))

    return work


@pytest.mark.parametrize("state", TRANSIENT + REFUSED + ("23505",) + INTERNAL)
def test_a_postgresql_error_is_answered_by_its_sqlstate(state, postgresql_url):
    attempts: list = []
    expected = {**dict.fromkeys(TRANSIENT, RetryableDatabaseError), **dict.fromkeys(REFUSED, DatabaseRefusal),
                "23505": ConcurrentChange, **dict.fromkeys(INTERNAL, InternalError)}[state]
    with pytest.raises(expected) as info:
        run_in_transaction(raising(state, attempts), url=postgresql_url, backoff=0.001)
    assert info.value.exit_code == {RetryableDatabaseError: 75, DatabaseRefusal: 2, ConcurrentChange: 4,
                                    InternalError: 70}[expected]
    assert len(attempts) == (5 if state in TRANSIENT else 1)  # only the transient is tried again
    if expected is not ConcurrentChange:
        assert info.value.details["sqlstate"] == state


def sqlite_error(url: str, sql: str, *, hold_lock: bool = False) -> sa.exc.DBAPIError:
    engine = sa.create_engine(url, connect_args={"timeout": 0})
    holder = None
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, "
                                 "name TEXT NOT NULL CHECK (length(name) < 5), "
                                 "parent INTEGER REFERENCES t(id))")
        if hold_lock:
            holder = sa.create_engine(url).connect()
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            with pytest.raises(sa.exc.DBAPIError) as info:
                conn.exec_driver_sql(sql)
            return info.value
    finally:
        if holder is not None:
            holder.close()
        engine.dispose()


def test_a_sqlite_error_is_answered_by_its_result_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'codes.db'}"
    assert classify(sqlite_error(url, "INSERT INTO t (id, name) VALUES (1, 'a')", hold_lock=True)) == "transient"
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("INSERT INTO t (id, name) VALUES (1, 'a')")
    assert classify(sqlite_error(url, "INSERT INTO t (id, name) VALUES (1, 'b')")) == "conflict"  # UNIQUE
    assert classify(sqlite_error(url, "INSERT INTO t (id, name) VALUES (2, NULL)")) == "refused"  # NOT NULL
    assert classify(sqlite_error(url, "INSERT INTO t (id, name) VALUES (2, 'toolong')")) == "refused"  # CHECK
    assert classify(sqlite_error(url, "INSERT INTO t (id, name, parent) VALUES (2, 'b', 99)")) == "refused"  # FK
    assert classify(sqlite_error(url, "SELECT * FROM nowhere")) == "internal"


# --- the length of a member's name: from its column, the same refusal on both backends -------------------------


def test_a_name_longer_than_its_column_is_refused_the_same_on_both_backends(db_url):
    code = announced_call(db_url, orgs=1)
    env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": OFFICER.name}
    limit = CommitteeMember.__table__.c.name.type.length
    before = dump(db_url)
    result = CliRunner().invoke(app, ["committee", "appoint", code, "--name", "Jan " + "K" * 290,
                                      "--at", "2026-01-05T09:00+01:00"], env=env)  # 294 characters
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "nazwa: może mieć najwyżej" in result.stderr and str(limit) in result.stderr
    assert dump(db_url) == before
    longest = "Jan " + "K" * (limit - 4)  # the longest name the column holds is stored, on PostgreSQL too
    result = CliRunner().invoke(app, ["committee", "appoint", code, "--name", longest, "--email", "jan@example.org",
                                      "--at", "2026-01-05T09:00+01:00"], env=env)
    assert result.exit_code == 0, result.output
    with get_engine(normalise_url(db_url)).connect() as conn:
        keys = conn.execute(sa.select(Notification.key).where(Notification.key.contains(longest))).scalars().all()
    assert keys and max(map(len, keys)) <= Notification.__table__.c.key.type.length


def test_the_longest_message_key_fits_its_column():
    """A message key is ``CODE#SEQ/TEMPLATE/REF[/PART]``; the only free text in it is a member's name (REF
    ``member:NAME``), bounded by its column: the longest key fits notifications.key."""
    code = len("XXX/0000/000000")
    assert CASE_CODE_PATTERN == r"^[A-Z]{2,3}/[0-9]{4}/[0-9]{3,6}$"
    seq, part = 10, 3  # up to 9,999,999,999 records in a case; reminders numbered below 1,000
    ref = len("member:") + CommitteeMember.__table__.c.name.type.length
    longest = code + 1 + seq + 1 + max(map(len, TEMPLATES)) + 1 + ref + 1 + part
    assert longest <= Notification.__table__.c.key.type.length
    assert AppointMember.model_fields["name"].metadata[-1].max_length == CommitteeMember.__table__.c.name.type.length


# --- an internal error: exit 70, the detail in the log, no traceback for the person ---------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def broken_url(request, tmp_path):
    """A database of its own whose command log table is gone (a schema someone damaged)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'broken.db'}"
    else:
        name = f"coop_broken_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = get_engine(normalise_url(url))
    initialise_clock(engine, SIMULATION)  # its first use, done: the command below then changes nothing
    with engine.begin() as conn:
        CommandRecord.__table__.drop(conn)
    yield url
    engine.dispose()
    if request.param == "postgresql":
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_unexpected_database_error_exits_70_with_the_detail_in_the_log(broken_url, tmp_path):
    log = Path(tmp_path / "logs" / "coop.log")
    before = dump(broken_url)
    result = CliRunner().invoke(app, ["org", "add", "--name", "Fundacja", "--legal-form", "fundacja", "--address",
                                      "Leszno", "--email", "f@example.org", "--contact", "Prezes"],
                                env={"COOP_DATABASE_URL": broken_url, "COOP_ACTOR": OFFICER.name,
                                     "COOP_LOG_FILE": str(log)})
    assert result.exit_code == 70, result.output
    assert "Błąd wewnętrzny" in result.stderr and str(log) in result.stderr
    assert "Traceback" not in result.output and "command_log" not in result.stderr
    assert "Traceback" in log.read_text() and "command_log" in log.read_text()
    assert dump(broken_url) == before
