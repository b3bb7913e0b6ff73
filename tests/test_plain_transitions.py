"""A transition decided by the facts passed with its event alone is judged by the machine once per state, event
and facts; ``fire`` and ``step`` (a self transition) take the machine's answer for the rest. Nothing else may skip
``send``.

A guard declares that it reads nothing but facts by being a static method: it has no machine, model or
context to read. A method is never trusted so, whatever its body reads."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from statemachine import State

from states import engine
from states.engine import LegalMachine

pytestmark = pytest.mark.fast  # plain facts, no database (tests/fast_tier.py)


class Door(LegalMachine):
    closed = State(initial=True)
    open = State()
    locked = State()
    broken = State(final=True)
    sealed = State(final=True)

    open_door = closed.to(open)
    lock = closed.to(locked, cond="has_key")
    kick = closed.to(broken) | locked.to(broken)
    close_door = open.to(closed)
    seal = closed.to(sealed, cond="inspected") | open.to(sealed, cond="cleared")
    knock = locked.to(open, cond="knocked_twice")

    @staticmethod
    def has_key(badge: str | None = None, **_) -> bool:
        return "brass" in (badge or "")

    @staticmethod
    def inspected(ctx=None, **_) -> bool:  # takes the context: more than facts
        return True

    def knocked_twice(self, knocks: int = 0, **_) -> bool:  # a method: it could read the machine
        return knocks == 2

    def cleared(self, **_) -> bool:  # reads the machine itself
        return self.model is not None

    def on_enter_broken(self) -> None:
        pass


def test_only_guards_that_read_nothing_but_facts_let_facts_decide():
    assert Door._facts_deciding() == {("closed", "open_door"): (), ("open", "close_door"): (),
                                      ("closed", "lock"): ("badge",)}


def test_the_deadlines_decisions_are_left_to_facts():
    from states.procedures.open_call.machine import OpenCallMachine
    from states.procedures.small_grant.machine import SmallGrantMachine

    assert OpenCallMachine.decided_by("announced", "close_offers") == ("offers_filed",)
    assert SmallGrantMachine.decided_by("comment_period", "close_comments") == ()
    assert OpenCallMachine.decided_by("formal_review", "finish_formal_review") is None  # its guards read the case


def _fire_counting_sends(monkeypatch, machine_class, state: str, event: str, **facts):
    sends = []
    real = machine_class.send
    monkeypatch.setattr(machine_class, "send", lambda self, *a, **k: (sends.append(a), real(self, *a, **k))[1])
    monkeypatch.setattr(engine, "append_audit", lambda ctx, case, **fields: None)
    row = SimpleNamespace(state=state, code="X/2026/001")
    after = engine.fire(SimpleNamespace(events=[]), row, machine_class.bind(row), event, **facts)
    assert row.state == after
    return after, len(sends)


def test_the_machine_decides_once_per_state_event_and_facts(monkeypatch):
    from states.procedures.open_call.machine import OpenCallMachine

    engine._DECISIONS.clear()
    fired = [_fire_counting_sends(monkeypatch, OpenCallMachine, "announced", "close_offers", offers_filed=n)
             for n in (0, 0, 3, 3, 0)]
    assert fired == [("invalidated", 1), ("invalidated", 0), ("formal_review", 1), ("formal_review", 0),
                     ("invalidated", 0)]
    # a fact that is not plain data (a row, a dict) is never a key: the machine judges every time
    assert _fire_counting_sends(monkeypatch, Door, "closed", "lock", badge=["brass"])[1] == 1


class Desk(LegalMachine):
    idle = State(initial=True)
    busy = State()

    start = idle.to(busy)
    stamp = idle.to.itself() | busy.to.itself()  # no validator: the state alone decides
    sign = idle.to.itself(validators="ink_left")  # a static validator taking one plain fact
    file = idle.to.itself(validators="case_open")  # a validator reading the case: sent every time

    STEPS = {"stamp": engine.Step("stamp"), "sign": engine.Step("sign"), "file": engine.Step("file")}

    @staticmethod
    def ink_left(ink: int = 0, **_) -> None:
        if ink <= 0:
            raise ValueError("no ink")

    @staticmethod
    def case_open(case=None, **_) -> None:
        if case.closed:
            raise ValueError("closed")


def _step_counting_sends(monkeypatch, state: str, event: str, closed: bool = False, **facts) -> int:
    sends = []
    real = Desk.send
    monkeypatch.setattr(Desk, "send", lambda self, *a, **k: (sends.append(a), real(self, *a, **k))[1])
    row = SimpleNamespace(state=state, code="X/2026/001", closed=closed)
    engine.step(SimpleNamespace(), row, Desk.bind(row), event, **facts)
    assert row.state == state
    return len(sends)


def test_a_step_decided_by_plain_facts_is_sent_once_per_state_event_and_facts(monkeypatch):
    engine._DECISIONS.clear()
    assert [_step_counting_sends(monkeypatch, "idle", "stamp") for _ in range(3)] == [1, 0, 0]
    assert _step_counting_sends(monkeypatch, "busy", "stamp") == 1  # another state: the machine judges it
    assert [_step_counting_sends(monkeypatch, "idle", "sign", ink=n) for n in (2, 2, 3)] == [1, 0, 1]
    # a refusal is never kept: the validator runs again, and refuses again
    for _ in range(2):
        with pytest.raises(ValueError):
            _step_counting_sends(monkeypatch, "idle", "sign", ink=0)
    # a validator reading the case: sent every time, and it refuses when the case says so
    assert [_step_counting_sends(monkeypatch, "idle", "file") for _ in range(2)] == [1, 1]
    with pytest.raises(ValueError):
        _step_counting_sends(monkeypatch, "idle", "file", closed=True)


class Counter(LegalMachine):
    open = State(initial=True)
    shut = State()

    close = open.to(shut)
    weigh = open.to.itself(validators=["has_parcel", "light_enough"])  # static guards of rows: run, not sent
    weigh_twice = open.to.itself(validators="has_parcel") | shut.to.itself(validators="has_parcel")
    peek = open.to.itself(validators="looks_closely")  # a method: the machine judges it

    STEPS = {"weigh": engine.Step("weigh"), "weigh_twice": engine.Step("weigh"), "peek": engine.Step("peek")}

    @staticmethod
    def has_parcel(parcel, **_) -> None:
        if parcel is None:
            raise ValueError("no parcel")

    @staticmethod
    def light_enough(parcel) -> None:  # names its fact only: given only it, as python-statemachine gives it
        if parcel["kg"] > 20:
            raise OverflowError("too heavy")

    def looks_closely(self, parcel=None, **_) -> None:
        if parcel is None:
            raise ValueError("nothing to see")


def _counter_sends(monkeypatch, event: str, **facts) -> int:
    sends = []
    real = Counter.send
    monkeypatch.setattr(Counter, "send", lambda self, *a, **k: (sends.append(a), real(self, *a, **k))[1])
    row = SimpleNamespace(state="open", code="X/2026/001")
    engine.step(SimpleNamespace(), row, Counter.bind(row), event, **facts)
    assert row.state == "open"
    return len(sends)


def test_a_self_step_guarded_by_static_validators_of_rows_runs_them_without_a_send(monkeypatch):
    """A score's facts are rows (the offer, the member, the call's facts): no answer can be kept for them, but
    its validators are static guards of those facts alone, so ``step`` runs them itself, in the machine's order,
    and they refuse exactly as from a send."""
    engine._DECISIONS.clear()
    parcel = {"kg": 3}  # a dict: not plain, never a key of a kept decision
    assert Counter.validators_alone("open", "weigh") is not None
    assert [_counter_sends(monkeypatch, "weigh", parcel=parcel, note="fragile") for _ in range(2)] == [0, 0]
    with pytest.raises(ValueError):
        _counter_sends(monkeypatch, "weigh", parcel=None)  # the first validator refuses first
    with pytest.raises(OverflowError):
        _counter_sends(monkeypatch, "weigh", parcel={"kg": 30})
    # a method among the validators: the machine judges, every time
    assert Counter.validators_alone("open", "peek") is None
    assert [_counter_sends(monkeypatch, "peek", parcel=parcel) for _ in range(2)] == [1, 1]
    # one event, a transition from each state: each state's own validators
    assert Counter.validators_alone("open", "weigh_twice") == (Counter.has_parcel,)
    assert _counter_sends(monkeypatch, "weigh_twice", parcel=parcel) == 0


def test_the_offers_score_is_judged_by_its_static_validators():
    from states.procedures.open_call.machine import OfferMachine

    assert [v.__name__ for v in OfferMachine.validators_alone("formally_accepted", "score")] == [
        "member_not_excluded", "no_conflict_declared", "not_yet_scored"]
