"""What the flow-run heartbeat costs a run, by heartbeat frequency: the wall time of a trivial sync and async flow
run under Prefect's test harness (median of ``--runs``), and the heartbeat events a run of ``--live`` seconds sends.

Prefect 3.9.1 sends the heartbeat from the run's own process (a thread of the flow engine); a runner or a worker
only passes PREFECT_FLOWS_HEARTBEAT_FREQUENCY to the processes it starts. A sync run joins that thread when it
ends (it sleeps in 1 s steps), an async run does not.

    .venv/bin/python bench/heartbeat_cost.py [--runs 5] [--live 65]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--live", type=float, default=65, help="seconds of the run whose heartbeats are counted")
    args = parser.parse_args()

    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    @flow(name="bench-sync", persist_result=False)
    def sync_flow() -> int:
        return 1

    @flow(name="bench-async", persist_result=False)
    async def async_flow(seconds: float = 0) -> int:
        await asyncio.sleep(seconds)
        return 1

    with prefect_test_harness(server_startup_timeout=120):
        sync_flow()  # warm up: imports, the first client
        asyncio.run(async_flow())
        for frequency in (None, 180, 30):
            with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: frequency}):
                times = {}
                for name, run in (("sync", sync_flow), ("async", lambda: asyncio.run(async_flow()))):
                    walls = []
                    for _ in range(args.runs):
                        started = time.perf_counter()
                        run()
                        walls.append(time.perf_counter() - started)
                    times[name] = statistics.median(walls)
            print(f"heartbeat {str(frequency):>4}: sync run {times['sync']:.3f} s, async run {times['async']:.3f} s "
                  f"(median of {args.runs})", flush=True)
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 30}):
            state = asyncio.run(async_flow(args.live, return_state=True))
        run_id = state.state_details.flow_run_id
        time.sleep(3)  # events reach the API asynchronously
        from prefect.client.orchestration import get_client
        from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

        async def count() -> int:
            async with get_client() as client:
                page = await client.read_events(filter=EventFilter(
                    event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
                    resource=EventResourceFilter(id=[f"prefect.flow-run.{run_id}"])), limit=50)
                return len(page.events)

        print(f"a run of {args.live:.0f} s at heartbeat 30: {asyncio.run(count())} heartbeat events", flush=True)


if __name__ == "__main__":
    main()
