"""An officer's single step on a case, run from the Prefect UI ("Run" on the coop-case-step deployment).

The run is named after the case and the step; a refusal ends it as a Failed run whose message is the
domain error's message (rule and legal basis), and nothing is written, exactly as in the CLI.
"""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow
from prefect.context import FlowRunContext
from prefect.states import Completed, Failed, State

from flows.artifacts import publish_case_artifacts
from flows.evaluation import _with_events
from flows.events import emit_transitions
from flows.housekeeping import request_dispatch
from states import inputs
from states.engine import Actor, execute
from states.errors import DomainError
from states.procedures.open_call import handlers as oc
from states.procedures.open_call import inputs as c

# The steps an officer may take from the UI, each with the CLI's own handler and input model.
STEPS: dict[str, tuple[Any, type[inputs.Command]]] = {
    "finish_formal_review": (oc.finish_formal_review, inputs.CaseRef),
    "select_offers": (oc.select_offers, c.SelectOffers),
    "publish": (oc.publish, c.Publish),
    "withdraw_offer": (oc.withdraw_offer, inputs.OfferRef),
}
Step = Literal["finish_formal_review", "select_offers", "publish", "withdraw_offer"]


def _step_intent() -> str | None:
    context = FlowRunContext.get()
    return f"step:{context.flow_run.id}" if context is not None and context.flow_run is not None else None


@flow(name="coop-case-step", flow_run_name="{code} · {step}", persist_result=False)
def case_step_flow(code: str, step: Step, officer: str = "urzędnik", arguments: dict[str, Any] | None = None,
                   at: str | None = None, database_url: str | None = None, at_reason: str | None = None) -> State:
    """On a real database ``at`` is now or, with ``at_reason`` (e.g. a decision signed on paper last week), a
    past moment within states.clock.BACKDATING_WINDOW; a simulation database takes any."""
    handler, model = STEPS[step]
    actor = Actor(officer, "officer")
    try:
        command = model.parse(code=code, **(arguments or {}))
        # One key per flow run: the run retried (or run again by Prefect) is the same intent (invariant 10).
        outcome = execute(_with_events(handler), command, actor=actor, at=at, url=database_url, reason=at_reason,
                          idempotency_key=_step_intent())
    except DomainError as refusal:
        return Failed(message=refusal.message(), data=refusal.as_dict())
    emit_transitions(outcome["events"])
    publish_case_artifacts([code], url=database_url, actor=actor)
    request_dispatch(database_url)  # the step's messages leave now, not after the next tick
    return Completed(message=f"{code}: {step}", data=outcome["result"])
