"""Speed from the design, not from other libraries' internals (invariant 11, issue 19): a grep-able guarantee.

The domain (``states/``), the tables (``models/``) and the kernel under both (``kernel/``) must not reach into another package's private parts,
read bytecode, or tune the interpreter's garbage collector. Each of these once made the tick faster and tied
it to one release of SQLAlchemy, python-statemachine or CPython; the upper bounds in pyproject.toml hold the
versions, and this test keeps the code from needing them again.

The rule, checked on the syntax tree of every module in those three packages:

- no ``import dis`` and no ``import gc`` (nor ``from dis/gc import …``), and no name ``gc`` used at all;
- no access to a private attribute of an object that is not ours: an attribute whose name starts with one
  underscore (``obj._x``, ``getattr(obj, "_x")``, ``setattr``/``hasattr``/``delattr`` alike), or two without
  ending in two (``obj.__x``, name-mangled), unless that name is one of ours: defined somewhere in the
  project's own packages (a function, a class, an assignment ``_x = …`` or ``self._x = …``, an import alias,
  a ``__slots__`` entry). ``__dunder__`` names are the language's protocol and allowed.

A name we define ourselves could in principle shadow another package's (``session._new`` would pass if we
ever named something ``_new``), so the names found in this code base before (SQLAlchemy's and
python-statemachine's) are refused whoever defines them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.sources import parsed

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("states", "models", "kernel")
OURS = ("states", "models", "kernel", "notifications", "flows", "coop")  # the project's own packages
FORBIDDEN_MODULES = {"dis", "gc"}
# Private names of other packages this code base once used (issue 19): refused even if we defined them.
KNOWN_FOREIGN = {"_new", "_modified", "_specs", "_engine", "_sa_instance_state", "_sa_class_manager",
                 "_new_state_if_none", "_deleted", "_dirty_states", "_callbacks"}
_ATTRIBUTE_CALLS = {"getattr", "setattr", "hasattr", "delattr"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _modules(packages: tuple[str, ...]) -> list[Path]:
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def _defined_names(tree: ast.AST) -> set[str]:
    """The private names a module defines: what ``obj._x`` may legitimately name when ``obj`` is ours."""
    found: set[str] = set()

    def target_names(target: ast.AST) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                found.add(node.id)
            elif isinstance(node, ast.Attribute):
                found.add(node.attr)

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                target_names(target)
            if any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets):
                found.update(c.value for c in ast.walk(node.value)
                             if isinstance(c, ast.Constant) and isinstance(c.value, str))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            target_names(node.target)
        elif isinstance(node, ast.alias) and node.asname:
            found.add(node.asname)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
            found.add(node.args[1].value)
    return {name for name in found if isinstance(name, str) and _private(name)}


def _our_private_names() -> set[str]:
    names: set[str] = set()
    for path in _modules(OURS):
        names |= _defined_names(parsed(path))
    return names - KNOWN_FOREIGN


def violations(source: str, filename: str, ours: set[str]) -> list[str]:
    """What breaks the rule in one module's ``source``: one line each, ``file:line: what``."""
    found = []
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
            found.append(f"{where}: from {node.module} import …")
        elif isinstance(node, ast.Name) and node.id == "gc":
            found.append(f"{where}: gc used")
        elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in ours:
            found.append(f"{where}: private attribute {node.attr} of another package's object")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ATTRIBUTE_CALLS
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str) and _private(node.args[1].value)
              and node.args[1].value not in ours):
            found.append(f"{where}: {node.func.id}(…, {node.args[1].value!r}) of another package's object")
    return found


def test_states_and_models_use_no_other_packages_internals():
    ours = _our_private_names()
    found = []
    for path in _modules(CHECKED):
        found += violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), ours)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("source, what", [
    ("import dis\n", "import dis"),
    ("import gc\n", "import gc"),
    ("from gc import freeze\n", "from gc import"),
    ("def f(gc):\n    gc.freeze()\n", "gc used"),
    ("def f(session):\n    return session._new\n", "private attribute _new"),
    ("def f(session):\n    return session.identity_map._modified\n", "private attribute _modified"),
    ("def f(t):\n    return t._specs\n", "private attribute _specs"),
    ("def f(m):\n    return m._engine.running\n", "private attribute _engine"),
    ("def f(row):\n    return row._sa_instance_state\n", "private attribute _sa_instance_state"),
    ("def f(m):\n    return getattr(m, '_engine')\n", "getattr(…, '_engine')"),
    ("def f(obj):\n    return obj.__mangled\n", "private attribute __mangled"),
])
def test_the_check_refuses_each_kind_of_internal(source, what):
    found = violations(source, "example.py", _our_private_names())
    assert any(what in line for line in found), found


def test_the_check_allows_our_own_private_names_and_dunders():
    source = ("class Pool:\n    __slots__ = ('_rows',)\n    def take(self):\n        return self._rows\n"
              "def f(cls, row):\n    cls._POOL = []\n    return cls._POOL, row.__dict__, type(row).__name__\n")
    ours = _defined_names(ast.parse(source))
    assert violations(source, "example.py", ours) == []
    assert violations("def g(x):\n    return x._rows\n", "example.py", set()) != []  # not ours elsewhere
