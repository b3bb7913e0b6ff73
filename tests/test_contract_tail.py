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


def test_the_grants_in_money_settle_the_same_way_and_the_initiative_only_reviews_its_report():
    review = {("accept_report", "report_submitted", "report_accepted"),
              ("request_report_corrections", "report_submitted", "report_due")}
    expected = review | {("settle", "report_accepted", "settled")}
    assert _edges(OfferMachine, SETTLEMENT_EVENTS) == expected
    assert _edges(SmallGrantMachine, SETTLEMENT_EVENTS) == expected
    # the review is the same part (review_tail); no money, so no settlement: the initiative's own close follows
    assert _edges(LocalInitiativeMachine, SETTLEMENT_EVENTS) == review
    assert ("close", "report_accepted", "closed") in _edges(LocalInitiativeMachine, ("close",))


def test_the_tail_states_are_named_alike_in_every_machine():
    names = {}
    for machine in (OfferMachine, SmallGrantMachine, LocalInitiativeMachine):
        for state in machine.states:
            if state.value in ("report_due", "report_overdue", "report_submitted", "report_accepted"):
                assert names.setdefault(state.value, state.name) == state.name, (machine.__name__, state.value)


def test_each_call_builds_states_of_its_own():
    from statemachine import State

    from states.procedures.small_grant.names import SmallGrantState

    first = State("a", value="contracted")
    second = State("b", value="contracted")
    one, two = report_tail(first, SmallGrantState), report_tail(second, SmallGrantState)
    assert all(a is not b for a, b in zip(one[:3], two[:3], strict=True))
    assert settlement_tail(one[0], one[2], SmallGrantState)[1].final


# --- the handlers' half (states/contract_tail_steps.py) and its two money rules (states/grant_terms.py) ----------


def test_funds_used_above_the_grant_are_refused_with_the_grant_named():
    from decimal import Decimal

    from states.errors import RuleViolation
    from states.grant_terms import require_within_grant

    require_within_grant(Decimal("1000.00"), Decimal("1000.00"))  # the whole grant: allowed
    require_within_grant(Decimal("5.00"), None)  # no grant known yet: nothing bounds it
    with pytest.raises(RuleViolation) as refused:
        require_within_grant(Decimal("1000.01"), Decimal("1000.00"))
    assert (refused.value.rule, refused.value.basis) == ("used_above_grant", "art. 18 ust. 1; ufp art. 252")
    assert refused.value.message("en").startswith("Funds used PLN 1,000.01 > grant PLN 1,000.00")


def test_a_settlement_needs_the_unused_funds_back_in_full_and_on_a_known_day():
    from datetime import date
    from decimal import Decimal

    from states.errors import RuleViolation
    from states.grant_terms import require_unused_returned

    require_unused_returned(Decimal(0), Decimal(0), None)  # nothing unused: nothing to return
    require_unused_returned(Decimal("100.00"), Decimal("100.00"), date(2026, 8, 1))
    for returned, on in ((Decimal("99.99"), date(2026, 8, 1)), (Decimal("100.00"), None)):
        with pytest.raises(RuleViolation) as refused:
            require_unused_returned(Decimal("100.00"), returned, on, date(2026, 8, 14))
        assert (refused.value.rule, refused.value.basis) == ("unused_funds_not_returned", "ufp art. 251 ust. 1-3")
        assert "2026-08-14" in refused.value.message("en")  # the return deadline, when the contract stores it
    with pytest.raises(RuleViolation) as refused:
        require_unused_returned(Decimal("100.00"), Decimal(0), None)
    assert "due by" not in refused.value.message("en")


TAIL_RULES = ("used_above_grant", "unused_funds_not_returned", "reason_required", "report_call(",
              "settlement_facts(", "cancel_deadlines(")
TAIL_EVENTS = ("task_ended", "report_overdue", "submit_report", "accept_report", "request_report_corrections")


@pytest.mark.parametrize("procedure", ["open_call", "small_grant", "local_initiative"])
def test_the_handlers_hold_no_copy_of_the_tail(procedure):
    """Each procedure's handlers say where its grant's facts live and call the shared step; the rules of the
    report and the settlement, and the firing of the tail's events, are written once."""
    import ast
    from pathlib import Path

    from states import contract_tail_steps

    source = (Path(contract_tail_steps.__file__).parent / "procedures" / procedure / "handlers.py").read_text()
    tree = ast.parse(source)
    tail_functions = {"submit_report", "review_report", "settle", "settle_offer", "on_task_end", "on_report_due"}
    for function in (node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in tail_functions):
        body = ast.get_source_segment(source, function)
        assert "tail." in body, (procedure, function.name)
        for word in TAIL_RULES + tuple(f'"{event}"' for event in TAIL_EVENTS):
            if word == "reason_required" and procedure == "local_initiative":
                continue
            assert word not in body, (procedure, function.name, word)
