"""The dispatcher: send the due pending messages in batches, each one marked sent once, by one dispatcher.

1. ``claim_batch`` (one short transaction) leases up to N due pending rows: rows are locked with
   ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has one writer: BEGIN IMMEDIATE) and only rows whose
   lease is free are taken. The claim writes a *fencing token* of its own into ``claimed_by`` (the worker
   and a random claim id) and ``claimed_until`` = the lease clock + ``lease_seconds``.
2. ``deliver_batch`` renders and sends each leased row *outside* any transaction (an SMTP server that hangs
   never holds a database lock). Before each message it renews the lease of every row the token still holds
   and goes on only if this row is among them (``renew``): a dispatcher whose lease lapsed and was taken by
   another finds its token gone and neither sends nor marks the row. The send itself is cut when 80% of the
   renewed lease has passed (``SEND_SHARE``), so no send outlives the lease it started under. The row is then
   marked in its own conditional update, ``WHERE claimed_by = <token> AND status = 'pending'``: ``sent``; on
   a transient error backoff (``next_attempt_at``) and, after ``max_attempts``, ``failed``; on a permanent
   one (a bad address or header, a 5xx answer to this message) ``failed`` at once with the reason. A message
   to an office mailbox that is not set (``officers-email``, ``rdpp-email``) is *held*: it stays pending, its
   attempts untouched, tried again after ``backoff_seconds`` with the reason naming the setting; setting it
   (``coop settings set``) makes the held messages due at once.

The settings (notifications/settings.py) are read from the engine's database once per batch.

The lease is measured on the *lease clock*, real time whatever the effective ``now`` of the dispatch (a
simulation may dispatch at any ``now``; a lease is about real seconds): the database's clock on PostgreSQL,
so dispatchers on several machines share one clock; the machine's own on SQLite (one machine by design).

The one duplicate left: a dispatcher that dies (or whose send is cut at the end of its lease) after the
server took the message and before marking it leaves the row unmarked; once the lease expires it is sent
again with the same Message-ID (at-least-once at that one point, recognisable by the receiver). A row
marked ``sent`` is never selected again.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from jinja2 import TemplateError
from sqlmodel import select

from models.db import run_in_transaction
from models.notification_tables import Notification
from notifications.attachments import Attachment, attachments_for
from notifications.delivery import PermanentFailure, SmtpChannel, WebhookChannel, classify, email_message
from notifications.outbox import NO_ADDRESS
from notifications.render import render
from notifications.settings import OFFICE_MAILBOXES, NotifySettings, engine_settings, redact
from states.clock import resolve_now

T = Notification.__table__
SEND_SHARE = 0.8  # of a renewed lease, the time a send may take; the rest is left for marking the row


@dataclass
class Claim:
    token: str  # the fencing token: every later write about these rows requires claimed_by == token
    ids: list[int] = field(default_factory=list)


@dataclass
class BatchOutcome:
    claimed: int = 0
    sent: list[str] = field(default_factory=list)
    retried: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # marked failed for good in this batch
    lost: list[str] = field(default_factory=list)  # leases lost to another dispatcher (or rows cancelled meanwhile)
    held: list[str] = field(default_factory=list)  # waiting for an office mailbox to be set
    undeliverable: list[dict[str, Any]] = field(default_factory=list)  # nobody to send it to: recorded as such


@dataclass
class DispatchReport:
    now: datetime
    worker: str
    batches: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    lost: int = 0
    held: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    undeliverable: int = 0


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_clock(conn: sa.Connection) -> datetime:
    """Real time for leases: the database's clock on PostgreSQL (``clock_timestamp()``, not the transaction's
    start), the machine's on SQLite."""
    if conn.dialect.name == "postgresql":
        return conn.execute(sa.select(sa.func.clock_timestamp())).scalar_one().astimezone(UTC)
    return datetime.now(UTC)


