"""Command handlers of the local initiative (art. 19b-19h)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func as sa_func
from sqlalchemy import update as sa_update
from sqlmodel import select

from models.procedures.local_initiative import (
    PORTAL_REPRESENTATIVE,
    InitiativeFiling,
    LocalInitiativeApplication,
    LocalInitiativeCost,
    LocalInitiativePurchase,
)
from models.tables import Case
from states import calendar, labels, periods
from states import contract_tail_steps as tail
from states.cases import load_case, next_code, organisation_by_krs, received_moment
from states.clock import at_written_time
from states.engine import (
    Context,
    fire,
    record,
    require_step,
    schedule,
    step,
    wrong_state,
)
from states.errors import InvalidInput, NotFound, RuleViolation
from states.inputs import CaseRef
from states.loaders import BatchLoader
from states.model_forms.canonical import content_sha256
from states.offer_filings import receipt_moment
from states.procedures.local_initiative import filing
from states.procedures.local_initiative.inputs import (
    DecideInitiative,
    EvaluateInitiative,
    FileApplication,
    FileInitiative,
    FileInitiativeReport,
    FilingRef,
    FormalCheck,
    InitiativeReport,
    InitiativeReportRef,
    NameRepresentative,
    PlanInitiative,
    RecordPurchase,
    ReviewInitiativeReport,
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
from states.text import Money, tr

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
    """The initiative's tail (states/contract_tail_steps.py): the report's due date in the case's data (after a call
    for corrections the tail's ``report_due_now`` takes the call's date when later), the case's machine; no grant
    in money (art. 19e), so no funds, no written call for a missed report and no settlement."""
    due = case.data.get("report_due")
    return tail.Tail(case, lambda: _machine(case), deadlines=(TASK_END, REPORT_DUE),
                     report_due=date.fromisoformat(due) if due else None, written_call=False)


def corrections_of(case: Case) -> dict[str, Any]:
    """The officer's last call for corrections of the report (its reason, the corrected report's due day, the
    report it was about), while a corrected report is awaited; else empty."""
    if case.state not in LocalInitiativeMachine.states_allowing("submit_report"):
        return {}
    return dict(case.data.get("corrections") or {})


def _report_facts(ctx: Context, case: Case, work_hours: Decimal) -> dict[str, Any]:
    """What the report's record keeps, whoever reports: the residents' work valued at the pinned rule set's rate
    (art. 19c ust. 1), against the plan, and the city's purchases against its share."""
    rules = _rules(ctx, case)
    costs = costs_by_party(ctx.session, case)
    return {"work_hours": work_hours, "work_value": (work_hours * rules.hour_value).quantize(Decimal("0.01")),
            "planned_work_value": costs.get("work", Decimal(0)), "city_spent": purchased(ctx.session, case),
            "city_share": costs.get("city", Decimal(0))}


def submit_report(ctx: Context, cmd: InitiativeReport) -> dict:
    case = _case(ctx, cmd.code)
    late = tail.submit_report(ctx, _tail(case), summary=cmd.summary, facts=_report_facts(ctx, case, cmd.work_hours))
    return {"code": case.code, "state": case.state, "late": late}


# Accepting the report and calling for its corrections are allowed in the same state (the tail's review,
# states/contract_tail.py ``review_tail``): the step is refused with the machine's words before anything is read.
REVIEW_GATE = "accept_report"


def review_report(ctx: Context, cmd: ReviewInitiativeReport) -> dict:
    """The officer accepts the latest report, or calls for its corrections with the reason (the tail's
    ``review_report``: the report is due again by the written call's date, the group files a corrected one on the
    portal, a new version with its own receipt); the case closes only after a report is accepted."""
    from models.tables import Report
    from states.report_filings import note_review

    case = _case(ctx, cmd.code)
    require_step(case, LocalInitiativeMachine, REVIEW_GATE)
    application = application_of(ctx.session, case)
    owner = (Report.__table__.c.local_initiative_id, application.id)
    latest = ctx.session.exec(select(Report).where(owner[0] == owner[1]).order_by(Report.id.desc())).first()
    content = (latest.content or {}) if latest is not None else {}
    about = {key: content[key] for key in ("receipt", "filed_by") if content.get(key)}
    correct_by = tail.review_report(ctx, _tail(case), accept=cmd.accept, reason=cmd.reason, extra=about)
    note_review(ctx.session, owner, accept=cmd.accept, now=ctx.now)
    data = {k: v for k, v in case.data.items() if k != "corrections"}
    if correct_by is not None:
        data["corrections"] = {"reason": cmd.reason, "correct_by": correct_by.isoformat(),
                               "receipt": about.get("receipt")}
    case.data = data
    return {"code": case.code, "state": case.state,
            "correct_by": correct_by.isoformat() if correct_by is not None else None}


