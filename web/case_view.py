"""What the case page shows: the case's state and its place in the procedure, its history, its offers, its
deadlines, and the steps its reader may take now (with their forms).

Everything is read in one read-only transaction through ``states.engine.execute``, authorized as
``queries.describe_case`` (everyone the matrix lets read a case: states/authorization.py). Which steps a person
may take is the intersection of two things the engine already says: what the case's machine allows in its
current state (its transitions, states/engine.py ``LegalMachine``) and what the authorization matrix lets this
person run on this case (her grants). The page never decides a rule itself: a step shown and then refused is
refused by the domain, with its reason, beside the field.
"""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from sqlmodel import select

from kernel.text import tr
from models.tables import CommitteeMember, ConflictDeclaration, Offer, Organisation, Score
from states import audit, labels
from states.access import ANY, CASE
from states.actors import Actor
from states.cases import load_case, pending_deadlines
from states.procedures import of_kind, step_commands
from states.procedures.consultation.handlers import RDPP_OPINION_BASIS
from states.procedures.local_initiative.handlers import REPRESENTATIVE_BASIS
from states.queries import describe_case

# The steps answered through the Prefect flows that collect evaluations (flows/evaluation.py), by command name:
# the flow keeps the forms' order and the answers' exactly-once; the desk validates, proves and resumes.
EVALUATIONS = {"open_call.review_offer": "review", "open_call.declare_conflicts": "declare",
               "open_call.score_offer": "score"}
# Which machine events each command fires or is gated by is its procedure's declaration (the descriptor's
# ``events``; its ``reads`` and commands ``off_case`` are never steps). Filing an applicant's paper offer into a
# call has the registry's own form, not the case page's.
# The model form's offers are filed by the organisations themselves (the portal, web/portal_api.py), not here.
OWN_FORM = {"open_call.file_offer", "open_call.file_offer_form", "open_call.correct_offer_form",
            "open_call.file_report_form", "small_grant.file_report_form", "local_initiative.file_report_form"}


@dataclass
class FieldSpec:
    """One input of a step's form. ``widget``: text, textarea, number, decimal, date, moment, select, checkboxes
    (numbers of offers), lines (one item a line), map (one input per key: channels, offers, criteria)."""

    name: str
    label: Any
    widget: str
    required: bool = False
    choices: list[tuple[str, Any]] = field(default_factory=list)
    hint: Any = None


@dataclass
class StepSpec:
    name: str  # the command's name within its procedure: ``finish_formal_review``
    title: Any
    basis: str
    handler: Any
    model: type
    fields: list[FieldSpec]
    evaluation: str | None = None  # review | declare | score: answered through a waiting flow run


def _procedure_name(kind: str) -> object:
    """The case's procedure as the reader names it in her language (the same names as Na dziś's)."""
    from web.today import procedure_name

    procedure = of_kind(kind)
    return procedure_name(procedure.slug, procedure.title) if procedure is not None else kind


