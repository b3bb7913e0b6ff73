"""The layers of docs/architecture.md hold, and the import figure there is the code's (issue 19)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import import_graph  # noqa: E402

pytestmark = pytest.mark.fast

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_import_contracts_are_kept():
    """import-linter's contracts (pyproject.toml): no package imports one above it, even lazily in a function;
    nothing under the flows imports prefect; no procedure's package imports another's, even through another module
    (regranting's the open call's, art. 16a). Its report names the offending import chain."""
    run = subprocess.run([Path(sys.executable).with_name("lint-imports"), "--no-cache"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 kept, 0 broken" in run.stdout


def test_every_package_is_in_a_layer():
    """A new top-level package must be given its place: one outside the contract escapes it."""
    shipped = {name.rstrip("*") for name in CONFIG["tool"]["setuptools"]["packages"]["find"]["include"]}
    linter = CONFIG["tool"]["importlinter"]
    layers = next(c for c in linter["contracts"] if c["id"] == "layers")["layers"]
    assert shipped == set(linter["root_packages"]) == set(layers) == set(import_graph.PACKAGES)
    assert tuple(layers) == import_graph.PACKAGES  # the figure draws them in the contract's order


def test_the_committed_figure_is_the_code_s():
    assert import_graph.committed() == import_graph.block(import_graph.package_edges()), (
        "docs/architecture.md's import figure is out of date: run .venv/bin/python tools/import_graph.py --write")


def test_the_packages_import_no_circle_and_the_finder_finds_one():
    edges = import_graph.package_edges()
    assert import_graph.circle(edges) is None
    assert ("states", "notifications") not in edges and ("models", "states") not in edges
    assert ("flows", "coop") not in edges
    found = import_graph.circle(edges | {("models", "states")})
    assert found[0] == found[-1] and set(found) == {"states", "models"}
