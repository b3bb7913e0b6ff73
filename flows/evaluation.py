"""Evaluations in the Prefect UI: the officer's formal review and a committee member's scores.

A flow run per case (and member) shows a typed form (a pydantic ``RunInput``) listing the offers and the
criteria, records what is submitted through the SAME domain handlers the CLI uses
(``states.procedures.open_call.handlers.review_offer`` / ``declare_conflicts`` / ``score_offer`` via
``states.engine.execute``), and asks again, with the refusal on top of the form, when the domain refuses
(a conflict of interest, points above a criterion's maximum, ...). It ends when the review is complete or
its deadline passes.

Pause or suspend: under a deployment (``coop serve``, a worker) the run SUSPENDS: its process exits, the
run waits in the Prefect database, and when the form is submitted a new process (on any worker) re-runs the
flow from the start. Without a deployment (tests, a script) suspending is impossible, so the run PAUSES in
its process instead; the code path is otherwise the same. See docs/prefect.md.

Why every answer is recorded exactly once, whichever process re-runs the flow:

1. Forms are numbered in the order the run shows them (n = 1, 2, ...); form n waits under the key
   ``{step}-{n}`` (``review``, ``declare``, ``score``). Before it first waits, the run stores the form's step
   in Prefect's API, as the flow run input ``form-{n}``, where every worker reads it.
2. A re-run goes through n = 1, 2, ... again. Where ``form-{n}`` is stored, the round replays that form,
   whatever the case now looks like: Prefect answers a wait under a key the run has already waited on with
   the stored answer. Only past the last stored form does the case's view decide whether to finish or which
   form to show next. So the re-run asks the same keys in the same order as the first run, never a new key
   while a submitted answer waits under an old one. (A key derived from the view could not promise that:
   the view, read fresh, already reflects the answers recorded meanwhile; after the declaration it asks
   for a score, and the first score's answer, waiting under ``score-2``, was asked for as ``score-1``.)
3. What the engine answered to form n, recorded or refused, is stored once as ``form-{n}-outcome`` (the
   first write wins) before any later form is shown. A replay returns it and executes nothing: a refused
   answer is never tried again against a case that may have changed since, which could record what the
   person had, by then, already been told was refused and answered differently.
4. If the process dies between the engine's answer and that write, the replay executes the answer again
   under the same engine idempotency key ``form:{flow run}:{step}-{n}`` (models/command_log.py): a
   recorded answer is found in the command log and not written twice; a refused one is tried once more,
   which is safe because nobody has yet been shown its refusal or the form after it.

Nothing here depends on a worker's local result storage: the answer's task is not cached, and the steps
and outcomes are kept in Prefect's database with the answers themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext
from prefect.exceptions import FlowPauseTimeout, PrefectHTTPStatusError
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput, create_flow_run_input, read_flow_run_input
from pydantic import Field, create_model
from sqlmodel import select

from flows.artifacts import publish_case_artifacts
from flows.doors import refuse_door_parameters
from flows.events import emit_transitions
from kernel.desk_link import case_page_url
from models.command_log import plain
from models.tables import CommitteeMember, ConflictDeclaration, Score
from states import calendar, labels
from states.actors import engine_principal
from states.clock import parse_moment, resolve_now
from states.engine import Actor, Context, execute
from states.errors import DomainError, NotPermitted
from states.events import plain_transitions
from states.form_proofs import FormProof, verify_form_proof
from states.people import person_name
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.open_call.handlers import load_call
from states.procedures.open_call.machine import call_settings, offers_of
from states.procedures.open_call.names import CallState, OfferState
from states.text import current_language, money, render, tr

# Loaded by its path under a deployment (module "evaluation"): its reads keep their names in the matrix.
COMMAND_NAMESPACE = "flows.evaluation"
MAX_ROUNDS = 200  # a form answered this many times without finishing is a runaway, not a review
# Who reads the forms' views (nothing is recorded under this name): every answer is recorded as the person its
# proof names (states/form_proofs.py).
READER = engine_principal("formularz", "officer")  # the engine's worker reading: proven by its credentials


def proof_field() -> Any:
    """The field every form carries: the code of ``coop form proof`` proving who answers (states/form_proofs.py).
    Empty by default, so an answer without it reaches the engine and is refused there with the reason shown."""
    return Field(default="", title=str(tr("Proof of who answers")),
                 description=str(tr("The code printed by coop form proof (see the form's description)")))


class Form(RunInput):
    """A form as Prefect's UI shows it: a field given an initial value keeps its title, bounds and description,
    and stays required. (Prefect's ``with_initial_data`` rebuilds such a field from its type alone: the UI showed
    "Offer (Optional)" without the Polish title or the minimum, and took −3; issue 21.)"""

    @classmethod
    def with_initial_data(cls, description: str | None = None, **kwargs: Any):
        import copy

        fields: dict[str, Any] = {}
        for key, value in kwargs.items():
            original = cls.model_fields.get(key)
            if original is None:
                fields[key] = (type(value), value)
                continue
            kept = copy.copy(original)
            kept.default, kept.default_factory = value, None
            fields[key] = (original.annotation, kept)
        required = list(dict.fromkeys([name for name, field in cls.model_fields.items() if field.is_required()]
                                      + list(kwargs)))

        def schema_extra(schema: dict[str, Any]) -> None:
            schema["required"] = [name for name in required if name in schema.get("properties", {})]

        model = create_model(cls.__name__, __base__=cls, **fields)
        model.model_config = {**model.model_config, "json_schema_extra": schema_extra}
        model.model_rebuild(force=True)
        if description is not None:
            model._description = description
        return model


class ProofForm(Form):
    """Only the proof: who answers this form (a committee member's first form; an officer's step)."""

    proof: str = proof_field()


# The forms' titles are in the language of the process serving the flows (COOP_LANG), like every message.
# The decisions of a formal review as the UI lists them, in the serving process's language; the engine's own
# identifier is recorded (``decision_code``). An identifier itself is still taken (a form answered before).
DECISIONS = {"accept": tr("formally correct (accepted)"), "reject": tr("rejected on formal grounds"),
             "correct": tr("called to correct the defects")}


def decision_label(code: str) -> str:
    """What a client puts in a formal review form's ``decision`` for the engine's ``code`` (the UI shows it)."""
    return str(DECISIONS[code])


def decision_code(given: str) -> str:
    return next((code for code, label in DECISIONS.items() if given in (code, str(label))), given)


class FormalReviewForm(Form):
    """Formal review of one offer (ogłoszenie konkursu: kryteria formalne)."""

    offer: int = Field(ge=1, title=str(tr("Offer number")))
    decision: Literal[tuple(str(label) for label in DECISIONS.values())] = Field(  # type: ignore[valid-type]
        title=str(tr("Decision")))
    defects: list[str] = Field(default_factory=list, title=str(tr("Formal defects")))
    proof: str = proof_field()


class DeclarationForm(Form):
    """KPA art. 24 declarations for every offer in the call."""

    conflicts: list[int] = Field(default_factory=list, title=str(tr("Offers with a conflict of interest")))
    note: str = Field(default="", title=str(tr("Note")))
    proof: str = proof_field()


def criterion_label(criterion) -> str:
    """A criterion by its name in the serving process's language (its key is the engine's, not the reader's)."""
    return criterion.label_pl if current_language() == "pl" else criterion.label_en


