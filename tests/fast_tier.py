"""The fast tier's guard (``pytest -m fast``): a test marked ``fast`` runs on plain facts, without a database.

Two checks, so the tier stays what its name says (docs/architecture.md, "Tests"):
- at collection, a fast test that asks for a database fixture (itself or through another fixture) is an error
  that names it: it belongs in the two-database suite;
- while it runs, making an engine (``models.db.get_engine``, ``sqlalchemy.create_engine``) or connecting with
  ``psycopg``/``sqlite3`` fails the test, so a database reached without a fixture is caught too.
"""

from __future__ import annotations

import pytest

# The fixtures that give a database (tests/conftest.py) or a Prefect server.
DATABASE_FIXTURES = frozenset({"sqlite_url", "postgresql_url", "db_url", "real_sqlite_url", "real_postgresql_url",
                               "real_db_url", "prefect_api"})


def pytest_ignore_collect(collection_path, config):
    """``-m fast`` imports only the test modules that mark something fast: importing the others (Prefect's
    harness, the whole CLI) costs more than running the tier."""
    if config.option.markexpr.strip() != "fast" or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    return True if "mark.fast" not in collection_path.read_text(encoding="utf-8") else None


def pytest_collection_modifyitems(config, items):
    offenders = [f"{item.nodeid} (uses {', '.join(sorted(DATABASE_FIXTURES & set(item.fixturenames)))})"
                 for item in items
                 if item.get_closest_marker("fast") and DATABASE_FIXTURES & set(item.fixturenames)]
    if offenders:
        raise pytest.UsageError("a test marked fast may not use a database fixture: " + "; ".join(offenders))


@pytest.fixture(autouse=True)
def _no_database_in_a_fast_test(request, monkeypatch):
    if request.node.get_closest_marker("fast") is None:
        yield
        return
    import sqlite3

    import psycopg
    import sqlalchemy

    import models.db

    def refused(*args, **kwargs):
        pytest.fail(f"{request.node.nodeid} is marked fast but reached for a database", pytrace=False)

    monkeypatch.setattr(models.db, "get_engine", refused)
    monkeypatch.setattr(sqlalchemy, "create_engine", refused)
    monkeypatch.setattr(psycopg, "connect", refused)
    monkeypatch.setattr(sqlite3, "connect", refused)
    yield
