"""bench/run.py's --database-url reaches every benchmark: B4 and B5 get the run's Databases, B4 runs its commands
against a fresh database of that backend, and rows name the backend. No timings are asserted (they live in bench/)."""

from __future__ import annotations

import os
import subprocess

import psycopg
import pytest

from bench import b4_command, b5_serve
from bench import run as bench_run
from bench.data import Databases
from bench.report import Row

PG_ADMIN_URL = os.environ.get("COOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.mark.parametrize("url, backend", [(PG_ADMIN_URL, "postgresql"), (None, "sqlite")])
def test_run_hands_b4_and_b5_the_backend_and_drops_afterwards(monkeypatch, url, backend):
    given: dict[str, Databases] = {}
    dropped: list[Databases] = []

    def fake_b4(dbs):
        given["b4"] = dbs
        return [Row(f"B4 fake [{dbs.backend}]", 1.0, "s")]

    def fake_b5(dbs, deadlines, tick_seconds):
        given["b5"] = dbs
        assert (deadlines, tick_seconds) == (20, 7)
        return [Row(f"B5 fake [{dbs.backend}]", 1.0, "s")]

    monkeypatch.setattr(b4_command, "run", fake_b4)
    monkeypatch.setattr(b5_serve, "run", fake_b5)
    monkeypatch.setattr(Databases, "drop_all", lambda self: dropped.append(self))
    argv = ["b4", "b5", "--serve-deadlines", "20", "--tick-seconds", "7"] + (["--database-url", url] if url else [])
    bench_run.main(argv)

    assert given["b4"] is given["b5"]  # one Databases per run, so drop_all sees every database made
    assert given["b5"].backend == backend and given["b5"].base_url == url
    assert dropped == [given["b5"]]


@pytest.mark.parametrize("url, backend", [(PG_ADMIN_URL, "postgresql"), (None, "sqlite")])
def test_b4_runs_its_commands_on_a_fresh_database_of_the_backend(monkeypatch, url, backend):
    monkeypatch.setattr(b4_command, "RUNS", 1)  # what is checked is where the commands run, not how fast
    seen: list[str] = []
    real_run = subprocess.run

    def recording_run(cmd, *args, env=None, **kwargs):
        if env is not None and "-c" not in cmd:
            seen.append(env["COOP_DATABASE_URL"])
        return real_run(cmd, *args, env=env, **kwargs)

    monkeypatch.setattr(b4_command.subprocess, "run", recording_run)
    dbs = Databases(url)
    try:
        rows = b4_command.run(dbs)
        (created,) = dbs.created
    finally:
        dbs.drop_all()

    assert created.startswith("postgresql://" if backend == "postgresql" else "sqlite:///")
    assert len(seen) == 4 and set(seen) == {created}  # two commands, each timed once and once under -X importtime
    assert [r.figure.endswith(f"[{backend}]") for r in rows] == [True, True]
    if backend == "postgresql":
        with psycopg.connect(PG_ADMIN_URL) as conn:
            name = created.rsplit("/", 1)[1]
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None
