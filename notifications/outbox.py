"""The transactional outbox: the notifications a recorded step must produce, written in its transaction.

``states.engine.append_audit`` publishes ``AuditRecorded`` (states/events.py) for every audit record inside the
command's transaction; ``notifications.bootstrap`` subscribes ``on_audit_recorded`` to it at start-up, so the rows
below commit with the step or not at all (invariant 1). Nothing is rendered or sent here except
public notices, whose text belongs to the publication record itself; messages are rendered and delivered
later by ``notifications.dispatcher``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import select

from models.notification_tables import Notification, NotificationPreference
from models.rows import hold_new, new_row
from models.tables import AuditRecord, Case
from states.events import AnchorMade, AuditRecorded, EmailConfirmationAsked
from states.loaders import loaded


@cache
def _index():
    from notifications.routing import rules_by_event

    return rules_by_event()


def on_audit_recorded(ctx: Any, event: AuditRecorded) -> None:
    """Called for every audit record, inside the command's transaction, with the facts its step passed (an open
    call's ``call``: what the step read, so that the rules below do not read it again)."""
    case, record = event.case, event.record
    rules = _index().get((case.kind, record.event))
    if not rules:
        return  # the common case (a score, a tick with nothing to say) costs one dict look-up
    from notifications import routing as catalogue

    told = catalogue.Told(ctx, case, record, catalogue.call_of(ctx, case, event.facts))
    config = None  # the engine's settings, read when a rule first writes a row: a cancel (a score) needs none
    for rule in rules:
        if not catalogue.matches(rule, record):
            continue
        if rule.action == "cancel":
            cancel(ctx, case, catalogue.CANCELLERS[rule.cancels](told))
            continue
        config = config or _settings(ctx.session)
        if rule.action == "notice":
            write_notice(told, rule, config)
        elif rule.action in ("message", "reminder"):
            rules_set = _notification_rules(ctx, case) if rule.action == "reminder" else None
            recipients = catalogue.recipients(told, rule.audience, config)
            preferences = read_preferences(ctx.session, [r.address for r in recipients])
            for recipient in recipients:
                data = catalogue.template_data(told, rule.template, recipient, config)
                if rule.action == "message":
                    enqueue(ctx, case, record, rule.template, recipient, data, config, preferences=preferences)
                    continue
                for n, reminder in enumerate(catalogue.TIMINGS[rule.timing](told, recipient, rules_set)):
                    if reminder.not_before <= ctx.now:
                        continue  # the moment to remind has passed already: the step itself told them
                    enqueue(ctx, case, record, rule.template, recipient, {**data, **reminder.data}, config,
                            not_before=reminder.not_before, cancel_tag=reminder.tag, part=str(n),
                            preferences=preferences)
        else:
            raise ValueError(f"unknown notification action {rule.action!r}")


def _settings(session):
    # The engine database's settings, read once per transaction (a step may notify several times).
    from notifications.settings import session_settings

    return session_settings(session)


def _notification_rules(ctx, case: Case):
    from states.rulebook import pinned_rule_set

    return pinned_rule_set(ctx.session, case).notifications