POINT_STEP = Decimal("0.5")  # the number field's step; the domain takes up to two decimal places


def points_field(criterion) -> tuple[Any, Any]:
    """One criterion's points: a plain number field from 0 to the criterion's maximum, in steps (no "float | str"
    choice: the schema says number, pydantic still reads it as a Decimal). The domain checks again, with its
    basis, whatever the form let through."""
    from pydantic import WithJsonSchema

    title = str(tr("{criterion} (at most {points} points)", criterion=criterion_label(criterion),
                   points=criterion.max_points))
    schema = {"type": "number", "title": title, "minimum": 0, "maximum": float(criterion.max_points),
              "multipleOf": float(POINT_STEP), "description": f"{criterion.basis}"}
    return (Annotated[Decimal, WithJsonSchema(schema)],
            Field(ge=0, le=criterion.max_points, title=title, description=f"{criterion.basis}"))


def score_form(criteria) -> type[RunInput]:
    """The scoring form of a call: one field per criterion of its announcement (art. 15 ust. 1)."""
    fields: dict[str, Any] = {"offer": (int, Field(ge=1, title=str(tr("Offer number"))))}
    for criterion in criteria:
        fields[criterion.key] = points_field(criterion)
    fields["proof"] = (str, proof_field())
    return create_model("ScoreForm", __base__=Form, **fields)


