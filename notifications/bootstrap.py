"""Start-up wiring: who hears the domain's events (after cosmicpython's ``bootstrap.py``).

The domain publishes events and imports nothing of the notifications (states/events.py); this module, one layer
up, subscribes the handlers. Every entry point calls ``bootstrap()`` once before its first command: the ``coop``
CLI (coop/cli.py ``main``), every flow (flows/__init__.py, so a flow run in a process of its own has it too), the
tests (tests/conftest.py) and the benchmarks (bench/__init__.py). Calling it again changes nothing. A command run
without it is refused with ``states.events.NotBootstrapped``, nothing written.

Cheap on purpose: ``coop --help`` calls it too, so it imports no ORM; the outbox module (sqlmodel, the rules) is
imported by the first event, as the engine imported it before the bus existed.
"""

from __future__ import annotations

from typing import Any

from states import events


def enqueue_notifications(ctx: Any, event: events.AuditRecorded) -> None:
    """The outbox's rows for this record (notifications/outbox.py), in the step's transaction."""
    from notifications.outbox import on_audit_recorded

    on_audit_recorded(ctx, event)


def send_anchor_notice(ctx: Any, event: events.AnchorMade) -> None:
    """The day's anchor as a public notice to the city's portal, when one is set (notifications/outbox.py)."""
    from notifications.outbox import on_anchor_made

    on_anchor_made(ctx, event)


def send_email_confirmation(ctx: Any, event: events.EmailConfirmationAsked) -> None:
    """The portal's e-mail confirmation link, to the address being proved (notifications/outbox.py)."""
    from notifications.outbox import on_email_confirmation_asked

    on_email_confirmation_asked(ctx, event)


def send_comment_link(ctx: Any, event: events.CommentLinkAsked) -> None:
    """The link that files a comment sent from the portal's public pages (notifications/public_comments.py)."""
    from notifications.public_comments import on_comment_link_asked

    on_comment_link_asked(ctx, event)


def send_password_reset(ctx: Any, event: events.PasswordResetAsked) -> None:
    """The portal's password reset link, to the account's confirmed address (notifications/password_reset.py)."""
    from notifications.password_reset import on_password_reset_asked

    on_password_reset_asked(ctx, event)


def send_password_changed(ctx: Any, event: events.PasswordChanged) -> None:
    """The notice that a portal account's password was changed by a reset link (notifications/password_reset.py)."""
    from notifications.password_reset import on_password_changed

    on_password_changed(ctx, event)


# Each event's handlers, in the order they run (all in the publishing command's transaction).
EVENT_HANDLERS: dict[type, tuple[events.Handler, ...]] = {
    events.AuditRecorded: (enqueue_notifications,),
    events.AnchorMade: (send_anchor_notice,),
    events.EmailConfirmationAsked: (send_email_confirmation,),
    events.CommentLinkAsked: (send_comment_link,),
    events.PasswordResetAsked: (send_password_reset,),
    events.PasswordChanged: (send_password_changed,),
}


def bootstrap() -> None:
    for event_type, handlers in EVENT_HANDLERS.items():
        for handler in handlers:
            events.subscribe(event_type, handler)
