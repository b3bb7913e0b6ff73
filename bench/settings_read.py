"""What reading the settings from the engine's database costs (issue 23): one read alone, and a domain tick whose
every fired deadline notifies the officers (the hot path reads the settings once per batch's transaction).

    .venv/bin/python bench/settings_read.py                        # SQLite in a temp dir
    .venv/bin/python bench/settings_read.py --database-url postgresql://postgres@127.0.0.1:5432/coop_bench_settings

The database is emptied first (every table). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["COOP_SIMULATION"] = "1"  # the calls claim moments of 2026: a new database becomes a simulation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="engine database (default: a fresh SQLite file)")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=100, help="closed calls whose tick notifies the officers")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='coop-bench-settings-')) / 'coop.db'}"

    from models.db import run_in_transaction
    from tests.conftest import empty_tables
    from tests.notification_helpers import OFFICERS

    empty_tables(url)
    try:
        from tests.notification_helpers import write_settings
    except ImportError:  # an engine from before the settings moved (to compare): they came from the environment
        os.environ["COOP_OFFICERS_EMAIL"] = OFFICERS
    else:
        write_settings(url, officers_email=OFFICERS, smtp_host="smtp.um.leszno.example", max_attempts="5")

    try:
        from notifications.settings import load
    except ImportError:  # an engine from before the settings moved: nothing to read
        load = None
    if load is not None:
        import sqlalchemy as sa

        def read(uow):
            connection = uow.session.connection()
            connection.execute(sa.select(1))  # the transaction is open, as in a tick's batch: its read alone
            start = time.perf_counter()
            load(connection)
            return time.perf_counter() - start

        def round_trip(uow):
            connection = uow.session.connection()
            connection.execute(sa.select(1))
            start = time.perf_counter()
            connection.execute(sa.select(1)).scalar()
            return time.perf_counter() - start

        run_in_transaction(read, url=url, readonly=True)  # compile the statements once
        run_in_transaction(round_trip, url=url, readonly=True)
        alone, floor = [], []
        for _ in range(args.reads):  # interleaved: the machine's load weighs on both alike
            alone.append(run_in_transaction(read, url=url, readonly=True))
            floor.append(run_in_transaction(round_trip, url=url, readonly=True))
        print(f"one settings read in an open transaction (query, merge), median of {args.reads}: "
              f"{median(alone) * 1e6:.0f} µs; a bare SELECT 1 on the same connection: {median(floor) * 1e6:.0f} µs")

    from datetime import datetime
    from decimal import Decimal

    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from states.tick import tick
    from tests.notification_helpers import do as step

    # Calls announced with no offer: the tick closes (invalidates) each and tells the officers to publish it.

    for n in range(args.calls):
        code = step(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title=f"Konkurs B{n + 1}/2026", task_area="kultura",
                                                     budget=Decimal("10000.00")), "2026-03-02T08:30+01:00", url)["code"]
        step(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
            code=code, offer_deadline="2026-03-23", selection_date="2026-04-13", execution_start="2026-05-01",
            execution_end="2026-11-30", published={"bip": "2026-03-02T09:00+01:00", "board": "2026-03-02T10:00+01:00",
                                                   "website": "2026-03-02T11:00+01:00"}), "2026-03-02T12:00+01:00", url)
    start = time.perf_counter()
    report = tick(datetime.fromisoformat("2026-03-24T08:05+01:00"), url=url)
    elapsed = time.perf_counter() - start
    fired = getattr(report, "fired", None)
    print(f"domain tick closing {args.calls} calls (officers told of each): {elapsed * 1000:.0f} ms"
          f" ({elapsed / args.calls * 1000:.2f} ms per call){'' if fired is None else f', fired {fired}'}")


if __name__ == "__main__":
    main()
