"""What the engine knows of one procedure: its descriptor (the registry in states/procedures/__init__.py holds one
per procedure).

A descriptor is light on purpose: building it imports nothing but this module, so an officer's command on one
procedure does not load the other four (invariant 5 keeps the officer's commands quick). The procedure's parts
are the modules of its package, loaded when asked for:

``machine.py``     its python-statemachine machines and the reads they need (required);
``inputs.py``      the pydantic models of its commands' input (required);
``handlers.py``    one handler per command, ``DEADLINE_HANDLERS``: deadline kind -> handler (required), and
                   ``load_batch``: what those handlers read for a tick's batch, in one query a kind (states/loaders.py);
``compliance.py``  the auditor's compliance rules over its history (optional);
``waiting.py``     what waits on a person in its states (states/todo.py, ``coop todo``): ``STEPS``, the steps by
                   (case kind or "offer", state) with the machine event each takes (its basis is the machine's),
                   and ``COMMITTEE``, a committee's declarations and scores (optional: a procedure without one
                   shows nothing waiting);
``notices.py``     its notifications as plain data (states/notices.py): ``TEMPLATES`` and the routing ``RULES``
                   that notifications/routing.py collects through the registry (optional: a procedure that tells
                   nobody has none).

Its commands' authorization entries are the descriptor's own ``access`` (plain data, so the matrix of
states/authorization.py is collected without importing any package's handlers).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Diagram:
    """One machine drawn in docs/diagrams/<slug>.md (``python -m states.diagrams``)."""

    slug: str
    title: str
    machine: str  # the class's name in the procedure's machine.py


@dataclass(frozen=True)
class Waiting:
    """A step waiting on a person while a case (or, with kind ``"offer"``, an offer) is in ``state``: what to do
    (a message, states/text.py), the machine event the step takes, and the kind of the deadline row that gives its
    due moment (none: it has no due moment). Declared in a procedure's ``waiting.py``; read by states/todo.py.

    Its legal basis is not written here: it is the machine's ``BASIS`` of ``event`` (the machine of ``kind``, or
    ``machine`` when the step moves another lifecycle of the case), or, for a step that is no machine event, the
    basis its deadline row was scheduled with (states/periods.py). One place, so the list cannot cite another
    article than the refusal or the history does.

    ``during``: the states the case (for an offer: its call) must be in too (empty: any), so a step is not
    listed before it can be taken (an offer is reviewed once the offers have closed). ``pending``: the step waits
    only while its deadline row is pending, neither fired nor cancelled (the Public Benefit Council's opinion,
    recorded or waived by silence). ``track``: ``"state"``, the row's state column, or ``"sub_call"``, the
    regranting operator's sub-call, whose state lives in the case's data (``state`` None: not started yet).
    ``role``: whose step it is; a committee member's waits on the cases she sits on (her seat: a grant of
    ``committee_member`` for the case, or a committee row under her name).

    ``no_offer_in``: a case's step waits only while none of its offers is in these states (the selection, once
    every offer is scored). ``no_committee``: it waits only while the case has no committee member (appointing
    one). ``due_day``: a date column of the case whose day, ending in Warsaw time, is the due moment (the
    selection date the announcement names), for a step with no deadline row of its own."""

    kind: str
    state: str | None
    what: Any  # a Message (tr(...)): rendered in the run's language
    event: str | None = None
    deadline: str | None = None
    during: tuple[str, ...] = ()
    pending: bool = False
    machine: str | None = None
    track: str = "state"
    role: str = "officer"
    no_offer_in: tuple[str, ...] = ()
    no_committee: bool = False
    due_day: str | None = None


@dataclass(frozen=True)
class DataTrack:
    """A lifecycle of a case whose state is kept in the case's data, not in its state column (the regranting
    operator's sub-call, art. 16a): the machine ``machine`` (a class in the procedure's machine.py) moves
    ``case.data[key]["state"]``, on cases of ``kind``, while the case is in one of ``during`` (empty: any). Before
    its first step the stored state is absent: the machine's initial state."""

    kind: str
    key: str
    during: tuple[str, ...] = ()


@dataclass(frozen=True)
class Instead:
    """The command of the borrowing procedure that takes the place of one of the lender's: its handler's name,
    what it does that the lender's does not (a message, states/text.py), the legal basis of that, and how a
    person runs it at the CLI door. The one writer refuses the lender's command on the borrower's cases with these
    words (states/authorization.py ``check_not_replaced``)."""

    command: str
    why: Any
    basis: str
    door: str


@dataclass(frozen=True)
class Borrowed:
    """Commands of another procedure (the lender, by its slug) that cases of this one run as they are: the
    lender's handlers, input models, authorization entries (``<lender>.<handler>``) and declared ``events``, on
    this procedure's case, whose machine must be the lender's (a regranting operator is chosen by an ordinary
    open call, art. 16a ust. 1). ``instead``: each of the lender's other commands -> the command of this
    procedure that takes its place (``Instead``); the one writer refuses the lender's command on this
    procedure's cases, whatever the door. tests/test_step_events.py holds every command of the lender to exactly
    one of the two, so a command the lender adds is decided here."""

    procedure: str
    commands: tuple[str, ...]
    instead: Mapping[str, Instead] = field(default_factory=dict)


@dataclass(frozen=True)
class CommitteeWaiting:
    """A committee's work on a call of ``kind`` in ``state``: each member's declarations (KPA art. 24) before
    scoring, then a score for each offer in ``offer_state`` she declared no conflict for. The basis of each is
    the machines' (``OpenCallMachine.BASIS[declare_event]``, ``OfferMachine.BASIS[score_event]``)."""

    kind: str
    state: str
    offer_state: str
    declare: Any
    score: Any
    declare_event: str = "declare_conflicts"
    score_event: str = "score"


