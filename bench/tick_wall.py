"""Wall time of one tick through the real flow (``flows.tick.tick_flow``) at 10 and 10,000 due deadlines.

    .venv/bin/python bench/tick_wall.py                       # SQLite in a temp dir, Prefect test harness
    .venv/bin/python bench/tick_wall.py --database-url postgresql://postgres@127.0.0.1:5432/coop_bench

Deadlines are bulk-inserted copies of an announced call (tests/prefect_fixtures.py); the firing goes
through the real tick: claim, machine, audit record, outbox, events, the tick artifact. Uses PREFECT_API_URL if set, else
starts Prefect's test harness.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ["COOP_SIMULATION"] = "1"  # its ticks claim moments of 2026: a new database becomes a simulation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="engine database (default: a fresh SQLite file)")
    parser.add_argument("--sizes", default="10,10000")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    from tests.conftest import empty_tables
    from tests.prefect_fixtures import clone_due_calls, empty_template, register_organisations

    harness = contextlib.nullcontext()
    if not os.environ.get("PREFECT_API_URL"):
        from prefect.testing.utilities import prefect_test_harness

        harness = prefect_test_harness(server_startup_timeout=120)
    with harness:
        from flows.tick import tick_flow

        asyncio.run(tick_flow(at="2026-01-01T00:00Z", database_url=_url(args)))  # warm up: imports, first run
        for size in (int(s) for s in args.sizes.split(",")):
            url = _url(args)
            empty_tables(url)
            register_organisations(url)
            clone_due_calls(url, empty_template(url), size, datetime(2026, 1, 24, tzinfo=UTC))
            started = time.perf_counter()
            result = asyncio.run(tick_flow(at="2026-01-25T00:00Z", batch_size=args.batch_size, database_url=url))
            elapsed = time.perf_counter() - started
            assert result["fired"] == size, result
            print(f"{size:>6} due deadlines: one tick {elapsed:6.2f} s ({result['batches']} batches, "
                  f"{1000 * elapsed / size:.2f} ms per deadline) [{url.split(':')[0]}]", flush=True)


_SQLITE = f"sqlite:///{Path(tempfile.mkdtemp(prefix='coop-bench-')) / 'bench.db'}"


def _url(args) -> str:
    return args.database_url or _SQLITE


if __name__ == "__main__":
    main()
