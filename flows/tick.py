"""The scheduled tick: one flow run per tick, one task run firing its batches, events grouped by event name.

Prefect's part stays flat however many deadlines fall due: one task run (a task run per batch cost ~30 ms of
API calls each), one log line per batch, and one event per event name and batch (up to 500 transitions each).

Case summaries are not refreshed here, nor messages sent: each costs API calls or waits on a mail server, so
at its end the tick asks for a run of the ``case-summaries`` or ``notifications-dispatch`` deployment when the
engine's database has work for it (``flows.housekeeping``), and the tick's own time stays that of firing its
deadlines.

The firing itself is the domain's (``states.tick``): claimed rows, one transaction per batch, exactly once.
This flow only drives it and announces what happened. It is async because a sync flow run waits ~1 s for
its heartbeat thread at exit (stack-facts); an async one does not. Its task and its artifact are async too, so
they share the flow run's API client: each new client builds its TLS context (~20 ms, six of them in a run
before), whether the API is served over TLS or not.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.doors import refuse_door_parameters
from flows.events import emit_tick_transitions
from flows.housekeeping import arequest_housekeeping, requesting_run
from flows.opening import aopen_forms
from flows.process import settle_after_imports
from flows.watchdog import watch_at_start
from states.anchors import daily_anchor
from states.clock import claimed_moment, resolve_now
from states.errors import DomainError
from states.events import plain_transitions
from states.local_time import moment_iso, moment_text
from states.text import tr
from states.tick import DEFAULT_BATCH, BatchResult, DeadlineWatch, TickReport, tick


@task(name="fire-due-deadlines", task_run_name="fire-due-deadlines", cache_policy=NO_CACHE)
async def fire_due_task(moment: datetime | None, batch_size: int, database_url: str | None) -> tuple[TickReport, int]:
    """Every batch, each in its own committed transaction, announced to Prefect after it committed."""
    logger = get_run_logger()
    touched: set[str] = set()

    def announce(batch: BatchResult) -> None:
        emit_tick_transitions(plain_transitions(batch.events))  # after the batch committed: nothing announced
        touched.update(transition.case for transition in batch.events)  # that did not happen
        logger.info("batch: fired %s, skipped %s in %.2f s", batch.fired, batch.skipped, batch.seconds)

    # The batches block on the database: a worker thread runs them, with this task run's context (its logger).
    report = await asyncio.to_thread(tick, moment, url=database_url, batch_size=batch_size, on_batch=announce)
    return report, len(touched)


def tick_run_name(at: str | None, scheduled: datetime | None) -> str:
    """``tick 2026-01-24 08:00 (+01:00)``: the moment the tick fires at, in Warsaw time as the UI shows runs
    (Prefect gives the scheduled start in UTC; a given ``at`` may carry any offset)."""
    if at:
        try:
            return f"tick {moment_text(resolve_now(at))}"
        except DomainError:  # the flow refuses it with its message; the name just says what was given
            return f"tick {at}"
    return f"tick {moment_text(scheduled)}" if scheduled else "tick"


def _tick_run_name() -> str:
    from prefect.runtime import flow_run

    return tick_run_name(flow_run.parameters.get("at"), flow_run.scheduled_start_time)


@flow(name="coop-tick", flow_run_name=_tick_run_name, log_prints=False, persist_result=False)
async def tick_flow(at: str | None = None, batch_size: int = DEFAULT_BATCH, database_url: str | None = None,
                    interval_seconds: int = 60) -> dict[str, Any]:
    """Fire every deadline due at ``at`` (default: now), in due order, exactly once. Only a simulation database
    takes an ``at`` other than now: on a real one the tick fires at the database's time (states/clock.py).
    ``interval_seconds``: how often ticks run; the oldest due deadline waiting over two of them is late."""
    settle_after_imports()
    refuse_door_parameters(at=at, database_url=database_url)
    moment = claimed_moment(at)
    waited, late = await watch_at_start(moment, database_url, interval_seconds)  # before firing (flows/watchdog.py)
    report, cases = await fire_due_task(moment, batch_size, database_url)
    anchor = await asyncio.to_thread(daily_anchor, moment, url=database_url)  # once a day (states/anchors.py)
    if anchor["status"] in ("made", "failed") or "timestamp" in anchor:
        failed = anchor["status"] == "failed" or anchor.get("timestamp") == "failed"
        get_run_logger().log(logging.WARNING if failed else logging.INFO, "anchor: %s", anchor)
    if report.fired or report.skipped or (late and late["late"]):
        await acreate_markdown_artifact(key="tick", markdown=tick_markdown(report, cases, waited, late),
                                        description=str(tr("The latest tick")))
    get_run_logger().info("fired %s, skipped %s, in %s batches", report.fired, report.skipped, report.batches)
    # Every tick asks, whatever it fired: an officer's command may have queued messages since the last one.
    requested = await arequest_housekeeping(database_url)
    # Calls that entered a state waiting on people get their form runs (flows/opening.py), after the commit.
    forms = await aopen_forms(database_url) if requesting_run() is not None else []
    return {"now": moment_iso(report.now), "fired": report.fired, "skipped": report.skipped,
            "batches": report.batches, "cases": cases, "skipped_reasons": report.skipped_reasons,
            "seconds_in_transactions": round(report.seconds, 6), "late": late, "requested": requested,
            "forms": forms,
            "anchor": anchor}


def tick_markdown(report: TickReport, cases: int, waited: DeadlineWatch | None = None,
                  late: dict[str, Any] | None = None) -> str:
    lines = [str(tr("# Tick {now}", now=moment_text(report.now))), "",
             str(tr("- deadlines fired: {fired}", fired=report.fired)),
             str(tr("- skipped (the case moved on): {skipped}", skipped=report.skipped)),
             str(tr("- cases: {cases}", cases=cases)),
             str(tr("- batches: {batches}", batches=report.batches))]
    if waited is not None and late is not None:
        lines.append(f"- {waited.message(late['threshold_seconds'])}")
    for reason in report.skipped_reasons[:20]:
        lines.append(f"- {reason['case']} {reason['kind']}: {reason['reason']}")
    return "\n".join(lines)