# The columns of the forms' tables of offers.
COLUMNS = {"number": tr("number"), "organisation": tr("organisation"), "title": tr("title"), "state": tr("state"),
           "requested": tr("requested grant"),
           "defects": tr("formal defects"), "conflict": tr("conflict of interest"), "scored": tr("scored")}


# --- reads -----------------------------------------------------------------------------------------------------


def _deadline(view: dict[str, Any], until: str | None, at: str | None) -> datetime:
    if until:
        return parse_moment(until, "until")
    if view["selection_date"]:  # the call's selection date closes the evaluations (art. 13 ust. 2 pkt 6)
        return calendar.end_of_day(view["selection_date"])
    return resolve_now(at) + timedelta(days=7)


def formal_review_view(ctx: Context, code: str) -> dict[str, Any]:
    case = load_call(ctx.session, code)
    offers = offers_of(ctx.session, case)
    pending = [o for o in offers if o.state in (OfferState.received, OfferState.correction_requested)]
    names = organisation_names(ctx.session, offers)
    return {"state": case.state, "done": case.state != CallState.formal_review or not pending,
            "selection_date": case.selection_date,
            "offers": [{"number": o.number, "organisation": names.get(o.organisation_id), "title": o.title,
                        "state": o.state, "requested": str(o.requested_grant),
                        "defects": o.formal_defects} for o in offers],
            "pending": [o.number for o in pending]}


def scoring_view(ctx: Context, seat_ref: tuple[str, str]) -> dict[str, Any]:
    code, member = seat_ref
    case = load_call(ctx.session, code)
    criteria, threshold = call_settings(case)
    # A member appointed by login holds her seat under her name; a proof names her by her login.
    seat = ctx.session.exec(select(CommitteeMember).where(CommitteeMember.case_id == case.id,
                                                          CommitteeMember.name == person_name(ctx.session, member))
                            ).first()
    offers = offers_of(ctx.session, case)
    declared: dict[int, bool] = {}
    scored: set[int] = set()
    if seat is not None:
        declared = {d.offer_id: d.conflict for d in ctx.session.exec(
            select(ConflictDeclaration).where(ConflictDeclaration.member_id == seat.id))}
        scored = set(ctx.session.exec(select(Score.offer_id).where(Score.member_id == seat.id)))
    names = organisation_names(ctx.session, offers)
    scorable = [o.number for o in offers
                if o.state == OfferState.formally_accepted and declared.get(o.id) is False and o.id not in scored]
    return {"state": case.state, "member_known": seat is not None, "selection_date": case.selection_date,
            "needs_declaration": any(o.id not in declared for o in offers),
            "criteria": [cr.model_dump(mode="json") for cr in criteria],
            "offers": [{"number": o.number, "organisation": names.get(o.organisation_id), "title": o.title,
                        "state": o.state, "requested": str(o.requested_grant),
                        "conflict": declared.get(o.id), "scored": o.id in scored} for o in offers],
            "scorable": scorable,
            "done": case.state != CallState.substantive_review or seat is None
                    or (not any(o.id not in declared for o in offers) and not scorable)}