def _plain_type(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``Annotated`` and ``| None``; and whether None was allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation, optional
        else:
            return annotation, optional


CHOICE_LABELS = {
    "accept": tr("accept: formally correct"), "reject": tr("reject"),
    "correct": tr("call to correct the defects (KPA art. 64 § 2)"),
    "results": tr("the results"), "invalidation": tr("the invalidation"),
    "city": tr("the city"), "ngo": tr("an organisation"), "support": tr("support"),
    "entrustment": tr("entrustment"), "received": tr("received"), "postmarked": tr("postmarked"),
    "bip": tr("BIP"), "board": tr("notice board"), "website": tr("website"),
}


def _field(name: str, info: Any, facts: dict[str, Any]) -> FieldSpec | None:
    annotation, optional = _plain_type(info.annotation)
    required = info.is_required()
    label = tr("Offer number") if name == "number" else labels.field(name)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return FieldSpec(name, label, "select", required,
                         [(str(v), CHOICE_LABELS.get(str(v), str(v))) for v in typing.get_args(annotation)])
    if annotation is bool:
        return FieldSpec(name, label, "select", required, [("yes", tr("yes")), ("no", tr("no"))])
    if origin is dict:
        key, _value = typing.get_args(annotation)
        key, _ = _plain_type(key)
        if typing.get_origin(key) is Literal:
            keys = [(str(v), CHOICE_LABELS.get(str(v), str(v))) for v in typing.get_args(key)]
            hint = tr("Warsaw time")
        elif key is str and name == "published":  # the channels of the case's rule set (a council's own)
            keys = [(c, CHOICE_LABELS.get(c, c)) for c in facts.get("channels", ())]
            hint = tr("Warsaw time")
        elif key is int:
            keys = [(str(o["number"]), tr("offer no. {number}", number=o["number"])) for o in facts["offers"]]
            hint = tr("Leave empty the offers that get nothing.")
        else:
            keys = [(c["key"], c["label"]) for c in facts["criteria"]]
            hint = None
        return FieldSpec(name, label, "map", required, keys, hint)
    if origin is tuple:
        item, _ = _plain_type(typing.get_args(annotation)[0])
        if item is int:
            return FieldSpec(name, label, "checkboxes", False,
                             [(str(o["number"]), tr("offer no. {number}: {title}", number=o["number"],
                                                   title=o["title"])) for o in facts["offers"]])
        if isinstance(item, type) and issubclass(item, str):
            return FieldSpec(name, label, "lines", False, hint=tr("One a line."))
        return None  # a list of structured settings (a call's own criteria): the CLI's, not a form's
    if annotation is int and name == "number" and facts["offers"]:
        return FieldSpec(name, label, "select", required,
                         [(str(o["number"]), tr("offer no. {number}: {title}", number=o["number"], title=o["title"]))
                          for o in facts["offers"]])
    if annotation is int:
        return FieldSpec(name, label, "number", required)
    if annotation is Decimal:
        return FieldSpec(name, label, "decimal", required)
    if getattr(annotation, "__name__", "") == "date":
        return FieldSpec(name, label, "date", required)
    if getattr(annotation, "__name__", "") == "datetime":
        return FieldSpec(name, label, "moment", required, hint=tr("Warsaw time"))
    if name in ("note", "reason", "summary", "draft_summary", "grant_rules", "prior_funding", "text"):
        return FieldSpec(name, label, "textarea", required)
    return FieldSpec(name, label, "text", required)


def _input_model(handler: Any) -> type | None:
    hints = typing.get_type_hints(handler)
    parameters = list(inspect.signature(handler).parameters)
    return hints.get(parameters[1]) if len(parameters) > 1 else None


def _may_run(rule: dict[str, str], actor: Actor, code: str) -> bool:
    """The matrix's answer for this proven person on this case (states/authorization.py), without asking."""
    for grant in actor.grants:
        relation = rule.get(grant.role)
        if relation == ANY and grant.case is None and grant.organisation is None:
            return True
        if relation == CASE and grant.case == code:
            return True
    return False


def _allowed_event(procedure: Any, owner: Any, kind: str, state: str, offers: list[dict[str, Any]],
                   handler: str, tracks: dict[str, str] | None = None) -> tuple[type, str] | None:
    """The first of ``handler``'s declared events (declared by ``owner``: the case's procedure, or the one it
    borrows the command from) that its machine allows now, with that machine: the case's own in its state, an
    offer's in the state of one of the case's offers, or a lifecycle's kept in the case's data (``tracks``: a
    regranting sub-call's, while it runs; the descriptor's ``data_tracks``)."""
    own = procedure.machines[kind]
    # the offers' machine: the procedure's own, or its lender's (a regranting operator's offer is an open call's)
    offer = procedure.machines.get("offer") or next(
        (lender.machines["offer"] for lender, _ in step_commands(procedure)
         if lender is not procedure and "offer" in lender.machines), None)
    for machine_name, event in owner.step_events(handler):
        if machine_name == own:
            states = {state}
        elif machine_name == offer:
            states = {o["state"] for o in offers}
        elif machine_name in (tracks or {}):
            states = {tracks[machine_name]}
        else:
            continue
        machine = owner.machine_class(machine_name)
        if states & set(machine.states_allowing(event)):
            return machine, event
    return None


def allowed_steps(kind: str, state: str, code: str, actor: Actor, facts: dict[str, Any]) -> list[StepSpec]:
    """The steps this person may take on a case of ``kind`` in ``state``: the machine allows one of the events its
    procedure declares for the step's command there (states/procedures/descriptor.py ``events``), and the matrix
    lets her run the command on this case."""
    from states.authorization import MATRIX

    procedure = of_kind(kind)
    if procedure is None or kind not in procedure.machines:
        return []
    machine = procedure.machine_class(procedure.machines[kind])
    if not any(s.value == state for s in machine.states):
        return []
    steps = []
    for owner, name in step_commands(procedure):
        command = f"{owner.slug}.{name}"
        if command in OWN_FORM:
            continue
        allowed = _allowed_event(procedure, owner, kind, state, facts.get("offers", []), name, facts.get("tracks"))
        if allowed is None:
            continue
        if not _may_run(MATRIX.get(command, {}), actor, code):
            continue
        if EVALUATIONS.get(command) in ("declare", "score") and not any(
                g.role == "committee_member" and g.case == code for g in actor.grants):
            continue  # a member's own evaluation: the flow binds it to her seat (an officer does not answer it)
        handler = getattr(owner.handlers, name, None)
        model = _input_model(handler) if handler else None
        if model is None:
            continue
        fields = [f for f in (_field(n, info, facts) for n, info in model.model_fields.items()
                              if n not in ("code", "member")) if f is not None]
        by, event = allowed
        named = by.STEPS.get(event)
        title = STEP_TITLES.get(name) or (named.doing if named else name.replace("_", " "))
        basis = STEP_BASIS.get(name) or by.BASIS.get(event) or (named.basis if named else "")
        steps.append(StepSpec(name, title, basis,
                              handler, model, fields, EVALUATIONS.get(command)))
    return steps


STEP_TITLES = {
    "appoint_member": tr("Appoint a committee member"),
    "declare_conflicts": tr("Declare conflicts of interest (KPA art. 24)"),
    "review_offer": tr("Review an offer formally"),
    "finish_formal_review": tr("Finish the formal review"),
    "score_offer": tr("Score an offer"),
    "select_offers": tr("Select the offers and their grants"),
    "publish": tr("Publish"),
    "withdraw_offer": tr("Withdraw an offer"),
    "sign_contract": tr("Sign a contract"),
    "submit_report": tr("Record a report"),
    "review_report": tr("Review a report"),
    "settle_offer": tr("Settle a grant"),
    "announce_call": tr("Announce the call"),
    "add_comment": tr("Record a comment with its author and time; late ones are refused."),
    "rdpp_opinion": tr("Record the Public Benefit Council's opinion"),
    "transfer": tr("Record the transfer of funds to the implementer."),
    "micro_report": tr("Record a report"),
    "settle_micro": tr("Settle the micro-grant"),
    "settle_operator": tr("Settle the operator, once every micro-grant is settled."),
    # the regranting operator's sub-call (art. 16a), the same words as Na dziś's (regranting/waiting.py)
    "announce_sub_call": tr("Record the operator's call for implementers"),
    "publish_selection": tr("Record the operator's published choice of implementers"),
    "add_micro_grant": tr("Record an implementer's contract"),
    "operator_report": tr("Record the operator's report"),
    "review_operator_report": tr("Review the operator's report"),
    # a local initiative typed in from paper has no filer: the portal account representing the residents' group
    "name_representative": tr("Name the residents' representative on the portal"),
}
# A lifecycle kept in a case's data (the descriptor's ``data_tracks``), as the case page names it beside the stages.
TRACK_TITLES = {"SubCallMachine": tr("The operator's call for implementers (art. 16a)")}
# The basis of a step its procedure gates by other steps' events (it has no event of its own): what its record
# cites (states/procedures/consultation/handlers.py).
STEP_BASIS = {"rdpp_opinion": RDPP_OPINION_BASIS, "name_representative": REPRESENTATIVE_BASIS}


def _machine_states(kind: str, state: str) -> list[dict[str, Any]]:
    procedure = of_kind(kind)
    if procedure is None or kind not in procedure.machines:
        return []
    machine = procedure.machine_class(procedure.machines[kind])
    return [{"value": s.value, "label": labels.state(kind, s.value), "current": s.value == state,
             "final": s.final} for s in machine.states]


# What the history's records say happened, for the events the machines' STEPS do not name.
EVENT_LABELS = {
    "create": tr("case created"),
    "announce": tr("announced"),
    "file_offer": tr("offer filed"),
    "close_offers": tr("filing of offers closed"),
    "review_offer": tr("offer reviewed formally"),
    "accept_formally": tr("offer accepted formally"),
    "reject_formally": tr("offer rejected formally"),
    "request_correction": tr("called to correct the offer's defects"),
    "complete_scoring": tr("scoring of the offer complete"),
    "finish_formal_review": tr("formal review finished"),
    "declare_conflicts": tr("declarations made (KPA art. 24)"),
    "score": tr("offer scored"),
    "select_offers": tr("offers selected"),
    "publish_results": tr("results published"),
    "publish_invalidation": tr("invalidation published"),
    "start_execution": tr("execution started"),
    "sign_contract": tr("contract signed"),
    "submit_report": tr("report submitted"),
    "submit_partial_report": tr("partial report submitted"),
    "review_report": tr("report reviewed"),
    "settle": tr("settled"),
    # the other procedures' events and the deadlines' (the tick's), which no machine's STEPS name
    "withdraw": tr("offer withdrawn"),
    "correction_expired": tr("time to correct the offer's defects passed"),
    "task_ended": tr("task ended"),
    "report_overdue": tr("report deadline passed"),
    "report_overdue_event": tr("report deadline passed"),
    "accept_report": tr("report accepted"),
    "request_report_corrections": tr("corrections of the report requested"),
    "pass_check": tr("preliminary check passed"),
    "publish_offer": tr("offer's publication recorded"),
    "comment": tr("comment received"),
    "close_comments": tr("comment period closed"),
    "close": tr("closed"),
    "send_to_council": tr("draft sent to the council"),
    "adopt": tr("act adopted"),
    "rdpp_opinion_waived": tr("the Public Benefit Council's opinion not given in time"),
    "file": tr("application filed"),
    "name_representative": tr("residents' representative on the portal named"),
    "pass_formal_check": tr("application accepted formally"),
    "fail_formal_check": tr("application rejected formally"),
    "micro_grant_created": tr("micro-grant recorded"),
    "transfer_due_passed": tr("transfer of the funds overdue"),
    "start_implementing": tr("the implementers' tasks started"),
    "submit_operator_report": tr("the operator's report submitted"),
    "accept_operator_report": tr("the operator's report accepted"),
    "request_operator_report_corrections": tr("corrections of the operator's report requested"),
}


@cache
def _steps_of_every_machine() -> dict[str, Any]:
    """What any procedure's machine (its offers' and data tracks' too) calls each of its steps, the first one found."""
    from states.procedures import PROCEDURES

    named: dict[str, Any] = {}
    for procedure in PROCEDURES:
        for name in (*procedure.machines.values(), *procedure.data_tracks):
            for event, step in getattr(procedure.machine_class(name), "STEPS", {}).items():
                named.setdefault(event, step.doing)
    return named


def _event_label(kind: str, event: str) -> Any:
    """The history's name of an event: ``EVENT_LABELS``, else the case's machine's name of the step, else the desk's
    title of the step, else another machine's (an offer's, a data track's); tests/test_event_labels.py checks that
    every event the engine records has one."""
    if event in EVENT_LABELS:
        return EVENT_LABELS[event]
    procedure = of_kind(kind)
    if procedure is not None and kind in procedure.machines:
        machine = procedure.machine_class(procedure.machines[kind])
        named = machine.STEPS.get(event)
        if named is not None:
            return named.doing
    return STEP_TITLES.get(event) or _steps_of_every_machine().get(event) or event.replace("_", " ")


def _history(session, case) -> list[dict[str, Any]]:
    from models.tables import AuditRecord

    rows = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq))
    kind = case.kind
    out = []
    for r in rows:
        row = audit.history_row(seq=r.seq, at=r.at, actor=r.actor, role=r.role, event=r.event, subject=r.subject,
                                from_state=r.from_state, to_state=r.to_state, basis=r.basis, payload=r.payload,
                                digest=r.hash)
        subject_kind = "offer" if r.subject.startswith("offer:") else kind
        row.update(event_label=_event_label(kind, r.event), role_label=labels.role(r.role),
                   subject_label=labels.subject(r.subject) if r.subject != "case" else "",
                   from_label=labels.state(subject_kind, r.from_state) if r.from_state else None,
                   to_label=labels.state(subject_kind, r.to_state) if r.to_state else None)
        out.append(row)
    return out


