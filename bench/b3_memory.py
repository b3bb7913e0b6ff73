"""B3: peak RSS of the tick (``states.tick.tick``, every due deadline fired) in a child process, at N and 10 × N
live cases with N / 10 due.

The child first does everything that is not the tick's own work: imports, a warm-up tick on a small database
of the same mix (one deadline of every kind fires, so lazy imports and caches are filled), opening the
measured database. It then reads its peak so far (the start-up peak, VmHWM), resets the high-water mark to
its current RSS (``/proc/self/clear_refs``, Linux ≥ 4.0), ticks, and reads VmHWM again: the peak while
ticking. Baseline: the RSS at the moment the tick starts, so the difference is the tick's own memory.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.data import TICK_AT, Databases, build_live_cases
from bench.report import Row
from models.db import get_engine

CHILD = """
import gc, json, sys
sys.path.insert(0, {root!r})

def status():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {{key: int(fields[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS")}}

import sqlalchemy as sa
from models.db import get_engine
from states.tick import tick
warm = tick({at!r}, url={warm!r})
assert warm.fired and not warm.skipped, (warm.fired, warm.skipped_reasons)
with get_engine({url!r}).connect() as conn:
    conn.execute(sa.text("SELECT 1"))
del warm
gc.collect()
before = status()
with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # VmHWM := VmRSS
report = tick({at!r}, url={url!r})
after = status()
print(json.dumps({{"fired": report.fired, "skipped": report.skipped, "startup_peak": before["VmHWM"],
                  "at_start": before["VmRSS"], "peak": after["VmHWM"]}}))
"""


def _measure(url: str, warm: str) -> dict:
    from bench.run import ROOT

    code = CHILD.format(root=str(ROOT), url=url, warm=warm, at=TICK_AT.isoformat())
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"B3 child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(dbs: Databases, cases: int) -> list[Row]:
    import time

    rows, figures = [], []
    for n in (cases, 10 * cases):
        warm = dbs.fresh("b3warm")
        build_live_cases(warm, 11, 10)  # one copy of each template, all but one due
        url = dbs.fresh("b3")
        started = time.perf_counter()
        described = build_live_cases(url, n, n // 10)
        built = time.perf_counter() - started
        for db in (warm, url):
            get_engine(db).dispose()
        m = _measure(url, warm)
        assert (m["fired"], m["skipped"]) == (n // 10, 0), (m, n)
        own = m["peak"] - m["at_start"]
        figures.append((m["peak"], own))
        print(f"  B3: {n:,} live ({described['copies']:,} copies, built in {built:.0f} s), {m['fired']:,} fired: "
              f"peak while ticking {m['peak']:.0f} MB, RSS at its start {m['at_start']:.0f} MB (tick's own "
              f"{own:.0f} MB), start-up peak {m['startup_peak']:.0f} MB", flush=True)
        goal = "≤ 300 MB" + (" (issue: at 100,000)" if n != 100000 else "")
        rows.append(Row(f"B3 peak RSS while ticking, {n:,} live, {m['fired']:,} due [{dbs.backend}]", m["peak"], "MB",
                        m["at_start"], goal, m["peak"] <= 300,
                        note="baseline: RSS when the tick starts (after imports, a warm-up tick, the database opened)"))
        rows.append(Row(f"B3 the tick's own memory, {n:,} live [{dbs.backend}]", own, "MB",
                        note="peak while ticking − RSS at its start"))
        rows.append(Row(f"B3 start-up peak before the tick, {n:,} live [{dbs.backend}]", m["startup_peak"], "MB",
                        note="imports, the warm-up tick, opening the database: VmHWM before the tick"))
    (peak_n, own_n), (peak_10n, own_10n) = figures
    rows.append(Row(f"B3 peak RSS growth, {10 * cases:,} vs {cases:,} live [{dbs.backend}]", peak_10n, "MB", peak_n,
                    "≤ 2×", peak_10n <= 2 * peak_n, note="baseline column: the peak while ticking at N"))
    rows.append(Row(f"B3 the tick's own memory growth, {10 * cases:,} vs {cases:,} live [{dbs.backend}]", own_10n,
                    "MB", own_n, note="baseline column: the tick's own memory at N (10× the due deadlines too)"))
    return rows
