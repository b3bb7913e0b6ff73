"""The e-mail that carries the one-time link of a comment sent from the portal's public pages
(states/public_comments.py): an e-mail of no case, written to the outbox in the request's transaction and
delivered by the dispatcher like every message. Its data hold the link's token sealed with the desk's key; the
template opens it when the dispatcher renders the message (notifications/render.py ``unsealed``), so no row holds
the token as it is (invariant 12)."""

from __future__ import annotations

from typing import Any

from states.events import CommentLinkAsked

COMMENT_LINK = "portal_comment_link"


def on_comment_link_asked(ctx: Any, event: CommentLinkAsked) -> None:
    from models.notification_tables import Notification
    from models.rows import hold_new, new_row
    from notifications.outbox import message_id
    from notifications.routing import TEMPLATES
    from notifications.settings import session_settings
    from states.audit import json_ready

    config = session_settings(ctx.session)
    data = {"office": config.office_name, "name": event.name, "code": event.code, "title": event.title,
            "sealed_token": event.sealed_token, "portal_url": config.portal_url, "expires_at": event.expires_at}
    hold_new(ctx.session, new_row(
        Notification, key=event.key, case_id=None, audit_seq=0, template=COMMENT_LINK,
        category=TEMPLATES[COMMENT_LINK].category, channel="email", audience="commenter",
        recipient=event.email, recipient_name=event.name, lang=config.default_lang, data=json_ready(data),
        cancel_tag=None, not_before=ctx.now, next_attempt_at=ctx.now, status="pending",
        message_id=message_id(event.key, config.message_id_domain), created_at=ctx.now, closed_at=None))
