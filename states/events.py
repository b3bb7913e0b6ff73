"""The domain's events, and the small bus that hands them to whoever subscribed at start-up.

The domain says what happened; it does not know who listens. ``states.engine.append_audit`` publishes
``AuditRecorded`` for every record it appends, inside the command's transaction; the notifications' outbox is
subscribed to it by ``notifications.bootstrap.bootstrap()``, which every entry point calls once (the ``coop``
CLI, the flows package, the tests, the benchmarks). A subscriber runs in the publisher's transaction: the rows
it writes commit with the step or not at all (invariant 1), and an error it raises refuses the step.

Nothing is lost silently: publishing an event nobody subscribed to raises ``NotBootstrapped`` (inside the
transaction, so the step is not written), instead of writing a step whose notifications nobody enqueued. A lazy
bootstrap here would have the domain import the notifications again, the very circle this module removes.

After cosmicpython's ``service_layer/messagebus.py`` and ``bootstrap.py``, reduced to what one writer needs:
the registry is process-wide (``execute`` is called from many doors with no bus to pass along), handlers run
in the order they subscribed, and there are no commands on the bus: commands go through ``execute``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.tables import AuditRecord, Case


@dataclass(frozen=True, slots=True)
class AuditRecorded:
    """A step was recorded in a case's history: a transition (``record.from_state != record.to_state``) or a
    fact that changes no state. The rows are those of the running transaction (the record not flushed yet).
    ``facts``: what the step read and passed with its event or record (an open call's ``call``), so that a
    subscriber does not read it again; empty when the step passed none."""

    case: Case
    record: AuditRecord
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AnchorMade:
    """The day's anchor of every case's chain head was signed and stored (states/anchors.py), in its transaction:
    the signed document, as published. The notifications send it to the city's portal when one is set."""

    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EmailConfirmationAsked:
    """A person registered on the portal (states/portal_accounts.py): the link that proves their e-mail address must
    reach them, in the registration's transaction. ``sealed_token``: the link's token sealed with the desk's key
    (invariant 12: the outbox row never holds it as it is); ``key``: the message's idempotency key."""

    key: str
    email: str
    name: str
    login: str
    sealed_token: str
    expires_at: Any


@dataclass(frozen=True, slots=True)
class PasswordResetAsked:
    """A person of the portal asked to reset a forgotten password (states/password_reset.py): the one-time link
    must reach their confirmed address, in the request's transaction. ``sealed_token``: the link's token sealed with
    the desk's key (invariant 12); ``key``: the message's idempotency key."""

    key: str
    email: str
    name: str
    login: str
    sealed_token: str
    expires_at: Any


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """A person's password was set anew through a reset link (states/password_reset.py): a notice to their address,
    in the reset's transaction, so that whoever did not do it learns it (no secret in it)."""

    key: str
    email: str
    name: str
    login: str
    at: Any


@dataclass(frozen=True, slots=True)
class CommentLinkAsked:
    """A comment sent from the portal's public pages waits for its author's e-mail link (states/public_comments.py),
    in the request's transaction. ``sealed_token``: the link's token sealed with the desk's key (invariant 12);
    ``key``: the message's idempotency key; ``title``: what the comment is on, for the message."""

    key: str
    email: str
    name: str
    code: str
    title: str
    sealed_token: str
    expires_at: Any


@dataclass(frozen=True, slots=True)
class Transition:
    """A transition the engine made (``states.engine.fire``), kept in ``ctx.events`` for the caller to announce
    after its transaction committed: the tick's result, a form's outcome, Prefect's events. Not published on
    the bus: it is told only once it is certain the step happened. ``as_dict`` is the one shape flows return,
    keep in the command log and emit."""

    case: str  # the case's code
    subject: str  # the step's subject as the history writes it (states/subjects.py): "case", "offer:3"
    event: str
    from_state: str | None
    to_state: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case, "subject": self.subject, "event": self.event, "from": self.from_state,
                "to": self.to_state}


def plain_transitions(transitions: Iterable[Transition]) -> list[dict[str, Any]]:
    """The transitions as the flows return, keep and emit them: ``{"case", "subject", "event", "from", "to"}``."""
    return [transition.as_dict() for transition in transitions]


class NotBootstrapped(RuntimeError):
    """An event was published that nobody subscribed to: an entry point did not call the bootstrap."""


# A handler takes the command's context (its unit of work, actor and moment) and the event.
Handler = Callable[[Any, Any], None]

_SUBSCRIBERS: dict[type, tuple[Handler, ...]] = {}


def subscribe(event_type: type, handler: Handler) -> None:
    """Have ``handler`` called for every ``event_type`` published from now on; subscribing twice is once."""
    handlers = _SUBSCRIBERS.get(event_type, ())
    if handler not in handlers:
        _SUBSCRIBERS[event_type] = (*handlers, handler)


def subscribers(event_type: type) -> tuple[Handler, ...]:
    return _SUBSCRIBERS.get(event_type, ())


def publish(ctx: Any, event: Any) -> None:
    """Hand ``event`` to each of its subscribers, in the caller's transaction."""
    handlers = _SUBSCRIBERS.get(type(event))
    if not handlers:
        raise NotBootstrapped(
            f"nobody subscribed to {type(event).__name__}: the entry point must call "
            "notifications.bootstrap.bootstrap() before running a command (docs/architecture.md); nothing was written")
    for handler in handlers:
        handler(ctx, event)


@contextmanager
def isolated() -> Iterator[None]:
    """For tests: an empty registry inside the block, the one before it restored after it."""
    kept = dict(_SUBSCRIBERS)
    _SUBSCRIBERS.clear()
    try:
        yield
    finally:
        _SUBSCRIBERS.clear()
        _SUBSCRIBERS.update(kept)
