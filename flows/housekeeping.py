"""Housekeeping on demand: the engine asks for a dispatch or a summaries run when it has work for one.

Neither deployment runs on a schedule or on an event trigger (issue 23: five runs a minute cost an idle server
~17 CPU-s a minute, and the "after the tick" trigger stayed silent for minutes after a deploy while Prefect held
out-of-order events). Instead, at the end of a tick (and of an officer's step), two cheap queries of the
engine's database tell whether a pending message is due and unleased in the outbox
(``notifications.dispatcher.work_waiting``) and whether audit records exist past the summaries' mark
(``flows.summaries.pending``); only then is a run of that deployment submitted, without waiting for it.

A request that is lost (the API out of reach, the run cancelled, its worker killed) needs no repair of its own:
the next tick asks the same questions of the database and requests again. A flow run outside a deployment (a
test, a script, ``coop tick``) requests nothing: there is no deployment whose runs it could ask for.

One at a time: both deployments have a concurrency limit of 1 with collision strategy CANCEL_NEW, so a request
made while a run holds the slot ends Cancelled at once, before any process starts; the running dispatch loops
until nothing is due, and the next tick asks again for whatever it left. How long a dead run can hold that
slot is in docs/prefect.md ("Housekeeping on demand"); a second dispatcher would be harmless anyway (the
outbox's leases and fencing tokens).
"""

from __future__ import annotations

import asyncio

from prefect import get_run_logger
from prefect.context import FlowRunContext

from notifications.dispatcher import work_waiting
from states.clock import resolve_now

DISPATCH = "coop-notifications-dispatch/notifications-dispatch"
SUMMARIES = "coop-case-summaries/case-summaries"


def one_at_a_time():
    """The deployments' concurrency limit: one run at a time; a run that would start beside it is cancelled
    (the running dispatch loops until nothing is due; the next tick asks again for what it left)."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def requesting_run():
    """The current flow run when it belongs to a deployment (only then are there deployments to ask), else None."""
    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    return run if run is not None and run.deployment_id is not None else None


async def wanted(database_url: str | None, *, summaries: bool = True) -> list[str]:
    """The housekeeping deployments with work waiting in the engine's database."""
    from flows.summaries import pending

    names = []
    # A dispatch run is requested with no `at`: it sends what is due now, so that is the moment asked about.
    if await asyncio.to_thread(work_waiting, resolve_now(None), url=database_url):
        names.append(DISPATCH)
    if summaries and await pending(database_url):
        names.append(SUMMARIES)
    return names


async def arequest_housekeeping(database_url: str | None, *, summaries: bool = True) -> list[str]:
    """Submit a run of each housekeeping deployment with work waiting; the names requested. Never raises: the
    caller's own work is done and committed, and the next tick asks again."""
    run = requesting_run()
    if run is None:
        return []
    logger = get_run_logger()
    requested = []
    try:
        names = await wanted(database_url, summaries=summaries)
    except Exception as error:  # noqa: BLE001 - a failed look-up must not fail a tick that fired its deadlines
        logger.warning("housekeeping not requested (the next tick asks again): %s", error)
        return []
    if names:
        from prefect.deployments import arun_deployment  # ~40 modules: imported only when a run is requested
    for name in names:
        try:
            await arun_deployment(name, parameters=_parameters(database_url), timeout=0, as_subflow=False,
                                  idempotency_key=f"{name} after {run.id}")
        except Exception as error:  # noqa: BLE001 - e.g. the deployment not applied; the next tick asks again
            logger.warning("%s not requested (the next tick asks again): %s", name, error)
        else:
            requested.append(name)
    if requested:
        logger.info("requested %s", ", ".join(requested))
    return requested


def request_dispatch(database_url: str | None) -> list[str]:
    """From a sync flow (an officer's step): submit a dispatch run when a message is due, so the step's messages
    leave now rather than after the next tick. Never raises."""
    run = requesting_run()
    if run is None:
        return []
    logger = get_run_logger()
    try:
        if not work_waiting(resolve_now(None), url=database_url):
            return []
        from prefect.deployments import run_deployment

        run_deployment(DISPATCH, parameters=_parameters(database_url), timeout=0, as_subflow=False,
                       idempotency_key=f"{DISPATCH} after {run.id}")
    except Exception as error:  # noqa: BLE001 - the step is recorded; the next tick asks again
        logger.warning("%s not requested (the next tick asks again): %s", DISPATCH, error)
        return []
    return [DISPATCH]


def _parameters(database_url: str | None) -> dict[str, str]:
    # The run works on the requester's database; the deployments' default (None) is the worker's configured one.
    return {"database_url": database_url} if database_url else {}