# --- the report filed on its form by the applicants (issue 22; states/model_forms/initiative_report.py) ---------


@at_written_time  # on a real database the moment of receipt is the server's own
def file_report_form(ctx: Context, cmd: FileInitiativeReport) -> dict[str, Any]:
    """The applicants file the initiative's report on its form: the machine says when (its ``submit_report``: the
    agreement runs, the report is due or overdue), the period is checked against the agreement's, and it goes
    through the tail's ``submit_report`` as the officer's report does (the same facts, the residents' work valued
    at the pinned rate), kept with its SHA-256 and receipt (states/report_filings.py ``file_on_form``)."""
    from states.model_forms.initiative_report import AgreementTerms, check_against_agreement
    from states.report_filings import file_on_form, initiative_reported

    case = _case(ctx, cmd.code)
    application = application_of(ctx.session, case)
    form = cmd.form
    reported = initiative_reported(case, application)

    def check() -> None:
        check_against_agreement(form, AgreementTerms(application.task_start, application.task_end,
                                                     application.contract_number))

    def submit(ctx: Context, the_tail: tail.Tail, *, summary: str, filed: dict[str, Any]) -> bool:
        facts = {**_report_facts(ctx, case, form.contribution.hours), "own_in_kind": form.contribution.in_kind,
                 "own_cash": form.contribution.cash}
        return tail.submit_report(ctx, the_tail, summary=summary, facts=facts, filed=filed)

    answer = file_on_form(ctx, reported, form, check=check, tail=_tail(case), submit=submit,
                          machine=LocalInitiativeMachine, received_at=receipt_moment(ctx.arrived_at, ctx.now))
    return {**answer, "state": case.state}


def _reported(ctx: Context, code: str):
    from states.report_filings import contract_signed_at, initiative_reported

    case = _case(ctx, code)
    return initiative_reported(case, application_of(ctx.session, case), contract_signed_at(ctx.session, case))


def initiative_reports(ctx: Context, cmd: CaseRef) -> dict[str, Any]:
    """The initiative, its agreement (None: not signed yet), whether a report may be filed now and its reports
    oldest first (a report an officer recorded has no form, no receipt and no hash)."""
    from states.report_filings import reports_of

    reported = _reported(ctx, cmd.code)
    case, application = reported.case, reported.offer
    versions = filing.versions_of(ctx.session, case)
    named = (versions[-1].content.get("applicant") or {}) if versions else {}
    return {"code": case.code, "title": case.title, "state": case.state, "contract": reported.contract,
            "applicants": named.get("group_name") or named.get("organisation_name") or application.representative,
            "may_file": case.state in LocalInitiativeMachine.states_allowing("submit_report"),
            "may_review": case.state in LocalInitiativeMachine.states_allowing(REVIEW_GATE),
            "corrections": corrections_of(case) or None,
            "reports": reports_of(ctx.session, reported), "form": reported.form}


def initiative_report_receipt(ctx: Context, cmd: InitiativeReportRef) -> dict[str, Any]:
    """One report's receipt (``<code>-S<k>``) with the content it proves."""
    from states.report_filings import filed_report

    found = filed_report(ctx.session, _reported(ctx, cmd.code), cmd.report)
    if found is None:
        raise NotFound("unknown_report", tr("{code}: the initiative has no report S{report} filed on its form.",
                                            code=cmd.code, report=cmd.report))
    return found


