"""The machine decides: the states a step is taken in are the machine's, never a list in a handler (issue 19).

A step that keeps the state (appointing a member, filing an offer, scoring, signing a contract while the call
runs ...) is a self transition of its machine, so its states are drawn in docs/diagrams; a handler asks with
``require_step``/``step`` and the refusal comes from the machine. No database: these read the machines only.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from states.engine import LegalMachine
from states.errors import RuleViolation
from states.procedures import diagrams
from states.procedures.consultation.machine import ConsultationMachine
from states.procedures.local_initiative.machine import LocalInitiativeMachine
from states.procedures.open_call.machine import OfferMachine, OpenCallMachine
from states.procedures.small_grant.machine import SmallGrantMachine
from tests.sources import walked

pytestmark = pytest.mark.fast  # the machines on plain rows, no database (tests/fast_tier.py)

ROOT = Path(__file__).resolve().parent.parent

# The states each gated step was allowed in when handlers listed them (require_state): the machine says the same.
ALLOWED_BEFORE = {
    (OpenCallMachine, "appoint_member"): ("announced", "formal_review"),
    (OpenCallMachine, "declare_conflicts"): ("formal_review", "substantive_review"),
    (OpenCallMachine, "file_offer"): ("announced", "formal_review"),
    (OpenCallMachine, "review_offer"): ("formal_review",),
    (OpenCallMachine, "score"): ("substantive_review",),
    (OpenCallMachine, "publish_results"): ("selected",),
    (OpenCallMachine, "publish_invalidation"): ("invalidated",),
    (OpenCallMachine, "sign_contract"): ("results_published", "in_execution"),
    (OfferMachine, "score"): ("formally_accepted",),
    (SmallGrantMachine, "publish"): ("checked",),
    (SmallGrantMachine, "comment"): ("comment_period",),
    (SmallGrantMachine, "consider_comment"): ("comment_period", "comments_closed"),
    (SmallGrantMachine, "decide"): ("comments_closed",),
    (SmallGrantMachine, "sign_contract"): ("granted",),
    (SmallGrantMachine, "publication_overdue"): ("checked",),
    (LocalInitiativeMachine, "evaluate"): ("evaluation",),
    (LocalInitiativeMachine, "plan"): ("accepted",),
    (LocalInitiativeMachine, "sign_contract"): ("planned",),
    (LocalInitiativeMachine, "city_purchase"): ("in_execution", "report_due"),
    (ConsultationMachine, "open_consultation"): ("draft",),
    (ConsultationMachine, "publish_report"): ("closed",),
    (ConsultationMachine, "comment"): ("open",),
}


@pytest.mark.parametrize(("machine", "event"), list(ALLOWED_BEFORE), ids=lambda x: getattr(x, "__name__", x))
def test_the_machine_allows_each_step_in_the_states_the_handlers_listed(machine, event):
    assert machine.states_allowing(event) == ALLOWED_BEFORE[machine, event]


def _machines() -> list[type[LegalMachine]]:
    return [cls for _, cls in diagrams()]


@pytest.mark.parametrize("machine", _machines(), ids=lambda cls: cls.__name__)
def test_every_step_that_keeps_the_state_cites_the_law_and_every_named_step_exists(machine):
    for state in machine.states:
        for transition in state.transitions:
            if transition.targets == [state]:
                for event in transition.events:
                    assert machine.BASIS.get(str(event)), f"{machine.__name__}.{event}: no legal basis"
    for event in machine.STEPS:
        assert machine.states_allowing(event), f"{machine.__name__}: step {event} is allowed in no state"
        assert machine.STEPS[event].basis, f"{machine.__name__}: step {event} names no legal basis"
    for event, finals in machine.AFTER_FINAL.items():
        assert all(s.final for s in machine.states if s.value in finals), event
        assert machine.BASIS.get(event), f"{machine.__name__}.{event}: no legal basis"


def _case(state: str, kind: str = "open_call", **data) -> SimpleNamespace:
    return SimpleNamespace(code="OK/2026/001", kind=kind, state=state, data=data)


def test_a_step_in_a_state_that_does_not_allow_it_is_refused_by_the_machine_naming_the_states(monkeypatch):
    monkeypatch.setenv("COOP_LANG", "pl")
    error = OpenCallMachine.refusal("appoint_member", _case("selected"), "selected")
    assert error.rule == "wrong_state" and error.basis == "art. 15 ust. 2a"
    assert error.message() == ("OK/2026/001: czynność „powołanie członka komisji” jest możliwa tylko w stanach: "
                               "„ogłoszony”, „ocena formalna”; sprawa jest w stanie „wybór ofert” (art. 15 ust. 2a)")


def test_a_refusal_that_says_more_than_the_state_comes_from_the_machine_too():
    draft = OpenCallMachine.refusal("file_offer", _case("draft"), "draft", received_at=None, postmarked_on=None)
    assert (draft.rule, draft.basis) == ("call_not_announced", "art. 13 ust. 1")
    offer = SimpleNamespace(number=3)
    scored = OfferMachine.refusal("score", _case("substantive_review"), "scored", offer=offer)
    assert (scored.rule, scored.basis) == ("offer_not_scorable", "art. 15 ust. 1")


def test_a_step_the_machine_does_not_name_is_not_silently_allowed():
    with pytest.raises(KeyError):
        OpenCallMachine.refusal("no_such_step", _case("draft"), "draft")


def test_no_handler_lists_the_states_a_step_is_taken_in():
    """``require_state(case, ("substantive_review",), ...)`` is gone: the machine is the one place."""
    found = []
    for path in sorted((ROOT / "states").rglob("*.py")):
        for node in walked(path):
            if isinstance(node, (ast.FunctionDef, ast.Name, ast.Attribute)):
                name = getattr(node, "name", None) or getattr(node, "id", None) or getattr(node, "attr", None)
                if name == "require_state":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_refusals_are_rule_violations():
    assert isinstance(SmallGrantMachine.refusal("decide", _case("granted", "small_grant"), "granted"), RuleViolation)


def test_a_step_that_keeps_the_state_does_not_write_the_state_again():
    """A self transition leaves and re-enters its state; the row must not be marked changed for it (the unit of
    work would flush the case for nothing, tests/test_b2_flush.py)."""
    from states.engine import step

    class Row:
        def __init__(self):
            object.__setattr__(self, "writes", [])
            object.__setattr__(self, "state", "announced")
            object.__setattr__(self, "code", "OK/2026/001")
            object.__setattr__(self, "kind", "open_call")

        def __setattr__(self, name, value):
            self.writes.append((name, value))
            object.__setattr__(self, name, value)

    row = Row()
    step(SimpleNamespace(), row, OpenCallMachine.bind(row), "appoint_member")
    assert row.state == "announced" and row.writes == []
