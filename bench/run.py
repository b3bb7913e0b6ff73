"""Run the benchmarks and print one table: figure, baseline (same run), ratio, goal, pass/fail.

    python -m bench                                  # quick run: B1-B4 at small sizes, SQLite
    python -m bench --with-serve                     # + B5 (coop serve, ~2 minutes)
    python -m bench b1 --cases 100000 --due 10000
    python -m bench b2 --calls 1000
    python -m bench b3 --cases 100000                # and 10 × that
    python -m bench b4                               # coop history / calendar as subprocesses
    python -m bench b5 --serve-deadlines 20          # coop serve alone
    python -m bench b7 --cases 100000 --database-url postgresql://…   # "Na dziś": one officer's list
    python -m bench b6 --window 600 --database-url postgresql://…     # the deadline-eve rush over HTTP
    python -m bench full                             # every benchmark at the issue's sizes (hours)

Any benchmark, alone or together, runs on PostgreSQL with --database-url postgresql://postgres@127.0.0.1:5432/postgres:
each builds fresh databases beside that URL (dropped at the end) and its rows name the backend, e.g. "[postgresql]".

Timed assertions do not belong in tests, so the figures live here. The machine is shared: figures are noisy,
and goals are ratios to a baseline measured in the same run wherever a baseline exists.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

QUICK = {"cases": 10000, "due": 1000, "calls": 30, "spiff_calls": 30, "memory_cases": 10000}
FULL = {"cases": 100000, "due": 10000, "calls": 1000, "spiff_calls": 1000, "memory_cases": 100000}


def machine() -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = "—"
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores (nproc), {ram:.1f} GiB RAM, "
            f"{platform.platform()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"PostgreSQL {pg}; load average {os.getloadavg()[0]:.1f} at start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", default=[], help="b1 b2 b3 b4 b5 b6 b7, or 'full' (default: b1-b4 quick)")
    parser.add_argument("--cases", type=int, help="B1, B7: live cases (quick 10,000; full 100,000)")
    parser.add_argument("--rounds", type=int, default=30, help="B7: timed rounds (each measurement once a round)")
    parser.add_argument("--due", type=int, help="B1: due deadlines (quick 1,000; full 10,000)")
    parser.add_argument("--calls", type=int, help="B2: lifecycles driven through the domain (quick 30; full 1,000)")
    parser.add_argument("--spiff-calls", type=int, help="B2: SpiffWorkflow lifecycles (default: as --calls)")
    parser.add_argument("--memory-cases", type=int, help="B3: live cases N (and 10 × N) (quick 10,000)")
    parser.add_argument("--database-url", help="PostgreSQL server URL for every benchmark (fresh databases are "
                        "created beside it and dropped at the end; default: SQLite files in a temp dir)")
    parser.add_argument("--with-serve", action="store_true", help="also run B5 (coop serve; slow)")
    parser.add_argument("--serve-deadlines", type=int, default=24)
    parser.add_argument("--tick-seconds", type=int, default=10)
    parser.add_argument("--organisations", type=int, default=1000, help="B6: organisations filing before the deadline")
    parser.add_argument("--window", type=float, help="B6: seconds of the rush before the deadline (default 120; "
                        "the issue's 600 in 'full')")
    parser.add_argument("--last-second", type=int, help="B6: of them in the last second (default organisations / 5)")
    parser.add_argument("--late", type=int, help="B6: more organisations filing in the second after the deadline "
                        "(default organisations / 20)")
    parser.add_argument("--workers", type=int, help="B6: uvicorn worker processes (default: the cores, at least 2)")
    parser.add_argument("--group-commit", action="store_true", help="B6: the door writes filings into one call "
                        "that wait together in one transaction (COOP_GROUP_COMMIT=1, states/batched_filing.py)")
    parser.add_argument("--timeout", type=float, default=5.0, help="B6: a client's timeout (s) before it retries "
                        "with the same idempotency key")
    args = parser.parse_args(argv)

    which = [w.lower() for w in args.which]
    sizes = dict(FULL if "full" in which else QUICK)
    if "full" in which:
        which = ["b1", "b2", "b3", "b4", "b5", "b6", "b7"]
    which = which or ["b1", "b2", "b3", "b4"] + (["b5"] if args.with_serve else [])
    for key in sizes:
        if getattr(args, key, None):
            sizes[key] = getattr(args, key)
    if not args.spiff_calls and args.calls:
        sizes["spiff_calls"] = args.calls

    from bench.data import Databases
    from bench.report import table

    print(f"# coop-engine benchmarks — {machine()}", flush=True)
    print(f"# python -m bench {' '.join(sys.argv[1:] if argv is None else argv)}", flush=True)
    rows = []
    dbs = Databases(args.database_url)
    started = time.perf_counter()
    try:
        if "b1" in which:
            with _prefect():
                from bench import b1_tick

                rows += b1_tick.run(dbs, sizes["cases"], sizes["due"])

        if "b2" in which:
            from bench import b2_lifecycle

            rows += b2_lifecycle.run(dbs, sizes["calls"], sizes["spiff_calls"])
        if "b3" in which:
            from bench import b3_memory

            rows += b3_memory.run(dbs, sizes["memory_cases"])
        if "b4" in which:
            from bench import b4_command

            rows += b4_command.run(dbs)
        if "b5" in which:
            from bench import b5_serve

            rows += b5_serve.run(dbs, args.serve_deadlines, args.tick_seconds)
        if "b6" in which:
            from bench import b6_rush

            window = args.window or (b6_rush.ISSUE_WINDOW if "full" in (w.lower() for w in args.which) else 120.0)
            rows += b6_rush.run(dbs, b6_rush.Plan(organisations=args.organisations, window=window,
                                                  last_second=args.last_second, late=args.late, workers=args.workers,
                                                  timeout=args.timeout, group_commit=args.group_commit))
        if "b7" in which:
            from bench import b7_todo

            rows += b7_todo.run(dbs, sizes["cases"], args.rounds)
    finally:
        dbs.drop_all()
    print(f"\n# results ({time.perf_counter() - started:.0f} s)\n", flush=True)
    print(table(rows))
    if any(r.passed is False for r in rows):
        print("\nSome goals are not met: see docs/benchmarks.md for what stands in the way.")


@contextlib.contextmanager
def _prefect():
    """Prefect's test harness unless PREFECT_API_URL names a server."""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kwargs)


if __name__ == "__main__":
    main()
