"""Delivery channels: e-mail over SMTP (STARTTLS, implicit TLS and login supported) and webhooks (JSON POST).

Every error of a delivery is classified once (``classify``): *permanent* when retrying the same message
cannot help (a bad address or header, a 5xx answer to this message, a 4xx webhook answer other than 408/429),
so the message is failed at once with the reason; *transient* otherwise (the connection, a 4xx SMTP answer,
a 5xx or 429 webhook answer, the server's own configuration such as a refused login), retried with backoff.

A send is bounded by the lease of the dispatcher that makes it (``deadline``, a ``time.monotonic()`` moment):
the SMTP connection is cut when the deadline passes, so no send outlives the lease under which it started.

Secrets (the webhook URL, the SMTP login) live in the settings only; no message raised from here carries
them (``redact``).
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from notifications.render import Rendered
from notifications.settings import NotifySettings, redact


class PermanentFailure(Exception):
    """Retrying will not help: the message is marked failed at once."""


class TransientFailure(Exception):
    """Worth another attempt later (with backoff); the message text is safe to store and show."""


class LeaseExpired(TransientFailure):
    """The send was cut at the end of the dispatcher's lease; whether the server took the message is unknown,
    so it is sent again later with the same Message-ID."""


def email_message(config: NotifySettings, *, key: str, message_id: str, recipient: str, name: str, lang: str,
                  rendered: Rendered, now: datetime, attachments: Sequence[Any] = ()) -> EmailMessage:
    """The e-mail, or ``PermanentFailure`` when it cannot be written: an address that is not one, a header
    with a line break (``"Fundacja X\\r\\nBcc: …"`` would add a recipient; the email package refuses it)."""
    try:
        msg = EmailMessage()
        msg["From"] = config.mail_from
        msg["To"] = Address(display_name=name or "", addr_spec=recipient)
        msg["Subject"] = rendered.subject
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = message_id
        msg["X-Coop-Key"] = key  # the idempotency key: a receiving system can drop a duplicate by it
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to automatic mail
        msg.set_content(rendered.text)
        msg.add_alternative(rendered.html, subtype="html")
        for attached in attachments:  # notifications/attachments.py: made now from the rows the message names
            maintype, _, subtype = attached.content_type.partition("/")
            msg.add_attachment(attached.data, maintype=maintype, subtype=subtype, filename=attached.filename)
        msg["Content-Language"] = lang  # after the parts: making the multipart moves Content-* headers into them
    except (ValueError, TypeError, IndexError, MessageError) as error:  # InvalidHeaderDefect is a ValueError
        raise PermanentFailure(f"bad address or header: {type(error).__name__}: {error}") from error
    return msg


def classify(error: BaseException) -> tuple[bool, str]:
    """(permanent, reason) of an error raised by a send."""
    if isinstance(error, PermanentFailure):
        return True, str(error)
    if isinstance(error, TransientFailure):
        return False, str(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        refused = ", ".join(f"{code} {_text(reply)}" for code, reply in error.recipients.values())
        return bool(codes) and all(code >= 500 for code in codes), f"recipient refused: {refused}"
    if isinstance(error, (smtplib.SMTPAuthenticationError, smtplib.SMTPHeloError, smtplib.SMTPConnectError,
                          smtplib.SMTPSenderRefused)):
        # The office's own server, login or sender address, the same for every message: fixed by the operator,
        # not per message; failing every message at once for it would bury them all.
        return False, f"SMTP {type(error).__name__} {error.smtp_code}: {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPResponseException):  # this message's data refused (size, content)
        return error.smtp_code >= 500, f"SMTP {type(error).__name__} {error.smtp_code}: {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPNotSupportedError):  # e.g. a non-ASCII address and no SMTPUTF8
        return True, f"SMTP: {error}"
    if isinstance(error, (ValueError, MessageError)):  # a property of the message itself (its address, a header)
        return True, f"bad address or header: {type(error).__name__}: {error}"
    # Connections, timeouts, disconnects and anything unforeseen: another attempt may succeed.
    return False, f"{type(error).__name__}: {error}"


def _text(reply: Any) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class _Watchdog:
    """Cuts the connection when a deadline passes, from a timer thread: a blocked ``recv`` or ``sendall`` then
    returns at once (``shutdown`` is the one socket call meant to be made from another thread). The socket is
    looked up when the time comes: STARTTLS replaces it."""

    def __init__(self, deadline: float | None, current_socket: Callable[[], socket.socket | None]) -> None:
        self.fired = False
        self.current_socket = current_socket
        self.timer = None
        if deadline is not None:
            self.timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._cut)
            self.timer.daemon = True

    def _cut(self) -> None:
        self.fired = True
        sock = self.current_socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Watchdog:
        if self.timer is not None:
            self.timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.timer is not None:
            self.timer.cancel()


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise LeaseExpired("lease expired before the send: not sent")
    return left


class SmtpChannel:
    """One SMTP connection per batch, opened on the first message and reopened after a disconnect."""

    def __init__(self, config: NotifySettings) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def _connect(self, deadline: float | None) -> smtplib.SMTP:
        c = self.config
        left = _remaining(deadline)
        # Connecting and the greeting are bounded by the socket timeout (the watchdog needs the socket first).
        timeout = c.smtp_timeout if left is None else min(c.smtp_timeout, left / 2)
        if c.smtp_ssl:
            smtp = smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=timeout)
        self.smtp = smtp
        smtp.sock.settimeout(c.smtp_timeout)  # from here on the watchdog keeps the lease; timeouts are the server's
        with _Watchdog(deadline, self._socket) as watchdog:
            try:
                if not c.smtp_ssl and c.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if c.smtp_user:
                    smtp.login(c.smtp_user, c.smtp_password.get_secret_value() if c.smtp_password else "")
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                self.close()
                if watchdog.fired:
                    raise LeaseExpired("lease expired while connecting: not sent") from error
                raise
            except smtplib.SMTPException:
                self.close()
                raise
        return smtp

    def send(self, msg: EmailMessage, deadline: float | None = None) -> None:
        if self.smtp is None:
            self._connect(deadline)
        _remaining(deadline)
        with _Watchdog(deadline, self._socket) as watchdog:
            try:
                refused = self.smtp.send_message(msg)
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                self.close()
                if watchdog.fired:
                    raise LeaseExpired("lease expired during the send: the connection was cut, delivery "
                                       "unknown; it is sent again later with the same Message-ID") from error
                raise
            except smtplib.SMTPRecipientsRefused:
                raise
            except smtplib.SMTPResponseException:
                self.close()  # the transaction is in an unknown state: start the next message afresh
                raise
        if refused:  # only with several recipients; one message has one
            raise smtplib.SMTPRecipientsRefused(refused)

    def _socket(self) -> socket.socket | None:
        return getattr(self.smtp, "sock", None)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                try:
                    self.smtp.close()
                except OSError:
                    pass
            self.smtp = None


class _Redacting(logging.Filter):
    """httpx logs every request with its URL (at INFO): a token in the webhook's path must not reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = redact(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


