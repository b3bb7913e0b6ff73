"""SQLite's log is checkpointed by a thread beside the writer (models/wal.py), not inside its commits."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from models.db import checkpointer_for, get_engine, normalise_url
from models.wal import AUTOCHECKPOINT_PAGES, Checkpointer
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from tests.test_open_call_guards import OFFICER, do


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def cases_in_the_database_file(path: str, tmp_path) -> int:
    """Cases found in the database file alone, without its log: what a checkpoint has copied there."""
    alone = tmp_path / "without-log.db"
    shutil.copyfile(path, alone)
    conn = sqlite3.connect(alone)
    try:
        return conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    finally:
        conn.close()


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("wal-checkpoint")]


def test_a_committed_command_is_checkpointed_by_the_thread_not_by_its_commit(db_url, tmp_path):
    engine = get_engine(normalise_url(db_url))
    checkpointer = checkpointer_for(engine)
    if engine.dialect.name == "postgresql":
        assert checkpointer is None  # PostgreSQL checkpoints itself
        return
    with engine.connect() as conn:  # the committing connection would checkpoint only past the safety net
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == AUTOCHECKPOINT_PAGES
    before = checkpointer.checkpoints
    do(db_url, open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Konkurs", task_area="pomoc społeczna", budget="1000.00"),
       "2026-01-02T08:30+01:00", OFFICER)
    assert wait_for(lambda: checkpointer.checkpoints > before)
    assert cases_in_the_database_file(checkpointer.path, tmp_path) == 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM cases")).scalar() == 1


def test_the_thread_ends_when_idle_and_starts_again_on_the_next_commit(tmp_path):
    path = str(tmp_path / "idle.db")
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
    checkpointer = Checkpointer(path, idle_seconds=0.05, min_interval=0)
    checkpointer.request()
    assert wait_for(lambda: checkpointer.checkpoints == 1)
    assert wait_for(lambda: checkpointer._thread is None)  # idle: no thread left behind
    assert wait_for(lambda: not [t for t in checkpoint_threads() if path in t.name])  # once it has closed up
    checkpointer.request()
    assert wait_for(lambda: checkpointer.checkpoints == 2)


def test_a_removed_database_is_not_created_again_and_no_command_fails(tmp_path, caplog):
    path = tmp_path / "gone.db"
    checkpointer = Checkpointer(str(path), idle_seconds=0.05, min_interval=0)
    with caplog.at_level(logging.WARNING, logger="models.wal"):
        checkpointer.request()  # never raises in the caller
        assert wait_for(lambda: "WAL checkpoint" in caplog.text)
    assert not path.exists()
    assert checkpointer.checkpoints == 0


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_a_database_in_memory_has_no_checkpointer(url):
    assert checkpointer_for(sa.create_engine(url)) is None
