"""Seeded, reproducible benchmark data: databases to build once and copy, and bulk-inserted live cases.

Live cases are copies of one open call built through the real domain (tests/prefect_fixtures.py), so every
row is one the engine itself wrote: an announced call with three offers, three committee members and its
three publications. Copies are bulk-inserted (the domain would take hours for 100,000 calls). Each copy
starts an empty audit chain, so whatever the tick records is the copy's first, verifiable record.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from models.db import get_engine, normalise_url

SEED = 20260116
CHUNK = 5000
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
WORKDIR = Path(tempfile.mkdtemp(prefix="coop-bench-"))
TEMPLATE_CODE_NUMBER = 100000
# The tick fires at this moment; background deadlines fall later in the year, due ones the day before.
TICK_AT = datetime(2026, 1, 25, tzinfo=UTC)
DUE_AT = datetime(2026, 1, 24, tzinfo=UTC)


class Databases:
    """Fresh databases of one backend: SQLite files in a temp dir, or PostgreSQL databases beside ``base_url``."""

    def __init__(self, base_url: str | None):
        self.base_url = base_url
        self.postgres = bool(base_url and base_url.startswith(("postgresql", "postgres")))
        self.created: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self.postgres else "sqlite"

    def fresh(self, label: str) -> str:
        name = f"coop_bench_{label}_{uuid.uuid4().hex[:6]}"
        if self.postgres:
            self._admin(f'CREATE DATABASE "{name}"')
            url = self._pg_url(name)
        else:
            url = f"sqlite:///{WORKDIR / name}.db"
        self.created.append(url)
        return url

    def copy(self, url: str, label: str) -> str:
        """A copy of ``url`` (which nobody may use while it is copied)."""
        get_engine(url).dispose()
        name = f"coop_bench_{label}_{uuid.uuid4().hex[:6]}"
        if self.postgres:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
            copy = self._pg_url(name)
        else:
            raw = raw_connection(url)
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.close()
            source = Path(url.removeprefix("sqlite:///"))
            target = WORKDIR / f"{name}.db"
            shutil.copyfile(source, target)
            copy = f"sqlite:///{target}"
        self.created.append(copy)
        return copy

    def drop_all(self) -> None:
        for url in self.created:
            get_engine(url).dispose()
            if self.postgres:
                self._admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        self.created.clear()

    def _pg_url(self, name: str) -> str:
        return self.base_url.rsplit("/", 1)[0] + f"/{name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        admin = self.base_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)


def raw_connection(url: str):
    """A plain DB-API connection (sqlite3 or psycopg), outside SQLAlchemy."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # what the engine uses
        conn.execute("PRAGMA foreign_keys=ON")
        return conn
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def build_live_cases(url: str, live: int, due: int, *, seed: int = SEED) -> dict:
    """``live`` announced open calls (3 offers, 3 members, 3 publications each); ``due`` of them have their
    ``offers_close`` deadline due at DUE_AT, the rest later in the year (seeded). Returns a description."""
    from tests.prefect_fixtures import announced_call, register_organisations

    if due > live:
        raise ValueError("due deadlines cannot outnumber live cases")
    register_organisations(url)
    template_code = announced_call(url, offers=3, members=True)
    engine = get_engine(normalise_url(url))
    meta = sa.MetaData()
    meta.reflect(engine)
    cases, deadlines = meta.tables["cases"], meta.tables["deadlines"]
    children = [meta.tables[name] for name in ("publications", "offers", "committee_members")]
    rng = random.Random(seed)
    due_flags = [True] * due + [False] * (live - due)
    rng.shuffle(due_flags)  # due cases spread among the others, as on a real morning
    year = template_code.split("/")[1]
    with engine.begin() as conn:
        template = conn.execute(sa.select(cases).where(cases.c.code == template_code)).mappings().one()
        kids = {t.name: [dict(r) for r in conn.execute(sa.select(t).where(t.c.case_id == template["id"])).mappings()]
                for t in children}
        # The template is real history; only its copies are benchmarked, so its own deadline goes.
        conn.execute(sa.delete(deadlines).where(deadlines.c.case_id == template["id"]))
        for start in range(0, live, CHUNK):
            flags = due_flags[start:start + CHUNK]
            rows, dues = [], []
            for offset, is_due in enumerate(flags):
                number = TEMPLATE_CODE_NUMBER + start + offset
                when = DUE_AT if is_due else DUE_AT + timedelta(days=rng.randint(7, 330), hours=rng.randint(0, 23))
                row = {k: v for k, v in template.items() if k != "id"}
                row.update(code=f"OK/{year}/{number}", audit_seq=0, audit_head="0" * 64, row_version=1,
                           offer_deadline=when)
                rows.append(row)
                dues.append(when)
            conn.execute(sa.insert(cases), rows)
            codes = [r["code"] for r in rows]
            ids = dict(conn.execute(sa.select(cases.c.code, cases.c.id).where(cases.c.code.in_(codes))).all())
            case_ids = [ids[code] for code in codes]
            conn.execute(sa.insert(deadlines), [
                {"case_id": cid, "kind": "offers_close", "due_at": when, "basis": "art. 13 ust. 2 pkt 5"}
                for cid, when in zip(case_ids, dues, strict=True)])
            for table in children:
                copies = []
                for cid in case_ids:
                    for kid in kids[table.name]:
                        copies.append({**{k: v for k, v in kid.items() if k != "id"}, "case_id": cid})
                if copies:
                    conn.execute(sa.insert(table), copies)
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {"live": live, "due": due, "offers": 3 * live, "template": template_code}
