"""What the tick's watchdog read costs (states/tick.py ``watch``: the oldest due deadline and the count of those
due, in one read-only transaction), with ``--due`` deadlines due among ``--not-due`` not yet due; median of
``--rounds`` (``--due`` at least 1). A fresh simulation database: an SQLite file, or ``--database-url`` (PostgreSQL, created if needed).

    .venv/bin/python bench/watchdog_cost.py [--due 10000] [--not-due 10000] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["COOP_SIMULATION"] = "1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=10000)
    parser.add_argument("--not-due", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from states.tick import watch
    from tests.prefect_fixtures import clone_due_calls, empty_template, register_organisations

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/watchdog.db"
    if args.database_url:
        from tests.conftest import empty_tables

        empty_tables(url)
    register_organisations(url)
    template = empty_template(url)
    clone_due_calls(url, template, args.due, datetime(2026, 1, 20, tzinfo=UTC))
    clone_due_calls(url, template, args.not_due, datetime(2027, 1, 20, tzinfo=UTC), first_number=500000)
    now = datetime(2026, 2, 1, tzinfo=UTC)
    assert watch(now, url=url).due == args.due
    walls = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        watch(now, url=url)
        walls.append(time.perf_counter() - started)
    print(f"watch: {statistics.median(walls) * 1000:.2f} ms median of {args.rounds} "
          f"({args.due} due, {args.not_due} not due, {url.split(':')[0]})")


if __name__ == "__main__":
    main()
