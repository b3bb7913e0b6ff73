"""Evaluations in the Prefect UI: the officer's formal review and a committee member's scores.

A flow run per case (and member) shows a typed form (a pydantic ``RunInput``) listing the offers and the
criteria, records what is submitted through the SAME domain handlers the CLI uses
(``states.open_call_commands.review_offer`` / ``declare_conflicts`` / ``score_offer`` via
``states.engine.execute``), and asks again, with the refusal on top of the form, when the domain refuses
(a conflict of interest, points above a criterion's maximum, ...). It ends when the review is complete or
its deadline passes.

Pause or suspend: under a deployment (``coop serve``, a worker) the run SUSPENDS: its process exits, the
run waits in the Prefect database and a new process re-runs the flow from the start when the form is
submitted, so a form survives a restart of the served process. Every step before a form is a read, and
recording an answer is a task cached per (flow run, form key), so the re-run replays earlier answers
without recording them twice. Without a deployment (tests, a script) suspending is impossible, so the run
PAUSES in its process instead; the code path is otherwise the same. See docs/prefect.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.context import FlowRunContext, TaskRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput
from pydantic import Field, create_model
from sqlmodel import select

from flows.artifacts import publish_case_artifacts
from flows.events import emit_transitions
from models.tables import CommitteeMember, ConflictDeclaration, Score
from states import calendar, labels
from states import commands as c
from states import open_call_commands as oc
from states.clock import parse_moment, resolve_now
from states.engine import Actor, Context, execute, permitted
from states.errors import DomainError
from states.open_call import call_settings, offers_of
from states.open_call_commands import load_call
from states.text import current_language, render, tr

MAX_ROUNDS = 200  # a form answered this many times without finishing is a runaway, not a review


# The forms' titles are in the language of the process serving the flows (COOP_LANG), like every message.
class FormalReviewForm(RunInput):
    """Formal review of one offer (ogłoszenie konkursu: kryteria formalne)."""

    offer: int = Field(ge=1, title=str(tr("Offer number")))
    decision: Literal["accept", "reject", "correct"] = Field(
        title=str(tr("Decision")),
        description=str(tr("accept = formally correct, reject = rejected, correct = a call to correct the defects")))
    defects: list[str] = Field(default_factory=list, title=str(tr("Formal defects")))


class DeclarationForm(RunInput):
    """KPA art. 24 declarations for every offer in the call."""

    conflicts: list[int] = Field(default_factory=list, title=str(tr("Offers with a conflict of interest")))
    note: str = Field(default="", title=str(tr("Note")))


def score_form(criteria) -> type[RunInput]:
    """The scoring form of a call: one field per criterion of its announcement (art. 15 ust. 1)."""
    fields: dict[str, Any] = {"offer": (int, Field(ge=1, title=str(tr("Offer number"))))}
    for criterion in criteria:
        # No upper bound in the form: the maximum is the domain's rule, refused with its basis like in the CLI.
        title = tr("{criterion} (at most {points} points)", criterion=labels.criterion(criterion),
                   points=criterion.max_points)
        fields[criterion.key] = (Decimal, Field(ge=0, title=str(title), description=f"{criterion.basis}"))
    return create_model("ScoreForm", __base__=RunInput, **fields)


# The columns of the forms' tables of offers.
COLUMNS = {"number": tr("number"), "title": tr("title"), "state": tr("state"), "requested": tr("requested grant"),
           "defects": tr("formal defects"), "conflict": tr("conflict of interest"), "scored": tr("scored")}


# --- reads -----------------------------------------------------------------------------------------------------


def _deadline(view: dict[str, Any], until: str | None, at: str | None) -> datetime:
    if until:
        return parse_moment(until, "until")
    if view["selection_date"]:  # the call's selection date closes the evaluations (art. 13 ust. 2 pkt 6)
        return calendar.end_of_day(view["selection_date"])
    return resolve_now(at) + timedelta(days=7)


@permitted("officer", "committee_member")
def formal_review_view(ctx: Context, code: str) -> dict[str, Any]:
    case = load_call(ctx.session, code)
    offers = offers_of(ctx.session, case)
    pending = [o for o in offers if o.state in ("received", "correction_requested")]
    return {"state": case.state, "done": case.state != "formal_review" or not pending,
            "selection_date": case.selection_date,
            "offers": [{"number": o.number, "title": o.title, "state": o.state, "requested": str(o.requested_grant),
                        "defects": o.formal_defects} for o in offers],
            "pending": [o.number for o in pending]}


@permitted("officer", "committee_member")
def scoring_view(ctx: Context, seat_ref: tuple[str, str]) -> dict[str, Any]:
    code, member = seat_ref
    case = load_call(ctx.session, code)
    criteria, threshold = call_settings(case)
    seat = ctx.session.exec(select(CommitteeMember).where(CommitteeMember.case_id == case.id,
                                                          CommitteeMember.name == member)).first()
    offers = offers_of(ctx.session, case)
    declared: dict[int, bool] = {}
    scored: set[int] = set()
    if seat is not None:
        declared = {d.offer_id: d.conflict for d in ctx.session.exec(
            select(ConflictDeclaration).where(ConflictDeclaration.member_id == seat.id))}
        scored = set(ctx.session.exec(select(Score.offer_id).where(Score.member_id == seat.id)))
    scorable = [o.number for o in offers
                if o.state == "formally_accepted" and declared.get(o.id) is False and o.id not in scored]
    return {"state": case.state, "member_known": seat is not None, "selection_date": case.selection_date,
            "needs_declaration": any(o.id not in declared for o in offers),
            "criteria": [cr.model_dump(mode="json") for cr in criteria],
            "offers": [{"number": o.number, "title": o.title, "state": o.state,
                        "conflict": declared.get(o.id), "scored": o.id in scored} for o in offers],
            "scorable": scorable,
            "done": case.state != "substantive_review" or seat is None
                    or (not any(o.id not in declared for o in offers) and not scorable)}


def _with_events(handler):
    """Run ``handler`` and hand back the transitions it made, so they can be announced after the commit."""

    def run(ctx: Context, cmd: Any) -> dict[str, Any]:
        return {"result": handler(ctx, cmd), "events": list(ctx.events)}

    run.roles = handler.roles  # type: ignore[attr-defined]
    run.__wrapped__ = handler  # type: ignore[attr-defined]  (the command log names the handler itself)
    return run


# --- recording an answer ------------------------------------------------------------------------------------


def _answer_key(context, parameters: dict[str, Any]) -> str:
    return f"{context.task_run.flow_run_id}:{parameters['key']}"


def _answer_intent(key: str) -> str | None:
    """The idempotency key of one form answer: its flow run and form (None outside a task run: a new one)."""
    context = TaskRunContext.get()
    return f"form:{_answer_key(context, {'key': key})}" if context is not None else None


@task(name="record-answer", task_run_name="{key}", cache_key_fn=_answer_key, persist_result=True)
def record_answer(step: str, code: str, actor_name: str, actor_role: str, answer: dict[str, Any],
                  at: str | None, key: str, database_url: str | None) -> dict[str, Any]:
    """Record one submitted form through the CLI's own handler. A refusal is an answer too: it is returned
    (and cached), never raised, so the form is shown again with it."""
    actor = Actor(actor_name, actor_role)
    try:
        if step == "review":
            handler, cmd = oc.review_offer, c.ReviewOffer.parse(code=code, number=answer["offer"],
                                                                decision=answer["decision"],
                                                                defects=tuple(answer.get("defects") or ()))
        elif step == "declare":
            handler, cmd = oc.declare_conflicts, c.DeclareConflicts.parse(
                code=code, member=actor_name, conflicts=tuple(answer.get("conflicts") or ()), note=answer.get("note", ""))
        else:
            points = {k: v for k, v in answer.items() if k != "offer"}
            handler, cmd = oc.score_offer, c.ScoreOffer.parse(code=code, number=answer["offer"], member=actor_name,
                                                              points=points)
        # One key per form answer, kept if the task runs again (a retry, a re-run after a restart): an answer
        # whose COMMIT reply was lost is found recorded, not written twice (invariant 10).
        outcome = execute(_with_events(handler), cmd, actor=actor, at=at, url=database_url,
                          idempotency_key=_answer_intent(key))
    except DomainError as refusal:
        get_run_logger().warning("%s", refusal.message())
        return {"refused": refusal.message(), "events": []}
    emit_transitions(outcome["events"])
    publish_case_artifacts([code], url=database_url, actor=actor)
    return {"refused": None, "events": outcome["events"], "result": outcome["result"]}


# --- waiting for a form ---------------------------------------------------------------------------------------


def wait_for_form(form: type[RunInput], *, key: str, timeout: int, poll_interval: int):
    """Suspend under a deployment (survives a restart), pause otherwise (see the module's docstring)."""
    context = FlowRunContext.get()
    if context and context.flow_run and context.flow_run.deployment_id:
        return suspend_flow_run(wait_for_input=form, key=key, timeout=timeout)
    return pause_flow_run(wait_for_input=form, key=key, timeout=timeout, poll_interval=poll_interval)


def _timeout(deadline: datetime, at: str | None) -> int:
    return max(1, int((deadline - resolve_now(at)).total_seconds()))


def _offers_table(offers: list[dict[str, Any]], columns: list[str]) -> str:
    head = "| " + " | ".join(str(COLUMNS.get(col, col)) for col in columns) + " |\n|" + "---|" * len(columns)
    rows = ["| " + " | ".join(render(o.get(col), current_language()) for col in columns) + " |" for o in offers]
    return "\n".join([head, *rows])


def _refusal_banner(refusal: str | None) -> str:
    return "**{refused}:** {refusal}\n\n".format(refused=tr("Refused"), refusal=refusal) if refusal else ""


@flow(name="coop-formal-review", flow_run_name="{code} · ocena formalna", persist_result=True)
def formal_review_flow(code: str, officer: str = "urzędnik", at: str | None = None, until: str | None = None,
                       poll_interval: int = 10, database_url: str | None = None) -> dict[str, Any]:
    """The officer reviews the offers one form at a time until none is pending or the deadline passes."""
    actor = Actor(officer, "officer")
    refusal: str | None = None
    recorded = 0
    for round_ in range(1, MAX_ROUNDS + 1):
        view = execute(formal_review_view, code, actor=actor, url=database_url, readonly=True)
        if view["done"]:
            return {"code": code, "outcome": "complete", "recorded": recorded, "state": view["state"]}
        case_deadline = _deadline(view, until, at)
        if resolve_now(at) >= case_deadline:
            return {"code": code, "outcome": "deadline_passed", "recorded": recorded}
        publish_case_artifacts([code], url=database_url, actor=actor)
        description = ("# {code}: {title}\n\n".format(code=code, title=tr("formal review")) + _refusal_banner(refusal)
                       + _offers_table(view["offers"], ["number", "title", "state", "requested", "defects"]))
        form = FormalReviewForm.with_initial_data(description=description, offer=view["pending"][0])
        try:
            answer = wait_for_form(form, key=f"review-{round_}", timeout=_timeout(case_deadline, at),
                                   poll_interval=poll_interval)
        except FlowPauseTimeout:
            return {"code": code, "outcome": "deadline_passed", "recorded": recorded}
        outcome = record_answer("review", code, officer, "officer", answer.model_dump(mode="json"), at,
                                f"review-{round_}", database_url)
        refusal = outcome["refused"]
        recorded += refusal is None
    raise RuntimeError(f"{code}: {MAX_ROUNDS} forms without finishing the formal review")


@flow(name="coop-committee-scoring", flow_run_name="{code} · ocena komisji · {member}", persist_result=True)
def scoring_flow(code: str, member: str, at: str | None = None, until: str | None = None, poll_interval: int = 10,
                 database_url: str | None = None) -> dict[str, Any]:
    """A committee member declares (KPA art. 24) and then scores every offer they may score."""
    actor = Actor(member, "committee_member")
    refusal: str | None = None
    recorded = 0
    for round_ in range(1, MAX_ROUNDS + 1):
        view = execute(scoring_view, (code, member), actor=actor, url=database_url, readonly=True)
        if view["done"]:
            outcome = "complete" if view["member_known"] else "not_a_member"
            return {"code": code, "member": member, "outcome": outcome, "recorded": recorded, "state": view["state"]}
        case_deadline = _deadline(view, until, at)
        if resolve_now(at) >= case_deadline:
            return {"code": code, "member": member, "outcome": "deadline_passed", "recorded": recorded}
        publish_case_artifacts([code], url=database_url, actor=actor)
        offers = _offers_table(view["offers"], ["number", "title", "state", "conflict", "scored"])
        if view["needs_declaration"]:
            step, form = "declare", DeclarationForm.with_initial_data(description=(
                "# {code}: {title} — {member}\n\n".format(code=code, title=tr("declarations (KPA art. 24)"), member=member)
                + f"{_refusal_banner(refusal)}{offers}"))
        else:
            from states.rules import Criterion

            criteria = [Criterion.model_validate(cr) for cr in view["criteria"]]
            scale = "\n".join(f"- `{cr.key}`: max {cr.max_points} pkt ({cr.basis})" for cr in criteria)
            step, form = "score", score_form(criteria).with_initial_data(
                description=("# {code}: {title} — {member}\n\n".format(code=code, title=tr("scoring"), member=member)
                             + f"{_refusal_banner(refusal)}{offers}\n\n{scale}"),
                offer=view["scorable"][0])
        key = f"{step}-{round_}"
        try:
            answer = wait_for_form(form, key=key, timeout=_timeout(case_deadline, at), poll_interval=poll_interval)
        except FlowPauseTimeout:
            return {"code": code, "member": member, "outcome": "deadline_passed", "recorded": recorded}
        outcome = record_answer(step, code, member, "committee_member", answer.model_dump(mode="json"), at, key,
                                database_url)
        refusal = outcome["refused"]
        recorded += refusal is None
    raise RuntimeError(f"{code}: {MAX_ROUNDS} forms without finishing the scoring")
