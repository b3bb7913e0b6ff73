"""Command handlers of the open call: thin, each one transaction, each moving rows only through a machine."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import func, select

from models.tables import (
    Case,
    CommitteeMember,
    Contract,
    Deadline,
    Offer,
    Organisation,
    Report,
)
from states import calendar, labels, periods, report_filings
from states import contract_tail_steps as tail
from states import offer_filings as filings
from states.cases import (
    load_case,
    next_code,
    organisation,
    organisation_by_krs,
    received_moment,
    row_by_id,
)
from states.clock import at_written_time
from states.engine import (
    Context,
    cancel_deadlines,
    fire,
    record,
    require_step,
    schedule,
    step,
)
from states.errors import InvalidInput, NotFound, NotPermitted, RuleViolation
from states.inputs import CaseRef, OfferRef
from states.loaders import BatchLoader, loaded
from states.people import appointee, grant_seat, person_name
from states.procedures.open_call.inputs import (
    AnnounceCall,
    AppointMember,
    CorrectOfferForm,
    CreateOpenCall,
    DeclareConflicts,
    FileOffer,
    Publish,
    ReviewOffer,
    ReviewReport,
    ScoreOffer,
    SelectOffers,
    Settle,
    SignContract,
    SubmitOfferForm,
    SubmitReport,
)
from states.procedures.open_call.machine import (
    ANNOUNCEMENT_CHANNELS,
    CODE_PREFIX,
    KIND,
    CallFacts,
    OfferMachine,
    OpenCallMachine,
    add_declarations,
    add_member,
    add_scores,
    call_settings,
    max_points,
    money,
    next_offer_number,
    offer_deadline_moment,
    ranking_rows,
    report_deadline,
    return_deadline,
    rules_for,
    unranked_reason,
    usage_deadline,
)
from states.procedures.open_call.names import CallState, OfferState
from states.publications import record_publications
from states.rulebook import find_rule_set, pin
from states.scoring import propose_grants
from states.subjects import Subject
from states.text import ntr, tr

# The name the command log and the idempotency digests give these handlers (models/command_log.py:
# command_name): the module's path before it moved, so a key recorded then still answers its retry.
COMMAND_NAMESPACE = "states.open_call_commands"

# Regranting selects its operator by an ordinary open call (art. 16a): the same handlers run its case.
CALL_KINDS = (KIND, "regranting")

# The kinds of an offer's contract deadlines (the tail's, states/contract_tail_steps.py).
TASK_END, REPORT_DUE = "task_end", "report_due"


def load_call(session, code: str) -> Case:
    """An open call, or a regranting operator's call (run by the same machine)."""
    case = load_case(session, code)
    return case if case.kind in CALL_KINDS else load_case(session, code, KIND)


def _call(ctx: Context, code: str) -> Case:
    return load_call(ctx.session, code)


def _offer(ctx: Context, case: Case, number: int, call: CallFacts | None = None) -> Offer:
    offer = (call if call is not None else CallFacts(ctx.session, case)).offer(number)
    if offer is None:
        raise NotFound("unknown_offer", tr("{code}: no offer {number}", code=case.code, number=number))
    return offer


def _fire_offer(ctx: Context, case: Case, offer: Offer, event: str, **kwargs) -> str | None:
    return fire(ctx, case, OfferMachine.bind(offer), event, subject=Subject.offer(offer.number), **kwargs)


def _add_publications(ctx: Context, case: Case, subject: str, published: dict, call: CallFacts) -> None:
    call.add_publications(record_publications(ctx, case, subject, published, call.publications(subject)))


# --- the call -------------------------------------------------------------------------------------------------


def create_call(ctx: Context, cmd: CreateOpenCall) -> dict:
    rule_set = find_rule_set(ctx.session, cmd.rule_set)  # refuse an unknown version now, not at announcement
    case = Case(code=next_code(ctx.session, CODE_PREFIX, ctx), kind=KIND, title=cmd.title, task_area=cmd.task_area,
                budget=cmd.budget, state=OpenCallMachine.draft.value, mode=cmd.mode, receipt_rule=cmd.receipt_rule,
                data={"rule_set": rule_set.version}, created_at=ctx.now)
    ctx.session.add(case)  # written by its first record, with its history's head (states.engine.append_audit)
    record(ctx, case, "create", basis="art. 5a; art. 11 ust. 2", state=case.state,
           payload=cmd.model_dump(mode="json"))
    return {"code": case.code, "state": case.state}


