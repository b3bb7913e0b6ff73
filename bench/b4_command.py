"""B4: an officer's command as a subprocess (median wall time of 10 runs), and no prefect import on its path.

Baseline: the bare interpreter (``python -c pass``) in the same run, what any command costs before its code.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.data import Databases
from bench.report import Row

RUNS = 10


def _coop() -> list[str]:
    script = Path(sys.executable).with_name("coop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "coop"]


def _median(cmd: list[str], env: dict) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# What a quick command should not load (coop/quick.py); prefect decides pass or fail, the rest is reported.
WATCHED = ("prefect", "typer", "sqlalchemy", "sqlmodel", "pydantic", "alembic", "psycopg")


def _imports(args: list[str], env: dict) -> set[str]:
    """The watched top-level packages that ``-X importtime`` shows the command importing."""
    cmd = [sys.executable, "-X", "importtime", *_coop()[-1:], *args] if _coop()[0] != sys.executable else \
        [sys.executable, "-X", "importtime", "-m", "coop", *args]
    err = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    names = {line.split("|")[-1].strip().split(".")[0] for line in err.splitlines() if line.startswith("import time:")}
    return names & set(WATCHED)


def run(dbs: Databases) -> list[Row]:
    from bench.run import ROOT
    from tests.prefect_fixtures import announced_call, register_organisations

    url = dbs.fresh("b4")
    register_organisations(url)
    code = announced_call(url, offers=3)
    env = {**os.environ, "COOP_DATABASE_URL": url, "COOP_ACTOR": "bench", "PYTHONPATH": str(ROOT)}
    bare = _median([sys.executable, "-c", "pass"], env)
    rows = []
    for label, args in ((f"coop history {code}", ["history", code]),
                        ("coop calendar period 2026-07-16 30", ["calendar", "period", "2026-07-16", "30"])):
        median = _median([*_coop(), *args], env)
        imported = _imports(args, env)
        prefect = "prefect" in imported
        rows.append(Row(f"B4 {label}, median of {RUNS} [{dbs.backend}]", median, "s", bare,
                        "≤ 0.3 s, no prefect import", median <= 0.3 and not prefect,
                        note=f"baseline: python -c pass; -X importtime shows prefect: {'YES' if prefect else 'no'}; "
                             f"of {', '.join(WATCHED[1:])}: {', '.join(sorted(imported - {'prefect'})) or 'none'}"))
    return rows
