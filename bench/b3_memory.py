"""B3: peak RSS of the tick (``states.tick.tick``, every due deadline fired) in a child process, at N and 10 × N
live cases with N / 10 due. Baseline: the same child that imports the same modules and opens the database
without ticking (what the interpreter and libraries cost before any work)."""

from __future__ import annotations

import subprocess
import sys

from bench.data import TICK_AT, Databases, build_live_cases
from bench.report import Row
from models.db import get_engine

CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
import sqlalchemy as sa
from models.db import get_engine
from states.tick import tick
import states.procedures
with get_engine({url!r}).connect() as conn:
    conn.execute(sa.text("SELECT 1"))
fired = tick({at!r}, url={url!r}).fired if {work!r} else 0
print(fired, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _peak(url: str, work: bool) -> tuple[int, float]:
    from bench.run import ROOT

    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), url=url, at=TICK_AT.isoformat(),
                                                             work=work)],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), float(out[1])


def run(dbs: Databases, cases: int) -> list[Row]:
    rows, peaks = [], []
    for n in (cases, 10 * cases):
        url = dbs.fresh("b3")
        build_live_cases(url, n, n // 10)
        get_engine(url).dispose()
        _, idle = _peak(url, work=False)
        fired, peak = _peak(url, work=True)
        assert fired == n // 10, (fired, n)
        peaks.append(peak)
        print(f"  B3: {n:,} live, {fired:,} fired: peak RSS {peak:.0f} MB (idle child {idle:.0f} MB)", flush=True)
        goal = "≤ 300 MB" + (" (issue: at 100,000)" if n != 100000 else "")
        rows.append(Row(f"B3 peak RSS of the tick, {n:,} live, {fired:,} due [{dbs.backend}]", peak, "MB", idle,
                        goal, peak <= 300, note="baseline: the same child without the tick"))
    rows.append(Row(f"B3 peak RSS growth, {10 * cases:,} vs {cases:,} live [{dbs.backend}]", peaks[1], "MB", peaks[0],
                    "≤ 2×", peaks[1] <= 2 * peaks[0], note="baseline column: the peak at N"))
    return rows