def announce_call(ctx: Context, cmd: AnnounceCall) -> dict:
    case = _call(ctx, cmd.code)
    rule_set = pin(ctx.session, case, case.data.get("rule_set"), ctx.now)
    rules = rule_set.open_call
    closing = offer_deadline_moment(cmd.offer_deadline)
    criteria = _criteria_settings(cmd, rules)
    case.offer_deadline = closing.due
    case.selection_date = cmd.selection_date
    case.settings = {"criteria": criteria,
                     "pass_threshold": str(cmd.pass_threshold if cmd.pass_threshold is not None else rules.pass_threshold)}
    case.data = {**case.data, "execution_start": cmd.execution_start.isoformat(),
                 "execution_end": cmd.execution_end.isoformat(), "grant_rules": cmd.grant_rules,
                 "prior_funding": cmd.prior_funding, "offer_deadline_explained": closing.explain()}
    call = CallFacts(ctx.session, case)  # read once by this step: its guards and its notices decide from these
    _add_publications(ctx, case, "announcement", cmd.published, call)
    fire(ctx, case, OpenCallMachine.bind(case), "announce", rules=rules, announced_deadline=cmd.offer_deadline, call=call,
         payload={**cmd.model_dump(mode="json"), "offer_deadline_due": closing.due, "rule_set": rule_set.version})
    schedule(ctx, case, "offers_close", closing.due, "art. 13 ust. 2 pkt 5")
    return {"code": case.code, "state": case.state, "offer_deadline": closing.due, "explanation": closing.explain()}


def _criteria_settings(cmd: AnnounceCall, rules) -> list[dict]:
    """The statute sets no scale (art. 15 ust. 1): maxima and weights are the call's own, defaulting to the rule set."""
    defaults = {c.key: c for c in rules.criteria}
    chosen = dict(defaults)
    for setting in cmd.criteria or ():
        if setting.key not in defaults:
            raise InvalidInput(
                "unknown_criterion",
                tr("Unknown criterion “{key}”; the statutory criteria: {criteria}", key=setting.key,
                   criteria=labels.criteria(defaults.values())),
                basis="art. 15 ust. 1",
            )
        chosen[setting.key] = defaults[setting.key].model_copy(update={"max_points": setting.max_points,
                                                                       "weight": setting.weight})
    return [c.model_dump(mode="json") for c in chosen.values()]


def appoint_member(ctx: Context, cmd: AppointMember) -> dict:
    """A member appointed to the call's committee. ``name`` is the login of a person of the registry (then the
    seat is held under their name and they are granted ``committee_member`` for this call in the same
    transaction, recorded in the people chain); a typed name only on a simulation database (states/people.py
    ``appointee``)."""
    case = _call(ctx, cmd.code)
    step(ctx, case, OpenCallMachine.bind(case), "appoint_member")
    call = CallFacts(ctx.session, case)
    person = appointee(ctx, cmd.name)
    name = person.display_name if person is not None else cmd.name
    if call.member(name) is not None:
        raise RuleViolation("duplicate_member", tr("{name} is already a member", name=name))
    organisation_id = None
    if cmd.affiliation == "ngo":
        if not cmd.organisation_krs:
            raise InvalidInput("ngo_member_needs_organisation",
                               tr("An NGO member must name the nominating organisation (KRS)"),
                               basis="art. 15 ust. 2b pkt 2")
        organisation_id = organisation_by_krs(ctx.session, cmd.organisation_krs).id
        if organisation_id in call.organisations:
            raise RuleViolation(
                "nominee_of_bidder",
                tr("A nominee of an organisation taking part in the call may not sit on the committee"),
                basis="art. 15 ust. 2d",
            )
    member = add_member(ctx.session, case, CommitteeMember(
        case_id=case.id, name=name, email=cmd.email or "", affiliation=cmd.affiliation, organisation_id=organisation_id,
        appointed_at=ctx.now))
    call.add_member(member)
    payload = cmd.model_dump(mode="json")  # a typed name: the record as before the registry
    if person is not None:
        payload = {**payload, "name": name, "person": person.login}
    record(ctx, case, "appoint_member", subject=Subject.member(name), basis="art. 15 ust. 2a", state=case.state, call=call,
           payload=payload)
    if person is not None:
        grant_seat(ctx, person, case)
        return {"code": case.code, "member": name, "person": person.login}
    return {"code": case.code, "member": cmd.name}


