"""Forms that open themselves: when a call enters a state that waits on people, the tick opens their form runs.

An open call (or a regranting call) entering its formal review waits on an officer's formal review; one entering
the committee's scoring waits on each member's declarations and scores. Nobody should have to know which
deployment to start (issue 21). So at the end of every tick under its deployment (after its batches committed),
one look-up on the audit log asks which calls *entered* one of those states since this opener's mark and are
still in it, and a run of the matching form deployment is created for each: one formal review per call, one
scoring run per seat of its committee (each becomes its member's with the first proof, flows/evaluation.py).

Why the tick and not a Prefect automation on the engine's events: a call enters its formal review by the tick
(``close_offers``), but enters the scoring by an officer's step, which may be taken in the CLI, where no Prefect
event is emitted; the audit log records both, committed, whoever took the step. And Prefect's automations may
hold out-of-order events for minutes (stack-facts), while the next tick comes within its interval.

Exactly once: each run is created with an idempotency key naming the call, its entry into the state (the start
of that audit record's hash: unique across databases and a database made again) and the seat's number, so
Prefect returns the existing run to a repeated request (a mark lost, two ticks racing) instead of opening a second form.
The mark (the last audit record seen) is a Prefect variable per database, like the summaries' mark; it moves
only when every request of the round was accepted, so a request lost to an unreachable API is made again.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from flows.artifacts import FORMAL_REVIEW_DEPLOYMENT, SCORING_DEPLOYMENT
from models.tables import AuditRecord, Case, CommitteeMember
from states.engine import SCHEDULER, Context, execute
from states.procedures.open_call.handlers import CALL_KINDS
from states.procedures.open_call.names import CallState

# The states that wait on people's forms, and the deployment whose runs are those forms.
FORM_DEPLOYMENTS = {CallState.formal_review.value: FORMAL_REVIEW_DEPLOYMENT,
                    CallState.substantive_review.value: SCORING_DEPLOYMENT}


def entered_form_states(ctx: Context, mark: int) -> tuple[list[dict[str, Any]], int]:
    """The calls that entered a form state after audit record ``mark`` and are still in it (code, state, seats),
    and the new mark. Its range of the audit log's primary key is the only scan. A mark past the log's end is of
    a database made again under the same URL (the demo's file deleted): read from the start."""
    top = ctx.session.exec(select(func.max(AuditRecord.id))).one() or 0
    if mark > top:
        mark = 0
    rows = ctx.session.exec(
        select(Case.id, Case.code, Case.state, func.max(AuditRecord.hash)).join(AuditRecord, AuditRecord.case_id == Case.id)
        .where(AuditRecord.id > mark, AuditRecord.subject == "case", AuditRecord.to_state.in_(list(FORM_DEPLOYMENTS)),
               AuditRecord.to_state == Case.state, Case.kind.in_(CALL_KINDS))
        .group_by(Case.id, Case.code, Case.state).order_by(Case.code)).all()
    seats = dict(ctx.session.exec(
        select(CommitteeMember.case_id, func.count()).where(CommitteeMember.case_id.in_([r[0] for r in rows]))
        .group_by(CommitteeMember.case_id)).all()) if rows else {}
    return [{"code": code, "state": state, "seats": seats.get(case_id, 0), "entry": entry[:16]}
            for case_id, code, state, entry in rows], \
        top


def form_requests(calls: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(deployment, case code, idempotency key) of every form run the calls wait on."""
    requests = []
    for call in calls:
        deployment = FORM_DEPLOYMENTS[call["state"]]
        if call["state"] == CallState.formal_review.value:
            requests.append((deployment, call["code"], f"{deployment} {call['code']} {call['entry']}"))
        else:
            requests += [(deployment, call["code"], f"{deployment} {call['code']} {call['entry']} #{seat}")
                         for seat in range(1, call["seats"] + 1)]
    return requests


def mark_name(database_url: str | None) -> str:
    from models.db import database_url as default_url
    from models.db import normalise_url

    digest = hashlib.sha256(normalise_url(database_url or default_url()).encode()).hexdigest()[:16]
    return f"coop_forms_{digest}"


async def aopen_forms(database_url: str | None, parameters: dict[str, str] | None = None) -> list[str]:
    """Create the form runs of the calls that entered a form state since the mark; the keys requested. Never
    raises: the tick's own work is committed, and the next tick asks again."""
    from prefect import get_run_logger
    from prefect.variables import Variable

    logger = get_run_logger()
    try:
        name = mark_name(database_url)
        mark = int(await Variable.aget(name, default=0))
        calls, new_mark = await asyncio.to_thread(execute, entered_form_states, mark, actor=SCHEDULER,
                                                  url=database_url, readonly=True)
    except Exception as error:  # noqa: BLE001 - a failed look-up must not fail a tick that fired its deadlines
        logger.warning("forms not opened (the next tick asks again): %s", error)
        return []
    opened, lost = [], False
    if calls:
        from prefect.deployments import arun_deployment

        for deployment, code, key in form_requests(calls):
            try:
                await arun_deployment(deployment, parameters={"code": code, **(parameters or {})}, timeout=0,
                                      as_subflow=False, idempotency_key=key)
            except Exception as error:  # noqa: BLE001 - e.g. the deployment not applied; the next tick asks again
                logger.warning("%s not opened (the next tick asks again): %s", key, error)
                lost = True
            else:
                opened.append(key)
    if not lost and new_mark != mark:
        await Variable.aset(name, new_mark, overwrite=True)
    if opened:
        logger.info("forms opened: %s", ", ".join(opened))
    return opened
