"""A transition that runs no code is taken without ``send``; its outcome must be the machine's own."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from statemachine import State

from states.engine import LegalMachine, _StateRef


def _machines() -> list[type[LegalMachine]]:
    from states.procedures import deadline_handlers

    deadline_handlers()  # imports every procedure's machines

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return [m for m in below(LegalMachine) if m.__module__.startswith("states.")]


def test_every_procedure_has_plain_transitions():
    plain = {m.__name__ for m in _machines() if m._plain_transitions()}
    assert {"OfferMachine", "SmallGrantMachine", "ConsultationMachine", "LocalInitiativeMachine"} <= plain


@pytest.mark.parametrize("machine_class", _machines(), ids=lambda m: m.__name__)
def test_a_plain_transition_leads_where_send_leads(machine_class):
    for (source, event), target in machine_class._plain_transitions().items():
        row = SimpleNamespace(state=source)
        machine = machine_class(model=_StateRef(row, "state"))
        machine.send(event)
        assert row.state == target, (machine_class.__name__, source, event)


def test_guards_and_callbacks_keep_a_transition_out_of_the_table():
    class Door(LegalMachine):
        closed = State(initial=True)
        open = State()
        locked = State()
        broken = State(final=True)

        open_door = closed.to(open)
        lock = closed.to(locked, cond="has_key")
        kick = closed.to(broken) | locked.to(broken)
        close_door = open.to(closed)

        def has_key(self, **_) -> bool:
            return True

        def on_enter_broken(self) -> None:
            pass

    assert Door._plain_transitions() == {("closed", "open_door"): "open", ("open", "close_door"): "closed"}


def test_a_pooled_machine_fires_a_plain_transition_without_send(monkeypatch):
    from states import engine
    from states.small_grant import SmallGrantMachine

    row = SimpleNamespace(state="comment_period", code="MD/2026/001", audit_seq=0)
    machine = SmallGrantMachine.bind(row)
    monkeypatch.setattr(SmallGrantMachine, "send", lambda *a, **k: pytest.fail("send was called"))
    recorded = []
    monkeypatch.setattr(engine, "append_audit", lambda ctx, case, **fields: recorded.append(fields))
    ctx = SimpleNamespace(events=[])
    assert engine.fire(ctx, row, machine, "close_comments") == "comments_closed"
    assert row.state == "comments_closed" and recorded[0]["from_state"] == "comment_period"
    assert ctx.events == [{"case": "MD/2026/001", "subject": "case", "event": "close_comments",
                           "from": "comment_period", "to": "comments_closed"}]
