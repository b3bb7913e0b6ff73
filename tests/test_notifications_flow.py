"""The dispatcher as a Prefect flow: it sends through the domain, and a message that failed for good shows
as a failed task run. SQLite only: the flow adds nothing backend-specific to the domain dispatcher, which
``test_notifications.py`` runs on both backends."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.notification_helpers import (
    ARTIST,
    OFFICERS,
    SmtpServer,
    configure,
    free_port,
    invalidated_call,
    outbox,
)
from tests.prefect_fixtures import prefect_api  # noqa: F401  (one Prefect harness for the session)

pytestmark = pytest.mark.usefixtures("prefect_api")


def test_dispatch_flow_sends_and_shows_failures_as_failed_tasks(sqlite_url, monkeypatch):
    from tests.conftest import empty_tables

    empty_tables(sqlite_url)
    # The office's mailbox refuses mail (a wrong address): officers' messages fail for good.
    server = SmtpServer(free_port(), refuse={OFFICERS: "550 5.1.1 no such user"}).start()
    configure(monkeypatch, server.port, sqlite_url)
    try:
        code = invalidated_call(sqlite_url)
        from flows.dispatch import dispatch_flow

        state = asyncio.run(dispatch_flow(at="2026-01-29T10:00+01:00", database_url=sqlite_url, return_state=True))
    finally:
        server.stop()
    result = state.result()
    assert state.is_completed()
    assert result["sent"] == 2 and len(server.inbox.to(ARTIST)) == 2
    assert sorted(k.split("#", 1)[1].split("/")[1] for k in result["failed"]) == ["officer_formal_review", "officer_publish"]
    assert all(k.startswith(f"{code}#") for k in result["failed"])
    assert {r.status for r in outbox(sqlite_url) if r.audience == "officers"} == {"failed"}

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def failed_task_names() -> list[str]:
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
            return sorted(r.name for r in runs if r.state and r.state.is_failed())

    names: list[str] = []
    for _ in range(240):  # task-run records reach the server asynchronously (stack-facts)
        names = asyncio.run(failed_task_names())
        if len(names) == 2:
            break
        time.sleep(0.5)
    assert names == sorted(f"failed {k}" for k in result["failed"])


def test_the_dispatch_deployment_runs_one_at_a_time():
    """The second guard beside the leases: `coop serve`'s deployment (and prefect.yaml's) has a concurrency
    limit of 1; the Prefect server refuses to start a second run while one is running, and cancels it."""
    from pathlib import Path

    import yaml
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Pending, Running

    from flows.launcher import deployments

    [planned] = [d for d in deployments(60) if d.name == "notifications-dispatch"]
    deployment_id = planned.apply()

    async def two_runs():
        async with get_client() as client:
            deployment = await client.read_deployment(deployment_id)
            first, second, third = [await client.create_flow_run_from_deployment(deployment_id) for _ in range(3)]
            answers = [await client.set_flow_run_state(first.id, Pending()),
                       await client.set_flow_run_state(first.id, Running()),
                       await client.set_flow_run_state(second.id, Pending())]
            await client.set_flow_run_state(first.id, Completed())
            answers.append(await client.set_flow_run_state(third.id, Pending()))  # the slot is free again
            return deployment, answers

    deployment, answers = asyncio.run(two_runs())
    limit = deployment.global_concurrency_limit
    assert (limit.limit, deployment.concurrency_options.collision_strategy.value) == (1, "CANCEL_NEW")
    assert [a.status.value for a in answers] == ["ACCEPT", "ACCEPT", "REJECT", "ACCEPT"]
    assert answers[2].state.is_cancelled() and "concurrency limit" in answers[2].details.reason
    production = yaml.safe_load((Path(__file__).resolve().parents[1] / "prefect.yaml").read_text())
    [entry] = [d for d in production["deployments"] if d["name"] == "notifications-dispatch"]
    assert entry["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
