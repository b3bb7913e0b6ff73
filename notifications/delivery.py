"""Delivery channels: e-mail over SMTP (STARTTLS, implicit TLS and login supported) and webhooks (JSON POST).

A channel raises ``PermanentFailure`` when retrying cannot help (no address, a refused recipient, a 4xx
answer); any other exception is transient and the dispatcher retries it with backoff.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from notifications.render import Rendered
from notifications.settings import NotifySettings


class PermanentFailure(Exception):
    """Retrying will not help: the message is marked failed at once."""


def email_message(config: NotifySettings, *, key: str, message_id: str, recipient: str, name: str, lang: str,
                  rendered: Rendered, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config.mail_from
    msg["To"] = formataddr((name, recipient)) if name else recipient
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    msg["X-Coop-Key"] = key  # the idempotency key: a receiving system can drop a duplicate by it
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to automatic mail
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    msg["Content-Language"] = lang  # after the parts: making the multipart moves Content-* headers into them
    return msg


class SmtpChannel:
    """One SMTP connection per batch, opened on the first message and reopened after a disconnect."""

    def __init__(self, config: NotifySettings) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.smtp_ssl:
            smtp = smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout)
            if c.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
        if c.smtp_user:
            smtp.login(c.smtp_user, c.smtp_password or "")
        return smtp

    def send(self, msg: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            refused = self.smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure(f"recipient refused: {error.recipients}") from error
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise
        if refused:
            raise PermanentFailure(f"recipient refused: {refused}")

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None


class WebhookChannel:
    def __init__(self, config: NotifySettings) -> None:
        self.config = config
        self.client: Any = None

    def send(self, url: str, payload: dict[str, Any], key: str) -> None:
        import httpx

        if self.client is None:
            self.client = httpx.Client(timeout=self.config.webhook_timeout)
        response = self.client.post(url, json=payload, headers={"Idempotency-Key": key})
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise PermanentFailure(f"webhook answered {response.status_code}")
        response.raise_for_status()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
