"""The tick's Prefect events: grouped by event name, at most TICK_TRANSITIONS_PER_EVENT transitions each, none
lost, and their cost flat in the number of cases (the cases are in the payload, not related resources)."""

from __future__ import annotations

import flows.events as events


def test_tick_transitions_are_grouped_by_name_in_chunks_and_every_one_is_announced(monkeypatch):
    sent = []
    monkeypatch.setattr(events, "emit_event", lambda **kwargs: sent.append(kwargs))
    per_event = events.TICK_TRANSITIONS_PER_EVENT
    closes = [{"case": f"OK/2026/{n:04d}", "subject": "case", "event": "close_offers", "from": "announced",
               "to": "formal_review"} for n in range(per_event + 30)]
    expired = [{"case": "OK/2026/9000", "subject": "offer:2", "event": "correction_expired", "from": "correction",
                "to": "rejected"}]

    assert events.emit_tick_transitions(closes[:50] + expired + closes[50:]) == 3

    names = [e["event"] for e in sent]
    assert names == ["coop.case.close_offers", "coop.case.close_offers", "coop.offer.correction_expired"]
    assert [e["payload"]["count"] for e in sent] == [per_event, 30, 1]
    announced = [t["case"] for e in sent for t in e["payload"]["transitions"]]
    assert sorted(announced) == sorted(t["case"] for t in closes + expired)  # every transition, once
    assert all("related" not in e for e in sent)  # Prefect adds the run's own; no resource per case
    assert sent[2]["payload"]["transitions"] == [{"case": "OK/2026/9000", "subject": "offer:2",
                                                  "from": "correction", "to": "rejected"}]


def test_a_tick_with_nothing_fired_emits_nothing(monkeypatch):
    sent = []
    monkeypatch.setattr(events, "emit_event", lambda **kwargs: sent.append(kwargs))
    assert events.emit_tick_transitions([]) == 0 and sent == []


def test_a_full_event_stays_far_under_prefects_size_limit():
    from prefect.events.schemas.events import Event
    from prefect.settings import get_current_settings

    transitions = [{"case": f"MR/2026/{n:06d}", "subject": f"offer:{n}", "from": "correction_requested",
                    "to": "formally_rejected"} for n in range(events.TICK_TRANSITIONS_PER_EVENT)]
    event = Event(event="coop.offer.correction_expired", resource={"prefect.resource.id": "coop.tick"},
                  payload={"count": len(transitions), "transitions": transitions})
    assert event.size_bytes * 10 < get_current_settings().server.events.maximum_size_bytes


def test_the_engines_transitions_are_frozen_and_turned_into_the_flows_dicts_in_one_place():
    """``ctx.events`` holds ``states.events.Transition``; the flows return, keep and emit the dicts
    ``plain_transitions`` makes of them, the same shape as before the dataclass (what emit_tick_transitions reads)."""
    import dataclasses

    import pytest

    from states.events import Transition, plain_transitions

    made = Transition("OK/2026/001", "offer:2", "correction_expired", "correction", "rejected")
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.event = "other"  # type: ignore[misc]
    assert plain_transitions([made]) == [{"case": "OK/2026/001", "subject": "offer:2", "event": "correction_expired",
                                          "from": "correction", "to": "rejected"}]
    assert events.event_name(plain_transitions([made])[0]) == "coop.offer.correction_expired"
