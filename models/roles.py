"""Two PostgreSQL roles: the owner, who migrates, and the engine, which may only add to the history.

The owner (``COOP_DATABASE_OWNER_URL``; it owns the database and every table) runs the migrations. The engine's
role (the user of ``COOP_DATABASE_URL``) owns nothing: it reads and writes the working tables, and may only
INSERT and SELECT the history (``audit_log``, ``audit_anchors``, ``people_log``); it cannot change the schema, drop or disable
the insert-only triggers of migration 0008, or rewrite a record. ``coop db upgrade`` (and ``coop db init``)
with ``COOP_DATABASE_OWNER_URL`` set migrate as the owner, then grant the engine's role exactly that
(``grant_engine_role``), again on every upgrade so that a new table is granted too. docs/production.md, "The
owner role".

Without ``COOP_DATABASE_OWNER_URL`` the engine's role is the owner (one role, as before): the triggers still
refuse UPDATE, DELETE and TRUNCATE, but an owner may switch them off (``ALTER TABLE … DISABLE TRIGGER``).
"""

from __future__ import annotations

import os
from typing import Any

from kernel.errors import InvalidInput
from kernel.text import tr

OWNER_URL = "COOP_DATABASE_OWNER_URL"
HISTORY_TABLES = ("audit_log", "audit_anchors", "people_log")  # insert-only (migrations 0008, 0009)
READ_ONLY_TABLES = ("alembic_version",)  # the engine reads the schema's revision, never sets it


def owner_url() -> str | None:
    url = os.environ.get(OWNER_URL, "").strip()
    if not url:
        return None
    from models.db import normalise_url

    return normalise_url(url)


def migrate_as_owner(owner: str, engine_url: str) -> dict[str, Any]:
    """Migrate the database as its owner, then grant the engine's role what it may do; returns what was done
    (no password in it)."""
    from sqlalchemy.engine import make_url

    from models.db import get_engine, shown_url

    own, eng = make_url(owner), make_url(engine_url)
    if own.get_backend_name() != "postgresql" or eng.get_backend_name() != "postgresql":
        raise InvalidInput("owner_role_postgresql", tr(
            "{variable} is for PostgreSQL only: on SQLite whoever can write the file owns it. Nothing was "
            "changed.", variable=OWNER_URL))
    if (own.host, own.port, own.database) != (eng.host, eng.port, eng.database):
        raise InvalidInput("owner_role_same_database", tr(
            "{variable} ({owner}) and COOP_DATABASE_URL ({engine}) name different databases; the owner migrates "
            "the engine's own database. Nothing was changed.", variable=OWNER_URL, owner=shown_url(owner),
            engine=shown_url(engine_url)))
    engine = get_engine(owner)  # migrates to the newest schema, as the owner
    role = eng.username
    if not role or role == own.username:
        return {"owner": own.username, "engine_role": role, "granted": False}
    with engine.begin() as conn:
        grant_engine_role(conn, role)
    return {"owner": own.username, "engine_role": role, "granted": True}


def grant_engine_role(conn, role: str) -> None:
    """What the engine's role may do, granted by the owner (on a connection of the owner's, in a transaction):
    every working table read and written; the history read and added to, nothing more; the revision read."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    if conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = %(role)s", {"role": role}).scalar():
        raise InvalidInput("engine_role_superuser", tr(
            "The engine's role {role} is a superuser: PostgreSQL lets a superuser past every privilege and "
            "trigger, so the history could be rewritten. Give the engine a role of its own (docs/production.md). "
            "Nothing was changed.", role=role))
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
    conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    for table in HISTORY_TABLES:
        conn.exec_driver_sql(f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {quoted}")
    for table in READ_ONLY_TABLES:
        conn.exec_driver_sql(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} "
                             f"FROM {quoted}")
