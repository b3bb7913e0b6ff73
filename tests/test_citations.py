"""Bases cite the law in force: no repealed provision, and the rule set names the consolidated texts it cites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from states.rule_sets import LESZNO_2026, REPEALED

pytestmark = pytest.mark.fast  # plain facts, no database (tests/fast_tier.py)

ROOT = Path(__file__).resolve().parent.parent
# docs/law.md names the corrected citations on purpose.
SOURCES = [p for folder in ("states", "notifications", "flows", "coop", "models", "docs")
           for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".j2", ".md") and p.name != "law.md"]


def test_no_basis_cites_a_repealed_provision():
    # "art. 19a ust. 7" but not "ust. 2a"-style neighbours; "ust. 1-2" ranges name ust. 2 too.
    patterns = [re.compile(re.escape(r) + r"(?![0-9a-z])") for r in REPEALED]
    patterns.append(re.compile(r"art\. 19a ust\. 1-2\b"))
    found = [f"{p.relative_to(ROOT)}:{n}" for p in SOURCES
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if any(rx.search(line) for rx in patterns) and "REPEALED" not in line]
    assert found == []


def test_the_rule_set_names_the_consolidated_texts():
    texts = LESZNO_2026.legal_texts
    assert "Dz.U. 2024 poz. 1491" in texts["ustawa"]
    for key in ("KC", "KPA", "ufp", "wzory ofert", "oferta uproszczona"):
        assert re.search(r"Dz\.U\. \d{4} poz\. \d+", texts[key]), key
