"""The procedures the engine runs: one package each, one descriptor each (states/procedures/descriptor.py).

Everything that must know every procedure reads ``PROCEDURES``: the tick (``deadline_handlers``), the diagrams
(states/diagrams.py), the names of states in messages (states/labels.py), the auditor's compliance check
(states/auditing/compliance.py), the CLI (coop/procedures/) and the notification routing's check of its kinds.
Adding a procedure: a package here with machine.py, inputs.py, handlers.py (and compliance.py if the auditor
checks something of it), its ``PROCEDURE`` in its ``__init__.py``, one line below, its CLI module, its
notification rows and templates, its commands' rows in the authorization matrix (states/authorization.py;
docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from states.procedures import consultation, local_initiative, open_call, regranting, small_grant
from states.procedures.descriptor import Diagram, Procedure

PROCEDURES: tuple[Procedure, ...] = (
    open_call.PROCEDURE,
    small_grant.PROCEDURE,
    consultation.PROCEDURE,
    local_initiative.PROCEDURE,
    regranting.PROCEDURE,
)

_BY_SLUG = {procedure.slug: procedure for procedure in PROCEDURES}
_BY_KIND = {kind: procedure for procedure in PROCEDURES for kind in procedure.machines}


def procedure(slug: str) -> Procedure:
    return _BY_SLUG[slug]


def of_kind(kind: str) -> Procedure | None:
    """The procedure whose machine runs cases of ``kind`` (``"offer"``: an offer in an open call)."""
    return _BY_KIND.get(kind)


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