def _member(ctx: Context, case: Case, name: str, call: CallFacts) -> CommitteeMember:
    member = call.member(name)
    if member is None:
        raise NotFound("unknown_member", tr("{code}: {name} is not a committee member", code=case.code, name=name))
    return member


def declare_conflicts(ctx: Context, cmd: DeclareConflicts) -> dict:
    """A member's KPA art. 24 declarations, one per offer in the call: a conflict for the listed offers."""
    case = _call(ctx, cmd.code)
    step(ctx, case, OpenCallMachine.bind(case), "declare_conflicts")
    seat = _act_as_member(ctx, cmd.member)
    facts = CallFacts(ctx.session, case)  # read once: this step decides from these, and adds what it writes
    member = _member(ctx, case, seat, facts)
    offers = {o.number: o for o in facts.offers}
    unknown = sorted(set(cmd.conflicts) - set(offers))
    if unknown:
        raise NotFound("unknown_offer", ntr("{code}: no offer {numbers}", "{code}: no offers {numbers}", len(unknown),
                                            code=case.code, numbers=unknown))
    declared = {offer_id for member_id, offer_id in facts.declared if member_id == member.id}
    new = [o for o in offers.values() if o.id not in declared]
    if not new:
        raise RuleViolation("already_declared", tr("{member} has already declared for every offer", member=seat),
                            basis="KPA art. 24")
    add_declarations(ctx.session, case, member, [(o, o.number in cmd.conflicts) for o in new], cmd.note, ctx.now)
    facts.declared.update({(member.id, o.id): o.number in cmd.conflicts for o in new})
    record(ctx, case, "declare_conflicts", subject=Subject.member(seat), basis="KPA art. 24; art. 15 ust. 2d", call=facts,
           state=case.state, payload={"offers": [o.number for o in new], "conflicts": sorted(cmd.conflicts),
                                      "note": cmd.note})
    for offer in new:
        _complete_scoring_if_done(ctx, case, offer, facts)
    return {"code": case.code, "member": seat, "declared": [o.number for o in new],
            "conflicts": sorted(cmd.conflicts)}


def _act_as_member(ctx: Context, member: str) -> str:
    """The seat's name: a committee member acts only in her own seat (named by her name or, proven, her login);
    an officer entering a member's paper protocol names the member by name or by login."""
    if ctx.actor.role == "committee_member":
        if member not in (ctx.actor.name, ctx.actor.person):
            raise NotPermitted(
                "not_your_seat",
                tr("{name} may not act for committee member {member}", name=ctx.actor.name, member=member),
                basis="art. 15 ust. 2a",
            )
        return ctx.actor.name
    return person_name(ctx.session, member)


# --- offers ---------------------------------------------------------------------------------------------------


def _task_in_call(case: Case, terms) -> None:
    start, end = date.fromisoformat(case.data["execution_start"]), date.fromisoformat(case.data["execution_end"])
    if not (start <= terms.task_start <= terms.task_end <= end):
        raise RuleViolation(
            "task_outside_call",
            tr("The task period {task_start} – {task_end} falls outside the call's period {start} – {end}", task_start=terms.task_start, task_end=terms.task_end, start=start, end=end),
            basis="art. 13 ust. 2 pkt 4",
        )


def _correct_by(ctx: Context, case: Case, offer: Offer) -> datetime | None:
    """The end of an offer's correction window: its pending ``correction_end`` deadline (none: the window closed)."""
    return ctx.session.exec(select(Deadline.due_at).where(
        Deadline.case_id == case.id, Deadline.kind == "correction_end", Deadline.offer_id == offer.id,
        Deadline.fired_at.is_(None)).order_by(Deadline.due_at.desc())).first()