def _offers(session, case) -> list[dict[str, Any]]:
    offers = list(session.exec(select(Offer).where(Offer.case_id == case.id).order_by(Offer.number)))
    names = {o.id: o.name for o in session.exec(select(Organisation).where(
        Organisation.id.in_({o.organisation_id for o in offers})))} if offers else {}
    return [{"id": o.id, "number": o.number, "title": o.title, "organisation": names.get(o.organisation_id, "—"),
             "requested": o.requested_grant, "own_funds": o.own_funds,
             "non_financial": o.non_financial_contribution, "volunteer_work": o.volunteer_work,
             "task_start": o.task_start, "task_end": o.task_end, "received_at": o.received_at,
             "state": o.state, "state_label": labels.state("offer", o.state), "defects": o.formal_defects,
             "percent": o.score_percent, "granted": o.granted_amount} for o in offers]


def _criteria(case) -> list[dict[str, Any]]:
    """The criteria a committee scores by: of a call run by the open call's machine (a regranting operator's too)."""
    procedure = of_kind(case.kind)
    if procedure is None or procedure.machines.get(case.kind) != "OpenCallMachine" or not case.settings.get("criteria"):
        return []
    from states.procedures.open_call.machine import call_settings

    criteria, _ = call_settings(case)
    return [{"key": c.key, "label": labels.criterion(c), "max_points": c.max_points, "basis": c.basis}
            for c in criteria]


