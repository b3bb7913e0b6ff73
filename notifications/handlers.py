"""Officers' commands and queries on the outbox: list, preview, retry, and recipients' preferences."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from sqlmodel import select

from models.notification_tables import Notification, NotificationPreference
from models.tables import Case
from notifications.render import render, template_names
from notifications.routing import OPTIONAL_CATEGORIES, TEMPLATES
from states import labels
from states.cases import load_case
from states.engine import Context
from states.errors import InvalidInput, NotFound, RuleViolation
from states.inputs import CASE_CODE_PATTERN, AsciiInt, Command, Email, SingleLine
from states.text import tr

# The name the command log and the idempotency digests give these handlers (models/command_log.py:
# command_name): the module's path before it moved, so a key recorded then still answers its retry.
COMMAND_NAMESPACE = "notifications.commands"



class ListNotifications(Command):
    code: Annotated[str, Field(pattern=CASE_CODE_PATTERN)] | None = None
    status: tuple[Literal["pending", "sent", "failed", "cancelled", "opted_out", "undeliverable"], ...] = ()
    limit: Annotated[AsciiInt, Field(ge=1, le=10000)] = 200


class NotificationRef(Command):
    id: Annotated[AsciiInt, Field(ge=1)]
    lang: Literal["pl", "en"] | None = None


class SetPreference(Command):
    address: Email
    template: Annotated[SingleLine, Field(min_length=1)] = "*"
    opted_out: bool = False
    lang: Literal["pl", "en"] | None = None


def list_notifications(ctx: Context, cmd: ListNotifications) -> list[dict]:
    # outer: the daily anchor's public notice belongs to no case (states/anchors.py)
    query = select(Notification, Case.code).outerjoin(Case, Case.id == Notification.case_id)
    if cmd.code:
        query = query.where(Notification.case_id == load_case(ctx.session, cmd.code).id)
    if cmd.status:
        query = query.where(Notification.status.in_(cmd.status))
    query = query.order_by(Notification.next_attempt_at, Notification.id).limit(cmd.limit)
    return [{"id": n.id, "case": code or "—", "template": n.template, "category": n.category, "channel": n.channel,
             "recipient": n.recipient or "—", "status": n.status, "attempts": n.attempts,
             "not_before": n.not_before, "next_attempt_at": n.next_attempt_at, "sent_at": n.sent_at,
             "error": n.last_error or "", "key": n.key} for n, code in ctx.session.exec(query)]


def _notification(ctx: Context, notification_id: int) -> Notification:
    row = ctx.session.get(Notification, notification_id)
    if row is None:
        raise NotFound("unknown_notification", tr("No notification {notification_id}", notification_id=notification_id))
    return row


def preview_notification(ctx: Context, cmd: NotificationRef) -> dict:
    row = _notification(ctx, cmd.id)
    # a secret the row keeps sealed (the portal's e-mail link) is for its recipient only, not for a preview
    rendered = render(row.template, {**row.data, "open_sealed": False}, cmd.lang or row.lang)
    return {"id": row.id, "key": row.key, "message_id": row.message_id, "to": row.recipient, "status": row.status,
            "subject": rendered.subject, "text": rendered.text, "html": rendered.html}


def retry_notification(ctx: Context, cmd: NotificationRef) -> dict:
    """Give a failed message another round of attempts (e.g. after an address was corrected)."""
    row = _notification(ctx, cmd.id)
    if row.status != "failed":
        raise RuleViolation("not_failed", tr("Notification {id} is {status}; only a failed one can be "
                                             "retried", id=row.id, status=labels.notification_status(row.status)))
    row.status, row.attempts, row.next_attempt_at, row.closed_at = "pending", 0, ctx.now, None
    ctx.session.add(row)
    return {"id": row.id, "status": row.status}


def set_preference(ctx: Context, cmd: SetPreference) -> dict:
    """Record a recipient's language or opt-out. Opting out is refused where the law requires the message."""
    if cmd.template != "*" and cmd.template not in TEMPLATES:
        raise InvalidInput("unknown_template", tr("Unknown kind of notification “{template}”; available: "
                                                  "{template_names}", template=cmd.template, template_names=template_names()))
    if cmd.opted_out:
        category = TEMPLATES[cmd.template].category if cmd.template != "*" else "legal"
        if category not in OPTIONAL_CATEGORIES:
            raise RuleViolation(
                "opt_out_not_allowed",
                tr("Notification “{template}” cannot be opted out of: decisions, legal calls, results and "
                   "a member's duties must be delivered; only reminders and information can be declined", template=cmd.template),
                basis="art. 15 ust. 2h-2j, art. 18; KPA art. 39",
            )
    address = cmd.address.lower()
    row = ctx.session.exec(select(NotificationPreference).where(NotificationPreference.address == address,
                                                                NotificationPreference.template == cmd.template)).first()
    row = row or NotificationPreference(address=address, template=cmd.template, updated_at=ctx.now)
    row.opted_out, row.lang, row.updated_at = cmd.opted_out, cmd.lang or row.lang, ctx.now
    ctx.session.add(row)
    return {"address": address, "template": cmd.template, "opted_out": row.opted_out, "lang": row.lang}
