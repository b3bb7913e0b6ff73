"""Prefect events for the transitions the engine made: one event per transition, after its batch committed.

Automations react to them (``coop.case.close_offers``, ``coop.offer.correction_expired``, ...). They are a
notification for Prefect, never the record: the audit log is (invariant 2; Prefect keeps events 7 days).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prefect.events import emit_event


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