def _channels(session, case) -> tuple[str, ...]:
    """Where the case's procedure publishes under its rule set (``channels``; none: it names them in its input)."""
    from states.rulebook import rules_for

    return tuple(getattr(getattr(rules_for(session, case), case.kind, None), "channels", ()) or ())


def _member_view(session, case, actor: Actor, offers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A committee member's own seat: which offers she declared (and with a conflict) and scored."""
    seat = session.exec(select(CommitteeMember).where(CommitteeMember.case_id == case.id,
                                                      CommitteeMember.name == actor.name)).first()
    if seat is None:
        return None
    declared = {d.offer_id: d.conflict for d in session.exec(
        select(ConflictDeclaration).where(ConflictDeclaration.member_id == seat.id))}
    scored = set(session.exec(select(Score.offer_id).where(Score.member_id == seat.id)))
    return {"declared": bool(declared) and all(o["id"] in declared for o in offers),
            "conflicts": [o["number"] for o in offers if declared.get(o["id"])],
            "scored": [o["number"] for o in offers if o["id"] in scored]}


def read_case(ctx: Any, code: str) -> dict[str, Any]:
    """Everything the case page shows, for the reader ``ctx.actor`` (read-only)."""
    case = load_case(ctx.session, code)
    offers = _offers(ctx.session, case)
    offer_numbers = {o["id"]: o["number"] for o in offers}
    deadlines = [{**d, "offer": offer_numbers.get(d["offer_id"]), "label": deadline_label(d["kind"])}
                 for d in pending_deadlines(ctx.session, case)]
    procedure = of_kind(case.kind)
    tracks = procedure.track_states(case.kind, case.state, case.data) if procedure is not None else {}
    facts = {"offers": offers, "criteria": _criteria(case), "channels": _channels(ctx.session, case),
             "tracks": tracks}
    member = _member_view(ctx.session, case, ctx.actor, offers)
    steps = allowed_steps(case.kind, case.state, case.code, ctx.actor, facts)
    if member and member["declared"]:  # her declarations are made once (KPA art. 24); the page says so instead
        steps = [s for s in steps if s.name != "declare_conflicts"]
    return {"code": case.code, "kind": case.kind, "title": case.title, "state": case.state,
            "state_label": labels.state(case.kind, case.state), "budget": case.budget,
            "procedure": _procedure_name(case.kind),
            "offer_deadline": case.offer_deadline, "selection_date": getattr(case, "selection_date", None),
            "machine": _machine_states(case.kind, case.state), "history": _history(ctx.session, case),
            "tracks": [{"title": TRACK_TITLES.get(name, name), "state_label": labels.state(
                procedure.machine_class(name), value)} for name, value in tracks.items()],
            "offers": offers, "deadlines": deadlines, "criteria": facts["criteria"],
            "member": member, "steps": steps, "filed_form": _filed_form(ctx.session, case),
            "grant_offer": _small_grant_terms(ctx.session, case),
            "draft_summary": case.data.get("draft_summary") if case.kind == "consultation" else None}


def _small_grant_terms(session, case) -> dict[str, Any] | None:
    """A small grant's offer as its row keeps it (art. 19a): the grant asked, the own contribution and, apart from
    it, the simplified form's other sources (section IV, Dz.U. 2018 poz. 2055 zał. 1), which are not the offeror's
    own; None for another procedure's case."""
    if case.kind != "small_grant":
        return None
    from models.procedures.small_grant import SmallGrantOffer
    from states.offer_filings import other_sources_of

    offer = session.exec(select(SmallGrantOffer).where(SmallGrantOffer.case_id == case.id)).first()
    if offer is None:
        return None
    return {"requested": offer.requested_grant, "own_contribution": offer.own_contribution,
            "other_sources": other_sources_of(session, offer), "granted": offer.granted_amount,
            "task_start": offer.task_start, "task_end": offer.task_end}


def _filed_form(session, case) -> str | None:
    """A small grant's offer filed on the model form (art. 19a, issue 22): the desk's offer page of its one offer
    (web/desk_offers.py), which shows its content, receipt and PDF; None for an offer recorded from paper."""
    if case.kind != "small_grant":
        return None
    from models.filing_tables import OfferVersion
    from models.procedures.small_grant import SmallGrantOffer

    filed = session.exec(select(OfferVersion.id).join(SmallGrantOffer, SmallGrantOffer.id ==
                                                      OfferVersion.small_grant_offer_id)
                         .where(SmallGrantOffer.case_id == case.id)).first()
    return f"/sprawy/{case.code}/oferty/1" if filed is not None else None


# Authorized as the engine's own read of a case (everyone may read one): the matrix names the wrapped query.
read_case.__wrapped__ = describe_case  # type: ignore[attr-defined]

DEADLINE_LABELS = {
    "offers_close": tr("end of filing offers"),
    "correction_end": tr("end of the corrections"),
    "selection": tr("selection of the offers"),
    "report_due": tr("report due"),
}


def deadline_label(kind: str) -> Any:
    return DEADLINE_LABELS.get(kind) or kind.replace("_", " ")