def close(ctx: Context, cmd: CaseRef) -> dict:
    """Close the initiative once its report is accepted (``review_report``): refused before, in the machine's
    words."""
    case = _case(ctx, cmd.code)
    require_step(case, LocalInitiativeMachine, "close")
    spent, share = purchased(ctx.session, case), city_share(ctx.session, case)
    if spent > share:  # cannot happen through record_purchase; guards data written by hand
        raise RuleViolation("purchase_beyond_estimate", tr("Purchases exceed the estimate"),
                            basis="art. 19e")
    fire(ctx, case, _machine(case), "close", payload={"city_spent": spent, "city_share": share, "grant_transferred": False})
    return {"code": case.code, "state": case.state, "city_spent": spent}


REPRESENTATIVE_BASIS = "art. 19b ust. 1"  # what the residents read in their e-mail: the law, no internal reference


def name_representative(ctx: Context, cmd: NameRepresentative) -> dict[str, Any]:
    """The officer names the portal account that represents the residents' group of the application (one typed in
    from paper has no filer): from then on that person reads the case's reports and files the report through the
    portal (the relation ``filer``, states/authorization.py). Refused when no registered person with a confirmed
    portal account has that login or e-mail address, and once the initiative is over (rejected, reported, closed).
    Recorded in the case's history."""
    from models.people_tables import Person
    from models.portal_tables import PortalAccount
    from states.procedures.local_initiative import PROCEDURE

    case = _case(ctx, cmd.code)
    allowed = tuple(dict.fromkeys(s for event in PROCEDURE.events["name_representative"]
                                  for s in LocalInitiativeMachine.states_allowing(event)))
    if case.state not in allowed:
        raise wrong_state(case, allowed, tr("naming the residents' representative"), basis=REPRESENTATIVE_BASIS)
    asked = cmd.account.strip()
    by_login = Person.login == asked
    by_email = sa_func.lower(PortalAccount.email) == asked.lower()
    found = ctx.session.exec(select(Person.login, Person.display_name).join(
        PortalAccount, PortalAccount.person_id == Person.id).where(
        Person.active.is_(True), PortalAccount.email_confirmed_at.is_not(None), by_login | by_email)
        .order_by((Person.login == asked).desc(), Person.id)).first()
    if found is None:
        raise NotFound("no_portal_account", tr(
            "No registered person with a confirmed portal account has the login or e-mail address {account}: the "
            "residents' representative registers on the portal first (and confirms their e-mail address). Nothing "
            "was changed.", account=asked), basis=REPRESENTATIVE_BASIS)
    login, name = found
    previous = ctx.session.exec(select(PORTAL_REPRESENTATIVE).where(
        LocalInitiativeApplication.case_id == case.id)).one()
    if previous == login:
        raise RuleViolation("representative_already_named", tr(
            "{name} ({login}) already represents the residents of {code} on the portal. Nothing was changed.",
            name=name, login=login, code=case.code), basis=REPRESENTATIVE_BASIS)
    ctx.session.execute(sa_update(LocalInitiativeApplication.__table__).where(
        LocalInitiativeApplication.case_id == case.id).values(portal_representative=login))
    record(ctx, case, "name_representative", basis=REPRESENTATIVE_BASIS, state=case.state,
           payload={"account": login, "name": name, "previous": previous})
    return {"code": case.code, "state": case.state, "representative": login, "name": name, "previous": previous}


def show(ctx: Context, cmd: CaseRef) -> dict:
    case = _case(ctx, cmd.code)
    application = application_of(ctx.session, case)
    named = ctx.session.exec(select(PORTAL_REPRESENTATIVE).where(LocalInitiativeApplication.case_id == case.id)).one()
    return {"code": case.code, "state": case.state, "title": case.title, "sphere": application.sphere,
            "representative": application.representative, "percent": application.score_percent,
            "costs": costs_by_party(ctx.session, case), "city_spent": purchased(ctx.session, case),
            "report_due": case.data.get("report_due"), "portal_representative": named}



# --- the application filed through the portal (issue 22; filing.py keeps its rows' reads) ------------------------