def organisation_names(session, offers: list[Any]) -> dict[int, str]:
    """The names of the offers' organisations, in one query: a reviewer must see whose offer it is."""
    from models.tables import Organisation

    ids = sorted({o.organisation_id for o in offers})
    if not ids:
        return {}
    return dict(session.exec(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


def _with_events(handler):
    """Run ``handler`` and hand back the transitions it made, so they can be announced after the commit."""

    def run(ctx: Context, cmd: Any) -> dict[str, Any]:
        return {"result": handler(ctx, cmd), "events": plain_transitions(ctx.events)}

    run.__wrapped__ = handler  # type: ignore[attr-defined]  (the command log and the authorization matrix name the handler)
    return run


# --- the run's forms: numbered, their steps and outcomes kept in Prefect's API (the module's docstring) --------


def _kept(key: str) -> Any:
    """What this flow run keeps under ``key`` in Prefect's API, None if nothing."""
    return read_flow_run_input(key, flow_run_id=FlowRunContext.get().flow_run.id)


def _keep(key: str, value: Any) -> tuple[Any, bool]:
    """Keep ``value`` under ``key`` unless something is kept there already (Prefect refuses a second write
    with 409): returns what is kept and whether it is this call's."""
    try:
        create_flow_run_input(key, value, flow_run_id=FlowRunContext.get().flow_run.id)
    except PrefectHTTPStatusError as error:
        if error.response.status_code != 409:
            raise
        return _kept(key), False
    return value, True


def _shown_step(form: int) -> str | None:
    """The step of form ``form`` if this run has shown it before (a re-run replays it), else None."""
    return _kept(f"form-{form}")


def _show(form: int, step: str) -> str:
    return _keep(f"form-{form}", step)[0]


def _outcome_key(form: int) -> str:
    return f"form-{form}-outcome"


def _answer_intent(key: str) -> str | None:
    """The idempotency key of one form answer: its flow run and form (None outside a task run: a new one)."""
    context = TaskRunContext.get()
    return f"form:{context.task_run.flow_run_id}:{key}" if context is not None else None


def _proof_of(code_given: str, run_id: str, key: str, assigned: str | None, database_url: str | None,
              idempotency_key: str | None) -> FormProof:
    """The answer's proof, verified before anything is executed (states/form_proofs.py). Expiry is checked at the
    real time, whatever moment the run claims. One exception: an answer re-executed after a crash (its outcome
    not yet kept) whose key the command log already holds was verified when it was first executed, so its proof
    may have expired since; the engine then returns what it recorded."""
    from datetime import UTC
    from datetime import datetime as clock

    try:
        return verify_form_proof(code_given, flow_run_id=run_id, form_key=key, now=clock.now(UTC), person=assigned)
    except DomainError as refusal:
        if refusal.rule != "form_proof_expired" or idempotency_key is None or not _answered(idempotency_key,
                                                                                             database_url):
            raise
    return verify_form_proof(code_given, flow_run_id=run_id, form_key=key, now=clock.now(UTC), person=assigned,
                             expired_ok=True)


def _answered(idempotency_key: str, database_url: str | None) -> bool:
    from models.command_log import look_up
    from models.db import database_url as default_url
    from models.db import get_engine, normalise_url

    with get_engine(normalise_url(database_url or default_url())).connect() as connection:
        return look_up(connection, idempotency_key) is not None


def _actor_of(proof: FormProof, role: str) -> Actor:
    """Who the engine records for an answer: the person the verified proof names, in ``role``: their proven
    principal, their grants read from the people registry (states.people.person_principal). A name the registry
    does not know stays a typed name, which only a simulation database takes (the one writer refuses it on a
    real one)."""
    from states.people import person_principal

    try:
        return person_principal(proof.person, proof="form", role=role)
    except NotPermitted as refusal:
        if refusal.rule != "person_unknown":
            raise
    return Actor(proof.person, role)


def _command(step: str, code: str, answer: dict[str, Any], proof: FormProof) -> tuple[Any, Any, Actor]:
    """The engine's handler, command and actor for one answer: the actor is the person the proof names."""
    if step in ("review", "confirm") and proof.role != "officer":
        raise NotPermitted("form_proof_not_entitled", tr(
            "{person} acts as {role}: this form is answered by an officer", person=proof.person,
            role=labels.role(proof.role)))
    if step == "review":
        return open_call_handlers.review_offer, open_call_inputs.ReviewOffer.parse(code=code, number=answer["offer"], decision=decision_code(answer["decision"]),
                                                    defects=tuple(answer.get("defects") or ())), \
            _actor_of(proof, proof.role)
    if step == "confirm":  # an officer's step run from the UI (flows/steps.py)
        from flows.steps import STEPS

        handler, model = STEPS[answer["step"]]
        return handler, model.parse(code=code, **(answer.get("arguments") or {})), _actor_of(proof, proof.role)
    member = _actor_of(proof, "committee_member")  # entitled by a seat on this committee (the domain checks)
    if step == "declare":
        return open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts.parse(
            code=code, member=member.name, conflicts=tuple(answer.get("conflicts") or ()),
            note=answer.get("note", "")), member
    points = {k: v for k, v in answer.items() if k != "offer"}
    return open_call_handlers.score_offer, open_call_inputs.ScoreOffer.parse(code=code, number=answer["offer"], member=member.name,
                                              points=points), member


def _identify(code: str, proof: FormProof, database_url: str | None) -> dict[str, Any]:
    """A committee member's first form: the proof's person must hold a seat on this call's committee."""
    view = execute(scoring_view, (code, proof.person), actor=READER, url=database_url, readonly=True)
    if not view["member_known"]:
        raise NotPermitted("form_proof_not_entitled", tr(
            "{person} is not a member of the committee of {code}: only its members answer its forms",
            person=proof.person, code=code), basis="art. 15 ust. 2a")
    return {"person": proof.person}


# Not cached: whether an answer was recorded is kept in Prefect's API (form-N-outcome) and in the engine's
# command log, never in a worker's local result storage, which another worker cannot read.
@task(name="record-answer", task_run_name="{step}-{form}", cache_policy=NO_CACHE, persist_result=False)
def record_answer(step: str, form: int, code: str, answer: dict[str, Any], assigned: str | None, at: str | None,
                  database_url: str | None) -> dict[str, Any]:
    """Verify the answer's proof, then record the answer as the person it names through the CLI's own handler,
    and keep what the engine answered. A refusal (of the proof or by the domain) is an answer too: it is kept
    and returned, never raised, so the form is shown again with it; nothing is recorded."""
    key = f"{step}-{form}"
    intent = _answer_intent(key)
    answer = dict(answer)
    given = answer.pop("proof", "")  # never logged, never kept in an outcome
    actor = READER
    try:
        proof = _proof_of(given, str(FlowRunContext.get().flow_run.id), key, assigned, database_url, intent)
        if step == "identify":
            outcome = {"result": _identify(code, proof, database_url), "events": []}
        else:
            handler, cmd, actor = _command(step, code, answer, proof)
            # One key per form answer, kept if the answer is executed again (a re-run that died before keeping
            # its outcome): an answer already recorded is found, not written twice (invariant 10).
            outcome = execute(_with_events(handler), cmd, actor=actor, at=at, url=database_url,
                              reason=answer.get("at_reason"), idempotency_key=intent)
    except DomainError as refusal:
        kept, ours = _keep(_outcome_key(form), {"refused": refusal.message(), "rule": refusal.rule, "result": None})
        if ours:  # said only once it is kept: a refusal nobody was told of may still be tried again
            get_run_logger().warning("%s", refusal.message())
        return kept
    kept, ours = _keep(_outcome_key(form), {"refused": None, "rule": None, "result": plain(outcome["result"]),
                                            "person": actor.name if step != "identify" else proof.person})
    if ours and step != "identify":
        emit_transitions(outcome["events"])
        publish_case_artifacts([code], url=database_url)
    return kept


def answer_form(step: str, form: int, model: type[RunInput], *, code: str, assigned: str | None, at: str | None,
                database_url: str | None, deadline: datetime, poll_interval: int,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Wait for form ``form`` (or take its stored answer on a re-run) and record the answer once: a replayed
    form's kept outcome is returned without executing anything (the module's docstring, 2-4). ``extra``: what
    the run itself adds to the answer (an officer's step and its arguments), never taken from the form."""
    answer = wait_for_form(model, key=f"{step}-{form}", timeout=_timeout(deadline, at), poll_interval=poll_interval)
    return _kept(_outcome_key(form)) or record_answer(step, form, code, {**answer.model_dump(mode="json"),
                                                                        **(extra or {})},
                                                      assigned, at, database_url)


def desk_hint(code: str) -> str:
    """Where people answer this form: the desk's page of the case (kernel/desk_link.py). Prefect's own form (its
    UI's code, not the engine's) labels a field with an initial value "(Optional)", says "Flow run resumed" before
    the engine has checked the answer, and clears the fields after a refusal; the desk checks the answer with the
    engine first and keeps what was typed (docs/desk.md)."""
    return str(tr("**Answer on the desk:** [{url}]({url}). The desk checks your answer with the engine before this "
                  "run resumes, keeps what you typed when it is refused, and needs no proof code. This form in "
                  "Prefect's UI is for monitoring and scripts.", url=case_page_url(code))) + "\n\n"


def proof_hint(key: str, code: str) -> str:
    """How the person answers this form: on the desk (``desk_hint``), or here with a proof of who answers (the
    command to run, with this run's id and the form's key)."""
    return desk_hint(code) + str(tr(
        "**Who answers:** run `coop form proof {run} {form}` and paste the code it prints into the *proof* field "
        "(valid for a few minutes, for this form only).", run=str(FlowRunContext.get().flow_run.id),
        form=key)) + "\n\n"


# --- waiting for a form ---------------------------------------------------------------------------------------


def wait_for_form(form: type[RunInput], *, key: str, timeout: int, poll_interval: int):
    """Suspend under a deployment (survives a restart), pause otherwise (see the module's docstring)."""
    context = FlowRunContext.get()
    if context and context.flow_run and context.flow_run.deployment_id:
        return suspend_flow_run(wait_for_input=form, key=key, timeout=timeout)
    return pause_flow_run(wait_for_input=form, key=key, timeout=timeout, poll_interval=poll_interval)


def _timeout(deadline: datetime, at: str | None) -> int:
    return max(1, int((deadline - resolve_now(at)).total_seconds()))


def _cell(column: str, value: Any) -> str:
    """One cell as a person reads it: an offer's state by its name, an amount in złoty, yes/no, "—" for nothing;
    a "|" or a line break would cut the markdown table, so neither is kept."""
    if column == "state" and value:
        value = labels.state("offer", value)
    elif column == "requested" and value:
        value = money(value)
    text = render(value, current_language()) if value not in (None, "", []) else "—"
    return text.replace("|", "/").replace("\r", " ").replace("\n", " ")


def _offers_table(offers: list[dict[str, Any]], columns: list[str]) -> str:
    head = "| " + " | ".join(str(COLUMNS.get(col, col)) for col in columns) + " |\n|" + "---|" * len(columns)
    rows = ["| " + " | ".join(_cell(col, o.get(col)) for col in columns) + " |" for o in offers]
    return "\n\n" + "\n".join([head, *rows]) + "\n"


def _refusal_banner(refusal: str | None) -> str:
    return "**{refused}:** {refusal}\n\n".format(refused=tr("Refused"), refusal=refusal) if refusal else ""


@flow(name="coop-formal-review", flow_run_name="{code} · ocena formalna", persist_result=True)
def formal_review_flow(code: str, at: str | None = None, until: str | None = None, poll_interval: int = 10,
                       database_url: str | None = None) -> dict[str, Any]:
    """The officers review the offers one form at a time until none is pending or the deadline passes. Each
    answer is recorded as the officer its proof names (any officer may answer any form of the review)."""
    refuse_door_parameters(at=at, database_url=database_url)
    refusal: str | None = None
    recorded = 0
    for form in range(1, MAX_ROUNDS + 1):
        view = execute(formal_review_view, code, actor=READER, url=database_url, readonly=True)
        case_deadline = _deadline(view, until, at)
        step = _shown_step(form)  # shown before: replayed whatever the view says now (the module's docstring)
        if step is None:
            if view["done"]:
                return {"code": code, "outcome": "complete", "recorded": recorded, "state": view["state"]}
            if resolve_now(at) >= case_deadline:
                return {"code": code, "outcome": "deadline_passed", "recorded": recorded}
            publish_case_artifacts([code], url=database_url)
            step = _show(form, "review")
        description = ("# {code}: {title}\n\n".format(code=code, title=tr("formal review")) + _refusal_banner(refusal)
                       + proof_hint(f"{step}-{form}", code)
                       + _offers_table(view["offers"], ["number", "organisation", "title", "state", "requested", "defects"]))
        initial = {"offer": view["pending"][0]} if view["pending"] else {}
        try:
            outcome = answer_form(step, form, FormalReviewForm.with_initial_data(description=description, **initial),
                                  code=code, assigned=None, at=at, database_url=database_url,
                                  deadline=case_deadline, poll_interval=poll_interval)
        except FlowPauseTimeout:
            return {"code": code, "outcome": "deadline_passed", "recorded": recorded}
        refusal = outcome["refused"]
        recorded += refusal is None
    raise RuntimeError(f"{code}: {MAX_ROUNDS} forms without finishing the formal review")


def _scoring_form(step: str, form: int, view: dict[str, Any], code: str, member: str | None,
                  refusal: str | None) -> type[RunInput]:
    offers = _offers_table(view["offers"], ["number", "organisation", "title", "requested", "state", "conflict",
                                            "scored"])
    hint = proof_hint(f"{step}-{form}", code)
    if step == "identify":
        return ProofForm.with_initial_data(description=(
            "# {code}: {title}\n\n".format(code=code, title=tr("committee member's evaluation"))
            + _refusal_banner(refusal) + hint
            + str(tr("This form is answered by a member of the committee of {code}: the proof says which one; the "
                     "next forms (declarations, scores) are theirs.", code=code)) + f"\n\n{offers}"))
    if step == "declare":
        return DeclarationForm.with_initial_data(description=(
            "# {code}: {title} — {member}\n\n".format(code=code, title=tr("declarations (KPA art. 24)"), member=member)
            + f"{_refusal_banner(refusal)}{hint}{offers}"))
    from states.rule_sets import Criterion

    criteria = [Criterion.model_validate(cr) for cr in view["criteria"]]
    scale = "\n".join("- {label}: {most} ({basis})".format(
        label=criterion_label(cr), most=tr("at most {points} points", points=cr.max_points), basis=cr.basis)
        for cr in criteria)
    initial = {"offer": view["scorable"][0]} if view["scorable"] else {}
    return score_form(criteria).with_initial_data(
        description=("# {code}: {title} — {member}\n\n".format(code=code, title=tr("scoring"), member=member)
                     + f"{_refusal_banner(refusal)}{hint}{offers}\n\n{scale}"), **initial)


def _bind_member(code: str, person: str) -> str:
    """The run is this member's from now on (its first proof named them): kept in Prefect's API (the first write
    wins) and shown in the run's name."""
    kept, ours = _keep("member", person)
    if ours:
        from prefect import get_client

        with get_client(sync_client=True) as client:
            client.update_flow_run(FlowRunContext.get().flow_run.id, name=f"{code} · ocena komisji · {kept}")
    return kept


@flow(name="coop-committee-scoring", flow_run_name="{code} · ocena komisji", persist_result=True)
def scoring_flow(code: str, member: str | None = None, at: str | None = None, until: str | None = None,
                 poll_interval: int = 10, database_url: str | None = None) -> dict[str, Any]:
    """A committee member declares (KPA art. 24) and then scores every offer they may score.

    Whose run it is comes from the first proof (an "identify" form asks only for it), never from a parameter
    of a deployment; every later answer must carry that member's proof. Called directly (tests, scripts),
    ``member`` assigns the run to a member from the start; their proofs are still required."""
    refuse_door_parameters(member=member, at=at, database_url=database_url)
    refusal: str | None = None
    recorded = 0
    for form in range(1, MAX_ROUNDS + 1):
        person = member or _kept("member")
        view = execute(scoring_view, (code, person or ""), actor=READER, url=database_url, readonly=True)
        case_deadline = _deadline(view, until, at)
        step = _shown_step(form)  # shown before: replayed whatever the view says now (the module's docstring)
        if step is None:
            if person is None and view["state"] != CallState.substantive_review:
                return {"code": code, "member": None, "outcome": "complete", "recorded": recorded,
                        "state": view["state"]}
            if person is not None and view["done"]:
                outcome = "complete" if view["member_known"] else "not_a_member"
                return {"code": code, "member": person, "outcome": outcome, "recorded": recorded,
                        "state": view["state"]}
            if resolve_now(at) >= case_deadline:
                return {"code": code, "member": person, "outcome": "deadline_passed", "recorded": recorded}
            publish_case_artifacts([code], url=database_url)
            step = _show(form, "identify" if person is None else "declare" if view["needs_declaration"] else "score")
        try:
            outcome = answer_form(step, form, _scoring_form(step, form, view, code, person, refusal), code=code,
                                  assigned=person, at=at, database_url=database_url, deadline=case_deadline,
                                  poll_interval=poll_interval)
        except FlowPauseTimeout:
            return {"code": code, "member": person, "outcome": "deadline_passed", "recorded": recorded}
        refusal = outcome["refused"]
        if step == "identify":
            if refusal is None:
                _bind_member(code, outcome["result"]["person"])
            continue
        recorded += refusal is None
    raise RuntimeError(f"{code}: {MAX_ROUNDS} forms without finishing the scoring")
