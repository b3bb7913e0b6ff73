"""The one writer (invariant 1): every command runs here, in one transaction, through a machine.

A command handler receives a ``Context`` (the unit of work, the actor and ``now``) and its validated
input. It moves rows only through ``fire`` (a machine event) or ``record`` (a fact that changes no state);
both append the hash-chained audit record in the same transaction, and deadlines are (re)scheduled with
``schedule``. ``execute`` commits all of it, or nothing.

Whether the state allows a step is the machine's to say: ``step`` sends a step that keeps the state (a self
transition, its validators run; nothing is recorded by it; one decided by plain facts alone is sent once per
state, event and facts, as ``fire`` does) and ``require_step`` refuses an event early, before
the handler computes what the event needs, as the machine would.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar

from sqlmodel import Session, select
from statemachine import StateMachine
from statemachine.callbacks import CallbackGroup
from statemachine.exceptions import TransitionNotAllowed

from models.rows import hold_new, new_row
from models.settings import SIMULATION, clock_mode
from models.tables import AuditRecord, Case, Deadline
from states import audit, labels

# Who acts lives in an ORM-free module (the quick read path reads it too); who may do what in
# states/authorization.py. Re-exported for the callers of execute.
from states.actors import ROLES, SCHEDULER, Actor  # noqa: F401
from states.clock import Claim, effective_time
from states.errors import NotPermitted, RuleViolation
from states.events import AuditRecorded, Transition, publish
from states.subjects import Subject
from states.text import Message, ntr, tr

R = TypeVar("R")


@dataclass
class Context:
    session: Session
    actor: Actor
    now: datetime
    events: list[Transition] = field(default_factory=list)  # transitions made, for the caller to announce
    # What a handler may read once per transaction instead of once per row (the tick's batch loads);
    # whatever is kept here must not change within the transaction that filled it.
    cache: dict[str, Any] = field(default_factory=dict)
    simulation: bool = True  # the database's clock mode (execute sets it): may a step claim any moment?
    reason: str | None = None  # why the step's moment departs from now (--at-reason): kept in its audit records
    # When the door received the request, by the server's clock (a web filing): its moment of receipt
    # (states/offer_filings.py ``receipt_moment``), never a moment a user claims.
    arrived_at: datetime | None = None

    @cached_property
    def now_ready(self) -> Any:
        """``now`` as the audit chain hashes it (``audit.json_ready``): the same for every record of the step."""
        return audit.json_ready(self.now)

    @cached_property
    def written_at(self) -> datetime:
        """When this transaction writes, by the database's clock: read once, when first needed."""
        from models.db import database_time

        return database_time(self.session)

    @cached_property
    def written_ready(self) -> Any:
        return audit.json_ready(self.written_at)

    def hold(self, case: Case) -> None:
        """Hold ``case``'s row until this transaction ends (PostgreSQL: FOR UPDATE; SQLite has one writer anyway), so
        steps on one case at the same moment (filings on a deadline's eve) take turns instead of losing at commit.
        On a real database, a step whose moment is the database's time of writing takes that time again once the
        row is its own: it is written after the step it waited for, and the case's clock never runs backwards
        (``advance_clock``)."""
        from models.db import is_held

        if not is_held(self.session, case.id):  # a batch of filings holds it once for all (batched_filing)
            self.session.refresh(case, with_for_update=True)
        if not self.simulation and self.now == self.written_at:  # a simulated moment stays as it was claimed
            from models.db import database_clock

            moment = database_clock(self.session)
            for cached in ("written_ready", "now_ready"):
                self.__dict__.pop(cached, None)
            self.__dict__["written_at"] = moment  # its own cached_property, taken again
            self.now = moment


class _StateRef:
    """The model a pooled machine holds: it reads and writes the state of whichever row it points at."""

    __slots__ = ("row", "field")

    def __init__(self, row: Any, field_name: str):
        self.row, self.field = row, field_name

    @property
    def state(self) -> Any:
        return getattr(self.row, self.field)

    @state.setter
    def state(self, value: Any) -> None:
        # A self transition (a step that keeps the state: ``step``) sets the state it leaves: writing it again would
        # mark the row changed, and the unit of work would flush it for nothing.
        if getattr(self.row, self.field) != value:
            setattr(self.row, self.field, value)


