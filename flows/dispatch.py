"""The notification dispatcher as a Prefect flow: one flow run per dispatch, one task run per batch.

The work is the domain's (``notifications.dispatcher``): leased rows, each marked sent once, retries with
backoff recorded in the outbox. This flow only drives it and shows it: every message that failed for good
in this run (a mail server refused it) becomes one failed task run (named by its idempotency key) whose state
says why in one line, no traceback, so it is visible in the UI; the record of truth stays the outbox (``coop
notifications list --failed``). A message nobody can send (a person without an address) is no failure: the
outbox records it ``undeliverable`` when it is queued, the case's summary and ``coop notifications list`` show
it, and no task run is made for it (issue 21: a demo's first dispatch made 29 failed runs and 29 tracebacks). Async, so the run does not wait for
the heartbeat thread (stack-facts). Its deployment has no schedule: a tick asks for a run when a message is due
(``flows.housekeeping``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State

from flows.doors import refuse_door_parameters
from notifications.dispatcher import BatchOutcome, claim_batch, deliver_batch, new_worker_id
from notifications.settings import engine_settings
from states.clock import resolve_now
from states.local_time import moment_iso, moment_text
from states.text import tr


@task(name="deliver-batch", task_run_name="batch-{number}", cache_policy=NO_CACHE)
def deliver_batch_task(moment: datetime, number: int, worker: str, batch_size: int,
                       database_url: str | None) -> BatchOutcome:
    claim = claim_batch(moment, worker=worker, url=database_url, batch_size=batch_size)
    return deliver_batch(claim, moment, url=database_url) if claim.ids else BatchOutcome()


@task(name="failed-notification", task_run_name="failed {key}", cache_policy=NO_CACHE, retries=0)
def failed_notification_task(key: str, recipient: str, error: str) -> State:
    """A message that will not be retried any more: a Failed state with the reason in one line (no exception, so
    no traceback in the log)."""
    return Failed(message=f"{key} -> {recipient or '—'}: {error}")


def dispatch_run_name() -> str:
    """``wysyłka powiadomień 2026-01-24 08:00 (+01:00)``: what the run does and when, in Warsaw time (a generated
    "olive-buffalo" told the officer nothing)."""
    from prefect.runtime import flow_run

    return str(tr("notifications dispatch {moment}", moment=moment_text(resolve_now(flow_run.parameters.get("at")))
                  if _valid_at(flow_run.parameters.get("at")) else moment_text(resolve_now(None))))


def _valid_at(at: str | None) -> bool:
    from states.errors import DomainError

    try:
        resolve_now(at)
    except DomainError:
        return False
    return True


@flow(name="coop-notifications-dispatch", flow_run_name=dispatch_run_name, log_prints=False, persist_result=False)
async def dispatch_flow(at: str | None = None, batch_size: int | None = None, database_url: str | None = None,
                        max_batches: int = 100) -> dict[str, Any]:
    """Send every message due at ``at`` (default: now); see ``notifications.dispatcher``."""
    refuse_door_parameters(at=at, database_url=database_url)
    logger = get_run_logger()
    moment = resolve_now(at)
    size = batch_size or engine_settings(database_url).batch_size
    worker = new_worker_id()
    totals = {"now": moment_iso(moment), "batches": 0, "claimed": 0, "sent": 0, "retried": 0, "lost": 0,
              "held": 0, "undeliverable": 0, "failed": []}
    while totals["batches"] < max_batches:
        outcome = deliver_batch_task(moment, totals["batches"] + 1, worker, size, database_url)
        if outcome.claimed == 0:
            break
        totals["batches"] += 1
        totals["claimed"] += outcome.claimed
        totals["sent"] += len(outcome.sent)
        totals["retried"] += len(outcome.retried)
        totals["lost"] += len(outcome.lost)
        totals["held"] += len(outcome.held)
        totals["undeliverable"] += len(outcome.undeliverable)
        for failure in outcome.failed:
            failed_notification_task(failure["key"], failure["recipient"], failure["error"], return_state=True)
            totals["failed"].append(failure["key"])
        if outcome.claimed < size:
            break
    logger.info("sent %s, retrying %s, failed %s, undeliverable %s, left to another dispatcher %s, waiting for a "
                "setting %s, in %s batches", totals["sent"], totals["retried"], len(totals["failed"]),
                totals["undeliverable"], totals["lost"], totals["held"], totals["batches"])
    return totals
