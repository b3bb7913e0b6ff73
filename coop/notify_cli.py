"""``coop notifications …``: the outbox (list, preview, retry), delivery without Prefect, preferences."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import command, group, run, show

notify_app = group("notifications", "Notifications: the outbox, delivery, preferences.")

Id = Annotated[int, typer.Argument(help="Notification id (see `coop notifications list`).")]


@command(notify_app, "list")
def notifications_list(code: Annotated[str | None, typer.Option("--case", help="Only this case.")] = None,
                       failed: Annotated[bool, typer.Option("--failed", help="Only failed messages.")] = False,
                       pending: Annotated[bool, typer.Option("--pending", help="Only pending messages.")] = False,
                       status: Annotated[list[str] | None, typer.Option(
                           help="pending | sent | failed | cancelled | opted_out | undeliverable (repeatable).")] = None,
                       limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many messages.")] = 200) -> None:
    """List the outbox: what is waiting, what was sent, what failed (and why)."""
    from notifications.handlers import ListNotifications, list_notifications

    statuses = [*(status or ()), *(["failed"] if failed else []), *(["pending"] if pending else [])]
    rows = run(list_notifications, ListNotifications.parse(code=code, status=tuple(statuses), limit=limit),
               readonly=True)
    show(rows, ["id", "case", "template", "recipient", "status", "attempts", "next_attempt_at", "sent_at", "error"])


@command(notify_app, "dispatch")
def notifications_dispatch(batch_size: Annotated[int | None, typer.Option(
                               min=1, max=10000, help="Messages per transaction.")] = None,
                           max_batches: Annotated[int | None, typer.Option(
                               min=1, help="Stop after this many batches.")] = None) -> None:
    """Send every message due at --at (default: now), in batches, without Prefect."""
    from coop.cli import _invocation
    from notifications.dispatcher import dispatch

    report = dispatch(_invocation.get().at, batch_size=batch_size, max_batches=max_batches)
    show({"now": report.now, "worker": report.worker, "batches": report.batches, "claimed": report.claimed,
          "sent": report.sent, "retried": report.retried, "lost_to_another_dispatcher": report.lost,
          "waiting_for_a_setting": report.held, "undeliverable": report.undeliverable, "failed": report.failed})


@command(notify_app, "preview")
def notifications_preview(notification_id: Id,
                          lang: Annotated[str | None, typer.Option(help="pl | en (default: the recipient's).")] = None,
                          html: Annotated[bool, typer.Option("--html", help="Show the HTML part.")] = False) -> None:
    """Render a message as it will be (or was) sent."""
    from notifications.handlers import NotificationRef, preview_notification

    result = run(preview_notification, NotificationRef.parse(id=notification_id, lang=lang), readonly=True)
    body = result.pop("html") if html else result.pop("text")
    result.pop("text", None)
    result.pop("html", None)
    show(result)
    typer.echo("")
    typer.echo(body)


@command(notify_app, "retry")
def notifications_retry(notification_id: Id) -> None:
    """Give a failed message another round of attempts."""
    from notifications.handlers import NotificationRef, retry_notification

    show(run(retry_notification, NotificationRef.parse(id=notification_id)))


@command(notify_app, "prefer")
def notifications_prefer(address: Annotated[str, typer.Argument(help="The recipient's e-mail address.")],
                         template: Annotated[str, typer.Option(help="Kind of message, or * for all.")] = "*",
                         opt_out: Annotated[bool, typer.Option("--opt-out/--opt-in")] = False,
                         lang: Annotated[str | None, typer.Option(help="pl | en")] = None) -> None:
    """Set a recipient's language or opt-out (refused for decisions, legal calls, results, duties)."""
    from notifications.handlers import SetPreference, set_preference

    show(run(set_preference, SetPreference.parse(address=address, template=template, opted_out=opt_out, lang=lang)))


@command(notify_app, "templates")
def notifications_templates() -> None:
    """The kinds of message: category (opt-out allowed only for reminder, information) and description."""
    from notifications.routing import OPTIONAL_CATEGORIES, TEMPLATES

    show([{"template": name, "category": spec.category, "opt_out": spec.category in OPTIONAL_CATEGORIES,
           "description": str(spec.description)} for name, spec in TEMPLATES.items()])
