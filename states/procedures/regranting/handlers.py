"""Command handlers of regranting (art. 16a). The operator's open call runs through the open-call handlers
(states/procedures/open_call/handlers.py accepts cases of kind ``regranting``); these handle what follows its contract."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from models.procedures.regranting import MicroGrant
from models.tables import Case, Contract, Offer, Report
from states import calendar, periods
from states.cases import load_case, next_code, row_by_id
from states.engine import Context, cancel_deadlines, fire, record, schedule
from states.errors import InvalidInput, NotFound, RuleViolation
from states.inputs import CaseRef
from states.loaders import BatchLoader
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call.inputs import ReviewReport, Settle, SubmitReport
from states.procedures.open_call.machine import OpenCallMachine
from states.procedures.regranting.inputs import (
    AddMicroGrant,
    AnnounceSubCall,
    CreateRegranting,
    MicroGrantReport,
    OperatorReport,
    PublishSubSelection,
    SettleMicroGrant,
    TransferMicroGrant,
)
from states.procedures.regranting.machine import (
    CODE_PREFIX,
    KIND,
    MICRO_KIND,
    MICRO_PREFIX,
    MicroGrantMachine,
    SubCallMachine,
    SubCallView,
    micro_grant_of,
    micro_grants_of,
    operator_offer,
)
from states.procedures.regranting.names import MicroGrantState, SubCallState
from states.publications import record_publications
from states.rulebook import find_rule_set, pin, rules_for
from states.subjects import SUB_CALL, Subject
from states.text import money, tr

# The name the command log and the idempotency digests give these handlers (models/command_log.py:
# command_name): the module's path before it moved, so a key recorded then still answers its retry.
COMMAND_NAMESPACE = "states.regranting_commands"


def _operator_case(ctx: Context, code: str) -> Case:
    return load_case(ctx.session, code, KIND)


def _sub_call(case: Case) -> SubCallMachine:
    return SubCallMachine.bind(SubCallView(case))


def _rules(ctx: Context, case: Case):
    return rules_for(ctx.session, case).regranting


def _micro(ctx: Context, code: str) -> tuple[Case, MicroGrant, Case]:
    case = load_case(ctx.session, code, MICRO_KIND)
    grant = micro_grant_of(ctx.session, case)
    return case, grant, row_by_id(ctx.session, Case, case.parent_id)


def _fire_micro(ctx: Context, case: Case, parent: Case, event: str, payload: dict | None = None, **facts) -> str | None:
    # Every step of a micro-grant names its operator's case: the two histories are linked both ways.
    return fire(ctx, case, MicroGrantMachine.bind(case), event, payload={"parent": parent.code, **(payload or {})}, **facts)


def create(ctx: Context, cmd: CreateRegranting) -> dict:
    """A draft open call for the regranting operator; announce it and run it with `coop call ...`."""
    rule_set = find_rule_set(ctx.session, cmd.rule_set)
    case = Case(code=next_code(ctx.session, CODE_PREFIX, ctx), kind=KIND, title=cmd.title, task_area=cmd.task_area,
                budget=cmd.budget, state=OpenCallMachine.draft.value, data={"rule_set": rule_set.version},
                created_at=ctx.now)
    ctx.session.add(case)
    ctx.session.flush()
    record(ctx, case, "create", basis="art. 16a ust. 1; art. 11 ust. 2", state=case.state,
           payload=cmd.model_dump(mode="json"))
    return {"code": case.code, "state": case.state}


def announce_sub_call(ctx: Context, cmd: AnnounceSubCall) -> dict:
    case = _operator_case(ctx, cmd.code)
    rules = _rules(ctx, case)
    record_publications(ctx, case, "sub_call", cmd.published)
    ctx.session.flush()
    case.data = {**case.data, "sub_call": {**(case.data.get("sub_call") or {}), "deadline": cmd.deadline.isoformat()}}
    fire(ctx, case, _sub_call(case), "announce_sub_call", subject=SUB_CALL, notice="sub_call", rules=rules,
         payload={"deadline": cmd.deadline, "published": cmd.published})
    return {"code": case.code, "sub_call": SubCallView(case).state}


def publish_selection(ctx: Context, cmd: PublishSubSelection) -> dict:
    """The operator's choice of implementers, made public (art. 16a; the operator's contract)."""
    case = _operator_case(ctx, cmd.code)
    rules = _rules(ctx, case)
    record_publications(ctx, case, "sub_selection", cmd.published)
    ctx.session.flush()
    case.data = {**case.data, "sub_call": {**case.data.get("sub_call", {}), "chosen": list(cmd.chosen)}}
    fire(ctx, case, _sub_call(case), "publish_selection", subject=SUB_CALL, notice="sub_selection", rules=rules,
         payload={"chosen": list(cmd.chosen), "published": cmd.published})
    return {"code": case.code, "sub_call": SubCallView(case).state, "chosen": list(cmd.chosen)}


def add_micro_grant(ctx: Context, cmd: AddMicroGrant) -> dict:
    """Record an implementer's contract: a micro-grant case nested under the operator's."""
    parent = _operator_case(ctx, cmd.code)
    sub_call = parent.data.get("sub_call") or {}
    if sub_call.get("state") not in (SubCallState.selection_published, SubCallState.implementing) or cmd.implementer not in sub_call.get("chosen", []):
        raise RuleViolation(
            "implementer_not_selected",
            tr("{code}: {implementer} is not an implementer chosen in the operator's published sub-call", code=parent.code, implementer=cmd.implementer),
            basis="art. 16a; umowa z operatorem (sposób wyboru i upublicznienia)",
        )
    operator = operator_offer(ctx.session, parent)
    contract = operator[1]
    committed = sum((m.amount for m in micro_grants_of(ctx.session, parent)), Decimal("0.00"))
    if committed + cmd.amount > contract.amount:
        raise RuleViolation(
            "micro_grants_above_operator_grant",
            tr("{committed} + {amount} = {committed2} > the operator's grant {amount2}", committed=money(committed), amount=money(cmd.amount), committed2=money(committed + cmd.amount), amount2=money(contract.amount)),
            basis="art. 16a; umowa z operatorem",
        )
    if not (contract.task_start <= cmd.task_start <= cmd.task_end <= contract.task_end):
        raise RuleViolation(
            "micro_grant_period",
            tr("The micro-grant period {task_start} – {task_end} falls outside the operator's contract "
               "{task_start2} – {task_end2}", task_start=cmd.task_start, task_end=cmd.task_end, task_start2=contract.task_start, task_end2=contract.task_end),
            basis="art. 16a; umowa z operatorem",
        )
    rules = _rules(ctx, parent)
    signed_on = calendar.local_date(ctx.now)
    due = periods.REGRANT_TRANSFER.count(signed_on, rules.transfer_days)
    case = Case(code=next_code(ctx.session, MICRO_PREFIX, ctx), kind=MICRO_KIND, title=cmd.scope, budget=cmd.amount,
                state=MicroGrantMachine.contracted.value, parent_id=parent.id, created_at=ctx.now,
                data={"parent": parent.code})
    ctx.session.add(case)
    ctx.session.flush()
    pin(ctx.session, case, parent.rule_set_version, ctx.now)  # the nested case runs by its operator's rules
    ctx.session.add(MicroGrant(case_id=case.id, operator_case_id=parent.id, implementer=cmd.implementer,
                               address=cmd.address, scope=cmd.scope, amount=cmd.amount,
                               contract_number=cmd.contract_number, signed_on=signed_on, task_start=cmd.task_start,
                               task_end=cmd.task_end, transfer_due=due.last_day))
    record(ctx, case, "create", basis="art. 16a; umowa z realizatorem", state=case.state,
           payload={**cmd.model_dump(mode="json"), "parent": parent.code, "transfer_due": due.last_day})
    record(ctx, parent, "micro_grant_created", subject=Subject.micro_grant(case.code), basis="art. 16a",
           state=parent.state, payload={"micro_grant": case.code, "implementer": cmd.implementer, "amount": cmd.amount})
    fire(ctx, parent, _sub_call(parent), "start_implementing", subject=SUB_CALL, optional=True)
    schedule(ctx, case, "regranting.transfer_due", due.due, due.basis)
    return {"code": case.code, "parent": parent.code, "transfer_due": due.last_day, "explanation": due.explain()}


def transfer(ctx: Context, cmd: TransferMicroGrant) -> dict:
    case, grant, parent = _micro(ctx, cmd.code)
    if cmd.amount > grant.amount:
        raise RuleViolation(
            "transfer_above_micro_grant",
            tr("Transferred {amount} > the implementer's contract {amount2}", amount=money(cmd.amount), amount2=money(grant.amount)),
            basis="art. 16a; umowa z realizatorem",
        )
    if cmd.on < grant.signed_on or cmd.on > calendar.local_date(ctx.now):
        raise InvalidInput("transfer_date", tr("Transfer date {on} outside {signed_on} – today", on=cmd.on, signed_on=grant.signed_on))
    late = cmd.on > grant.transfer_due
    _fire_micro(ctx, case, parent, "transfer",
                payload={"amount": cmd.amount, "on": cmd.on, "due": grant.transfer_due, "late": late})
    grant.transferred, grant.transferred_on = cmd.amount, cmd.on
    ctx.session.add(grant)
    cancel_deadlines(ctx, case, "regranting.transfer_due")
    return {"code": case.code, "state": case.state, "late": late}


def micro_report(ctx: Context, cmd: MicroGrantReport) -> dict:
    case, grant, parent = _micro(ctx, cmd.code)
    if grant.transferred is not None and cmd.funds_used > grant.transferred:
        raise RuleViolation(
            "used_above_transferred",
            tr("Used {funds_used} > transferred {transferred}", funds_used=money(cmd.funds_used), transferred=money(grant.transferred)),
            basis="umowa z realizatorem; art. 16a",
        )
    _fire_micro(ctx, case, parent, "submit_report", payload={"funds_used": cmd.funds_used, "delivered": cmd.delivered})
    grant.funds_used, grant.delivered = cmd.funds_used, cmd.delivered
    ctx.session.add(grant)
    return {"code": case.code, "state": case.state}


def settle_micro(ctx: Context, cmd: SettleMicroGrant) -> dict:
    case, grant, parent = _micro(ctx, cmd.code)
    unused = (grant.transferred or Decimal(0)) - (grant.funds_used or Decimal(0))
    _fire_micro(ctx, case, parent, "settle", unused=unused, returned_amount=cmd.returned_amount,
                payload={"unused": unused, "returned": cmd.returned_amount})
    return {"code": case.code, "state": case.state}


def implementers(ctx: Context, parent: Case) -> list[dict]:
    """The operator's report's list: every implementer with name and address, scope, dates, funds (art. 16a)."""
    return [{"micro_grant": row_by_id(ctx.session, Case, m.case_id).code, "implementer": m.implementer, "address": m.address,
             "scope": m.scope, "delivered": m.delivered, "task_start": m.task_start, "task_end": m.task_end,
             "contract": m.contract_number, "amount": m.amount, "transferred": m.transferred,
             "transferred_on": m.transferred_on, "used": m.funds_used}
            for m in micro_grants_of(ctx.session, parent)]


def operator_report(ctx: Context, cmd: OperatorReport) -> dict:
    """The operator's report, built from its nested micro-grants, submitted as the operator offer's report."""
    parent = _operator_case(ctx, cmd.code)
    listing = implementers(ctx, parent)
    fire(ctx, parent, _sub_call(parent), "submit_operator_report", subject=SUB_CALL,
         payload={"implementers": listing, "own_costs": cmd.own_costs})
    offer, contract = operator_offer(ctx.session, parent)
    used = sum((row["used"] or Decimal(0) for row in listing), Decimal("0.00")) + cmd.own_costs
    result = open_call_handlers.submit_report(ctx, SubmitReport(code=parent.code, number=offer.number, funds_used=used,
                                                summary=cmd.summary))
    ctx.session.flush()
    report = ctx.session.exec(select(Report).where(Report.contract_id == contract.id)
                              .order_by(Report.submitted_at.desc())).first()
    report.content = {**report.content, "implementers": [{k: str(v) if v is not None else None for k, v in row.items()}
                                                         for row in listing]}
    ctx.session.add(report)
    return {"code": parent.code, "offer_state": result["state"], "late": result["late"], "funds_used": used,
            "implementers": listing}


def review_operator_report(ctx: Context, cmd: ReviewReport) -> dict:
    """The office's review of the operator's report (art. 18 ust. 1; art. 16a): accepted, the operator's offer may be
    settled; sent back for corrections, the offer's report is due again (the contract's written call) and the
    sub-call goes back to its micro-grants, so the operator reports again with the list of implementers
    (``coop regrant report``). The open call's ``review_report`` is refused on this case (``Borrowed.instead``)."""
    parent = _operator_case(ctx, cmd.code)
    found = operator_offer(ctx.session, parent)
    if found is None or found[0].number != cmd.number:
        raise NotFound("not_the_operator",
                       tr("{code}: offer {number} is not the operator's (the offer with the contract)",
                          code=parent.code, number=cmd.number))
    if cmd.accept:
        # an operator's report filed without the list of implementers (before regranting's own report was the
        # only way) leaves the sub-call implementing: refused here; it is sent back instead
        fire(ctx, parent, _sub_call(parent), "accept_operator_report", subject=SUB_CALL, payload={"offer": cmd.number})
    else:
        fire(ctx, parent, _sub_call(parent), "request_operator_report_corrections", subject=SUB_CALL, optional=True,
             payload={"offer": cmd.number, "reason": cmd.reason})
    result = open_call_handlers.review_report(ctx, cmd)
    return {**result, "sub_call": SubCallView(parent).state}