def _claimable(now: datetime, clock: datetime) -> tuple:
    """A row a dispatch at ``now`` may take: pending, due, and its lease (if any) over on the lease clock."""
    return (T.c.status == "pending", T.c.next_attempt_at <= now,
            sa.or_(T.c.claimed_until.is_(None), T.c.claimed_until <= clock))


def work_waiting(now: datetime, *, url: str | None = None) -> bool:
    """Whether a dispatch at ``now`` would find a message to send: one indexed EXISTS (the partial index on due
    pending rows), so the tick can ask it every time. Rows leased by a dispatcher at work are not counted: it
    sends them; a lease its holder abandoned counts again once it has expired."""
    def work(uow) -> bool:
        conn = uow.session.connection()
        return bool(conn.execute(sa.select(sa.exists().where(*_claimable(now, lease_clock(conn))))).scalar())

    return run_in_transaction(work, url=url, readonly=True)


def claim_batch(now: datetime, *, worker: str, url: str | None = None, batch_size: int | None = None,
                config: NotifySettings | None = None) -> Claim:
    """Lease up to ``batch_size`` rows due at ``now`` under a new fencing token."""
    config = config or engine_settings(url)
    size = batch_size or config.batch_size
    token = f"{worker}/{uuid.uuid4().hex[:12]}"

    def work(uow) -> list[int]:
        conn = uow.session.connection()
        clock = lease_clock(conn)
        ids = list(conn.execute(
            sa.select(T.c.id)
            .where(*_claimable(now, clock))
            .order_by(T.c.next_attempt_at, T.c.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        ).scalars())
        if ids:
            conn.execute(sa.update(T).where(T.c.id.in_(ids))
                         .values(claimed_by=token, claimed_until=clock + timedelta(seconds=config.lease_seconds)))
        return ids

    return Claim(token, run_in_transaction(work, url=url, retry_conflicts=True))


def renew(claim: Claim, notification_id: int, *, url: str | None, config: NotifySettings) -> float | None:
    """Extend the lease of every row ``claim`` still holds; the ``time.monotonic()`` moment by which the send
    of ``notification_id`` must be over, or None when that row is no longer this claim's to send."""
    started = time.monotonic()  # before the database's clock is read: the deadline errs on the early side

    def work(uow) -> bool:
        conn = uow.session.connection()
        until = lease_clock(conn) + timedelta(seconds=config.lease_seconds)
        conn.execute(sa.update(T).where(T.c.claimed_by == claim.token, T.c.status == "pending")
                     .values(claimed_until=until))
        return conn.execute(sa.select(T.c.id).where(T.c.id == notification_id, T.c.claimed_by == claim.token,
                                                    T.c.status == "pending")).first() is not None

    held = run_in_transaction(work, url=url, retry_conflicts=True)
    return started + config.lease_seconds * SEND_SHARE if held else None


def _load(ids: list[int], url: str | None) -> list[dict[str, Any]]:
    def work(uow) -> list[dict[str, Any]]:
        rows = uow.session.exec(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id))
        return [row.model_dump() for row in rows]

    return run_in_transaction(work, url=url, readonly=True)


def _case_code(key: str) -> str:
    return key.split("#", 1)[0]


