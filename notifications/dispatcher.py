"""The dispatcher: send the due pending messages in batches, each one marked sent once.

1. ``claim_batch`` (one short transaction) leases up to N due pending rows to this worker: rows are locked
   with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has one writer: BEGIN IMMEDIATE) and only rows
   whose lease is free are taken, so two dispatchers running at once never take the same row.
2. ``deliver_batch`` renders and sends each leased row *outside* any transaction (an SMTP server that
   hangs never holds a database lock), then marks it in its own small transaction: ``sent`` only if it is
   still pending and leased to this worker; a failure gets exponential backoff (``next_attempt_at``) and,
   after ``max_attempts``, ``failed``.
A dispatcher that dies between sending and marking leaves the row leased; after ``lease_seconds`` it is
sent again with the same Message-ID (at-least-once, recognisable by the receiver). A row marked ``sent`` is
never selected again.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jinja2 import TemplateError
from sqlmodel import or_, select

from models.db import run_in_transaction
from models.notification_tables import Notification
from notifications.delivery import PermanentFailure, SmtpChannel, WebhookChannel, email_message
from notifications.render import render
from notifications.settings import NotifySettings, settings
from states.clock import resolve_now


@dataclass
class BatchOutcome:
    claimed: int = 0
    sent: list[str] = field(default_factory=list)
    retried: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # marked failed for good in this batch


@dataclass
class DispatchReport:
    now: datetime
    worker: str
    batches: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_batch(now: datetime, *, worker: str, url: str | None = None, batch_size: int | None = None,
                config: NotifySettings | None = None) -> list[int]:
    config = config or settings()
    size = batch_size or config.batch_size

    def work(uow) -> list[int]:
        query = (
            select(Notification)
            .where(Notification.status == "pending", Notification.next_attempt_at <= now,
                   or_(Notification.claimed_until.is_(None), Notification.claimed_until <= now))
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        rows = list(uow.session.exec(query))
        for row in rows:
            row.claimed_by, row.claimed_until = worker, now + timedelta(seconds=config.lease_seconds)
            uow.session.add(row)
        return [row.id for row in rows]

    return run_in_transaction(work, url=url, retry_conflicts=True)


def _load(ids: list[int], url: str | None) -> list[dict[str, Any]]:
    def work(uow) -> list[dict[str, Any]]:
        rows = uow.session.exec(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id))
        return [row.model_dump() for row in rows]

    return run_in_transaction(work, url=url, readonly=True)


def _case_code(key: str) -> str:
    return key.split("#", 1)[0]


def deliver_batch(ids: list[int], now: datetime, *, worker: str, url: str | None = None,
                  config: NotifySettings | None = None) -> BatchOutcome:
    config = config or settings()
    outcome = BatchOutcome(claimed=len(ids))
    smtp, webhook = SmtpChannel(config), WebhookChannel(config)
    try:
        for message in _load(ids, url):
            if message["claimed_by"] != worker or message["status"] != "pending":
                continue  # the lease was lost (expired and retaken) or the row was cancelled meanwhile
            try:
                _send(message, now, config, smtp, webhook)
            except PermanentFailure as error:
                _mark_failure(message["id"], now, worker, str(error), True, url, config, outcome, message)
            except Exception as error:  # a transient fault of the channel: retry with backoff
                _mark_failure(message["id"], now, worker, f"{type(error).__name__}: {error}", False, url, config,
                              outcome, message)
            else:
                if _mark_sent(message["id"], now, worker, url):
                    outcome.sent.append(message["key"])
    finally:
        smtp.close()
        webhook.close()
    return outcome


def _send(message: dict[str, Any], now: datetime, config: NotifySettings, smtp: SmtpChannel,
          webhook: WebhookChannel) -> None:
    if not message["recipient"]:
        raise PermanentFailure("no address: brak adresu odbiorcy (no e-mail address, or no webhook configured)")
    try:
        rendered = render(message["template"], message["data"], message["lang"])
    except (TemplateError, KeyError, ValueError, TypeError) as error:
        raise PermanentFailure(f"template {message['template']}: {type(error).__name__}: {error}") from error
    if message["channel"] == "webhook":
        webhook.send(message["recipient"], {
            "key": message["key"], "message_id": message["message_id"], "case": _case_code(message["key"]),
            "template": message["template"], "lang": message["lang"], "subject": rendered.subject,
            "text": rendered.text, "data": message["data"]}, message["key"])
    else:
        smtp.send(email_message(config, key=message["key"], message_id=message["message_id"],
                                recipient=message["recipient"], name=message["recipient_name"],
                                lang=message["lang"], rendered=rendered, now=now))


def _mark_sent(notification_id: int, now: datetime, worker: str, url: str | None) -> bool:
    def work(uow) -> bool:
        row = uow.session.get(Notification, notification_id)
        if row is None or row.status != "pending" or row.claimed_by != worker:
            return False
        row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
        row.claimed_by, row.claimed_until, row.last_error = None, None, None
        uow.session.add(row)
        return True

    return run_in_transaction(work, url=url, retry_conflicts=True)


def backoff(attempts: int, config: NotifySettings) -> timedelta:
    return timedelta(seconds=config.backoff_seconds * 2 ** (attempts - 1))


def _mark_failure(notification_id: int, now: datetime, worker: str, error: str, permanent: bool, url: str | None,
                  config: NotifySettings, outcome: BatchOutcome, message: dict[str, Any]) -> None:
    def work(uow) -> str | None:
        row = uow.session.get(Notification, notification_id)
        if row is None or row.status != "pending" or row.claimed_by != worker:
            return None
        row.attempts += 1
        row.last_error = error[:1000]
        row.claimed_by, row.claimed_until = None, None
        if permanent or row.attempts >= config.max_attempts:
            row.status, row.closed_at = "failed", now
        else:
            row.next_attempt_at = now + backoff(row.attempts, config)
        uow.session.add(row)
        return row.status

    status = run_in_transaction(work, url=url, retry_conflicts=True)
    entry = {"id": notification_id, "key": message["key"], "recipient": message["recipient"], "error": error}
    if status == "failed":
        outcome.failed.append(entry)
    elif status == "pending":
        outcome.retried.append(entry)


def dispatch(now: datetime | str | None = None, *, url: str | None = None, batch_size: int | None = None,
             worker: str | None = None, max_batches: int | None = None) -> DispatchReport:
    """Send every message due at ``now`` (default: the real time), batch after batch, without Prefect."""
    config = settings()
    moment = resolve_now(now)
    report = DispatchReport(now=moment, worker=worker or new_worker_id())
    size = batch_size or config.batch_size
    while max_batches is None or report.batches < max_batches:
        ids = claim_batch(moment, worker=report.worker, url=url, batch_size=size, config=config)
        if not ids:
            break
        outcome = deliver_batch(ids, moment, worker=report.worker, url=url, config=config)
        report.batches += 1
        report.claimed += outcome.claimed
        report.sent += len(outcome.sent)
        report.retried += len(outcome.retried)
        report.failed.extend(outcome.failed)
        if len(ids) < size:
            break
    return report