@dataclass(frozen=True)
class Step:
    """How a refusal names a step the state does not allow: the act (``tr("scoring")``) and the rule that ties
    it to those states."""

    doing: Message
    basis: str | None = None


class LegalMachine(StateMachine):
    """A machine whose every event carries its legal basis.

    The machine alone says in which states a step may be taken. A step that moves the case is a transition; a step
    that keeps the state (appointing a member, filing an offer, scoring, signing a contract while the call runs)
    is a self transition of the same name (``announced.to.itself()``), with its validators, drawn in the diagrams;
    handlers ask with ``require_step``/``step`` (below), never by listing states. ``STEPS`` names each step a
    refusal may name; ``AFTER_FINAL`` lists steps taken in a final state (python-statemachine forbids any
    transition out of one, even to itself), with the final states that allow them."""

    BASIS: dict[str, str] = {}
    NAMES: type | None = None  # the StrEnum of its states' stored values (the procedure's names.py)
    STEPS: dict[str, Step] = {}
    AFTER_FINAL: dict[str, tuple[str, ...]] = {}

    def basis_for(self, event: str, target: str) -> str:
        return self.BASIS.get(f"{event}->{target}") or self.BASIS.get(event, "")

    @classmethod
    def _state_values(cls) -> frozenset:
        # Cached per machine class: bind() runs once per deadline on the tick's hot path.
        if "_STATE_VALUES" not in cls.__dict__:
            cls._STATE_VALUES = frozenset(s.value for s in cls.states)
        return cls._STATE_VALUES

    @classmethod
    def states_after(cls, value: str) -> frozenset[str]:
        """``value`` and every state reachable from it: the states a row is in only once it has passed
        through ``value``, read from the machine's transitions so no hand-kept list can drift from them.

        Refused (at import, where it is declared) when one of them can also be reached around ``value``:
        being in it would then not prove the row passed through ``value``."""
        def reachable(start: list, avoid: str | None = None) -> set[str]:
            seen: set[str] = set()
            todo = [s for s in start if s.value != avoid]
            while todo:
                state = todo.pop()
                if state.value in seen:
                    continue
                seen.add(state.value)
                todo += [t for transition in state.transitions for t in transition.targets if t.value != avoid]
            return seen

        through = {s.value: s for s in cls.states}[value]  # a KeyError names a state the machine lacks
        after = reachable([through])
        around = reachable([s for s in cls.states if s.initial], avoid=value)
        if after & around:
            raise ValueError(f"{cls.__name__}: {sorted(after & around)} can be reached without passing {value!r}")
        return frozenset(after)

    @classmethod
    def bind(cls, row: Any, state_field: str = "state") -> LegalMachine:
        value = getattr(row, state_field)
        if value is not None and value not in cls._state_values():
            # python-statemachine would fail later with a bare KeyError; say what is wrong now.
            raise RuleViolation(
                "unknown_state",
                tr("Stored state “{value}” is unknown to {name}.", value=value, name=cls.__name__),
            )
        # Building a machine costs more than firing it (~0.3 ms: callbacks are registered per instance), so
        # machines are pooled per class and re-pointed at the row; ``release`` (after ``fire``) returns one.
        # Two machines bound at once are always two instances: an idle one is never shared.
        pool = cls.__dict__.get("_POOL")
        if pool is None:
            pool = cls._POOL = []
        try:
            if value is None:  # a row with no state yet is given its initial one by a new machine
                raise IndexError
            machine = pool.pop()  # atomic: flows served in threads never get the same one
        except IndexError:
            return cls(model=_StateRef(row, state_field))
        machine.model.row, machine.model.field = row, state_field
        return machine

    @classmethod
    def decided_by(cls, source: Any, event: str) -> tuple[str, ...] | None:
        """The facts that alone decide where ``event`` leads from ``source``; None when anything else may.

        So it is, by declaration, when the transitions the event may take run no code but guards (conditions,
        validators) that are static methods of the machine, which take the facts passed with the event
        (``no_offer_filed(offers_filed)``) and cannot read the context, the case or the machine; and nothing
        runs on entering or leaving a state. ``fire`` then sends the event once per state, event and facts and
        takes the machine's answer for the others (``send`` costs ~0.1 ms a transition, as much as writing the
        step's rows). Read from the machine's public description: its states, their transitions and each
        transition's and state's callback lists."""
        table = cls.__dict__.get("_DECIDED_BY")
        if table is None:
            table = cls._DECIDED_BY = cls._facts_deciding()
        return table.get((source, event))

    @classmethod
    def _facts_deciding(cls) -> dict[tuple[Any, str], tuple[str, ...]]:
        found: dict[tuple[Any, str], list] = {}
        for state in cls.states:
            for transition in state.transitions:
                for event in transition.events:
                    found.setdefault((state.value, str(event)), []).append(transition)
        table = {}
        for key, transitions in found.items():
            facts: set[str] = set()
            for transition in transitions:
                targets = transition.targets
                if (len(targets) != 1 or transition.internal or targets[0].states
                        or any(t.is_eventless for t in targets[0].transitions)):
                    break
                source, target = transition.source, targets[0]
                specs = [spec for callbacks in (transition.validators, transition.cond, transition.before,
                                                transition.on, transition.after, source.enter, source.exit,
                                                source.invoke, target.enter, target.exit, target.invoke)
                         for spec in callbacks]
                read = [cls._facts_read(spec) for spec in specs]
                if None in read:
                    break
                facts.update(*read)
            else:
                table[key] = tuple(sorted(facts))
        return table

    @classmethod
    def validators_alone(cls, source: Any, event: str) -> tuple[Callable[..., Any], ...] | None:
        """The validators of a self transition decided by its facts alone (``decided_by``: static guards, nothing
        run on leaving or entering), in the machine's order, when it is the only transition ``event`` may take from
        ``source`` and has no condition; None otherwise. Sending such a step runs exactly these with its facts and
        keeps the state, so ``step`` calls them itself when its facts are rows (no answer can be kept for those)."""
        table = cls.__dict__.get("_VALIDATORS_ALONE")
        if table is None:
            table = cls._VALIDATORS_ALONE = {}
            for state in cls.states:
                for transition in state.transitions:
                    for name in transition.events:
                        key = (state.value, str(name))
                        table[key] = None if key in table else transition  # two transitions: the machine chooses
            for key, transition in list(table.items()):
                table[key] = None
                if (transition is None or cls.decided_by(*key) is None or list(transition.cond)
                        or [t.value for t in transition.targets] != [key[0]]):
                    continue
                table[key] = tuple(_takes_facts(getattr(cls, spec.func)) for spec in transition.validators
                                   if hasattr(cls, spec.func))  # a convention naming nothing runs nothing
        return table.get((source, event))

    @classmethod
    def _facts_read(cls, spec) -> frozenset[str] | None:
        """What a callback reads: nothing (a naming convention naming nothing), the facts a static guard takes,
        or None: an action, or a guard that is a method (it may read the machine, its model, anything)."""
        if not isinstance(spec.func, str):
            return None
        if not hasattr(cls, spec.func):
            return frozenset() if spec.is_convention else None
        if (spec.group not in (CallbackGroup.COND, CallbackGroup.VALIDATOR)
                or not isinstance(inspect.getattr_static(cls, spec.func), staticmethod)):
            return None
        names = list(inspect.signature(getattr(cls, spec.func)).parameters.values())
        if any(p.kind is p.VAR_POSITIONAL or p.name in _NOT_FACTS for p in names):
            return None
        return frozenset(p.name for p in names if p.kind is not p.VAR_KEYWORD)

    @classmethod
    def states_allowing(cls, event: str) -> tuple[str, ...]:
        """The states in which ``event`` may be sent, in the machine's order, read from its transitions."""
        table = cls.__dict__.get("_ALLOWING")
        if table is None:
            table = cls._ALLOWING = {}
            for state in cls.states:
                for transition in state.transitions:
                    for name in transition.events:
                        allowing = table.setdefault(str(name), [])
                        if state.value not in allowing:
                            allowing.append(state.value)
            for name, finals in cls.AFTER_FINAL.items():
                table.setdefault(name, []).extend(finals)
            table = cls._ALLOWING = {name: tuple(values) for name, values in table.items()}
        return table.get(event, ())

    @classmethod
    def refusal(cls, event: str, case: Case, state: str, **facts: Any) -> RuleViolation:
        """The refusal of ``event`` in ``state``, which does not allow it: which states do, as the machine declares.
        A machine overrides it for a step whose refusal says more than the state (``file_offer``: not yet announced,
        or late), or whose row is not the case (an offer)."""
        step = cls.STEPS[event]  # a KeyError: a gated step the machine does not name
        return wrong_state(case, cls.states_allowing(event), step.doing, step.basis)

    def release(self) -> None:
        self.model.row = None  # a released machine keeps no row alive
        # One that reached a final state has stopped its engine for good: only a running one is reused.
        if not self.is_terminated and isinstance(self.model, _StateRef):
            type(self).__dict__["_POOL"].append(self)  # bind() made the pool that gave out this machine