def _new_offer(ctx: Context, case: Case, organisation_krs: str, terms, received_at: datetime | None,
               postmarked_on: date | None) -> tuple[Offer, Organisation]:
    """An offer received into the call: the one place its rules are checked, whether an officer records a paper
    offer (``file_offer``) or the organisation files the model form (``file_offer_form``). ``terms``: the title,
    the amounts and the task's period (a ``FileOffer`` or the form's ``OfferSummary``); ``received_at`` None: the
    moment its door received it (states/offer_filings.py ``receipt_moment``)."""
    # Offers filed into one call at the same moment (the deadline's eve) take turns for its next number and its
    # history's head: a second filing waits for the first to commit instead of losing the race at its commit.
    ctx.hold(case)
    if received_at is None:  # filed through a door: received when the door received it (offer_filings)
        received_at = filings.receipt_moment(ctx.arrived_at, ctx.now)
    # Not before the call is announced, not after its offers closed, not late (art. 13; KPA art. 57 §5).
    step(ctx, case, OpenCallMachine.bind(case), "file_offer", received_at=received_at, postmarked_on=postmarked_on)
    _task_in_call(case, terms)
    organisation = organisation_by_krs(ctx.session, organisation_krs)
    offer = Offer(case_id=case.id, number=next_offer_number(ctx.session, case), organisation_id=organisation.id,
                  title=terms.title, requested_grant=terms.requested_grant, own_funds=terms.own_funds,
                  non_financial_contribution=terms.non_financial_contribution, volunteer_work=terms.volunteer_work,
                  task_start=terms.task_start, task_end=terms.task_end, received_at=received_at,
                  postmarked_on=postmarked_on, state=OfferMachine.received.value)
    ctx.session.add(offer)
    return offer, organisation


def file_offer(ctx: Context, cmd: FileOffer) -> dict:
    case = _call(ctx, cmd.code)
    received_at = received_moment(ctx, cmd.received_at)
    offer, organisation = _new_offer(ctx, case, cmd.organisation_krs, cmd, received_at, cmd.postmarked_on)
    record(ctx, case, "file_offer", subject=Subject.offer(offer.number), basis="art. 14", state=offer.state,
           payload={**cmd.model_dump(mode="json"), "received_at": received_at, "organisation": organisation.name})
    return {"code": case.code, "offer": offer.number, "state": offer.state}


@at_written_time  # on a real database the moment of receipt is the server's own: no moment is claimed for a form
def file_offer_form(ctx: Context, cmd: SubmitOfferForm) -> dict:
    """The organisation files its offer on the model form (issue 22): the offer is received by the same step and
    rules as an officer's ``file_offer``, its content kept as version 1 with its SHA-256 and receipt
    (states/offer_filings.py), the hash and the receipt number in the audit record of the filing."""
    case = _call(ctx, cmd.code)
    summary = cmd.form.summary()
    filings.require_lead_offeror(summary, cmd.organisation_krs)
    offer, organisation = _new_offer(ctx, case, cmd.organisation_krs, summary, None, None)
    version = filings.add_version(ctx, case, offer, cmd.form, received_at=offer.received_at)
    record(ctx, case, "file_offer", subject=Subject.offer(offer.number), basis="art. 14", state=offer.state,
           payload={**filings.summary_payload(summary), "code": case.code, "organisation_krs": cmd.organisation_krs,
                    "received_at": offer.received_at, "organisation": organisation.name,
                    **filings.version_payload(version),
                    "contact_name": cmd.form.contact.name, "contact_email": cmd.form.contact.email})
    return filings.receipt_answer(case, offer, version)


@at_written_time
def correct_offer_form(ctx: Context, cmd: CorrectOfferForm) -> dict:
    """The organisation files its corrected offer within the correction window (after the officer's ``review_offer
    ... correct``): a new version with its own hash and receipt. The offer's machine takes it back to ``received``
    (``file_correction``): the defects answered, it waits for the officer's formal review again, and the window's
    deadline is cancelled (a correction in time is never rejected as not corrected)."""
    case = _call(ctx, cmd.code)
    ctx.hold(case)  # as a filing: corrections into one call take turns for its history's head
    received_at = filings.receipt_moment(ctx.arrived_at, ctx.now)
    call = CallFacts(ctx.session, case)
    offer = _offer(ctx, case, cmd.number, call)
    require_step(case, OfferMachine, "file_correction", state=offer.state)
    summary = cmd.form.summary()
    filings.require_lead_offeror(summary, organisation(ctx.session, offer.organisation_id).krs or "")
    _task_in_call(case, summary)
    version = filings.add_version(ctx, case, offer, cmd.form, received_at=received_at)
    for field in ("title", "requested_grant", "own_funds", "non_financial_contribution", "volunteer_work",
                  "task_start", "task_end"):  # the offer's row keeps what its latest version says
        setattr(offer, field, getattr(summary, field))
    _fire_offer(ctx, case, offer, "file_correction", call=call, received_at=received_at,
                correct_by=_correct_by(ctx, case, offer),
                payload={**filings.summary_payload(summary), "received_at": received_at,
                         **filings.version_payload(version),
                         "contact_name": cmd.form.contact.name, "contact_email": cmd.form.contact.email})
    with ctx.session.no_autoflush:
        cancel_deadlines(ctx, case, "correction_end", offer.id)
    return filings.receipt_answer(case, offer, version)


