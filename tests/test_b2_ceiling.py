"""B2's ceiling row times the smallest write command: it must really load a call, write and commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from kernel.moments import as_utc
from models.db import get_engine


def test_the_smallest_command_commits_each_calls_clock_and_nothing_else(db_url):
    from bench.b2_lifecycle import domain_lifecycles, smallest_commands

    domain_lifecycles(db_url, 1)  # a warm-up call and a timed one
    engine = get_engine(db_url)

    def counts():
        with engine.connect() as conn:
            return {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in ("cases", "audit_log", "notifications", "deadlines")}

    before = counts()
    assert smallest_commands(db_url, 4) > 0
    assert counts() == before
    with engine.connect() as conn:
        clocks = conn.execute(sa.text("SELECT last_event_at FROM cases WHERE kind = 'open_call'")).scalars().all()
    moved = [as_utc(clock) for clock in clocks]
    assert len(moved) == 2
    assert all(moment == datetime(2026, 12, 1, 8, tzinfo=UTC) for moment in moved), moved


def test_spiffworkflows_file_is_removed_with_the_benchmarks_databases():
    import sqlite3

    from bench.data import Databases

    dbs = Databases(None)
    path = dbs.scratch_file(f"spiff-{uuid.uuid4().hex[:6]}.db")
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
    db.commit()
    db.close()
    assert path.exists()
    dbs.drop_all()
    assert [p for p in path.parent.glob(f"{path.name}*")] == []
