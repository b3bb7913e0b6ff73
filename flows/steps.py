"""An officer's single step on a case, run from the Prefect UI ("Run" on the coop-case-step deployment).

The run is named after the case and the step. It waits for one form, the officer's proof of who takes the step
(states/form_proofs.py; like every form it suspends under a deployment, flows/evaluation.py), then records the
step as that officer. A refusal by the domain ends it as a Failed run whose message is the domain error's
message (rule and legal basis), and nothing is written, exactly as in the CLI; a refused proof asks again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from prefect import flow
from prefect.exceptions import FlowPauseTimeout
from prefect.states import Completed, Failed, State

from flows.doors import refuse_door_parameters
from flows.evaluation import (
    MAX_ROUNDS,
    ProofForm,
    _refusal_banner,
    _show,
    _shown_step,
    answer_form,
    proof_hint,
)
from flows.housekeeping import request_dispatch
from states import inputs
from states.clock import resolve_now
from states.errors import DomainError
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.text import tr

# The steps an officer may take from the UI, each with the CLI's own handler and input model.
STEPS: dict[str, tuple[Any, type[inputs.Command]]] = {
    "finish_formal_review": (open_call_handlers.finish_formal_review, inputs.CaseRef),
    "select_offers": (open_call_handlers.select_offers, open_call_inputs.SelectOffers),
    "publish": (open_call_handlers.publish, open_call_inputs.Publish),
    "withdraw_offer": (open_call_handlers.withdraw_offer, inputs.OfferRef),
}
Step = Literal["finish_formal_review", "select_offers", "publish", "withdraw_offer"]
CONFIRM_WITHIN = timedelta(days=7)  # a step nobody proved within this is dropped (the run fails, nothing written)


@flow(name="coop-case-step", flow_run_name="{code} · {step}", persist_result=True)
def case_step_flow(code: str, step: Step, arguments: dict[str, Any] | None = None, at: str | None = None,
                   database_url: str | None = None, at_reason: str | None = None) -> State:
    """An officer's step, taken once an officer proves who they are: the run shows a form asking only for the
    proof (``coop form proof RUN confirm-N``), records the step as the officer the proof names, and asks again,
    with the reason, when the proof is refused. A step the domain refuses ends the run as Failed with the rule.

    ``at`` (and ``at_reason``): only a simulation database's deployment takes them (flows/doors.py); called
    directly, on a real database a step is dated now or within states.clock.BACKDATING_WINDOW with a reason."""
    refuse_door_parameters(at=at, at_reason=at_reason, database_url=database_url)
    _, model = STEPS[step]
    try:
        model.parse(code=code, **(arguments or {}))  # bad arguments are refused before anyone is asked
    except DomainError as refusal:
        return Failed(message=refusal.message(), data=refusal.as_dict())
    deadline = resolve_now(at) + CONFIRM_WITHIN
    refusal_text: str | None = None
    for form in range(1, MAX_ROUNDS + 1):
        shown = _shown_step(form) or _show(form, "confirm")
        description = (f"# {code}: {step}\n\n" + _refusal_banner(refusal_text)
                       + proof_hint(f"{shown}-{form}", code)
                       + str(tr("The step is recorded as the officer the proof names.")))
        try:
            outcome = answer_form(shown, form, ProofForm.with_initial_data(description=description), code=code,
                                  assigned=None, at=at, database_url=database_url, deadline=deadline,
                                  poll_interval=10,
                                  extra={"step": step, "arguments": arguments or {}, "at_reason": at_reason})
        except FlowPauseTimeout:
            return Failed(message=str(tr("{code}: nobody proved who takes the step {step} in time", code=code,
                                         step=step)))
        if outcome["refused"] is None:
            request_dispatch(database_url)  # the step's messages leave now, not after the next tick
            return Completed(message=f"{code}: {step} ({outcome['person']})", data=outcome["result"])
        if not str(outcome.get("rule") or "").startswith("form_proof"):
            return Failed(message=outcome["refused"], data={"error": outcome["rule"], "message": outcome["refused"]})
        refusal_text = outcome["refused"]
    raise RuntimeError(f"{code}: {MAX_ROUNDS} forms without a valid proof")
