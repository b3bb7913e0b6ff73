"""The tick's watchdog: before it fires anything, how long the oldest due deadline has waited (issue 23).

Ticks come every ``interval_seconds``, so a deadline normally waits less than one interval. Beyond two, ticks
are missing (runs not started, a worker down, a tick failing) and the tick says so: in its result, in its
``tick`` artifact, as a warning in its log, and as the Prefect event ``coop.deadlines.late`` that an automation
may turn into a message to the IT person. ``coop deadlines late`` reads the same figure outside Prefect.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from prefect import get_run_logger
from prefect.events import emit_event

from states.local_time import moment_iso
from states.tick import DeadlineWatch, watch

LATE_EVENT = "coop.deadlines.late"


def late_threshold(interval_seconds: int) -> int:
    """Two tick intervals: a deadline due just after a tick waits one interval for the next."""
    return 2 * interval_seconds


def emit_late_deadlines(figure: DeadlineWatch, threshold_seconds: float) -> None:
    emit_event(
        event=LATE_EVENT,
        resource={"prefect.resource.id": "coop.deadlines", "prefect.resource.name": "coop-deadlines"},
        related=[{"prefect.resource.id": f"coop.case.{figure.case}", "prefect.resource.name": figure.case,
                  "prefect.resource.role": "case"}] if figure.case else [],
        payload={"age_seconds": round(figure.age_seconds, 3), "case": figure.case, "kind": figure.kind,
                 "due_at": moment_iso(figure.oldest_due_at) if figure.oldest_due_at else None,
                 "due": figure.due, "threshold_seconds": threshold_seconds},
    )


async def watch_at_start(moment: datetime | None, database_url: str | None, interval_seconds: int
                         ) -> tuple[DeadlineWatch | None, dict[str, Any] | None]:
    """The figure before the tick fires, announced when late. A failure to read it is logged, never fatal: the
    tick's work is to fire the deadlines, and it goes on to do it."""
    logger = get_run_logger()
    threshold = late_threshold(interval_seconds)
    try:
        figure = await asyncio.to_thread(watch, moment, url=database_url)
    except Exception as error:  # noqa: BLE001 - the figure must never stop the deadlines
        logger.warning("watchdog: could not read the oldest due deadline (%s)", type(error).__name__)
        return None, None
    shown = {key: moment_iso(value) if isinstance(value, datetime) else value
             for key, value in figure.as_dict(threshold).items()}
    if figure.late(threshold):
        emit_late_deadlines(figure, threshold)
        logger.warning("deadlines late: the oldest due (%s %s) waited %.0f s, over %s s", figure.case, figure.kind,
                       figure.age_seconds, threshold)
    return figure, shown