def review_offer(ctx: Context, cmd: ReviewOffer) -> dict:
    case = _call(ctx, cmd.code)
    step(ctx, case, OpenCallMachine.bind(case), "review_offer")
    call = CallFacts(ctx.session, case)
    offer = _offer(ctx, case, cmd.number, call)
    if cmd.decision != "accept" and not cmd.defects:
        raise InvalidInput("defects_required", tr("List the offer's formal defects"))
    rules = rules_for(ctx.session, case).open_call
    payload = {"defects": list(cmd.defects)}
    if cmd.decision == "correct":
        window = periods.CORRECTION_WINDOW.count(ctx.now, rules.correction_window_days)
        _fire_offer(ctx, case, offer, "request_correction", rules=rules, call=call,
                    payload={**payload, "correct_by": window.due})
        schedule(ctx, case, "correction_end", window.due, window.basis, offer_id=offer.id)
    else:
        awaited_correction = offer.state == OfferState.correction_requested
        _fire_offer(ctx, case, offer, "accept_formally" if cmd.decision == "accept" else "reject_formally", call=call,
                    payload=payload)
        # A correction window runs only while the offer awaits its correction: ``request_correction`` schedules its
        # ``correction_end``, and every step out of that state ends it (here, ``file_correction``, its expiry).
        if awaited_correction:
            with ctx.session.no_autoflush:  # this step schedules no deadline: nothing pending that the read could miss
                cancel_deadlines(ctx, case, "correction_end", offer.id)
    offer.formal_defects = [] if cmd.decision == "accept" else list(cmd.defects)
    return {"code": case.code, "offer": offer.number, "state": offer.state, "defects": offer.formal_defects}


def finish_formal_review(ctx: Context, cmd: CaseRef) -> dict:
    case = _call(ctx, cmd.code)
    rules = rules_for(ctx.session, case).open_call
    call = CallFacts(ctx.session, case)
    accepted = [o.number for o in call.offers if o.state == OfferState.formally_accepted]
    fire(ctx, case, OpenCallMachine.bind(case), "finish_formal_review", rules=rules, call=call,
         payload={"formally_accepted": accepted})
    return {"code": case.code, "state": case.state, "formally_accepted": accepted}


def score_offer(ctx: Context, cmd: ScoreOffer) -> dict:
    case = _call(ctx, cmd.code)
    step(ctx, case, OpenCallMachine.bind(case), "score")
    seat = _act_as_member(ctx, cmd.member)
    facts = CallFacts(ctx.session, case)  # read once: this step decides from these, and adds what it writes
    facts.offers  # noqa: B018  the guards read every offer (their organisations): this one is picked from them
    offer = _offer(ctx, case, cmd.number, facts)
    member = _member(ctx, case, seat, facts)
    # The offer waits for scores, and this member may score it (art. 15 ust. 2d; KPA art. 24).
    step(ctx, case, OfferMachine.bind(offer), "score", offer=offer, member=member, call=facts)
    criteria, _ = call_settings(case)
    _check_points(case, criteria, cmd.points)
    add_scores(ctx.session, case, member, offer, cmd.points, ctx.now)
    facts.add_points(offer, member, cmd.points)
    record(ctx, case, "score", subject=Subject.offer(offer.number), basis="art. 15 ust. 1", state=offer.state, call=facts,
           payload={"member": member.name, "points": cmd.points})
    _complete_scoring_if_done(ctx, case, offer, facts)
    return {"code": case.code, "offer": offer.number, "member": member.name, "state": offer.state}


def _check_points(case: Case, criteria, points: dict[str, Decimal]) -> None:
    keys = {c.key for c in criteria}
    if "own_funds" in points and "own_funds" not in keys:
        raise RuleViolation(
            "own_funds_in_entrustment",
            tr("Own funds are not scored in entrustment mode"),
            basis="art. 15 ust. 1 pkt 4; art. 5 ust. 4 pkt 2",
        )
    unknown = sorted(set(points) - keys)
    missing = sorted(keys - set(points))
    if unknown or missing:
        raise InvalidInput("criteria_mismatch", labels.criteria_mismatch(tr("Score exactly the call's criteria: {criteria}",
                                                                     criteria=labels.criteria(criteria)),
                                                                  unknown, missing), basis="art. 15 ust. 1")
    for c in criteria:
        if points[c.key] > c.max_points:
            raise RuleViolation(
                "points_above_maximum",
                tr("Criterion {criterion}: {points} points > the maximum {max_points}", criterion=labels.criterion(c),
                   points=points[c.key], max_points=c.max_points),
                basis=c.basis,
            )


