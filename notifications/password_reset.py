"""The e-mails of a portal account's password reset (states/password_reset.py): the one-time link, and the notice
that the password was changed. E-mails of no case, written to the outbox in the step's transaction and delivered by
the dispatcher like every message. The link's data hold its token sealed with the desk's key; the template opens it
when the dispatcher renders the message (notifications/render.py ``unsealed``; ``coop notifications preview``
shows it redacted), so no row holds the token as it is (invariant 12)."""

from __future__ import annotations

from typing import Any

from states.events import PasswordChanged, PasswordResetAsked

PASSWORD_RESET = "portal_password_reset"
PASSWORD_CHANGED = "portal_password_changed"


def _enqueue(ctx: Any, *, key: str, template: str, email: str, name: str, data: dict) -> None:
    from models.notification_tables import Notification
    from models.rows import hold_new, new_row
    from notifications.outbox import message_id
    from notifications.routing import TEMPLATES
    from notifications.settings import session_settings
    from states.audit import json_ready

    config = session_settings(ctx.session)
    data = {"office": config.office_name, "name": name, "portal_url": config.portal_url, **data}
    hold_new(ctx.session, new_row(
        Notification, key=key, case_id=None, audit_seq=0, template=template, category=TEMPLATES[template].category,
        channel="email", audience="applicant", recipient=email, recipient_name=name, lang=config.default_lang,
        data=json_ready(data), cancel_tag=None, not_before=ctx.now, next_attempt_at=ctx.now, status="pending",
        message_id=message_id(key, config.message_id_domain), created_at=ctx.now, closed_at=None))


def on_password_reset_asked(ctx: Any, event: PasswordResetAsked) -> None:
    _enqueue(ctx, key=event.key, template=PASSWORD_RESET, email=event.email, name=event.name,
             data={"login": event.login, "sealed_token": event.sealed_token, "expires_at": event.expires_at})


def on_password_changed(ctx: Any, event: PasswordChanged) -> None:
    _enqueue(ctx, key=event.key, template=PASSWORD_CHANGED, email=event.email, name=event.name,
             data={"login": event.login, "at": event.at})
