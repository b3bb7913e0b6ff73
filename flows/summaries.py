"""Officers' case summaries, refreshed by a flow of their own when the engine has recorded something new.

A summary costs API calls per case, so it is kept out of the tick: the tick fires deadlines (its time stays
near the database's) and, when audit records exist past this flow's mark (``records_after``), asks for a run
of this deployment (``flows.housekeeping``); the run refreshes the summaries of the cases recorded since its
last run, newest first, at most ``max_cases`` per run. Where it got to is a Prefect variable per database: a
mark on the audit log, never part of the engine's record.
"""

from __future__ import annotations

import hashlib
from typing import Any

from prefect import flow, get_run_logger
from prefect.variables import Variable
from sqlalchemy import func
from sqlmodel import select

from flows.artifacts import publish_case_artifacts
from flows.doors import refuse_door_parameters
from models.tables import AuditRecord, Case
from states.engine import SCHEDULER, Context, execute

MAX_CASES = 50
# A deployment's run loads this file by its path, as module "summaries": its reads keep their names in the
# authorization matrix (states/authorization.py), or the scheduler was refused them and every summaries run
# under `coop serve` failed (issue 21: 9 failed runs in 10 idle minutes).
COMMAND_NAMESPACE = "flows.summaries"


def recorded_since(ctx: Context, query: tuple[int, int]) -> tuple[list[str], int]:
    """Codes of the cases with audit records after ``mark`` (newest first, at most ``limit``); the new mark."""
    mark, limit = query
    newest = func.max(AuditRecord.id)
    rows = ctx.session.exec(
        select(Case.code, newest).join(Case, Case.id == AuditRecord.case_id)
        .where(AuditRecord.id > mark).group_by(Case.code).order_by(newest.desc()).limit(limit)
    ).all()
    top = ctx.session.exec(select(func.max(AuditRecord.id))).one() or 0
    return [code for code, _ in rows], max(top, mark)


def records_after(ctx: Context, mark: int) -> bool:
    """Whether the audit log has a record past ``mark``: one look-up on its primary key."""
    return ctx.session.exec(select(AuditRecord.id).where(AuditRecord.id > mark).limit(1)).first() is not None


async def pending(database_url: str | None) -> bool:
    """Whether a summaries run would find a case to refresh (the mark read from Prefect, the records from the
    engine's database)."""
    mark = int(await Variable.aget(mark_name(database_url), default=0))
    return execute(records_after, mark, actor=SCHEDULER, url=database_url, readonly=True)


def mark_name(database_url: str | None) -> str:
    from models.db import database_url as default_url
    from models.db import normalise_url

    # One name per database however its URL is spelled (the worker's COOP_DATABASE_URL, a caller's database_url).
    digest = hashlib.sha256(normalise_url(database_url or default_url()).encode()).hexdigest()[:16]
    return f"coop_summaries_{digest}"


def summaries_run_name() -> str:
    """``podsumowania spraw 2026-01-24 08:00 (+01:00)``: what the run does and when, in Warsaw time."""
    from states.clock import resolve_now
    from states.local_time import moment_text
    from states.text import tr

    return str(tr("case summaries {moment}", moment=moment_text(resolve_now(None))))


@flow(name="coop-case-summaries", flow_run_name=summaries_run_name, log_prints=False, persist_result=False)
async def case_summaries_flow(database_url: str | None = None, max_cases: int = MAX_CASES) -> dict[str, Any]:
    """Refresh the summary and ranking artifacts of the cases recorded since the last run."""
    refuse_door_parameters(database_url=database_url)
    name = mark_name(database_url)
    mark = int(await Variable.aget(name, default=0))
    codes, new_mark = execute(recorded_since, (mark, max_cases), actor=SCHEDULER, url=database_url, readonly=True)
    refreshed = publish_case_artifacts(codes, url=database_url)
    await Variable.aset(name, new_mark, overwrite=True)
    get_run_logger().info("summaries refreshed for %s cases (audit mark %s -> %s)", refreshed, mark, new_mark)
    return {"refreshed": refreshed, "cases": codes, "mark": new_mark}