def _takes_facts(guard: Callable[..., Any]) -> Callable[..., Any]:
    """``guard`` called with the facts its signature names (all, if it takes ``**``), as python-statemachine
    passes a callback the arguments it declares."""
    parameters = inspect.signature(guard).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return guard
    names = frozenset(p.name for p in parameters)
    return lambda **facts: guard(**{name: value for name, value in facts.items() if name in names})


def advance_clock(case: Case, now: datetime) -> None:
    """A case's clock never runs backwards: a simulated ``now`` earlier than its last event is refused."""
    if case.last_event_at is not None and now < case.last_event_at:
        raise RuleViolation(
            "clock_backwards",
            tr("{now} is earlier than the last event of {code} ({last_event_at}): a case's clock cannot "
               "run backwards.", now=now, code=case.code, last_event_at=case.last_event_at),
        )
    case.last_event_at = now


def append_audit(ctx: Context, case: Case, *, event: str, subject: Subject | str, from_state: str | None,
                 to_state: str | None, basis: str, payload: dict[str, Any] | None = None,
                 facts: dict[str, Any] | None = None) -> AuditRecord:
    """Append the case's next hash-chained record; ``facts``: what the step read and passed with its event or
    record (e.g. an open call's ``call``), handed on with the record to whoever is told of it (``AuditRecorded``)."""
    advance_clock(case, ctx.now)
    fields = {
        "case_code": case.code,
        "seq": case.audit_seq + 1,
        "at": ctx.now,
        "recorded_at": ctx.written_at,  # the database's time of writing, beside the step's effective time
        "actor": ctx.actor.name,
        "role": ctx.actor.role,
        "event": event,
        "subject": str(subject),  # its written form (states/subjects.py)
        "from_state": from_state,
        "to_state": to_state,
        "basis": basis,
        "payload": audit.json_ready({**(payload or {}), "effective_time": {"reason": ctx.reason}} if ctx.reason
                                    else payload or {}),
    }
    digest = audit.chain_hash_of_ready(case.audit_head, {**fields, "at": ctx.now_ready,
                                                         "recorded_at": ctx.written_ready})
    prev_hash = case.audit_head
    case.audit_seq = fields["seq"]
    case.audit_head = digest
    if case not in ctx.session:  # re-adding a row the session holds costs a cascade walk and changes nothing
        ctx.session.add(case)
    if case.id is None:  # made by this step: written now, its history's head with it (one INSERT, no UPDATE after)
        ctx.session.flush()
    record = new_row(AuditRecord, case_id=case.id, prev_hash=prev_hash, hash=digest,
                     **{k: v for k, v in fields.items() if k != "case_code"})
    hold_new(ctx.session, record)  # written with the step's other new rows (models.rows)
    from states.cases import note_appended

    note_appended(ctx.session, record)
    # Same transaction: the subscribers (the notifications' outbox, registered at start-up by the bootstrap)
    # write their rows with the step, or the step does not happen; with no subscriber it is refused (events.py).
    publish(ctx, AuditRecorded(case, record, facts or {}))
    return record


