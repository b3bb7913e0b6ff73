"""The contract -> report -> settlement tail is one part (states/contract_tail.py) that the open call's offer, the
small grant and the local initiative declare, not three copies that may drift (issue 19). No database."""

from __future__ import annotations

import pytest

from states.contract_tail import report_tail, settlement_tail
from states.procedures.local_initiative.machine import LocalInitiativeMachine
from states.procedures.open_call.machine import OfferMachine
from states.procedures.small_grant.machine import SmallGrantMachine

pytestmark = pytest.mark.fast  # the machines on plain rows, no database (tests/fast_tier.py)

REPORT_EVENTS = ("task_ended", "report_overdue", "submit_report")
SETTLEMENT_EVENTS = ("accept_report", "request_report_corrections", "settle")


def _edges(machine, events) -> set[tuple[str, str, str]]:
    return {(str(event), transition.source.value, transition.targets[0].value)
            for state in machine.states for transition in state.transitions for event in transition.events
            if str(event) in events}


def _running(edges) -> str:
    return next(source for event, source, _ in edges if event == "task_ended")


def _renamed(machine, events) -> set[tuple[str, str, str]]:
    """The tail's edges with the machine's own running state (contracted, in execution) called "running"."""
    edges = _edges(machine, events)
    running = _running(_edges(machine, REPORT_EVENTS))
    return {(e, "running" if s == running else s, "running" if t == running else t) for e, s, t in edges}


def test_the_three_grants_report_the_same_way():
    expected = {("task_ended", "running", "report_due"), ("report_overdue", "report_due", "report_overdue"),
                ("submit_report", "running", "report_submitted"), ("submit_report", "report_due", "report_submitted"),
                ("submit_report", "report_overdue", "report_submitted")}
    for machine in (OfferMachine, SmallGrantMachine, LocalInitiativeMachine):
        assert _renamed(machine, REPORT_EVENTS) == expected, machine.__name__


def test_the_grants_in_money_settle_the_same_way_and_the_initiative_has_no_settlement():
    expected = {("accept_report", "report_submitted", "report_accepted"),
                ("request_report_corrections", "report_submitted", "report_due"),
                ("settle", "report_accepted", "settled")}
    assert _edges(OfferMachine, SETTLEMENT_EVENTS) == expected
    assert _edges(SmallGrantMachine, SETTLEMENT_EVENTS) == expected
    assert _edges(LocalInitiativeMachine, SETTLEMENT_EVENTS) == set()


def test_the_tail_states_are_named_alike_in_every_machine():
    names = {}
    for machine in (OfferMachine, SmallGrantMachine, LocalInitiativeMachine):
        for state in machine.states:
            if state.value in ("report_due", "report_overdue", "report_submitted"):
                assert names.setdefault(state.value, state.name) == state.name, (machine.__name__, state.value)


def test_each_call_builds_states_of_its_own():
    from statemachine import State

    from states.procedures.small_grant.names import SmallGrantState

    first = State("a", value="contracted")
    second = State("b", value="contracted")
    one, two = report_tail(first, SmallGrantState), report_tail(second, SmallGrantState)
    assert all(a is not b for a, b in zip(one[:3], two[:3], strict=True))
    assert settlement_tail(one[0], one[2], SmallGrantState)[1].final
