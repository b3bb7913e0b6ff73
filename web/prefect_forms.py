"""The desk's one door to Prefect: finding the flow run that waits for a person's evaluation, and handing it the
answer with the person's proof (flows/evaluation.py collects and records it).

The evaluations (an officer's formal review of an offer, a committee member's declarations and scores) stay
collected by their flows, which keep the forms' order and record each answer exactly once. The desk:

1. finds the run of ``coop-formal-review`` / ``coop-committee-scoring`` for this case that is paused (or
   suspended) on a form, for a member the run bound to her (its kept input ``member``) or a run not yet bound
   to anyone (waiting on its ``identify-N`` form, which the desk answers first with her proof);
2. (the caller has validated the answer through the domain already: web/steps.py ``dry_run``);
3. issues the person's proof for that form (states/form_proofs.py) and resumes the run with the answer and
   the proof (``resume_flow_run(run_id, run_input=...)``), re-sent while the run stays paused, as Prefect keeps
   an input only when it accepts the resume;
4. polls the run's ``form-N-outcome`` for a short while: recorded, refused, or still on its way (a suspended
   run's next process has not run yet; the answer is kept by Prefect and recorded when it does).

Prefect's address and auth string: ``create_app(prefect_api=..., prefect_auth=...)``, else the environment's
``PREFECT_API_URL`` and ``PREFECT_API_AUTH_STRING`` (``coop serve`` sets both for its own process, where the desk
runs in a thread). Without an address, or with Prefect down, the desk says so and nothing is sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kernel.text import tr

FLOWS = {"review": "coop-formal-review", "declare": "coop-committee-scoring", "score": "coop-committee-scoring"}
ROLES = {"review": "officer", "declare": "committee_member", "score": "committee_member"}
PROOF_TTL = timedelta(minutes=10)


class NotWaiting(Exception):
    """No flow run waits for this answer (Prefect down, the flow not started, or waiting on another form)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Waiting:
    run_id: str
    key: str  # the form it waits on: ``score-5``
    name: str  # the run's name, for the person

    @property
    def step(self) -> str:
        return self.key.rsplit("-", 1)[0]

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass(frozen=True)
class Outcome:
    recorded: bool
    pending: bool = False  # handed over; the run has not yet said what the engine answered
    refused: str | None = None
    rule: str | None = None


@contextmanager
def _client(api: str | None, auth: str | None) -> Iterator[Any]:
    import os

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    api = api or os.environ.get("PREFECT_API_URL")
    auth = auth or os.environ.get("PREFECT_API_AUTH_STRING")
    if not api:
        raise NotWaiting(tr("The desk does not know where Prefect's server is (PREFECT_API_URL is not set; "
                            "coop serve sets it): the evaluation forms cannot be answered here now. Nothing was "
                            "sent."))
    updates = {PREFECT_API_URL: api}
    if auth:
        updates[PREFECT_API_AUTH_STRING] = auth
    with temporary_settings(updates=updates), get_client(sync_client=True) as client:
        yield client


def _down() -> NotWaiting:
    import logging

    logging.getLogger("coop.desk").warning("Prefect's API did not answer the desk", exc_info=True)
    return NotWaiting(tr("Prefect's server does not answer, so the evaluation form cannot be handed to its flow "
                         "now. Nothing was sent and nothing was recorded; what you typed is kept below. Try again "
                         "in a moment."))


def _pause_key(run: Any) -> str | None:
    state = run.state
    if state is None or not state.is_paused() or not state.state_details.run_input_keyset:
        return None
    return str(state.state_details.pause_key) if state.state_details.pause_key else None


def _kept(client: Any, run_id: Any, key: str) -> Any:
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    try:
        return json.loads(client.read_flow_run_input(run_id, key))
    except ObjectNotFound:
        return None
    except PrefectHTTPStatusError as error:
        if error.response.status_code == 404:  # nothing kept under the key (yet)
            return None
        raise