_REDACTING = _Redacting()


class WebhookChannel:
    """JSON POSTs to the one webhook of the settings; the URL (with its token) is read here, at send time, and
    never written to a row, a run name, a message or a log line."""

    def __init__(self, config: NotifySettings) -> None:
        self.config = config
        self.client: Any = None
        logging.getLogger("httpx").addFilter(_REDACTING)  # the same filter object: added once

    def send(self, payload: dict[str, Any], key: str, deadline: float | None = None) -> None:
        import httpx

        url = self.config.webhook_url.get_secret_value()
        if not url:
            raise PermanentFailure("no webhook configured (COOP_WEBHOOK_URL)")
        left = _remaining(deadline)
        if self.client is None:
            self.client = httpx.Client(timeout=self.config.webhook_timeout)
        # Each phase (connect, write, read) within a third of what is left of the lease.
        timeout = self.config.webhook_timeout if left is None else min(self.config.webhook_timeout, left / 3)
        try:
            response = self.client.post(url, json=payload, headers={"Idempotency-Key": key},
                                        timeout=httpx.Timeout(timeout))
        except httpx.InvalidURL:
            raise PermanentFailure("the webhook URL (COOP_WEBHOOK_URL) is not a valid URL") from None
        except httpx.HTTPError as error:
            # httpx's messages may quote the URL (and its token): keep only the kind of error.
            raise TransientFailure(f"webhook: {type(error).__name__}") from None
        status = response.status_code
        if 400 <= status < 500 and status not in (408, 429):
            raise PermanentFailure(f"webhook answered {status}")
        if status >= 400:
            raise TransientFailure(f"webhook answered {status}")

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
