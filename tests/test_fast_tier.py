"""The fast tier's guard (tests/fast_tier.py): a test marked fast cannot use a database, by fixture or otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["pytester"]

CONFTEST = """
from tests.fast_tier import _no_database_in_a_fast_test, pytest_collection_modifyitems  # noqa: F401
import pytest

@pytest.fixture
def db_url():
    return "sqlite://"
"""


@pytest.fixture
def tier(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the guard is imported from this tree's tests/fast_tier.py
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nmarkers =\n    fast: plain facts\n")
    return pytester


def test_a_fast_test_asking_for_a_database_fixture_is_refused_at_collection(tier):
    tier.makepyfile("""
import pytest

@pytest.mark.fast
def test_rule(db_url):
    pass
""")
    result = tier.runpytest_subprocess("-m", "fast", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*marked fast may not use a database fixture*test_rule (uses db_url)*"])


def test_a_fast_test_reaching_a_database_without_a_fixture_fails(tier):
    tier.makepyfile("""
import pytest
from models.db import run_in_transaction

@pytest.mark.fast
def test_rule():
    run_in_transaction(lambda uow: None, url="sqlite://")

def test_not_fast():
    run_in_transaction(lambda uow: None, url="sqlite://")
""")
    result = tier.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_rule is marked fast but reached for a database*"])