def find_waiting(code: str, step: str, person: str, names: tuple[str, ...], *, api: str | None,
                 auth: str | None) -> Waiting:
    """The run waiting for ``person``'s ``step`` in case ``code``; ``names``: how the run may name her (her
    login, her name). ``NotWaiting`` says why there is none."""
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    try:
        with _client(api, auth) as client:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOWS[step]])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.PAUSED]))), limit=200)
            mine, free = None, None
            for run in runs:
                if (run.parameters or {}).get("code") != code:
                    continue
                key = _pause_key(run)
                if key is None:
                    continue
                if step == "review":
                    mine = mine or Waiting(str(run.id), key, run.name)
                    continue
                bound = (run.parameters or {}).get("member") or _kept(client, run.id, "member")
                if bound in names:
                    mine = mine or Waiting(str(run.id), key, run.name)
                elif bound is None and key.startswith("identify-"):
                    free = free or Waiting(str(run.id), key, run.name)
    except NotWaiting:
        raise
    except Exception:  # httpx errors, Prefect's: the server is out of reach
        raise _down() from None
    found = mine or free
    if found is None:
        raise NotWaiting(tr("No evaluation form of {code} waits for you in Prefect now (its flow is not started, "
                            "or it has finished). Nothing was sent and nothing was recorded.", code=code))
    return found


def _resume(client: Any, run_id: str, answer: dict[str, Any]) -> None:
    """Resume the paused run with ``answer``, again while it stays paused (Prefect drops the input of a resume
    it answers WAIT or ABORT, read in prefect/server/api/flow_runs.py)."""
    from prefect.client.schemas.objects import StateType

    for _ in range(5):
        if client.read_flow_run(run_id).state.type != StateType.PAUSED:
            return
        client.resume_flow_run(run_id, run_input=answer)
        if client.read_flow_run(run_id).state.type != StateType.PAUSED:
            return
        time.sleep(1)
    raise _down()


def _outcome(client: Any, waiting: Waiting, wait: float) -> Outcome:
    until = time.monotonic() + wait
    while True:
        kept = _kept(client, waiting.run_id, f"form-{waiting.number}-outcome")
        if kept is not None:
            return Outcome(recorded=kept.get("refused") is None, refused=kept.get("refused"), rule=kept.get("rule"))
        if time.monotonic() >= until:
            return Outcome(recorded=False, pending=True)
        time.sleep(0.5)


def _next_pause(client: Any, run_id: str, after: str, wait: float) -> str | None:
    """The form the run waits on next, once it has moved past ``after``."""
    until = time.monotonic() + wait
    while time.monotonic() < until:
        key = _pause_key(client.read_flow_run(run_id))
        if key is not None and key != after:
            return key
        time.sleep(0.5)
    return None


def hand_over(waiting: Waiting, step: str, answer: dict[str, Any], *, login: str, api: str | None,
              auth: str | None, wait: float = 20.0) -> Outcome:
    """Prove and hand ``answer`` to the waiting run; a run not yet bound to a member is bound to her first (its
    ``identify`` form, answered with her proof alone). The answer must have passed the domain already."""
    from states.form_proofs import issue_form_proof

    def proof(key: str) -> str:
        return issue_form_proof(login, waiting.run_id, key, datetime.now(UTC), PROOF_TTL, role=ROLES[step])

    try:
        with _client(api, auth) as client:
            current = waiting
            if current.step == "identify":
                _resume(client, current.run_id, {"proof": proof(current.key)})
                first = _outcome(client, current, wait)
                if not first.recorded:
                    return first
                key = _next_pause(client, current.run_id, current.key, wait)
                if key is None:
                    return Outcome(recorded=False, pending=True)
                current = Waiting(current.run_id, key, current.name)
            if current.step != step:
                raise NotWaiting(wrong_form(current.step))
            _resume(client, current.run_id, {**answer, "proof": proof(current.key)})
            return _outcome(client, current, wait)
    except NotWaiting:
        raise
    except Exception:
        raise _down() from None


def wrong_form(step: str) -> Any:
    if step == "declare":
        return tr("Your evaluation form waits for your declarations (KPA art. 24) first: declare, then score. "
                  "Nothing was sent.")
    if step == "score":
        return tr("Your declarations are recorded already; your form waits for a score. Nothing was sent.")
    return tr("The flow waits on another form ({form}). Nothing was sent.", form=step)
