"""The tick's Prefect events: grouped by event name, at most TICK_CASES_PER_EVENT transitions each, none lost."""

from __future__ import annotations

import flows.events as events


def test_tick_transitions_are_grouped_by_name_in_chunks_and_every_one_is_announced(monkeypatch):
    sent = []
    monkeypatch.setattr(events, "emit_built_event", lambda **kwargs: sent.append(kwargs))
    closes = [{"case": f"OK/2026/{n:03d}", "subject": "case", "event": "close_offers", "from": "announced",
               "to": "formal_review"} for n in range(events.TICK_CASES_PER_EVENT + 30)]
    expired = [{"case": "OK/2026/900", "subject": "offer:2", "event": "correction_expired", "from": "correction",
                "to": "rejected"}]

    assert events.emit_tick_transitions(closes[:50] + expired + closes[50:]) == 3

    names = [e["event"] for e in sent]
    assert names == ["coop.case.close_offers", "coop.case.close_offers", "coop.offer.correction_expired"]
    assert [e["payload"]["count"] for e in sent] == [events.TICK_CASES_PER_EVENT, 30, 1]
    announced = [t["case"] for e in sent for t in e["payload"]["transitions"]]
    assert sorted(announced) == sorted(t["case"] for t in closes + expired)  # every transition, once
    assert all(len(e["related"]) == e["payload"]["count"] for e in sent)  # every case named as related
    assert sent[2]["payload"]["transitions"] == [{"case": "OK/2026/900", "subject": "offer:2",
                                                  "from": "correction", "to": "rejected"}]


def test_a_tick_with_nothing_fired_emits_nothing(monkeypatch):
    sent = []
    monkeypatch.setattr(events, "emit_built_event", lambda **kwargs: sent.append(kwargs))
    assert events.emit_tick_transitions([]) == 0 and sent == []


def test_a_full_event_leaves_room_for_prefects_own_related_resources():
    from prefect.settings import get_current_settings

    # flow run, flow, task run, deployment, work queue, work pool, worker, tags: Prefect drops what exceeds
    # its maximum, and an event that lost its flow run cannot be found from the run.
    room_for_prefect = 10
    maximum = get_current_settings().server.events.maximum_related_resources
    assert events.TICK_CASES_PER_EVENT + room_for_prefect <= maximum


def test_a_built_event_is_what_prefect_would_have_validated(monkeypatch):
    from prefect.events.schemas.events import Event

    sent = []
    monkeypatch.setattr(events, "should_emit_events", lambda: True)
    monkeypatch.setattr(events.EventsWorker, "instance", classmethod(lambda cls, *a, **k: type(
        "Worker", (), {"send": staticmethod(sent.append)})()))
    related = [events.case_resource(f"OK/2026/{n:03d}") for n in range(3)]
    payload = {"count": 3, "transitions": [{"case": f"OK/2026/{n:03d}"} for n in range(3)]}
    events.emit_built_event(event="coop.case.close_offers", resource={"prefect.resource.id": "coop.tick"},
                            related=related, payload=payload)
    (built,) = sent
    validated = Event(event="coop.case.close_offers", resource={"prefect.resource.id": "coop.tick"},
                      related=related, payload=payload, occurred=built.occurred, id=built.id)
    assert built.model_dump(mode="json") == validated.model_dump(mode="json")
    assert [(r.id, r.role) for r in built.related] == [(f"coop.case.OK/2026/{n:03d}", "case") for n in range(3)]
