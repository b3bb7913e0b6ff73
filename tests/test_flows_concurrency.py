"""The tick on PostgreSQL: four tick flow runs in four processes at once over 2,000 due deadlines fire
every deadline exactly once (FOR UPDATE SKIP LOCKED; counted from the audit log)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case, Deadline
from tests.conftest import empty_tables
from tests.prefect_fixtures import clone_due_calls, empty_template, prefect_api, register_organisations  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
TICK = """
import asyncio, json, sys
from flows.tick import tick_flow
result = asyncio.run(tick_flow(at="2026-01-25T00:00Z", batch_size=25, database_url=sys.argv[1]))
print("RESULT " + json.dumps(result))
"""


def test_four_concurrent_tick_processes_fire_2000_deadlines_exactly_once(postgresql_url, prefect_api):  # noqa: F811
    empty_tables(postgresql_url)
    register_organisations(postgresql_url)
    codes = clone_due_calls(postgresql_url, empty_template(postgresql_url), 2000, datetime(2026, 1, 24, tzinfo=UTC))
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, "-c", TICK, postgresql_url], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=400)
        assert worker.returncode == 0, err[-3000:]
        reports.append(json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:]))

    assert sum(r["fired"] for r in reports) == 2000 and sum(r["skipped"] for r in reports) == 0
    with get_engine(normalise_url(postgresql_url)).connect() as conn:
        per_case = conn.execute(sa.select(Case.code, sa.func.count(AuditRecord.id))
                                .join(AuditRecord, AuditRecord.case_id == Case.id)
                                .where(AuditRecord.event == "close_offers").group_by(Case.code)).all()
        unfired = conn.execute(sa.select(sa.func.count()).select_from(Deadline).where(Deadline.fired_at.is_(None))).scalar()
        outcomes = conn.execute(sa.select(Deadline.outcome, sa.func.count()).group_by(Deadline.outcome)).all()
    assert len(per_case) == 2000 and {count for _, count in per_case} == {1}
    assert {code for code, _ in per_case} == set(codes)
    assert unfired == 0 and dict(outcomes) == {"fired": 2000}
