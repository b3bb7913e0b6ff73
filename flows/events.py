"""Prefect events for the transitions the engine made, emitted after the transaction that made them committed.

An officer's step emits one event per transition; the tick emits one event per event name for up to
``TICK_CASES_PER_EVENT`` cases, so a morning with 10,000 due deadlines costs Prefect ~200 events, not 10,000
(each costs ~0.4 ms of validation and sending, and the server keeps them 7 days). Automations react to
either by name (``coop.case.close_offers``, ``coop.offer.correction_expired``, ...) and by related case.
They are a notification for Prefect, never the record: the audit log is (invariant 2).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prefect.events import emit_event
from prefect.events.schemas.events import Event, RelatedResource, Resource
from prefect.events.worker import EventsWorker, should_emit_events


def event_name(transition: dict[str, Any]) -> str:
    kind = transition["subject"].split(":", 1)[0]
    return f"coop.{kind}.{transition['event']}"


def case_resource(code: str) -> dict[str, str]:
    return {"prefect.resource.id": f"coop.case.{code}", "prefect.resource.name": code,
            "prefect.resource.role": "case"}


def subject_resource(transition: dict[str, Any]) -> dict[str, str]:
    code, subject = transition["case"], transition["subject"]
    if subject == "case":
        return {"prefect.resource.id": f"coop.case.{code}", "prefect.resource.name": code}
    kind, _, ident = subject.partition(":")
    return {"prefect.resource.id": f"coop.{kind}.{code}.{ident}", "prefect.resource.name": f"{code} {subject}"}


def emit_transitions(transitions: Iterable[dict[str, Any]]) -> int:
    """Emit one Prefect event per transition, the case code as a related resource; returns how many."""
    count = 0
    for transition in transitions:
        emit_event(
            event=event_name(transition),
            resource=subject_resource(transition),
            related=[case_resource(transition["case"])],
            payload={"from": transition["from"], "to": transition["to"], "subject": transition["subject"]},
        )
        count += 1
    return count


# Prefect keeps at most 100 related resources per event (PREFECT_SERVER_EVENTS_MAXIMUM_RELATED_RESOURCES) and
# adds its own (flow run, flow, task run, deployment, ...): with 100 cases it dropped those, and the event lost
# its flow run. 50 cases leave them room.
TICK_CASES_PER_EVENT = 50


def emit_tick_transitions(transitions: Iterable[dict[str, Any]]) -> int:
    """Emit the tick's transitions grouped: per event name, one event for up to 50 of them; returns how many.

    Resource ``coop.tick``; related: each case (role ``case``); payload ``count`` and ``transitions``
    (case, subject, from, to)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for transition in transitions:
        groups.setdefault(event_name(transition), []).append(transition)
    count = 0
    for name, group in groups.items():
        for start in range(0, len(group), TICK_CASES_PER_EVENT):
            chunk = group[start:start + TICK_CASES_PER_EVENT]
            cases = dict.fromkeys(t["case"] for t in chunk)
            emit_built_event(
                event=name,
                resource={"prefect.resource.id": "coop.tick", "prefect.resource.name": "coop-tick"},
                related=[case_resource(code) for code in cases],
                payload={"count": len(chunk), "transitions": [
                    {"case": t["case"], "subject": t["subject"], "from": t["from"], "to": t["to"]} for t in chunk]},
            )
            count += 1
    return count


def emit_built_event(*, event: str, resource: dict[str, str], related: list[dict[str, str]],
                     payload: dict[str, Any]) -> None:
    """``emit_event`` for an event built here from case codes and states, without validating it again.

    Validation read a Prefect setting for every related resource (~9 µs each, 50 an event): 0.1 s of a
    10,000-deadline tick, the part of Prefect's share that grew with the deadlines. The events worker then
    sends it as ``emit_event`` would: it attaches the run's own resources and delivers it."""
    if not should_emit_events():
        return
    EventsWorker.instance().send(Event.model_construct(
        event=event, resource=Resource.model_construct(root=resource),
        related=[RelatedResource.model_construct(root=labels) for labels in related], payload=payload))
