"""Shared fixtures: every database test runs on SQLite and on PostgreSQL with the same code.

Each backend's schema is migrated once per session; each test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import models.schema  # noqa: F401  (every table, for empty_tables and dump)
from models.db import get_engine, normalise_url
from tests.prefect_fixtures import prefect_api  # noqa: F401  (one Prefect test harness for the whole session)

PG_ADMIN_URL = os.environ.get("COOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    return f"sqlite:///{Path(tmp_path_factory.mktemp('db')) / 'coop.db'}"


@pytest.fixture(scope="session")
def postgresql_url():
    name = f"coop_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    get_engine(normalise_url(url)).dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_tables(url: str) -> None:
    engine = get_engine(normalise_url(url))  # migrates on first use
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def db_url(request) -> str:
    url = request.getfixturevalue(f"{request.param}_url")
    empty_tables(url)
    return url


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, to show that a refused command changed nothing."""
    engine = get_engine(normalise_url(url))
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(sa.select(t)).all()), key=repr)
                for t in SQLModel.metadata.sorted_tables}