def deliver_batch(claim: Claim, now: datetime, *, url: str | None = None,
                  config: NotifySettings | None = None) -> BatchOutcome:
    config = config or engine_settings(url)
    outcome = BatchOutcome(claimed=len(claim.ids))
    smtp, webhook = SmtpChannel(config), WebhookChannel(config)
    in_flight = None  # a row whose send began and whose mark has not committed: its lease must run out instead
    try:
        for message in _load(claim.ids, url):
            deadline = renew(claim, message["id"], url=url, config=config)
            if deadline is None:  # the lease was lost (expired and retaken) or the row was cancelled meanwhile
                outcome.lost.append(message["key"])
                continue
            in_flight = message["id"]
            try:
                sent_to = _send(message, now, config, smtp, webhook, deadline, attachments_for(message, url))
            except Undeliverable as reason:
                _mark_failure(claim, message, now, str(reason), True, url, config, outcome, status="undeliverable")
            except Held as held:
                if _mark_held(claim, message, now, str(held), url, config):
                    outcome.held.append(message["key"])
                else:
                    outcome.lost.append(message["key"])
            except Exception as error:  # noqa: BLE001 - every delivery error is classified, none is lost
                permanent, reason = classify(error)
                _mark_failure(claim, message, now, redact(reason, config), permanent, url, config, outcome)
            else:
                if _mark_sent(claim, message["id"], now, url, sent_to):
                    outcome.sent.append(message["key"])
            in_flight = None
    finally:
        smtp.close()
        webhook.close()
        _release(claim, url, keep=in_flight)
    return outcome


class Undeliverable(Exception):
    """Nobody can send it (a row queued before the outbox recorded such rows at once, notifications/outbox.py)."""


class Held(Exception):
    """Not sent, not an attempt: the office mailbox it goes to is not set yet; the text says which setting."""


def _send(message: dict[str, Any], now: datetime, config: NotifySettings, smtp: SmtpChannel,
          webhook: WebhookChannel, deadline: float, attachments: list[Attachment] | None = None) -> str:
    """Send the message; returns the address it went to (an office's is the setting's, read now)."""
    if not message["recipient"]:
        mailbox = OFFICE_MAILBOXES.get(message["audience"])
        if mailbox is None:
            raise Undeliverable(NO_ADDRESS)
        address = getattr(config, mailbox.field)
        if not address:
            from states.text import tr

            raise Held(str(tr("waiting for the address: the setting {key} is empty; set it with "
                              "`coop settings set {key} ADDRESS` and the message goes out", key=mailbox.key)))
        message = {**message, "recipient": address}
    try:
        rendered = render(message["template"], message["data"], message["lang"])
    except (TemplateError, KeyError, ValueError, TypeError) as error:
        raise PermanentFailure(f"template {message['template']}: {type(error).__name__}: {error}") from error
    if message["channel"] == "webhook":
        # The row names the channel ("public-portal"); its URL, a secret, is read from the settings now.
        webhook.send({
            "key": message["key"], "message_id": message["message_id"],
            "case": None if message["case_id"] is None else _case_code(message["key"]),  # None: the daily anchor
            "template": message["template"], "lang": message["lang"], "subject": rendered.subject,
            "text": rendered.text, "data": message["data"]}, message["key"], deadline)
    else:
        smtp.send(email_message(config, key=message["key"], message_id=message["message_id"],
                                recipient=message["recipient"], name=message["recipient_name"],
                                lang=message["lang"], rendered=rendered, now=now, attachments=attachments or ()),
                  deadline)
    return message["recipient"]


def _mark_sent(claim: Claim, notification_id: int, now: datetime, url: str | None, recipient: str) -> bool:
    def work(uow) -> bool:
        conn = uow.session.connection()
        done = conn.execute(
            sa.update(T).where(T.c.id == notification_id, T.c.claimed_by == claim.token, T.c.status == "pending")
            .values(status="sent", sent_at=now, attempts=T.c.attempts + 1, claimed_until=None, last_error=None,
                    recipient=recipient))
        if done.rowcount == 1:
            return True
        # claimed_by keeps the token of the claim that sent it, so a commit retried after a lost reply knows it
        row = conn.execute(sa.select(T.c.status, T.c.claimed_by).where(T.c.id == notification_id)).first()
        return row is not None and tuple(row) == ("sent", claim.token)

    return run_in_transaction(work, url=url, retry_conflicts=True)


def backoff(attempts: int, config: NotifySettings) -> timedelta:
    return timedelta(seconds=config.backoff_seconds * 2 ** (attempts - 1))


