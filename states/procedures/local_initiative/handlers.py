"""Command handlers of the local initiative (art. 19b-19h)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from models.procedure_tables import LocalInitiativeApplication, LocalInitiativeCost, LocalInitiativePurchase
from models.tables import Case
from states import calendar, labels, periods
from states import contract_tail_steps as tail
from states.cases import load_case, next_code, organisation_by_krs, received_moment
from states.engine import (
    Context,
    fire,
    record,
    require_step,
    schedule,
    step,
)
from states.errors import InvalidInput, RuleViolation
from states.inputs import CaseRef
from states.loaders import BatchLoader
from states.procedures.local_initiative.inputs import (
    DecideInitiative,
    EvaluateInitiative,
    FileInitiative,
    FormalCheck,
    InitiativeReport,
    PlanInitiative,
    RecordPurchase,
    SignInitiative,
)
from states.procedures.local_initiative.machine import (
    CODE_PREFIX,
    KIND,
    LocalInitiativeMachine,
    application_of,
    city_share,
    costs_by_party,
    purchased,
    score,
)
from states.rulebook import pin, rules_for
from states.text import tr

# The name the command log and the idempotency digests give these handlers (models/command_log.py:
# command_name): the module's path before it moved, so a key recorded then still answers its retry.
COMMAND_NAMESPACE = "states.local_initiative_commands"

# The kinds of the contract's deadlines (the tail's, states/contract_tail_steps.py).
TASK_END, REPORT_DUE = "local_initiative.task_end", "local_initiative.report_due"


def _case(ctx: Context, code: str) -> Case:
    return load_case(ctx.session, code, KIND)


def _machine(case: Case) -> LocalInitiativeMachine:
    return LocalInitiativeMachine.bind(case)


def _rules(ctx: Context, case: Case):
    return rules_for(ctx.session, case).local_initiative


def file(ctx: Context, cmd: FileInitiative) -> dict:
    """Residents (a group with its representative) or an NGO on their behalf file an initiative (art. 19b)."""
    case = receive(ctx, cmd)
    return {"code": case.code, "state": case.state}


def receive(ctx: Context, cmd: FileInitiative, *, received_at: datetime | None = None,
            on_form: Callable[[Case, Any], dict] | None = None) -> Case:
    """The application received into a new case: the one place its rules are checked, whether an officer records
    a paper application (``file``) or residents file theirs through the portal (filing.py ``file_application``).
    ``received_at``: the moment of receipt a door fixed (else the command's, else now); ``on_form(case, rules)``:
    what the portal's filing adds in the same step (its version, hash and receipt) and puts in the audit record."""
    from states.rulebook import find_rule_set

    rules = find_rule_set(ctx.session, cmd.rule_set).local_initiative
    if cmd.sphere not in rules.spheres:
        raise InvalidInput(
            "unknown_sphere",
            tr("Sphere “{sphere}” is not a local-initiative sphere: {spheres}", sphere=cmd.sphere,
               spheres=labels.choices(rules.spheres, labels.SPHERES)),
            basis="art. 19b ust. 1",
        )
    organisation_id = None
    if cmd.applicant_kind == "ngo":
        if not cmd.organisation_krs:
            raise InvalidInput("ngo_needs_krs", tr("An NGO's application names the organisation (KRS)"), basis="art. 19b ust. 1")
        organisation_id = organisation_by_krs(ctx.session, cmd.organisation_krs).id
    elif not cmd.residents:
        raise InvalidInput("residents_required", tr("A residents' application lists the group's members"),
                           basis="art. 19b ust. 1")
    received_at = received_at or received_moment(ctx, cmd.received_at)
    case = Case(code=next_code(ctx.session, CODE_PREFIX, ctx), kind=KIND, title=cmd.title, task_area=cmd.sphere,
                state=LocalInitiativeMachine.filed.value, created_at=ctx.now, data={})
    ctx.session.add(case)
    ctx.session.flush()
    rule_set = pin(ctx.session, case, cmd.rule_set, ctx.now)
    ctx.session.add(LocalInitiativeApplication(
        case_id=case.id, applicant_kind=cmd.applicant_kind, representative=cmd.representative,
        residents=list(cmd.residents), organisation_id=organisation_id, sphere=cmd.sphere, location=cmd.location,
        property_owner=cmd.property_owner, description=cmd.description, received_at=received_at))
    extra = on_form(case, rule_set.local_initiative) if on_form else {}
    record(ctx, case, "file", basis="art. 19b ust. 1", state=case.state,
           payload={**cmd.model_dump(mode="json"), "received_at": received_at, "rule_set": rule_set.version,
                    **extra})
    return case


def formal_check(ctx: Context, cmd: FormalCheck) -> dict:
    case = _case(ctx, cmd.code)
    if cmd.passed:
        fire(ctx, case, _machine(case), "pass_formal_check", payload={})
    else:
        if not cmd.defects:
            raise InvalidInput("defects_required", tr("List the formal defects"))
        fire(ctx, case, _machine(case), "fail_formal_check", payload={"defects": list(cmd.defects)})
    return {"code": case.code, "state": case.state}


def evaluate(ctx: Context, cmd: EvaluateInitiative) -> dict:
    """Score the council resolution's criteria; the social work's weight dominates (art. 19c)."""
    case = _case(ctx, cmd.code)
    require_step(case, LocalInitiativeMachine, "evaluate")
    rules = _rules(ctx, case)
    application = application_of(ctx.session, case)
    percent = score(dict(cmd.points), rules)
    application.scores = {k: str(v) for k, v in cmd.points.items()}
    application.score_percent = percent
    ctx.session.add(application)
    fire(ctx, case, _machine(case), "evaluate",
         payload={"points": cmd.points, "weights": rules.weights, "percent": percent})
    return {"code": case.code, "state": case.state, "percent": percent}


def decide(ctx: Context, cmd: DecideInitiative) -> dict:
    case = _case(ctx, cmd.code)
    if not cmd.accept and not cmd.reason:
        raise InvalidInput("reason_required", tr("Give the reason for the rejection"))
    application = application_of(ctx.session, case)
    fire(ctx, case, _machine(case), "decide", accept=cmd.accept, application=application, rules=_rules(ctx, case),
         payload={"accept": cmd.accept, "decision": cmd.decision_ref, "reason": cmd.reason,
                  "percent": application.score_percent})
    return {"code": case.code, "state": case.state}


def plan(ctx: Context, cmd: PlanInitiative) -> dict:
    """The joint schedule and cost estimate, by party: the city's purchases and the residents' contribution."""
    case = _case(ctx, cmd.code)
    require_step(case, LocalInitiativeMachine, "plan")
    if cmd.task_end < cmd.task_start:
        raise InvalidInput("task_period", tr("End {task_end} before start {task_start}", task_end=cmd.task_end, task_start=cmd.task_start))
    rules = _rules(ctx, case)
    lines = []
    for line in cmd.costs:
        if line.party == "work":
            if not line.hours:
                raise InvalidInput("hours_required", tr("Social work '{description}': give the hours", description=line.description),
                                   basis="art. 19f")
            amount = (line.hours * rules.hour_value).quantize(Decimal("0.01"))
            lines.append(LocalInitiativeCost(case_id=case.id, party="work", description=line.description, amount=amount,
                                             hours=line.hours, hour_value=rules.hour_value))
        else:
            lines.append(LocalInitiativeCost(case_id=case.id, party=line.party, description=line.description,
                                             amount=line.amount))
    ctx.session.add_all(lines)
    ctx.session.flush()
    costs = costs_by_party(ctx.session, case)
    application = application_of(ctx.session, case)
    application.task_start, application.task_end = cmd.task_start, cmd.task_end
    ctx.session.add(application)
    fire(ctx, case, _machine(case), "plan", costs=costs,
         payload={"task_start": cmd.task_start, "task_end": cmd.task_end, "costs": costs,
                  "lines": [{"party": c.party, "description": c.description, "amount": c.amount, "hours": c.hours}
                            for c in lines], "hour_value": rules.hour_value})
    return {"code": case.code, "state": case.state, "costs": costs}


def sign_contract(ctx: Context, cmd: SignInitiative) -> dict:
    case = _case(ctx, cmd.code)
    # The report date needs the agreed schedule: refuse before computing it on a case not yet planned.
    require_step(case, LocalInitiativeMachine, "sign_contract")
    application = application_of(ctx.session, case)
    rules = _rules(ctx, case)
    report = periods.INITIATIVE_REPORT.count(application.task_end, rules.final_report_days)
    fire(ctx, case, _machine(case), "sign_contract",
         payload={"contract": cmd.contract_number, "grant_transferred": False, "city_share": city_share(ctx.session, case),
                  "report_due": report.last_day})
    application.contract_number = cmd.contract_number
    ctx.session.add(application)
    case.data = {**case.data, "report_due": report.last_day.isoformat()}
    schedule(ctx, case, TASK_END, calendar.end_of_day(application.task_end), "art. 19e (umowa)")
    schedule(ctx, case, REPORT_DUE, report.due, report.basis)
    return {"code": case.code, "state": case.state, "report_due": report.last_day}


def record_purchase(ctx: Context, cmd: RecordPurchase) -> dict:
    """A purchase the city makes itself for the initiative; no grant ever goes to the applicants (art. 19e)."""
    case = _case(ctx, cmd.code)
    step(ctx, case, _machine(case), "city_purchase", amount=cmd.amount)
    ctx.session.add(LocalInitiativePurchase(case_id=case.id, description=cmd.description, supplier=cmd.supplier,
                                            amount=cmd.amount, purchased_at=ctx.now))
    spent = purchased(ctx.session, case)  # autoflush: includes this purchase
    record(ctx, case, "city_purchase", basis="art. 19e (umowa: kosztorys)", state=case.state,
           payload={**cmd.model_dump(mode="json"), "spent": spent, "city_share": city_share(ctx.session, case)})
    return {"code": case.code, "spent": spent, "city_share": city_share(ctx.session, case)}


def _tail(case: Case) -> tail.Tail:
    """The initiative's tail (states/contract_tail_steps.py): the report's due date in the case's data, the case's
    machine; no grant in money (art. 19e), so no funds, no written call and no settlement."""
    due = case.data.get("report_due")
    return tail.Tail(case, lambda: _machine(case), deadlines=(TASK_END, REPORT_DUE),
                     report_due=date.fromisoformat(due) if due else None, written_call=False)


def submit_report(ctx: Context, cmd: InitiativeReport) -> dict:
    case = _case(ctx, cmd.code)
    rules = _rules(ctx, case)
    costs = costs_by_party(ctx.session, case)
    late = tail.submit_report(ctx, _tail(case), summary=cmd.summary, facts={
        "work_hours": cmd.work_hours, "work_value": (cmd.work_hours * rules.hour_value).quantize(Decimal("0.01")),
        "planned_work_value": costs.get("work", Decimal(0)), "city_spent": purchased(ctx.session, case),
        "city_share": costs.get("city", Decimal(0))})
    return {"code": case.code, "state": case.state, "late": late}


def close(ctx: Context, cmd: CaseRef) -> dict:
    case = _case(ctx, cmd.code)
    spent, share = purchased(ctx.session, case), city_share(ctx.session, case)
    if spent > share:  # cannot happen through record_purchase; guards data written by hand
        raise RuleViolation("purchase_beyond_estimate", tr("Purchases exceed the estimate"),
                            basis="art. 19e")
    fire(ctx, case, _machine(case), "close", payload={"city_spent": spent, "city_share": share, "grant_transferred": False})
    return {"code": case.code, "state": case.state, "city_spent": spent}


def show(ctx: Context, cmd: CaseRef) -> dict:
    case = _case(ctx, cmd.code)
    application = application_of(ctx.session, case)
    return {"code": case.code, "state": case.state, "title": case.title, "sphere": application.sphere,
            "representative": application.representative, "percent": application.score_percent,
            "costs": costs_by_party(ctx.session, case), "city_spent": purchased(ctx.session, case),
            "report_due": case.data.get("report_due")}


def on_task_end(ctx: Context, case: Case, deadline) -> None:
    tail.on_task_end(ctx, _tail(case), deadline)


def on_report_due(ctx: Context, case: Case, deadline) -> None:
    tail.on_report_due(ctx, _tail(case), deadline)


def load_batch(loader: BatchLoader, claimed: list) -> None:
    """What the notices of this procedure's deadlines read, for every claimed case at once: the application,
    its organisation (or the representative's e-mail, given when it was filed) and its costs."""
    ids = [case.id for _, case in claimed]
    loader.rows(LocalInitiativeApplication, ids)
    loader.organisations_of(LocalInitiativeApplication, ids)
    loader.rows(LocalInitiativeCost, ids, order_by=(LocalInitiativeCost.id,))
    loader.first_records("file", ids)


DEADLINE_HANDLERS = {
    TASK_END: on_task_end,
    REPORT_DUE: on_report_due,
}