# What the machines decided, by (machine, state, event, facts): see LegalMachine.decided_by.
_DECISIONS: dict[tuple, Any] = {}
_DECISIONS_KEPT = 10_000
# Facts plain enough to key a decision: a row or a dict is not (it may change, or not hash).
_PLAIN_FACTS = (int, str, bool, Decimal, date, datetime, type(None))
# What python-statemachine passes to callbacks besides the facts, and what the handlers pass.
_NOT_FACTS = frozenset({"ctx", "case", "self", "machine", "model", "event", "event_data", "source", "target",
                        "state", "transition", "trigger_data"})


def _decision_key(machine: LegalMachine, source: Any, event: str, facts: dict[str, Any]) -> tuple | None:
    # A pooled machine's model only points at the row: no callback can be found on it.
    if not isinstance(machine.model, _StateRef):
        return None
    names = machine.decided_by(source, event)
    if names is None:
        return None
    values = tuple(facts.get(name) for name in names)
    if not all(isinstance(value, _PLAIN_FACTS) for value in values):
        return None
    return (type(machine), source, event, values)


def _keep_decision(decision: tuple, after: str) -> None:
    if len(_DECISIONS) >= _DECISIONS_KEPT:
        _DECISIONS.clear()
    _DECISIONS[decision] = after


