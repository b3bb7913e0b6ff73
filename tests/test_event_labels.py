"""Every event the engine records has a name in the desk's case history (web/case_view.py ``_event_label``),
translated: no history row shows an identifier such as "comment" to a Polish reader.

The events are enumerated, not listed by hand: every event of every procedure's machines (their transitions, the
data tracks' too, fired by ``fire`` or checked by ``step``), and every event name the handlers give ``record`` or
``fire`` as text in states/ (an f-string's values from its command's ``Literal``)."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from states.procedures import PROCEDURES, case_kinds
from states.text import Message
from tests.sources import walked
from web.case_view import _event_label

pytestmark = pytest.mark.fast

STATES = Path(__file__).resolve().parents[1] / "states"
EVENT_ARGUMENT = {"record": 2, "fire": 3, "step": 3}  # (ctx, case, [machine,] event, ...)


def _machine_events() -> set[str]:
    events: set[str] = set()
    for procedure in PROCEDURES:
        for name in (*procedure.machines.values(), *procedure.data_tracks):
            events.update(str(event.id) for event in procedure.machine_class(name).events)
    return events


def _f_string_events(node: ast.JoinedStr) -> set[str]:
    """``f"publish_{cmd.subject}"`` (open_call.publish): one event per value of the command's ``Literal`` field."""
    from states.procedures.open_call.inputs import Publish

    assert ast.unparse(node) == "f'publish_{cmd.subject}'", ast.unparse(node)
    return {f"publish_{value}" for value in typing.get_args(Publish.model_fields["subject"].annotation)}


def _written_events() -> set[str]:
    events: set[str] = set()
    for path in STATES.rglob("*.py"):
        for node in walked(path):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            position = EVENT_ARGUMENT.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                events.add(argument.value)
            elif isinstance(argument, ast.JoinedStr):
                events |= _f_string_events(argument)
    return events


RECORDED = sorted(_machine_events() | _written_events())


def test_the_enumeration_finds_the_events_of_every_procedure():
    assert {"comment", "consider_comment", "file_offer", "publish_invalidation", "open_consultation", "city_purchase",
            "transfer", "announce_sub_call", "micro_grant_created", "rdpp_opinion_waived"} <= set(RECORDED)


@pytest.mark.parametrize("event", RECORDED)
def test_every_recorded_event_has_a_translated_name_in_the_case_history(event):
    for kind in case_kinds():
        label = _event_label(kind, event)
        assert isinstance(label, Message), (kind, event, label)
        assert label.in_language("pl") != label.in_language("en"), (kind, event, label.in_language("pl"))
