"""The history is insert-only in the database itself (migration 0008, models/roles.py).

On both backends a trigger refuses UPDATE and DELETE of an audit record (and of a daily anchor), whoever
asks. On PostgreSQL with the two roles of docs/production.md, the engine's role is also refused by privilege,
cannot switch the trigger off, and still writes every step through the engine."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError

from coop.demo import run_open_call
from models.db import get_engine, normalise_url, sqlstate
from states.engine import Actor, execute
from states.queries import verify_cases
from tests.conftest import PG_ADMIN_URL

AUDITOR = Actor("Rewident RIO", "auditor")


def _count(url: str) -> int:
    with get_engine(normalise_url(url)).connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar_one()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'Fałszerz' WHERE seq = 3",
    "DELETE FROM audit_log WHERE seq = 3",
    "UPDATE audit_anchors SET digest = 'x'",  # the test writes one anchor row first
])
def test_the_database_refuses_to_change_the_history(db_url, statement):
    run_open_call(db_url)
    before = _count(db_url)
    engine = get_engine(normalise_url(db_url))
    if "audit_anchors" in statement:
        with engine.begin() as conn:  # one anchor row to refuse changing
            conn.exec_driver_sql("INSERT INTO audit_anchors (day, made_at, recorded_at, cases, digest, fingerprint, "
                                 "document) VALUES ('2026-12-06', '2026-12-06 00:00:00+00', '2026-12-06 00:00:00+00', "
                                 "0, 'd', 'f', '{}')")
    with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert "the history is insert-only" in str(refused.value)
    assert _count(db_url) == before
    assert execute(verify_cases, None, actor=AUDITOR, url=db_url, readonly=True)["broken"] == []


def test_truncate_is_refused_on_postgresql(postgresql_url):
    from tests.conftest import empty_tables

    empty_tables(postgresql_url)
    run_open_call(postgresql_url)
    before = _count(postgresql_url)
    for table in ("audit_log", "audit_anchors"):
        with pytest.raises(DBAPIError) as refused, get_engine(normalise_url(postgresql_url)).begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {table} CASCADE")
        assert "TRUNCATE on" in str(refused.value) and sqlstate(refused.value) == "42501"
    assert _count(postgresql_url) == before


# --- two roles: the owner migrates, the engine may only add to the history --------------------------------------


@contextmanager
def two_roles():
    """A database owned by a role of its own, and an engine role that owns nothing; both dropped after."""
    tag = uuid.uuid4().hex[:8]
    owner, engine_role, name = f"coop_owner_{tag}", f"coop_engine_{tag}", f"coop_roles_{tag}"
    base = PG_ADMIN_URL.rsplit("/", 1)[0]  # postgresql://postgres@127.0.0.1:5432
    host = base.split("@", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{owner}" LOGIN')
        admin.execute(f'CREATE ROLE "{engine_role}" LOGIN')
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    owner_url = normalise_url(f"postgresql://{owner}@{host}/{name}")
    engine_url = normalise_url(f"postgresql://{engine_role}@{host}/{name}")
    try:
        yield owner_url, engine_url, engine_role
    finally:
        for url in (owner_url, engine_url):
            if url in _made:  # made in this process: its pool holds connections to the database
                get_engine(url).dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{engine_role}"')
            admin.execute(f'DROP ROLE IF EXISTS "{owner}"')


_made: set[str] = set()


def _coop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coop", *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "COOP_LANG": "en", **env}, timeout=120)


def test_the_engine_role_may_only_add_to_the_history():
    with two_roles() as (owner_url, engine_url, role):
        # Before the owner migrated, the engine's role cannot make the schema, and says who must.
        refused = _coop("db", "upgrade", env={"COOP_DATABASE_URL": engine_url})
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "Run `coop db upgrade` with COOP_DATABASE_OWNER_URL" in refused.stderr + refused.stdout
        assert "Traceback" not in refused.stderr

        done = _coop("db", "upgrade", "--json", env={"COOP_DATABASE_URL": engine_url,
                                                     "COOP_DATABASE_OWNER_URL": owner_url})
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"granted": true' in done.stdout and f'"engine_role": "{role}"' in done.stdout

        _made.update({owner_url, engine_url})
        code = run_open_call(engine_url).code  # every step of a call, written by the engine's role
        assert _count(engine_url) > 50
        engine = get_engine(engine_url)
        for statement, expected in [
            ("UPDATE audit_log SET actor = 'Fałszerz' WHERE seq = 3", "permission denied"),
            ("DELETE FROM audit_log WHERE seq = 3", "permission denied"),
            ("TRUNCATE audit_log CASCADE", "permission denied"),
            ("UPDATE audit_anchors SET digest = 'x'", "permission denied"),
            ("ALTER TABLE audit_log DISABLE TRIGGER audit_log_insert_only", "must be owner"),
            ("DROP TRIGGER audit_log_insert_only ON audit_log", "must be owner"),
            ("SET session_replication_role = replica", "permission denied"),
            ("UPDATE alembic_version SET version_num = '0001'", "permission denied"),
        ]:
            with pytest.raises(DBAPIError) as refused_sql, engine.begin() as conn:
                conn.exec_driver_sql(statement)
            assert sqlstate(refused_sql.value) == "42501", statement
            assert expected in str(refused_sql.value), (statement, str(refused_sql.value))
        # the engine's role still changes the working tables (the case row, its chain head)
        with engine.begin() as conn:
            assert conn.exec_driver_sql("UPDATE cases SET title = title").rowcount >= 1
        # and the owner, who may change the table, is refused by the trigger all the same
        with pytest.raises(DBAPIError) as by_owner, get_engine(owner_url).begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_log")
        assert "the history is insert-only" in str(by_owner.value)
        assert execute(verify_cases, code, actor=AUDITOR, url=engine_url, readonly=True)["broken"] == []


def test_a_superuser_engine_role_is_refused():
    with two_roles() as (owner_url, _, _):
        superuser_url = normalise_url(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + owner_url.rsplit("/", 1)[1])
        result = _coop("db", "upgrade", env={"COOP_DATABASE_URL": superuser_url, "COOP_DATABASE_OWNER_URL": owner_url})
        _made.add(owner_url)
        assert result.returncode == 2
        assert "is a superuser" in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_deploy_database_sh_migrates_as_the_owner_and_grants_the_engine():
    """docs/production.md step 3 with two roles: deploy/database.sh as it is, the owner's URL beside the engine's."""
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "deploy" / "database.sh"
    with two_roles() as (owner_url, engine_url, role):
        env = {k: v for k, v in os.environ.items() if k != "COOP_SIMULATION"}  # production: a real database
        result = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=False, timeout=180,
                                env={**env, "COOP_LANG": "en", "COOP_DATABASE_URL": engine_url,
                                     "COOP_DATABASE_OWNER_URL": owner_url})
        assert result.returncode == 0, result.stdout + result.stderr
        assert "clock: real" in result.stdout and "granted: yes" in result.stdout
        with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + engine_url.rsplit("/", 1)[1]) as conn:
            granted = {(table, privilege): conn.execute("SELECT has_table_privilege(%s, %s, %s)",
                                                        (role, table, privilege)).fetchone()[0]
                       for table in ("audit_log", "audit_anchors", "cases", "alembic_version")
                       for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")}
            owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'").fetchone()[0]
        assert owner == owner_url.split("://", 1)[1].split("@", 1)[0]
        assert {k for k, v in granted.items() if v} == {
            ("audit_log", "SELECT"), ("audit_log", "INSERT"), ("audit_anchors", "SELECT"), ("audit_anchors", "INSERT"),
            ("cases", "SELECT"), ("cases", "INSERT"), ("cases", "UPDATE"), ("cases", "DELETE"),
            ("alembic_version", "SELECT")}


@pytest.mark.parametrize(("engine_url", "owner", "expected"), [
    ("sqlite:///{tmp}/coop.db", "sqlite:///{tmp}/coop.db", "is for PostgreSQL only"),
    (PG_ADMIN_URL.rsplit("/", 1)[0] + "/coop_a", PG_ADMIN_URL.rsplit("/", 1)[0] + "/coop_b", "name different databases"),
])
def test_an_owner_url_that_cannot_be_used_is_refused(tmp_path, engine_url, owner, expected):
    result = _coop("db", "upgrade", env={"COOP_DATABASE_URL": engine_url.format(tmp=tmp_path),
                                         "COOP_DATABASE_OWNER_URL": owner.format(tmp=tmp_path)})
    assert result.returncode == 2 and expected in result.stderr, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "coop.db").exists()  # nothing made
