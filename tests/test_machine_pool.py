"""Pooled machines (states.engine.LegalMachine.bind): never shared, never carrying one row's state to another."""

from __future__ import annotations

import threading

import pytest

from models.tables import Case
from states.procedures.open_call.machine import OpenCallMachine

pytestmark = pytest.mark.fast  # plain facts, no database (tests/fast_tier.py)


def call(state: str) -> Case:
    return Case(code="OK/2026/1", kind="open_call", title="t", state=state)


def test_two_machines_bound_at_once_are_two_instances_and_each_moves_its_own_row():
    first, second = call("announced"), call("announced")
    a, b = OpenCallMachine.bind(first), OpenCallMachine.bind(second)
    assert a is not b
    a.send("close_offers", ctx=None, case=first, offers_filed=2)
    assert (first.state, second.state) == ("formal_review", "announced")
    a.release()
    b.release()


def test_a_machine_that_reached_a_final_state_is_not_reused():
    row = call("announced")
    machine = OpenCallMachine.bind(row)
    machine.send("close_offers", ctx=None, case=row, offers_filed=0)  # no offer: invalidated, a final state
    assert row.state == "invalidated"
    machine.release()
    again = call("announced")
    reused = OpenCallMachine.bind(again)
    assert reused is not machine
    reused.send("close_offers", ctx=None, case=again, offers_filed=1)
    assert again.state == "formal_review"


def test_threads_binding_at_once_never_get_the_same_machine():
    for _ in range(20):  # fill the pool
        row = call("announced")
        OpenCallMachine.bind(row).release()
    seen, lock, errors = [], threading.Lock(), []

    def work():
        try:
            for _ in range(200):
                row = call("announced")
                machine = OpenCallMachine.bind(row)
                with lock:
                    assert all(m is not machine for m in seen)
                    seen.append(machine)
                machine.send("close_offers", ctx=None, case=row, offers_filed=1)
                assert row.state == "formal_review"
                with lock:
                    seen.remove(machine)
                machine.release()
        except Exception as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
