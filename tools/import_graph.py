#!/usr/bin/env python3
"""The figure of the imports between the project's packages, read from the code (docs/architecture.md).

Every import counts, a lazy one inside a function too and one under ``if TYPE_CHECKING:`` too (grimp reads
them all, as import-linter does). The figure is a Mermaid flowchart between two markers in
docs/architecture.md; tests/test_architecture.py fails when the committed one is not the code's.

    .venv/bin/python tools/import_graph.py           # print the figure
    .venv/bin/python tools/import_graph.py --write   # put it in docs/architecture.md

Exit 1 when the packages import each other in a circle (the circle is printed), the figure left as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- import-figure: begin (tools/import_graph.py --write) -->", "<!-- import-figure: end -->"


def _layers() -> tuple[str, ...]:
    """Top to bottom: the layers of pyproject.toml's import-linter contract (declared there, read here)."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["id"] == "layers"]
    return tuple(layers)


PACKAGES = _layers()


def package_edges() -> set[tuple[str, str]]:
    """(importer, imported) for every pair of packages with at least one import between their modules."""
    import grimp

    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            pair = (module.split(".")[0], imported.split(".")[0])
            if pair[0] != pair[1]:
                edges.add(pair)
    return edges


def circle(edges: set[tuple[str, str]]) -> list[str] | None:
    """A circle among the packages, as the packages on it, or None."""
    after = {p: sorted(b for a, b in edges if a == p) for p in PACKAGES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(package: str) -> list[str] | None:
        state[package] = 1
        path.append(package)
        for nxt in after[package]:
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[package] = 2
        return None

    for package in PACKAGES:
        if package not in state and (found := visit(package)):
            return found
    return None


def figure(edges: set[tuple[str, str]]) -> str:
    order = {p: i for i, p in enumerate(PACKAGES)}
    lines = ["```mermaid", "flowchart TD"]
    lines += [f"    {p}[{p}/]" for p in PACKAGES]
    lines += [f"    {a} --> {b}" for a, b in sorted(edges, key=lambda e: (order[e[0]], order[e[1]]))]
    lines.append("```")
    return "\n".join(lines)


def block(edges: set[tuple[str, str]]) -> str:
    return f"{BEGIN}\n{figure(edges)}\n{END}"


def committed() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(BEGIN):text.index(END) + len(END)]


def main(argv: list[str]) -> int:
    edges = package_edges()
    found = circle(edges)
    if found:
        print("the packages import each other in a circle: " + " -> ".join(found), file=sys.stderr)
        return 1
    if "--write" in argv:
        text = DOC.read_text(encoding="utf-8")
        DOC.write_text(text.replace(committed(), block(edges)), encoding="utf-8")
    else:
        print(figure(edges))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
