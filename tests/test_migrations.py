"""The schema comes from Alembic alone: the head matches the engine's cheap check, and an empty database
upgraded to head has exactly the tables (and columns) of the SQLModel metadata, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import models.schema  # noqa: F401  (every table on the metadata)
from models.db import MIGRATIONS_DIR, SCHEMA_REVISION, current_revision, normalise_url, upgrade
from tests.conftest import PG_ADMIN_URL


def script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def test_schema_revision_is_alembics_head():
    heads = script_directory().get_heads()
    assert heads == [SCHEMA_REVISION]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    name = f"coop_migrate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(normalise_url(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"))
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrading_an_empty_database_gives_exactly_the_metadata(empty_database):
    assert sa.inspect(empty_database).get_table_names() == []
    upgrade(empty_database)
    assert current_revision(empty_database) == SCHEMA_REVISION

    inspector = sa.inspect(empty_database)
    assert set(inspector.get_table_names()) == set(SQLModel.metadata.tables) | {"alembic_version"}
    for name, table in SQLModel.metadata.tables.items():
        assert {col["name"] for col in inspector.get_columns(name)} == set(table.columns.keys()), name
    with empty_database.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_upgrading_twice_changes_nothing(empty_database):
    upgrade(empty_database)
    tables = sorted(sa.inspect(empty_database).get_table_names())
    upgrade(empty_database)
    assert sorted(sa.inspect(empty_database).get_table_names()) == tables
    assert current_revision(empty_database) == SCHEMA_REVISION