def fire(ctx: Context, case: Case, machine: LegalMachine, event: str, *, subject: Subject | str = "case",
         payload: dict[str, Any] | None = None, basis: str | None = None, optional: bool = False,
         **facts: Any) -> str | None:
    """Send ``event`` to ``machine`` (bound to ``case`` or one of its offers) and record it; returns the new state.

    ``optional``: the event may not apply (its condition is not met yet); then nothing happens and None returns.
    """
    subject = str(subject)  # the text the audit chain hashes (states/subjects.py)
    before = machine.current_state_value
    decision = _decision_key(machine, before, event, facts)
    decided = _DECISIONS.get(decision) if decision is not None else None
    try:
        if decided is not None:
            machine.model.state = decided
        else:
            machine.send(event, ctx=ctx, case=case, **facts)
    except TransitionNotAllowed:
        if optional:
            return None
        # Named by the states, not by the event's identifier: the reader knows the step she took, not its name.
        allowed = type(machine).states_allowing(event)
        raise RuleViolation(
            "event_not_allowed",
            ntr("{case}: this step cannot be taken in the state {before}; only in the state {allowed}.",
                "{case}: this step cannot be taken in the state {before}; only in the states {allowed}.",
                len(allowed), case=subject_label(case, subject), before=labels.state(type(machine), before),
                allowed=labels.states(type(machine), allowed))
            if allowed else tr("{case}: this step cannot be taken in the state {before}.",
                               case=subject_label(case, subject), before=labels.state(type(machine), before)),
        ) from None
    after = machine.current_state_value
    if decision is not None and decided is None:
        _keep_decision(decision, after)
    basis = basis if basis is not None else machine.basis_for(event, after)
    machine.release()
    append_audit(ctx, case, event=event, subject=subject, from_state=before, to_state=after, basis=basis,
                 payload=payload, facts=facts)
    ctx.events.append(Transition(case.code, str(subject), event, before, after))
    return after


def record(ctx: Context, case: Case, event: str, *, subject: Subject | str = "case", basis: str = "",
           payload: dict[str, Any] | None = None, state: str | None = None, **facts: Any) -> AuditRecord:
    """Record a fact that belongs to the history but changes no state (an appointment, a score, ...); ``facts``
    go with the record to whoever is told of it, as ``fire``'s go with its event."""
    return append_audit(ctx, case, event=event, subject=subject, from_state=state, to_state=state, basis=basis,
                        payload=payload, facts=facts)


def wrong_state(case: Case, allowed: tuple[str, ...], doing: Message, basis: str | None = None) -> RuleViolation:
    return RuleViolation(
        "wrong_state",
        # "czynność" agrees with every verb whatever the gender of the act's own name ("ocena", "powołanie")
        ntr("{code}: {doing} is possible only in the state {allowed}; the case is in the state {state}",
            "{code}: {doing} is possible only in the states {allowed}; the case is in the state {state}",
            len(allowed), code=case.code, doing=doing, allowed=labels.states(case.kind, allowed),
            state=labels.state(case.kind, case.state)),
        basis=basis,
    )


def require_step(case: Case, machine: type[LegalMachine], event: str, *, state: str | None = None,
                 **facts: Any) -> None:
    """Refuse ``event`` now, before the handler reads or checks anything else, when the state (the case's, or
    ``state``: its offer's) does not allow it: the machine's refusal. Sends nothing: the handler fires the event
    itself once it has its facts."""
    current = case.state if state is None else state
    if current not in machine.states_allowing(event):
        raise machine.refusal(event, case, current, **facts)