FILED_BASIS = "art. 19b ust. 1"


def _file(ctx: Context, cmd: FileApplication) -> dict[str, Any]:
    form = cmd.form
    received_at = receipt_moment(ctx.arrived_at, ctx.now)
    filed_by = (ctx.actor.person or ctx.actor.name)[:64]
    added: dict[str, Any] = {}

    def on_form(case: Case, rules: Any) -> dict[str, Any]:
        # The hour's value is the council resolution's, pinned to the case with its rule set (invariant 6): the
        # form's value of the residents' work is only as good as the rate it was computed with.
        if form.work.hour_value != rules.hour_value:
            raise RuleViolation("work_hour_value", tr(
                "6: one hour of social work is valued at {rate} by the council's resolution, not {value}; compute "
                "the work's value with that rate", rate=Money(rules.hour_value), value=Money(form.work.hour_value)),
                basis="art. 19c ust. 1")
        content = form.content()
        row = InitiativeFiling(case_id=case.id, version=1, content=content, sha256=content_sha256(content),
                               receipt=filing.receipt_number(case.code, 1), received_at=received_at,
                               written_at=ctx.written_at, filed_by=filed_by)
        ctx.session.add(row)
        added["row"] = row
        budget = form.budget
        return {"version": 1, "receipt": row.receipt, "sha256": row.sha256, "on_form": True, "filed_by": filed_by,
                "group_name": form.applicant.group_name, "estimate": {
                    "total": str(budget.total), "city": str(budget.city), "own_cash": str(budget.own_cash),
                    "own_in_kind": str(budget.own_in_kind), "own_work": str(budget.own_work),
                    "work_hours": str(form.work.hours)},
                "task_start": form.schedule.task_start.isoformat(), "task_end": form.schedule.task_end.isoformat()}

    case = receive(ctx, FileInitiative(**form.file_fields()), received_at=received_at, on_form=on_form)
    row = added["row"]
    if cmd.from_draft:  # the draft becomes the filed application: gone with the same commit
        from states.initiative_drafts import discard_filed

        discard_filed(ctx, organisation_id=application_of(ctx.session, case).organisation_id)
    return {"code": case.code, "state": case.state, "version": row.version, "receipt": row.receipt,
            "sha256": row.sha256, "received_at": row.received_at.isoformat()}


@at_written_time
def file_residents_application(ctx: Context, cmd: FileApplication) -> dict[str, Any]:
    """A group of residents files its application directly (art. 19b ust. 1): the person filing is its contact."""
    if cmd.form.applicant.kind != "residents" or cmd.organisation_krs is not None:
        raise RuleViolation("not_a_residents_application", tr(
            "This door files a group of residents' application; an organisation's application is filed by its "
            "representative for that organisation."), basis=FILED_BASIS)
    return _file(ctx, cmd)


@at_written_time
def file_organisation_application(ctx: Context, cmd: FileApplication) -> dict[str, Any]:
    """An organisation files the application on behalf of residents (art. 19b ust. 1), through its representative
    (the matrix holds them to their own organisation, ``organisation_krs``)."""
    applicant = cmd.form.applicant
    if applicant.kind != "ngo" or applicant.organisation_krs != cmd.organisation_krs:
        raise RuleViolation("application_not_organisation", tr(
            "The application names the organisation KRS {named}, but it is filed for KRS {krs}: an organisation's "
            "representative files the application of their own organisation.",
            named=applicant.organisation_krs or "—", krs=cmd.organisation_krs or "—"), basis=FILED_BASIS)
    return _file(ctx, cmd)


def initiative_receipt(ctx: Context, cmd: FilingRef) -> dict[str, Any]:
    """One version's receipt (the latest unless ``version``), with the content it proves and every version's
    number; an application recorded from paper (``file``) has none."""
    case = load_case(ctx.session, cmd.code, KIND)
    versions = filing.versions_of(ctx.session, case)
    if not versions:
        raise NotFound("no_form_filed", tr("{code}: the application was not filed through the portal; it has no "
                                           "receipt.", code=case.code))
    chosen = versions[-1] if cmd.version is None else next((r for r in versions if r.version == cmd.version), None)
    if chosen is None:
        raise NotFound("unknown_version", tr("{code}: the application has no version {version} (versions "
                                             "1-{latest}).", code=case.code, version=cmd.version,
                                             latest=versions[-1].version))
    return {**filing.receipt_of(ctx.session, case, chosen), "versions": [r.version for r in versions]}