def _complete_scoring_if_done(ctx: Context, case: Case, offer: Offer, facts: CallFacts) -> None:
    """An offer is scored once every member able to sit has declared for it and every clear member has scored."""
    if case.state != CallState.substantive_review or offer.state != OfferState.formally_accepted:
        return
    if any((m.id, offer.id) not in facts.declared for m in facts.able()):
        return
    scorers = facts.eligible_scorers(offer)
    if scorers and all((m.id, offer.id) in facts.scored for m in scorers):
        _fire_offer(ctx, case, offer, "complete_scoring", call=facts, payload={"members": [m.name for m in scorers]})


def show_ranking(ctx: Context, cmd: CaseRef) -> dict:
    case = _call(ctx, cmd.code)
    call = CallFacts(ctx.session, case)
    rows = ranking_rows(ctx.session, case, call)
    requested = {r["offer"]: r["requested"] for r in rows}
    proposal = propose_grants(call.ranking(), requested, case.budget)
    _, threshold = call_settings(case)
    result = {"code": case.code, "state": case.state, "budget": case.budget, "max_points": max_points(case),
              "threshold_percent": (threshold * 100).quantize(Decimal("0.01"))}
    if not rows:  # an empty table says nothing: say why, before it
        result["note"] = str(unranked_reason(case))
    return {**result, "ranking": rows, "proposal": proposal}


def select_offers(ctx: Context, cmd: SelectOffers) -> dict:
    """The Mayor's choice (art. 15 ust. 2g), recorded by the officer with the order that made it."""
    case = _call(ctx, cmd.code)
    call = CallFacts(ctx.session, case)
    results = {r.number: r for r in call.ranking()}
    fire(ctx, case, OpenCallMachine.bind(case), "select_offers", grants=dict(cmd.grants), call=call,
         payload={"decision": cmd.decision_ref, "grants": cmd.grants,
                  "ranking": {n: str(r.percent) for n, r in results.items()}})
    for offer in call.offers:
        if offer.state != OfferState.scored:
            continue
        result = results[offer.number]
        offer.score_percent, offer.rank = result.percent, result.rank
        amount = cmd.grants.get(offer.number)
        offer.granted_amount = amount
        _fire_offer(ctx, case, offer, "decide", amount=amount, call=call,
                    payload={"granted": amount, "percent": result.percent, "rank": result.rank,
                             "decision": cmd.decision_ref})
    return {"code": case.code, "state": case.state, "grants": cmd.grants}


def publish(ctx: Context, cmd: Publish) -> dict:
    case = _call(ctx, cmd.code)
    require_step(case, OpenCallMachine, f"publish_{cmd.subject}")
    call = CallFacts(ctx.session, case)
    _add_publications(ctx, case, cmd.subject, cmd.published, call)
    published = call.publications(cmd.subject)
    complete = all(c in published for c in ANNOUNCEMENT_CHANNELS)
    if cmd.subject == "results" and complete:
        rules = rules_for(ctx.session, case).open_call
        latest = calendar.latest_of(published.values())
        window = periods.JUSTIFICATION.count(latest, rules.justification_days)
        case.data = {**case.data, "justification_until": window.due.isoformat()}
        fire(ctx, case, OpenCallMachine.bind(case), "publish_results", call=call,
             payload={"published": cmd.published, "justification_until": window.due})
    else:
        basis = "art. 18a ust. 2" if cmd.subject == "invalidation" else "art. 15 ust. 2h"
        record(ctx, case, f"publish_{cmd.subject}", basis=basis, state=case.state, call=call,
               payload={"published": cmd.published, "all_channels": complete})
    return {"code": case.code, "state": case.state, "published": sorted(published), "complete": complete}


# --- contracts, reports, settlement --------------------------------------------------------------------------