def step(ctx: Context, case: Case, machine: LegalMachine, event: str, **facts: Any) -> None:
    """A step that keeps the state: the machine's self transition ``event`` checks the state and runs its
    validators with ``facts``. It records nothing and moves nothing: the handler writes its rows and records the
    fact (``record``), exactly as before the step was the machine's."""
    try:
        require_step(case, type(machine), event, state=machine.current_state_value, **facts)
    except RuleViolation:
        machine.release()  # nothing was sent: the machine goes back to its pool as it came
        raise
    if event not in machine.AFTER_FINAL:  # a final state has no transitions: the state was the whole check
        # As in ``fire``: a self transition whose outcome the machine declares decided by plain facts alone (no
        # validator, or static ones taking only those facts; nothing run on leaving or entering the state) is
        # sent once per state, event and facts, and its answer kept for the others. A refusal is never kept:
        # the validators run again. Steps whose validators read the case or the call's facts are always sent.
        # Facts that are rows (an offer, a member, the call's facts) key no answer; if the step's validators are
        # static guards of those facts alone (``validators_alone``), they are run here, as the send would run them.
        source = machine.current_state_value
        decision = _decision_key(machine, source, event, facts)
        validators = machine.validators_alone(source, event) if decision is None else None
        if validators is not None:
            for validator in validators:
                validator(**facts)  # a refusal is the validator's own RuleViolation, as from the send
        elif decision is None or decision not in _DECISIONS:
            machine.send(event, ctx=ctx, case=case, **facts)  # the state allowed it: only a validator may refuse
            if decision is not None:
                _keep_decision(decision, machine.current_state_value)
    machine.release()


def subject_label(case: Case, subject: str) -> Message | str:
    return case.code if subject == "case" else tr("{code}, {subject}", code=case.code, subject=labels.subject(subject))


def schedule(ctx: Context, case: Case, kind: str, due_at: datetime, basis: str, offer_id: int | None = None) -> Deadline:
    deadline = Deadline(case_id=case.id, offer_id=offer_id, kind=kind, due_at=due_at, basis=basis)
    ctx.session.add(deadline)
    return deadline


def cancel_deadlines(ctx: Context, case: Case, kind: str, offer_id: int | None = None) -> None:
    query = select(Deadline).where(Deadline.case_id == case.id, Deadline.kind == kind, Deadline.fired_at.is_(None))
    if offer_id is not None:
        query = query.where(Deadline.offer_id == offer_id)
    for deadline in ctx.session.exec(query):
        deadline.fired_at = ctx.now
        deadline.outcome = "cancelled"
        ctx.session.add(deadline)


def unproven(actor: Actor) -> NotPermitted:
    return NotPermitted(
        "actor_not_proven",
        tr("A real database: “{name}” ({role}) is a name given, not a person proven; every step on a real "
           "database runs for a person authenticated at its door (a personal token: coop login), or for the "
           "engine's own worker. Nothing was done.", name=actor.name, role=labels.role(actor.role)),
        basis="DESIGN inv. 9")


@dataclass(frozen=True)
class Prepared:
    """A command checked before its transaction (``prepare``): who acts in which role, the relation the
    transaction must still show, the claimed moment, the idempotency key. ``execute`` runs one in a transaction
    of its own; states/batched_filing.py runs several in one, each as its own step (``run_prepared``)."""

    handler: Callable[..., Any]
    command: Any
    actor: Actor
    relation: str
    claim: Claim
    now: datetime
    key: Any  # models.command_log.CommandKey, or None (readonly, or keyed=False)
    arrived_at: datetime | None = None
    readonly: bool = False


