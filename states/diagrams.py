"""Mermaid diagrams of every machine, generated from the machines themselves (python-statemachine's formatter).

``python -m states.diagrams`` writes docs/diagrams/*.md; ``python -m states.diagrams --check`` exits 1 when a
committed diagram differs from the code (tests/test_diagrams.py runs the same check).
"""

from __future__ import annotations

import sys
from pathlib import Path

DIAGRAMS_DIR = Path(__file__).resolve().parent.parent / "docs" / "diagrams"


def available() -> list[tuple[str, str, type]]:
    """Every machine of every procedure (states/procedures: each descriptor's ``diagrams``)."""
    from states.procedures import diagrams

    return [(diagram.slug, diagram.title, cls) for diagram, cls in diagrams()]


def render(title: str, machine_class: type) -> str:
    machine = machine_class()
    lines = [f"# {title}", "", f"Generated from `{machine_class.__module__}.{machine_class.__name__}` by "
             "`python -m states.diagrams`; do not edit by hand.", "", "```mermaid", f"{machine:mermaid}".rstrip(), "```", ""]
    after_final = getattr(machine_class, "AFTER_FINAL", {})
    if after_final:  # a final state has no transition, not even to itself: its steps are listed instead
        lines += ["Steps taken in a final state:", ""]
        lines += [f"- `{event}` in {', '.join(f'`{s}`' for s in states)}" for event, states in after_final.items()]
        lines.append("")
    basis = getattr(machine_class, "BASIS", {})
    if basis:
        lines += ["| event | legal basis |", "|---|---|"]
        lines += [f"| `{event}` | {text} |" for event, text in basis.items()]
        lines.append("")
    return "\n".join(lines)


def expected() -> dict[Path, str]:
    return {DIAGRAMS_DIR / f"{slug}.md": render(title, cls) for slug, title, cls in available()}


def write() -> list[Path]:
    DIAGRAMS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for path, text in expected().items():
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def drift() -> list[Path]:
    """Diagrams whose committed file is missing or differs from what the code generates."""
    return [path for path, text in expected().items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = drift()
        for path in stale:
            print(f"stale: {path} (run: python -m states.diagrams)")
        return 1 if stale else 0
    for path in write():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
