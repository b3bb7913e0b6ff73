"""Prefect's doors: what a deployment run may be given, checked twice.

A deployment is a door: anyone holding the Prefect server's auth string may create a run of it with any
parameters. So no deployment of the engine takes

- ``database_url``: the engine's settings give the database (``COOP_DATABASE_URL`` of the worker or of
  ``coop serve``); a run told another database made that file with the schema (issue 20);
- ``officer`` or ``member``: who acts comes from the proof carried by a form's answer
  (``states/form_proofs.py``), never from a parameter;
- ``at`` or ``at_reason`` on a real database: a real database acts at its own time; only a simulation database
  (the demo, tests) may be told a moment.

1. **The API refuses them.** ``close_doors`` rewrites each engine deployment's parameter schema on the server:
   those parameters removed, ``additionalProperties: false``, and ``enforce_parameter_schema`` on. Prefect's
   server validates a new run's parameters against that schema (``POST /deployments/{id}/create_flow_run``:
   409 "Validation failed"), so no run is made. Prefect builds the schema from the flow's signature and only
   refuses unknown parameters when the schema says so: ``enforce_parameter_schema`` alone lets them through.
   ``coop serve`` closes its deployments as it registers them; production's ``coop prefect setup``
   (``deploy/prefect-setup.sh``) closes those ``prefect deploy`` made.
2. **The flow refuses them** (``refuse_door_parameters``), for a door left open (a deployment made by ``prefect
   deploy`` before ``coop prefect setup`` ran): a run of a deployment given one of them fails at its start with
   the rule, before it reads or writes anything. Called directly (tests, scripts: no deployment), the flows
   still take them; that is code run by someone who already holds the engine's database.
"""

from __future__ import annotations

from typing import Any

from states.errors import InvalidInput
from states.text import tr

ENGINE_FLOWS = ("coop-tick", "coop-formal-review", "coop-committee-scoring", "coop-case-step",
                "coop-notifications-dispatch", "coop-case-summaries", "coop-annual-report")
NEVER = ("database_url", "officer", "member")
SIMULATION_ONLY = ("at", "at_reason")


def engine_is_simulation(database_url: str | None = None) -> bool:
    from models.db import database_url as default_url
    from models.db import get_engine, normalise_url
    from models.settings import SIMULATION, clock_mode

    return clock_mode(get_engine(normalise_url(database_url or default_url()))) == SIMULATION


def closed_parameters(simulation: bool) -> tuple[str, ...]:
    return NEVER if simulation else NEVER + SIMULATION_ONLY


def refuse_door_parameters(**given: Any) -> None:
    """Under a deployment, refuse a run given a parameter no deployment takes (the module's docstring)."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None or context.flow_run.deployment_id is None:
        return  # called directly: not a door
    named = [name for name in NEVER if given.get(name) is not None]
    if not named and any(given.get(name) is not None for name in SIMULATION_ONLY):
        if not engine_is_simulation():
            named = [name for name in SIMULATION_ONLY if given.get(name) is not None]
    if named:
        raise InvalidInput("door_parameter", tr(
            "A deployment's run takes no {names}: the engine's settings give the database, a proof in the form's "
            "answer says who acts, and only a simulation database may be told a moment (invariant 9)",
            names=", ".join(named)))


def closed_schema(schema: dict[str, Any], simulation: bool) -> dict[str, Any]:
    """A deployment's parameter schema without the parameters its door refuses, refusing any other unknown one."""
    closed = dict(schema or {"type": "object", "properties": {}})
    hidden = closed_parameters(simulation)
    closed["properties"] = {k: v for k, v in (closed.get("properties") or {}).items() if k not in hidden}
    if "required" in closed:
        closed["required"] = [name for name in closed["required"] if name not in hidden]
    closed["additionalProperties"] = False
    return closed


def close_doors(simulation: bool | None = None, database_url: str | None = None) -> list[dict[str, str]]:
    """Close every engine deployment on the server at ``PREFECT_API_URL`` (``simulation``: default, the engine
    database's own mode). One row per deployment: its name and whether it changed. Safe to run again."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    done: list[dict[str, str]] = []
    with get_client(sync_client=True) as client:
        deployments = client.read_deployments(flow_filter=FlowFilter(name=FlowFilterName(any_=list(ENGINE_FLOWS))))
        if deployments and simulation is None:  # the engine's database is asked only when there is a door to close
            simulation = engine_is_simulation(database_url)
        flows = {d.flow_id: client.read_flow(d.flow_id).name for d in deployments}
        for deployment in deployments:
            schema = closed_schema(deployment.parameter_openapi_schema, simulation)
            kept = {k: v for k, v in (deployment.parameters or {}).items() if k not in closed_parameters(simulation)}
            same = (schema == deployment.parameter_openapi_schema and deployment.enforce_parameter_schema
                    and kept == (deployment.parameters or {}))
            if not same:
                client.update_deployment(deployment.id, DeploymentUpdate(
                    parameter_openapi_schema=schema, enforce_parameter_schema=True, parameters=kept))
            done.append({"name": f"{flows[deployment.flow_id]}/{deployment.name}",
                         "action": "unchanged" if same else "closed"})
    return done


def door_message(row: dict[str, str]) -> Any:
    if row["action"] == "closed":
        return tr("Deployment {name}: takes no database, identity or (real database) moment parameter",
                  name=row["name"])
    return tr("Deployment {name} already closed to database, identity and moment parameters", name=row["name"])