@dataclass(frozen=True)
class Procedure:
    slug: str  # the case kind of its root case, e.g. "open_call"; also its package's name
    title: str
    code_prefix: str  # case codes: OK/2026/001
    package: str  # e.g. "states.procedures.open_call"
    # case kind (and "offer" for an offer in a call) -> the name of the machine class in machine.py whose states
    # a message names (states/labels.py)
    machines: Mapping[str, str]
    diagrams: tuple[Diagram, ...]
    # its place in the registry (states/procedures/__init__.py), which the diagrams, the CLI's groups, the
    # notification rows and docs/authorization.md follow: lower first, ties by slug
    order: int = 100
    has_compliance: bool = False  # a compliance.py with rules for the auditor
    # its commands' authorization entries: handler name (in its handlers.py) -> role -> relation (states/access.py);
    # states/authorization.py collects them as "<slug>.<handler>"
    access: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # what each of its writing commands does to its machines: handler name -> the machine events it fires or is
    # gated by (``require_step``/``step``), read from its handlers.py. An event is the root case's machine's
    # (``machines[slug]``), or names another of its machines' classes: ``"OfferMachine.settle"``,
    # ``"SubCallMachine.announce_sub_call"``. The desk offers a command as a step on a case when one of its events
    # is allowed now (web/case_view.py); tests/test_step_events.py holds every command to one of the three lists.
    events: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reads: tuple[str, ...] = ()  # commands that only read (show): never a step
    off_case: tuple[str, ...] = ()  # commands on no existing case: making one, the year's budget
    # machine class name -> the lifecycle it moves in a case's data (``DataTrack``): the desk offers its steps
    # and ``coop todo`` lists them by the state read there
    data_tracks: Mapping[str, DataTrack] = field(default_factory=dict)
    # the commands of other procedures its cases run (``Borrowed``): the desk offers them on its cases too
    borrows: tuple[Borrowed, ...] = ()
    has_notices: bool = True  # a notices.py with its TEMPLATES and routing RULES
    has_waiting: bool = True  # a waiting.py: what waits on a person in its states (coop todo)

    def part(self, name: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.{name}")

    @property
    def machine(self) -> ModuleType:
        return self.part("machine")

    @property
    def inputs(self) -> ModuleType:
        return self.part("inputs")

    @property
    def handlers(self) -> ModuleType:
        return self.part("handlers")

    @property
    def compliance(self) -> ModuleType | None:
        return self.part("compliance") if self.has_compliance else None

    @property
    def notices(self) -> ModuleType | None:
        return self.part("notices") if self.has_notices else None

    @property
    def waiting(self) -> ModuleType | None:
        return self.part("waiting") if self.has_waiting else None

    def waiting_steps(self) -> tuple[Waiting, ...]:
        """The officers' steps waiting in its states (its ``waiting.STEPS``)."""
        return tuple(self.waiting.STEPS) if self.waiting is not None else ()

    def committee_waiting(self) -> CommitteeWaiting | None:
        """Its committee's declarations and scores (its ``waiting.COMMITTEE``), when it has a committee."""
        return getattr(self.waiting, "COMMITTEE", None) if self.waiting is not None else None

    def notification_templates(self) -> Mapping[str, Any]:
        """Template name -> its ``TemplateSpec`` (states/notices.py), from its ``notices.py``."""
        return self.notices.TEMPLATES if self.notices is not None else {}

    def notification_rules(self) -> tuple[Any, ...]:
        """Its routing rows (``states.notices.Rule``), from its ``notices.py``."""
        return tuple(self.notices.RULES) if self.notices is not None else ()

    def access_entries(self) -> dict[str, Mapping[str, str]]:
        """Its commands' entries of the authorization matrix, by their names there (``open_call.score_offer``)."""
        return {f"{self.slug}.{handler}": rule for handler, rule in self.access.items()}

    def track_states(self, kind: str, state: str, data: Mapping[str, Any] | None) -> dict[str, str]:
        """Machine class name -> the state of each lifecycle kept in the data of a case of ``kind`` in ``state``
        (``data_tracks``), for those that run now; a lifecycle not started is in its machine's initial state."""
        found = {}
        for name, track in self.data_tracks.items():
            if track.kind != kind or (track.during and state not in track.during):
                continue
            stored = ((data or {}).get(track.key) or {}).get("state")
            found[name] = stored or next(s.value for s in self.machine_class(name).states if s.initial)
        return found

    def step_events(self, handler: str) -> tuple[tuple[str, str], ...]:
        """The (machine class name, event) pairs ``handler`` fires or is gated by (its ``events``)."""
        root = self.machines.get(self.slug, "")
        return tuple(tuple(e.split(".", 1)) if "." in e else (root, e)  # type: ignore[misc]
                     for e in self.events.get(handler, ()))

    @property
    def case_kinds(self) -> tuple[str, ...]:
        """The kinds of the cases it opens (an offer is not a case)."""
        return tuple(kind for kind in self.machines if kind != "offer")

    def machine_class(self, name: str) -> type:
        return getattr(self.machine, name)

    def deadline_handlers(self) -> Mapping[str, Callable[..., Any]]:
        return self.handlers.DEADLINE_HANDLERS

    def batch_loader(self) -> Callable[..., Any] | None:
        """``handlers.load_batch(loader, cases)``: loads what its deadline handlers read for a tick's batch
        (states/loaders.py), or None when they read nothing beyond the claimed case."""
        return getattr(self.handlers, "load_batch", None)
