"""Garbage collection stays out of a tick's way: a long-running process (``coop serve``, the benchmarks)
leaves the objects it imported out of it from its first command on, and no cycle collection runs while a tick
fires its batches (full collections walked every object of the process, 10-15 % of a tick)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, sys
from states.tick import tick
before = gc.get_freeze_count()
tick("2026-01-24T08:00+01:00", url=sys.argv[1])
print(before, gc.get_freeze_count())
"""


def test_the_first_command_freezes_what_the_process_imported(db_url):
    out = subprocess.run([sys.executable, "-c", PROBE, db_url], capture_output=True, text=True, check=True).stdout
    before, after = map(int, out.split())
    assert before == 0
    assert after > 10_000  # the modules, classes and caches of SQLAlchemy, SQLModel and the engine


def test_no_cycle_collection_runs_during_a_tick_and_it_resumes_after(db_url):
    import gc

    from states.tick import tick
    from tests.prefect_fixtures import announced_call, register_organisations

    register_organisations(db_url)
    announced_call(db_url, offers=1, members=False)
    during: list[bool] = []
    assert gc.isenabled()
    report = tick("2026-01-24T08:00+01:00", url=db_url, on_batch=lambda batch: during.append(gc.isenabled()))
    assert report.fired >= 1 and during and not any(during)
    assert gc.isenabled()
    gc.disable()  # whoever switched it off keeps it off
    try:
        tick("2026-01-25T08:00+01:00", url=db_url)
        assert not gc.isenabled()
    finally:
        gc.enable()
