"""No procedure's package imports another procedure's package or tables (models/procedures/<slug>.py; issue 19):
what several procedures share lives in states/ (states/publications.py, states/grant_terms.py, states/rulebook.py:
rules_for, states/text.py: money, states/contract_tail.py) and models/tables.py, so a procedure can be read, changed
or removed on its own.

One exception, by law and by design: regranting's operator is chosen in an ordinary open call (art. 16a), so its
case runs the open call's machine and handlers; ``states.procedures.regranting`` may import
``states.procedures.open_call``, and nothing else may. import-linter's contract "procedures" (pyproject.toml,
tests/test_architecture.py) says the same of indirect imports; this one is the fast tier's, with no tool.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.sources import walked

PROCEDURES = Path(__file__).resolve().parent.parent / "states" / "procedures"
ALLOWED = {("regranting", "open_call")}  # (importer, imported)

pytestmark = pytest.mark.fast



def _imports(path: Path) -> set[str]:
    found = set()
    for node in walked(path):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def crossing(root: Path = PROCEDURES) -> list[tuple[str, str]]:
    """(module, imported procedure module) for every import of another procedure's package or of its tables
    (models/procedures/<slug>.py), lazy ones included."""
    packages = {p.name for p in root.iterdir() if (p / "__init__.py").exists()}
    out = []
    for package in sorted(packages):
        for path in sorted((root / package).rglob("*.py")):
            for name in sorted(_imports(path)):
                parts = name.split(".")
                # its package, or its table module (models/procedures/<slug>.py)
                if parts[1:2] == ["procedures"] and parts[0] in ("states", "models") and len(parts) > 2 \
                        and parts[2] in packages:
                    if parts[2] != package and (package, parts[2]) not in ALLOWED:
                        out.append((f"{package}/{path.relative_to(root / package)}", name))
    return out


def test_no_procedure_imports_another_procedure_s_package():
    assert crossing() == []


def test_the_check_finds_a_crossing_import(tmp_path):
    for name in ("small_grant", "open_call"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "small_grant" / "handlers.py").write_text(
        "def f():\n    from states.procedures.open_call.machine import rules_for\n", encoding="utf-8")
    (tmp_path / "open_call" / "machine.py").write_text(
        "from models.procedures.small_grant import SmallGrantOffer\nfrom models.procedures.open_call import Own\n",
        encoding="utf-8")
    assert crossing(tmp_path) == [("open_call/machine.py", "models.procedures.small_grant"),
                                  ("open_call/machine.py", "models.procedures.small_grant.SmallGrantOffer"),
                                  ("small_grant/handlers.py", "states.procedures.open_call.machine"),
                                  ("small_grant/handlers.py", "states.procedures.open_call.machine.rules_for")]
