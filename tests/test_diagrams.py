"""The committed Mermaid diagrams match the machines (docs cannot drift from the code)."""

from __future__ import annotations

import pytest

from states import diagrams

pytestmark = pytest.mark.fast  # plain facts, no database (tests/fast_tier.py)


def test_every_machine_has_a_diagram_and_none_drifted():
    from states.engine import LegalMachine

    # every LegalMachine subclass in the engine is listed (a new machine cannot go undocumented)
    listed = {cls for _, _, cls in diagrams.available()}
    assert {cls for cls in LegalMachine.__subclasses__() if cls.__module__.startswith("states.")} <= listed
    slugs = {slug for slug, _, _ in diagrams.available()}
    assert slugs == {"open-call", "offer", "small-grant", "consultation", "local-initiative", "regranting-sub-call",
                     "micro-grant"}
    assert diagrams.drift() == [], "run: .venv/bin/python -m states.diagrams"


def test_diagram_is_generated_from_the_machine():
    from states.procedures.small_grant.machine import SmallGrantMachine

    text = diagrams.render("x", SmallGrantMachine)
    assert "stateDiagram-v2" in text
    for state in SmallGrantMachine.states:
        assert state.id in text
    assert "art. 19a ust. 3" in text


def test_check_detects_an_edited_diagram(tmp_path, monkeypatch):
    monkeypatch.setattr(diagrams, "DIAGRAMS_DIR", tmp_path)
    diagrams.write()
    assert diagrams.drift() == []
    target = tmp_path / "small-grant.md"
    target.write_text(target.read_text(encoding="utf-8").replace("granted", "approved"), encoding="utf-8")
    assert diagrams.drift() == [target]
    assert diagrams.main(["--check"]) == 1
