"""States are named by the machines, not by strings (issue 19): outside the machine modules, a state is its
procedure's enum (``OfferState.formally_accepted``, states/procedures/<slug>/names.py), whose values the machine
declares its states with, so renaming or removing a state fails at import, not silently in a comparison that is
never true again.

The scan reads the source (AST) of states/, flows/, notifications/, coop/ and models/, except the machine modules,
and flags a string equal to a state's stored value where it stands for a state: compared with a ``.state``/
``.to_state``/``.from_state`` or a ``["state"]``, assigned to one, passed as ``state=``, or listed with other
states (a tuple, list or set of states, or the keys of a mapping by state)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from states.procedures import diagrams

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("states", "flows", "notifications", "coop", "models")
STATE_FIELDS = {"state", "to_state", "from_state"}


def state_values() -> set[str]:
    return {state.value for _, machine in diagrams() for state in machine.states}


def _is_state_expr(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in STATE_FIELDS
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value in STATE_FIELDS
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value in STATE_FIELDS
    return False


def _strings(node: ast.AST) -> list[ast.Constant]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def bare_states(source: str, values: set[str]) -> list[tuple[int, str]]:
    found: list[ast.Constant] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_state_expr(side) for side in sides):
                found += [c for side in sides for c in _strings(side)]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(_is_state_expr(t) for t in targets):
                found += _strings(node.value)
        elif isinstance(node, ast.keyword) and node.arg in STATE_FIELDS:
            found += _strings(node.value)
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            strings = _strings(node)
            if len(strings) >= 2 and len(strings) == len(node.elts) and all(c.value in values for c in strings):
                found += strings
        elif isinstance(node, ast.Dict):
            keys = [k for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            if len(keys) >= 2 and len(keys) == len(node.keys) and all(k.value in values for k in keys):
                found += keys
    return sorted({(c.lineno, c.value) for c in found if c.value in values})


def _modules() -> list[Path]:
    return [path for top in SCANNED for path in sorted((ROOT / top).rglob("*.py")) if path.name != "machine.py"]


def test_no_state_is_named_by_a_bare_string_outside_the_machines():
    values = state_values()
    found = [f"{path.relative_to(ROOT)}:{line}: {value!r}" for path in _modules()
             for line, value in bare_states(path.read_text(encoding="utf-8"), values)]
    assert found == [], "name these states by the machine (e.g. OfferMachine.scored.value):\n" + "\n".join(found)


def test_the_scan_finds_what_it_is_for():
    values = {"scored", "selected", "formal_review"}
    source = '''
if offer.state == "scored": pass
if case.state not in ("formal_review", "selected"): pass
ready = [r for r in rows if r["state"] in {"selected"}]
offer.state = "selected"
Case(state="formal_review")
PLACES = ("scored", "selected")
NEXT = {"scored": 1, "selected": 2}
payload = {"scored": True}             # a key of one fact, not a mapping by state
note = "selected"                      # a word, not a state
'''
    assert [line for line, _ in bare_states(source, values)] == [2, 3, 3, 4, 5, 6, 7, 7, 8, 8]


def test_each_machine_names_its_states_by_its_enum_and_no_other():
    for _, machine in diagrams():
        names = machine.NAMES
        assert names is not None, f"{machine.__name__}: no NAMES"
        assert names.__module__ == machine.__module__.rsplit(".", 1)[0] + ".names", machine.__name__
        assert [state.value for state in machine.states] == [name.value for name in names], machine.__name__
        assert all(type(state.value) is str for state in machine.states), "stored values stay plain strings"
        by_id = {state.id: state.value for state in machine.states}  # an event may shadow a state's attribute
        assert all(by_id[name.name] == name for name in names), machine.__name__


def test_no_template_compares_a_state_with_a_bare_string():
    """The message templates name states by the same enums (notifications/render.py puts them in the templates)."""
    values = state_values()
    compared = re.compile(r"""\b(?:state|to_state|from_state)\s*(?:==|!=|not in|in)\s*\(?\s*["'](\w+)["']""")
    found = [f"{path.relative_to(ROOT)}: {value!r}" for path in sorted((ROOT / "notifications" / "templates").rglob("*.j2"))
             for value in compared.findall(path.read_text(encoding="utf-8")) if value in values]
    assert found == []
    assert compared.findall('{% if step.to_state == "selected" %}') == ["selected"]  # the scan sees the old form
