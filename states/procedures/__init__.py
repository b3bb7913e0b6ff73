"""The procedures the engine runs: one package each, one descriptor each (states/procedures/descriptor.py).

Everything that must know every procedure reads ``PROCEDURES``: the tick (``deadline_handlers``), the diagrams
(states/diagrams.py), the names of states in messages (states/labels.py), the auditor's compliance check
(states/auditing/compliance.py), the CLI (coop/procedures/), the authorization matrix (states/authorization.py:
each descriptor's ``access``) and the notification routing (notifications/routing.py: each ``notices.py``).
``PROCEDURES`` is found, not listed: every subpackage here whose ``__init__.py`` defines ``PROCEDURE``, in the
descriptors' ``order`` (ties by slug); a module or package without one (descriptor.py) is no procedure.

Adding a procedure: a package here with machine.py, inputs.py, handlers.py, notices.py (its notification
templates and routing rows) and compliance.py if the auditor checks something of it; its ``PROCEDURE`` in its
``__init__.py`` with its commands' authorization entries (``access``) and what each command does to its machines
(``events``, ``reads``, ``off_case``: the desk's steps, tests/test_step_events.py), and the commands of another
procedure its cases run (``borrows``); its tables in models/procedures/<slug>.py and a migration; its CLI module
coop/procedures/<slug>.py; its templates' text (docs/architecture.md). Nothing shared is edited:
tests/test_procedures_registry.py fails when one of these parts is missing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from states.procedures.descriptor import Diagram, Procedure


def discover(package: str, path: Iterable[str]) -> tuple[Procedure, ...]:
    """The descriptors (``PROCEDURE``) of the subpackages of ``package`` found on ``path``, in their ``order``,
    then by slug. Only a package's ``__init__.py`` is imported (the descriptor is light: invariant 5); a plain
    module here (descriptor.py) is not imported, a package without ``PROCEDURE`` is not taken."""
    found = []
    for module in pkgutil.iter_modules(path):
        if module.ispkg:
            descriptor = getattr(importlib.import_module(f"{package}.{module.name}"), "PROCEDURE", None)
            if isinstance(descriptor, Procedure):
                found.append(descriptor)
    return tuple(sorted(found, key=lambda each: (each.order, each.slug)))


PROCEDURES: tuple[Procedure, ...] = discover(__name__, __path__)

_BY_SLUG = {procedure.slug: procedure for procedure in PROCEDURES}
_BY_KIND = {kind: procedure for procedure in PROCEDURES for kind in procedure.machines}


def procedure(slug: str) -> Procedure:
    return _BY_SLUG[slug]


def of_kind(kind: str) -> Procedure | None:
    """The procedure whose machine runs cases of ``kind`` (``"offer"``: an offer in an open call)."""
    return _BY_KIND.get(kind)


def step_commands(owner: Procedure) -> tuple[tuple[Procedure, str], ...]:
    """The commands a case of ``owner`` may take as steps, each with the procedure that declares it: its own
    declared ``events``, then those it borrows (``Borrowed``: the lender's handler, authorization and events)."""
    own = tuple((owner, name) for name in owner.events)
    lent = tuple((_BY_SLUG[borrowed.procedure], name) for borrowed in owner.borrows for name in borrowed.commands
                 if name in _BY_SLUG[borrowed.procedure].events)
    return own + lent


def case_kinds() -> tuple[str, ...]:
    return tuple(kind for procedure in PROCEDURES for kind in procedure.case_kinds)


def machine_of_kind(kind: str) -> type | None:
    """The machine class whose states a case of ``kind`` (or ``"offer"``) is in."""
    owner = of_kind(kind)
    return owner.machine_class(owner.machines[kind]) if owner is not None else None


def diagrams() -> list[tuple[Diagram, type]]:
    """Every machine drawn in docs/diagrams/, with its class; a missing class is an error, not a missing diagram."""
    return [(diagram, procedure.machine_class(diagram.machine)) for procedure in PROCEDURES
            for diagram in procedure.diagrams]


@cache
def deadline_handlers() -> dict[str, Callable[..., Any]]:
    """Deadline kind -> its handler, for the tick: each procedure's ``handlers.DEADLINE_HANDLERS``."""
    handlers: dict[str, Callable[..., Any]] = {}
    for each in PROCEDURES:
        own = each.deadline_handlers()
        overlap = set(handlers) & set(own)
        assert not overlap, f"deadline kinds defined twice: {overlap}"
        handlers.update(own)
    return handlers


def notification_templates(procedures: Iterable[Procedure] = PROCEDURES) -> dict[str, Any]:
    """Template name -> its ``TemplateSpec`` (states/notices.py): every procedure's ``notices.TEMPLATES``."""
    templates: dict[str, Any] = {}
    for each in procedures:
        own = each.notification_templates()
        twice = set(templates) & set(own)
        assert not twice, f"templates declared twice: {sorted(twice)}"
        templates.update(own)
    return templates


def notification_rules(procedures: Iterable[Procedure] = PROCEDURES) -> tuple[Any, ...]:
    """Every procedure's routing rows (``notices.RULES``, states/notices.py), in the registry's order; a row names
    only the case kinds of its own procedure."""
    rules: list[Any] = []
    for each in procedures:
        own = each.notification_rules()
        strangers = {rule.kind for rule in own} - set(each.case_kinds)
        assert not strangers, f"{each.slug}'s notification rows name other procedures' kinds: {sorted(strangers)}"
        rules.extend(own)
    return tuple(rules)