def message_id(key: str, domain: str) -> str:
    """A stable Message-ID: a re-sent message (after a crash between sending and marking) is recognisable."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def idempotency_key(case: Case, record: AuditRecord, template: str, ref: str, part: str = "") -> str:
    key = f"{case.code}#{record.seq}/{template}/{ref}"
    return f"{key}/{part}" if part else key


def preference(session, address: str, template: str,
               preferences: dict[str, list[NotificationPreference]] | None = None) -> tuple[bool, str | None]:
    """(opted out of this template, preferred language) for an address (``preferences``: as read for the step's
    recipients by ``read_preferences``)."""
    if not address:
        return False, None
    address = address.lower()
    if preferences is None or address not in preferences:
        preferences = read_preferences(session, [address])
    opted_out, lang = False, None
    for row in (r for r in preferences[address] if r.template in ("*", template)):
        lang = row.lang or lang
        opted_out = opted_out or (row.template == template and row.opted_out)
    return opted_out, lang


def read_preferences(session, addresses: list[str]) -> dict[str, list[NotificationPreference]]:
    """The preferences of these addresses (lower-cased), in one query: a step writes to several addresses (every
    applicant), often more than once (a message and its reminders). In a tick's batch those read are kept with
    the batch's loaded facts (states/loaders.py): no deadline handler writes a preference, and the same
    addresses (the registry's organisations) come back deadline after deadline."""
    facts = loaded(session)
    kept = facts.preferences if facts is not None else {}
    asked = {a.lower() for a in addresses if a}
    wanted = asked - kept.keys()
    if wanted:
        with session.no_autoflush:  # preferences are written by their own command only, never with a step
            rows = session.exec(_PREFERENCES, params={"addresses": sorted(wanted)}).all()
        for address in wanted:
            kept[address] = []
        for row in rows:
            kept[row.address].append(row)
    return {address: kept[address] for address in asked}


_PREFERENCES = (select(NotificationPreference)
                .where(NotificationPreference.address.in_(bindparam("addresses", expanding=True)))
                .order_by(NotificationPreference.id))


NO_ADDRESS = "no address: the recipient has no e-mail address in the engine's records"


def undeliverable(channel: str, audience: str, address: str | None) -> bool:
    """A message nobody can send: an e-mail to a person with no address (an office's mailbox is a setting, which
    may be set later: such a message waits for it, notifications/dispatcher.py)."""
    from notifications.settings import OFFICE_MAILBOXES

    return channel == "email" and not address and audience not in OFFICE_MAILBOXES


def channel_of(audience: str) -> str:
    """A public notice goes to the portal's webhook (the row names the channel, its URL stays in the settings);
    everything else is an e-mail."""
    return "webhook" if audience == "public" else "email"


def never_pending(recipient) -> bool:
    """Whether a message to ``recipient`` is recorded undeliverable when enqueued, so never pending (``enqueue``):
    nothing of theirs can wait to be sent, or be cancelled."""
    return undeliverable(channel_of(recipient.audience), recipient.audience, recipient.address)


def enqueue(ctx, case: Case, record: AuditRecord, template: str, recipient, data: dict[str, Any], config, *,
            not_before: datetime | None = None, cancel_tag: str | None = None, part: str = "",
            preferences: dict[str, list[NotificationPreference]] | None = None) -> Notification:
    from notifications.routing import OPTIONAL_CATEGORIES, TEMPLATES
    from states.audit import json_ready

    category = TEMPLATES[template].category
    opted_out, lang = preference(ctx.session, recipient.address, template, preferences)
    # The law allows no opt-out of a decision, a legal call, results or a member's duty: enforced here too.
    status = "opted_out" if opted_out and category in OPTIONAL_CATEGORIES else "pending"
    channel = channel_of(recipient.audience)
    error = None
    if status == "pending" and undeliverable(channel, recipient.audience, recipient.address):
        # Recorded as such at once, shown to the officer (`coop notifications list`, the case's summary): not a
        # failure of delivery to retry or to trace, but a fact of the registry (a person gave no e-mail).
        status, error = "undeliverable", NO_ADDRESS
    key = idempotency_key(case, record, template, recipient.ref, part)
    due = not_before or ctx.now
    row = new_row(  # the SQLModel constructor costs more than the rest of enqueue
        Notification,
        key=key, case_id=case.id, audit_seq=record.seq, template=template, category=category,
        channel=channel, audience=recipient.audience, last_error=error,
        recipient=recipient.address, recipient_name=recipient.name, lang=lang or config.default_lang,
        data=json_ready(data), cancel_tag=cancel_tag, not_before=due, next_attempt_at=due, status=status,
        message_id=message_id(key, config.message_id_domain), created_at=ctx.now,
        closed_at=ctx.now if status != "pending" else None,
    )
    hold_new(ctx.session, row)
    return row


def cancel(ctx, case: Case, tags: list[str]) -> int:
    """Cancel the pending reminders of a case with these tags (``prefix:*`` for every tag with the prefix)."""
    count = 0
    for tag in tags:
        query = select(Notification).where(Notification.case_id == case.id, Notification.status == "pending")
        if tag.endswith("*"):
            query = query.where(Notification.cancel_tag.startswith(tag[:-1]))
        else:
            query = query.where(Notification.cancel_tag == tag)
        # Outbox rows are only ever added by ``hold_new`` (written before any query of their table, models/rows.py)
        # and changed here: no flush first (it would write the case the step is moving); one cancelled by an
        # earlier tag of this call comes back as the session holds it, no longer pending.
        with ctx.session.no_autoflush:
            rows = [row for row in ctx.session.exec(query).all() if row.status == "pending"]
        for row in rows:
            row.status, row.closed_at, row.last_error = "cancelled", ctx.now, f"cancelled by {case.code}#{case.audit_seq}"
            ctx.session.add(row)
            count += 1
    return count


def write_notice(told, rule, config) -> None:
    """Render the public notice into each of its publication records that has no text yet; once every
    channel is recorded, send it to the city's portal (webhook) when one is configured."""
    from notifications import routing as catalogue
    from notifications.render import render
    from states.procedures.open_call.machine import ANNOUNCEMENT_CHANNELS
    from states.publications import publication_rows

    ctx, case, record = told.ctx, told.case, told.record
    publications = (told.call.publication_rows(rule.notice) if told.call is not None
                    else publication_rows(ctx.session, case, rule.notice))
    if not publications:
        return
    data = catalogue.template_data(told, rule.template, None, config)
    data["publications"] = {p.channel: p.published_at.isoformat() for p in publications}
    rendered = None
    for publication in publications:
        if publication.text is None:
            rendered = rendered or render(rule.template, data, config.default_lang)
            publication.text = rendered.text
            ctx.session.add(publication)
    with ctx.session.no_autoflush:  # outbox rows: held, written before any query of their table (models/rows.py)
        sent_before = ctx.session.exec(select(Notification.id).where(
            Notification.case_id == case.id, Notification.template == rule.template)).first()
    # complete: the step that needs every channel fired (a transition), or all three are recorded
    complete = record.to_state != record.from_state or {p.channel for p in publications} >= set(ANNOUNCEMENT_CHANNELS)
    if sent_before is None and complete:
        for recipient in catalogue.recipients(told, "public", config):
            enqueue(ctx, case, record, rule.template, recipient, data, config)


ANCHOR_NOTICE = "audit_anchor_notice"


def on_anchor_made(ctx: Any, event: AnchorMade) -> None:
    """The day's anchor to the public-notice channel (the city's portal webhook), in the anchor's transaction,
    when a portal is configured: the whole signed document rides in the notice's data, so the portal keeps a
    copy out of the database's reach (states/anchors.py publishes the event)."""
    from notifications.routing import PUBLIC_PORTAL
    from notifications.settings import session_settings

    document = event.document
    config = session_settings(ctx.session)
    if not config.webhook_url.get_secret_value():
        return
    key = f"anchor/{document['date']}"
    data = {"office": config.office_name, "date": document["date"], "moment": document["moment"],
            "count": document["count"], "digest": document["digest"], "fingerprint": document["fingerprint"],
            "file": f"{document['date']}.json", "anchor": document}
    hold_new(ctx.session, new_row(
        Notification, key=key, case_id=None, audit_seq=0, template=ANCHOR_NOTICE, category="notice",
        channel="webhook", audience="public", recipient=PUBLIC_PORTAL, recipient_name="", lang=config.default_lang,
        data=data, cancel_tag=None, not_before=ctx.now, next_attempt_at=ctx.now, status="pending",
        message_id=message_id(key, config.message_id_domain), created_at=ctx.now, closed_at=None))


EMAIL_CONFIRMATION = "portal_email_confirmation"


def on_email_confirmation_asked(ctx: Any, event: EmailConfirmationAsked) -> None:
    """The link that proves a registrant's e-mail address, in the registration's transaction: an e-mail of no case
    (``case_id`` None, like the anchor's notice), delivered by the dispatcher like every message. Its data hold the
    token sealed with the desk's key; the template opens it when the dispatcher renders the message
    (notifications/render.py ``unsealed``), so no row holds the token as it is (invariant 12)."""
    from notifications.routing import TEMPLATES
    from notifications.settings import session_settings
    from states.audit import json_ready

    config = session_settings(ctx.session)
    data = {"office": config.office_name, "name": event.name, "login": event.login, "sealed_token": event.sealed_token,
            "portal_url": config.portal_url, "expires_at": event.expires_at}
    hold_new(ctx.session, new_row(
        Notification, key=event.key, case_id=None, audit_seq=0, template=EMAIL_CONFIRMATION,
        category=TEMPLATES[EMAIL_CONFIRMATION].category, channel="email", audience="applicant",
        recipient=event.email, recipient_name=event.name, lang=config.default_lang, data=json_ready(data),
        cancel_tag=None, not_before=ctx.now, next_attempt_at=ctx.now, status="pending",
        message_id=message_id(event.key, config.message_id_domain), created_at=ctx.now, closed_at=None))
