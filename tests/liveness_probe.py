"""A flow whose runs the crash automation watches (its name starts with ``coop-``), for tests/test_liveness.py.

``python tests/liveness_probe.py serve``: serves it as ``coop serve`` serves the engine's flows (a runner, the
engine's heartbeat frequency), to be killed with its run. ``python tests/liveness_probe.py run SECONDS``: one
run in this process, with the heartbeat frequency taken from the environment, like a worker's flow run.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prefect import flow, serve  # noqa: E402

from flows.automations import HEARTBEAT_SECONDS  # noqa: E402


@flow(name="coop-liveness-probe", persist_result=False)
async def probe(seconds: float = 600) -> str:
    await asyncio.sleep(seconds)
    return "done"


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(probe.to_deployment("probe"), query_seconds=1, heartbeat_seconds=HEARTBEAT_SECONDS,
              print_starting_message=False)
    else:
        asyncio.run(probe(float(sys.argv[2])))