def settle_operator(ctx: Context, cmd: Settle) -> dict:
    parent = _operator_case(ctx, cmd.code)
    open_ = [row_by_id(ctx.session, Case, m.case_id).code for m in micro_grants_of(ctx.session, parent)
             if row_by_id(ctx.session, Case, m.case_id).state != MicroGrantState.settled]
    if open_:
        raise RuleViolation(
            "micro_grants_unsettled",
            tr("The operator settles after every micro-grant is settled; unsettled: {codes}", codes=open_),
            basis="art. 16a; ufp art. 251-252",
        )
    return open_call_handlers.settle_offer(ctx, cmd)


def show(ctx: Context, cmd: CaseRef) -> dict:
    parent = _operator_case(ctx, cmd.code)
    OpenCallMachine.bind(parent).release()  # a stored state the call's machine does not know is refused, not shown
    return {"code": parent.code, "state": parent.state, "sub_call": parent.data.get("sub_call"),
            "implementers": implementers(ctx, parent)}


def on_transfer_due(ctx: Context, case: Case, deadline) -> None:
    parent = row_by_id(ctx.session, Case, case.parent_id)
    _fire_micro(ctx, case, parent, "transfer_due_passed", payload={"due_at": deadline.due_at})


def load_batch(loader: BatchLoader, claimed: list) -> None:
    """What a micro-grant's deadline and its notices read, for every claimed case at once: the micro-grant,
    its parent (the regranting case), the parent's offers and contracts (the operator) and the operator."""
    ids = [case.id for _, case in claimed]
    loader.rows(MicroGrant, ids)
    parents = [parent.id for parent in loader.cases_by_id(case.parent_id for _, case in claimed)]
    loader.rows(Contract, parents)
    loader.rows(Offer, parents, order_by=(Offer.number,))
    loader.organisations_of(Offer, parents)


DEADLINE_HANDLERS = {
    "regranting.transfer_due": on_transfer_due,
}
