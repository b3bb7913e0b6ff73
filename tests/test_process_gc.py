"""A long-running process (``coop serve``, the benchmarks) leaves the objects it imported out of garbage
collection from its first command on: full collections during a tick walked them all, 10-15 % of its time."""

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