def prepare(handler: Callable[..., R], command: Any = None, *, actor: Actor | None = None,
            at: datetime | str | None = None, readonly: bool = False, reason: str | None = None,
            idempotency_key: str | None = None, keyed: bool = True, arrived_at: datetime | None = None,
            url: str | None = None) -> Prepared:
    """What ``execute`` checks before its transaction: the actor (a proven person on a real database is checked
    inside it) and what the authorization matrix lets them do, the step's claimed moment, the command's key.
    On a real database, a door's request (``arrived_at``) under a key given from outside is noted at once
    (``first_arrival``, its own short transaction, kept as the door's log even if the command is then refused):
    a retry is received when its intent's first attempt was."""
    from states.authorization import authorize

    actor = (actor or Actor.from_environment()).checked()  # every path's actor, not only the CLI's
    actor, relation = authorize(handler, command, actor)  # the matrix (states/authorization.py): the role, the case
    claim = Claim.of(at, reason)
    now = claim.at or datetime.now(UTC)
    key = None
    if keyed and not readonly:
        from models.command_log import CommandKey

        key = CommandKey.make(handler, command, actor.name, actor.role, idempotency_key)
        if arrived_at is not None and key.given:  # a simulation's moments are claimed, never a door's clock
            from models.command_log import first_arrival
            from models.db import get_engine

            engine = get_engine(url)
            if clock_mode(engine) != SIMULATION:
                arrived_at = first_arrival(engine, key, arrived_at)
    return Prepared(handler, command, actor, relation, claim, now, key, arrived_at, readonly)


def run_prepared(session: Session, engine: Any, prepared: Prepared) -> Any:
    """The command's own work inside a transaction the caller holds (and commits): the proven actor, the
    relation only the database knows, the step's effective time, the handler."""
    from states.authorization import check_not_replaced, check_relation

    p = prepared
    ctx = Context(session=session, actor=p.actor, now=p.now, reason=p.claim.reason, arrived_at=p.arrived_at,
                  simulation=clock_mode(engine) == SIMULATION)
    if not ctx.simulation and not p.actor.proven:  # invariant 9: a typed name counts only on a simulation
        raise unproven(p.actor)
    check_relation(ctx, p.relation, p.command)  # what only the database knows: the offer's organisation
    check_not_replaced(ctx, p.handler, p.command)  # a lender's command its case's procedure replaces (Borrowed)
    if not p.readonly:  # the step's effective time, checked against the database's own (states/clock.py)
        ctx.now = effective_time(p.claim, lambda: ctx.written_at, simulation=ctx.simulation, default=p.now,
                                 written_time_only=getattr(p.handler, "at_written_time", False))
    return p.handler(ctx, p.command) if p.command is not None else p.handler(ctx)


def execute(handler: Callable[..., R], command: Any = None, *, actor: Actor | None = None,
            at: datetime | str | None = None, url: str | None = None, readonly: bool = False,
            retry_conflicts: bool = False, reason: str | None = None, idempotency_key: str | None = None,
            keyed: bool = True, arrived_at: datetime | None = None) -> R:
    """Run one command in one transaction: check who acts (a proven person on a real database) and what the
    authorization matrix lets them do, take ``now``, commit everything or nothing.

    ``at`` claims the step's moment and ``reason`` says why it is not now (else ``COOP_NOW``/``COOP_REASON``);
    ``arrived_at``: when the door received the request by the server's clock (a web filing's moment of receipt);
    on a real database they are bounded (states/clock.py).

    A command that writes carries an idempotency key (invariant 10, models/command_log.py): ``idempotency_key``
    when the intent was made outside this call (a ``coop`` run, a form answer, a step run from the UI) and must
    be kept through its retries, else a new one made here. Its answer is recorded under the key in the same
    transaction; run again with the same key, the recorded answer is returned and nothing is written twice.
    ``keyed=False`` only for work that is exactly-once by its own rows: the tick's batches."""
    prepared = prepare(handler, command, actor=actor, at=at, readonly=readonly, reason=reason,
                       idempotency_key=idempotency_key, keyed=keyed, arrived_at=arrived_at, url=url)
    return run_prepared_alone(prepared, url=url, retry_conflicts=retry_conflicts)


def run_prepared_alone(prepared: Prepared, *, url: str | None = None, retry_conflicts: bool = False) -> Any:
    """A prepared command in a transaction of its own (``execute``'s)."""
    from models.db import run_in_transaction

    return run_in_transaction(lambda uow: run_prepared(uow.session, uow.engine, prepared), url=url,
                              readonly=prepared.readonly, retry_conflicts=retry_conflicts, key=prepared.key)