def sign_contract(ctx: Context, cmd: SignContract) -> dict:
    case = _call(ctx, cmd.code)
    step(ctx, case, OpenCallMachine.bind(case), "sign_contract")
    call = CallFacts(ctx.session, case)
    offer = _offer(ctx, case, cmd.number, call)
    rules = rules_for(ctx.session, case).open_call
    if offer.granted_amount is not None and cmd.amount > offer.granted_amount:
        raise RuleViolation(
            "contract_above_grant",
            tr("Contract amount {amount} > granted {granted_amount}", amount=money(cmd.amount), granted_amount=money(offer.granted_amount)),
            basis="art. 15 ust. 2g; art. 16 ust. 1",
        )
    if cmd.task_end < cmd.task_start or calendar.add_months(cmd.task_start, 12 * rules.max_contract_years) < cmd.task_end:
        raise RuleViolation(
            "contract_period",
            ntr("The contract period {task_start} – {task_end} is invalid (at most {n} year)",
                "The contract period {task_start} – {task_end} is invalid (at most {n} years)",
                rules.max_contract_years, task_start=cmd.task_start, task_end=cmd.task_end),
            basis="art. 16 ust. 1",
        )
    report = report_deadline(cmd.task_end, rules)
    usage = usage_deadline(cmd.task_end, rules)
    returning = return_deadline(usage, rules)
    contract = Contract(case_id=case.id, offer_id=offer.id, number=cmd.contract_number, mode=case.mode,
                        amount=cmd.amount, signed_at=ctx.now, task_start=cmd.task_start, task_end=cmd.task_end,
                        usage_deadline=usage, report_due=report.last_day, return_due=returning.last_day)
    _fire_offer(ctx, case, offer, "sign_contract", call=call,
                payload={**cmd.model_dump(mode="json"), "report_due": report.last_day, "usage_deadline": usage,
                         "return_due": returning.last_day})
    ctx.session.add(contract)
    schedule(ctx, case, TASK_END, calendar.end_of_day(cmd.task_end), "art. 18 ust. 1", offer_id=offer.id)
    schedule(ctx, case, REPORT_DUE, report.due, report.basis, offer_id=offer.id)
    fire(ctx, case, OpenCallMachine.bind(case), "start_execution", optional=True, call=call)
    return {"code": case.code, "offer": offer.number, "contract": cmd.contract_number, "report_due": report.last_day,
            "report_due_explained": report.explain(), "return_due": returning.last_day}


def withdraw_offer(ctx: Context, cmd: OfferRef) -> dict:
    case = _call(ctx, cmd.code)
    call = CallFacts(ctx.session, case)
    offer = _offer(ctx, case, cmd.number, call)
    _fire_offer(ctx, case, offer, "withdraw", call=call)
    fire(ctx, case, OpenCallMachine.bind(case), "start_execution", optional=True, call=call)
    return {"code": case.code, "offer": offer.number, "state": offer.state}


def _contract(ctx: Context, offer: Offer) -> Contract:
    contract = ctx.session.exec(select(Contract).where(Contract.offer_id == offer.id)).first()
    if contract is None:
        raise NotFound("no_contract", tr("Offer {number} has no contract", number=offer.number))
    return contract


def _tail(case: Case, offer: Offer, contract: Contract | None = None, call: CallFacts | None = None) -> tail.Tail:
    """An offer's tail (states/contract_tail_steps.py): its contract keeps the grant, the report's and the return's
    due dates and the funds used and returned; the offer's machine holds the state, and a command's events carry
    the call's facts (the scheduler's carry none). The unused funds are checked before the machine's state."""
    return tail.Tail(case, lambda: OfferMachine.bind(offer), deadlines=(TASK_END, REPORT_DUE),
                     subject=Subject.offer(offer.number), facts={"call": call} if call is not None else {},
                     offer_id=offer.id, ledger=contract, granted=contract.amount if contract else None,
                     report_due=contract.report_due if contract else None, keeps_return_date=True)


def submit_report(ctx: Context, cmd: SubmitReport) -> dict:
    case = _call(ctx, cmd.code)
    call = CallFacts(ctx.session, case)
    offer = _offer(ctx, case, cmd.number, call)
    contract = _contract(ctx, offer)
    late = tail.submit_report(ctx, _tail(case, offer, contract, call), summary=cmd.summary, funds_used=cmd.funds_used)
    ctx.session.add(Report(contract_id=contract.id, submitted_at=ctx.now,
                           content={"funds_used": str(cmd.funds_used), "summary": cmd.summary}))
    return {"code": case.code, "offer": offer.number, "state": offer.state, "late": late}


