"""The project's own source, parsed once per test process: several fast tests read the same modules (the refusal
sites, the events written, the handlers' names, the imports), and parsing them all again for each was seconds of
the fast tier. The trees are shared: read them, never change them."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


@cache
def walked(path: Path) -> tuple[ast.AST, ...]:
    """Every node of the module, in ``ast.walk``'s order."""
    return tuple(ast.walk(parsed(path)))