def _mark_failure(claim: Claim, message: dict[str, Any], now: datetime, error: str, permanent: bool,
                  url: str | None, config: NotifySettings, outcome: BatchOutcome, status: str | None = None) -> None:
    attempts = message["attempts"] + 1  # only the token's holder changes attempts: stable while it holds it
    status = status or ("failed" if permanent or attempts >= config.max_attempts else "pending")
    values: dict[str, Any] = {"attempts": attempts, "last_error": error[:1000], "claimed_by": None,
                              "claimed_until": None, "status": status}
    if status != "pending":
        values["closed_at"] = now
    else:
        values["next_attempt_at"] = now + backoff(attempts, config)

    def work(uow) -> bool:
        return uow.session.connection().execute(
            sa.update(T).where(T.c.id == message["id"], T.c.claimed_by == claim.token, T.c.status == "pending",
                               T.c.attempts == message["attempts"]).values(**values)).rowcount == 1

    if not run_in_transaction(work, url=url, retry_conflicts=True):
        outcome.lost.append(message["key"])
        return
    entry = {"id": message["id"], "key": message["key"], "recipient": message["recipient"], "error": error,
             "permanent": permanent}
    {"failed": outcome.failed, "undeliverable": outcome.undeliverable}.get(status, outcome.retried).append(entry)


def _mark_held(claim: Claim, message: dict[str, Any], now: datetime, reason: str, url: str | None,
               config: NotifySettings) -> bool:
    """Give the row back, pending, due again after ``backoff_seconds``; its attempts are not counted (waiting
    for a setting never makes a message fail)."""
    def work(uow) -> bool:
        return uow.session.connection().execute(
            sa.update(T).where(T.c.id == message["id"], T.c.claimed_by == claim.token, T.c.status == "pending")
            .values(last_error=reason[:1000], claimed_by=None, claimed_until=None,
                    next_attempt_at=now + timedelta(seconds=config.backoff_seconds))).rowcount == 1

    return run_in_transaction(work, url=url, retry_conflicts=True)


def _release(claim: Claim, url: str | None, keep: int | None = None) -> None:
    """Give back the rows of the claim not dealt with (the batch ended early on an error or a cancellation), so
    another run need not wait for the lease to expire; not ``keep``, a row perhaps sent and not marked: it waits
    for its lease to expire, as after a crash. Best effort: an expired lease frees them anyway."""
    def work(uow) -> None:
        uow.session.connection().execute(
            sa.update(T).where(T.c.claimed_by == claim.token, T.c.status == "pending", T.c.id != (keep or 0))
            .values(claimed_by=None, claimed_until=None))

    try:
        run_in_transaction(work, url=url, retry_conflicts=True)
    except Exception:  # noqa: BLE001 - the lease expires by itself; the batch's own error matters more
        pass


def dispatch(now: datetime | str | None = None, *, url: str | None = None, batch_size: int | None = None,
             worker: str | None = None, max_batches: int | None = None) -> DispatchReport:
    """Send every message due at ``now`` (default: the real time), batch after batch, without Prefect."""
    moment = resolve_now(now)
    report = DispatchReport(now=moment, worker=worker or new_worker_id())
    while max_batches is None or report.batches < max_batches:
        config = engine_settings(url)  # each batch sees the settings as they are now
        size = batch_size or config.batch_size
        claim = claim_batch(moment, worker=report.worker, url=url, batch_size=size, config=config)
        if not claim.ids:
            break
        outcome = deliver_batch(claim, moment, url=url, config=config)
        report.batches += 1
        report.claimed += outcome.claimed
        report.sent += len(outcome.sent)
        report.retried += len(outcome.retried)
        report.lost += len(outcome.lost)
        report.held += len(outcome.held)
        report.failed.extend(outcome.failed)
        report.undeliverable += len(outcome.undeliverable)
        if len(claim.ids) < size:
            break
    return report