@at_written_time
def file_report_form(ctx: Context, cmd: report_filings.FileReportForm) -> dict:
    """The organisation files its partial or final report on the model form (issue 22): its sums checked against
    the contract, a final one through the tail's ``submit_report`` (the machine's rules), kept with its SHA-256 and
    receipt (states/report_filings.py)."""
    case = _call(ctx, cmd.code)
    ctx.hold(case)  # the receipt's number counts the contract's reports: filings into one call take turns
    call = CallFacts(ctx.session, case)
    offer = _offer(ctx, case, cmd.number, call)
    contract = _contract(ctx, offer)
    return report_filings.file_report(
        ctx, case, offer, contract, cmd.form, tail=_tail(case, offer, contract, call), submit=tail.submit_report,
        machine=OfferMachine,
        received_at=filings.receipt_moment(ctx.arrived_at, ctx.now))


def review_report(ctx: Context, cmd: ReviewReport) -> dict:
    case = _call(ctx, cmd.code)
    call = CallFacts(ctx.session, case)
    offer = _offer(ctx, case, cmd.number, call)
    contract = _contract(ctx, offer)
    tail.review_report(ctx, _tail(case, offer, contract, call), accept=cmd.accept, reason=cmd.reason)
    report_filings.note_review(ctx.session, (Report.contract_id, contract.id), accept=cmd.accept, now=ctx.now)
    return {"code": case.code, "offer": offer.number, "state": offer.state}


def settle_offer(ctx: Context, cmd: Settle) -> dict:
    case = _call(ctx, cmd.code)
    call = CallFacts(ctx.session, case)
    offer = _offer(ctx, case, cmd.number, call)
    contract = _contract(ctx, offer)
    settled = tail.settle(ctx, _tail(case, offer, contract, call), returned_amount=cmd.returned_amount,
                          returned_on=cmd.returned_on, return_due=contract.return_due)
    fire(ctx, case, OpenCallMachine.bind(case), "settle", optional=True, call=call)  # the call, once all are
    return {"code": case.code, "offer": offer.number, "state": offer.state, "late": settled["late"],
            "case_state": case.state}


# --- the scheduler's events -----------------------------------------------------------------------------------


def load_batch(loader: BatchLoader, claimed: list) -> None:
    """What this procedure's deadline handlers read, for every claimed (deadline, case) at once: the offers
    filed in each closing call (counted), and the offers a deadline of an offer moves."""
    closing = [case.id for deadline, case in claimed if deadline.kind == "offers_close"]
    loader.counts(Offer, closing)
    with_offers = [case.id for deadline, case in claimed if deadline.offer_id is not None]
    loader.rows(Offer, with_offers, order_by=(Offer.number,))
    loader.organisations_of(Offer, with_offers)  # the applicant each notice of such a step goes to


def _offers_filed(ctx: Context, case: Case) -> int:
    """Offers filed in a call (in a tick's batch: as its loader counted them; the tick files none)."""
    facts = loaded(ctx.session)
    counted = facts.count(Offer, case.id) if facts is not None else None
    if counted is not None:
        return counted
    return ctx.session.exec(select(func.count()).select_from(Offer).where(Offer.case_id == case.id)).one()


def on_offers_close(ctx: Context, case: Case, deadline) -> None:
    filed = _offers_filed(ctx, case)
    fire(ctx, case, OpenCallMachine.bind(case), "close_offers", offers_filed=filed,
         payload={"due_at": deadline.due_at, "offers": filed})


def _deadline_offer(ctx: Context, deadline) -> Offer:
    return row_by_id(ctx.session, Offer, deadline.offer_id)  # in a batch: loaded with its call's offers


def on_correction_end(ctx: Context, case: Case, deadline) -> None:
    offer = _deadline_offer(ctx, deadline)
    _fire_offer(ctx, case, offer, "correction_expired", payload={"due_at": deadline.due_at})


def on_task_end(ctx: Context, case: Case, deadline) -> None:
    tail.on_task_end(ctx, _tail(case, _deadline_offer(ctx, deadline)), deadline)


def on_report_due(ctx: Context, case: Case, deadline) -> None:
    tail.on_report_due(ctx, _tail(case, _deadline_offer(ctx, deadline)), deadline)


DEADLINE_HANDLERS = {
    "offers_close": on_offers_close,
    "correction_end": on_correction_end,
    TASK_END: on_task_end,
    REPORT_DUE: on_report_due,
}