def my_initiatives(ctx: Context, cmd: None = None) -> list[dict[str, Any]]:
    """The applications the acting person filed through the portal, newest first, each with its latest receipt;
    then those the officer named them the residents' representative of (``name_representative``: typed in from
    paper, no receipt)."""
    person = ctx.actor.person or ctx.actor.name
    rows = ctx.session.exec(select(InitiativeFiling, Case).join(Case, Case.id == InitiativeFiling.case_id)
                            .where(InitiativeFiling.filed_by == person)
                            .order_by(InitiativeFiling.received_at.desc(), InitiativeFiling.id.desc())).all()
    latest: dict[int, tuple[InitiativeFiling, Case]] = {}
    for row, case in rows:
        if case.id not in latest or row.version > latest[case.id][0].version:
            latest[case.id] = (row, case)
    named = [] if ctx.actor.person is None else [
        (application, case) for application, case in ctx.session.exec(
            select(LocalInitiativeApplication, Case).join(Case, Case.id == LocalInitiativeApplication.case_id)
            .where(PORTAL_REPRESENTATIVE == ctx.actor.person)
            .order_by(LocalInitiativeApplication.received_at.desc(), Case.id.desc())).all()
        if case.id not in latest]
    reports = _filed_reports(ctx, [case.id for _, case in latest.values()] + [case.id for _, case in named])
    may_file = LocalInitiativeMachine.states_allowing("submit_report")
    return [{"code": case.code, "title": case.title, "state": case.state, "version": row.version,
             "receipt": row.receipt, "sha256": row.sha256, "received_at": row.received_at.isoformat(),
             "reports": reports.get(case.id, []), "may_file_report": case.state in may_file,
             "corrections": corrections_of(case) or None}
            for row, case in latest.values()] + [
        {"code": case.code, "title": case.title, "state": case.state, "version": None, "receipt": None,
         "sha256": None, "received_at": application.received_at.isoformat(), "reports": reports.get(case.id, []),
         "may_file_report": case.state in may_file, "corrections": corrections_of(case) or None,
         "representative": True} for application, case in named]


def _filed_reports(ctx: Context, case_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The reports filed on the form of these cases' initiatives (one query): case id -> [{report, receipt,
    outcome}]."""
    from models.tables import Report

    if not case_ids:
        return {}
    owner = Report.__table__.c.local_initiative_id
    found: dict[int, list[dict[str, Any]]] = {}
    for case_id, content, outcome in ctx.session.execute(
            select(LocalInitiativeApplication.case_id, Report.content, Report.outcome)
            .join(LocalInitiativeApplication, LocalInitiativeApplication.id == owner)
            .where(LocalInitiativeApplication.case_id.in_(case_ids)).order_by(Report.id)).all():
        if (content or {}).get("form") is not None:
            found.setdefault(case_id, []).append({"report": content["sequence"], "receipt": content["receipt"],
                                                  "outcome": outcome})
    return found



def application_facts(ctx: Context, cmd: None = None) -> dict[str, Any]:
    """What a new application's form starts from: the value of one hour of social work under the rule set in force
    (a case pins it when it is filed), the spheres it admits, and the person's own name and e-mail address (the
    group's contact is the person filing)."""
    from models.people_tables import Person
    from models.portal_tables import PortalAccount
    from states.rulebook import find_rule_set

    rules = find_rule_set(ctx.session, None).local_initiative
    email = ctx.session.exec(select(PortalAccount.email).join(Person, Person.id == PortalAccount.person_id)
                             .where(Person.login == ctx.actor.person)).first() if ctx.actor.person else None
    return {"hour_value": str(rules.hour_value), "spheres": list(rules.spheres), "name": ctx.actor.name,
            "email": email or ""}


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
