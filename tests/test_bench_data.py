"""The benchmarks' live cases (bench/data.py): every template is a case the domain can still move, so each
due deadline of every kind fires (none skipped), and every copy's audit chain verifies; on SQLite and
PostgreSQL. Tiny sizes: the figures live in bench/, not here."""

from __future__ import annotations

import sqlalchemy as sa

from bench.data import TEMPLATES, TICK_AT, build_live_cases
from models.db import get_engine, normalise_url
from states.engine import Actor, execute
from states.queries import verify_cases
from states.tick import tick


def test_every_template_fires_its_deadline_and_copies_verify(db_url):
    # one copy of each template (the regranting one holds two cases), then a few more; all but 2 due
    described = build_live_cases(db_url, 16, 13)
    assert described["live"] == 16 and described["due"] == 13
    assert set(described["templates"]) == {t.name for t in TEMPLATES}
    assert sum(described["due_kinds"].values()) == 13

    report = tick(TICK_AT, url=db_url)
    assert (report.fired, report.skipped) == (13, 0), report.skipped_reasons

    engine = get_engine(normalise_url(db_url))
    with engine.connect() as conn:
        fired = dict(conn.execute(sa.text("SELECT kind, COUNT(*) FROM deadlines WHERE outcome = 'fired' "
                                          "AND fired_at = :at GROUP BY kind"), {"at": _bind(db_url)}).all())
        copied_codes = conn.execute(sa.text("SELECT code FROM cases WHERE code LIKE '%/1000%'")).scalars().all()
        parents = conn.execute(sa.text("SELECT c.data, p.code FROM cases c JOIN cases p ON p.id = c.parent_id "
                                       "WHERE c.code LIKE '%/1000%'")).all()
    assert fired == described["due_kinds"]
    assert len(copied_codes) == 16
    # a nested case names its own copy's operator, not the template's
    assert parents and all(_json(data)["parent"] == code for data, code in parents)
    verified = execute(verify_cases, actor=Actor("audytor", "auditor"), url=db_url, readonly=True)
    assert verified["broken"] == []


def _bind(url: str):
    return TICK_AT.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if url.startswith("sqlite") else TICK_AT


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) else value
