"""The table every benchmark fills: figure, baseline measured in the same run, ratio, goal, pass/fail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    baseline: float | None = None
    goal: str = ""
    passed: bool | None = None  # None: information, no goal
    note: str = ""
    ratio: float | None = None  # default: value / baseline

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = self.value / self.baseline


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):  # a count
        return f"{value:,} {unit}".strip()
    if unit in ("MB", "/s") or abs(value) >= 100:
        return f"{value:,.1f} {unit}".strip()
    return f"{value:.3f} {unit}".strip()


def table(rows: list[Row]) -> str:
    head = ("figure", "value", "baseline", "ratio", "goal", "result")
    body = [(r.figure, _fmt(r.value, r.unit), _fmt(r.baseline, r.unit if r.unit != "/s" else "/s"),
             f"{r.ratio:.2f}×" if r.ratio is not None else "—", r.goal or "—",
             {True: "PASS", False: "FAIL", None: "info"}[r.passed]) for r in rows]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |" for line in body]
    notes = [f"- {r.figure}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + ([""] + notes if notes else []))
