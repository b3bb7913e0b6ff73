"""Delivery settings, from the environment (``COOP_…``) or a ``.env`` file, read when needed (not at import)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COOP_", env_file=".env", extra="ignore")

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_ssl: bool = False  # implicit TLS (port 465)
    smtp_user: str | None = None
    # Secrets (invariant 12): SecretStr keeps them out of any repr or log of the settings; read with
    # get_secret_value() only where they are used (the SMTP login, the webhook POST).
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 20.0
    mail_from: str = "Urząd Miasta Leszna <powiadomienia@leszno.example>"
    office_name: str = "Urząd Miasta Leszna"
    officers_email: str = ""  # the NGO office's shared mailbox
    rdpp_email: str = ""  # the Public Benefit Council's (RDPP) address: drafts for its opinion (art. 41i)
    rdpp_name: str = "Rada Działalności Pożytku Publicznego w Lesznie"
    webhook_url: SecretStr = SecretStr("")  # the city's portal: public notices as JSON; its path carries a token
    webhook_timeout: float = 10.0
    message_id_domain: str = "coop.leszno.example"
    default_lang: str = Field(default="pl", validation_alias="COOP_NOTIFY_LANG")  # recipients without a preference
    max_attempts: int = Field(default=6, ge=1)
    backoff_seconds: float = Field(default=60.0, gt=0)  # 1, 2, 4, 8 … minutes between attempts
    batch_size: int = Field(default=50, ge=1)
    lease_seconds: float = Field(default=300.0, gt=0)  # a crashed dispatcher's claim expires after this


# The bytes view of the environment, where the platform has one: scanning it skips decoding every variable.
_ENVIRONMENT, _PREFIX = (os.environb, b"COOP_") if os.supports_bytes_environ else (os.environ, "COOP_")


def settings() -> NotifySettings:
    # Read on every audit record that notifies someone: parsing the environment and .env each time cost ~4 ms
    # per transition on the tick's hot path, so it is cached per distinct COOP_* environment.
    return _settings(tuple(sorted((k, v) for k, v in _ENVIRONMENT.items() if k.startswith(_PREFIX))))


@lru_cache(maxsize=8)
def _settings(_environment: tuple[tuple[str, str], ...]) -> NotifySettings:
    return NotifySettings()


def redact(text: str, config: NotifySettings | None = None) -> str:
    """``text`` with every secret of the settings replaced by ``***`` (the webhook URL, whose path carries a
    token; the SMTP password; the database password): an error message may quote what it was given, and an
    error is stored in the outbox and shown in Prefect (invariant 12)."""
    config = config or settings()
    password = config.smtp_password.get_secret_value() if config.smtp_password else ""
    for secret in _secrets(config.webhook_url.get_secret_value(), password, os.environ.get("COOP_DATABASE_URL", "")):
        text = text.replace(secret, "***")
    return text


@lru_cache(maxsize=8)
def _secrets(webhook_url: str, smtp_password: str, database_url: str) -> tuple[str, ...]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    found = [webhook_url, smtp_password]
    if database_url:
        try:
            found.append(make_url(database_url.strip()).password or "")
        except (ArgumentError, ValueError):
            found.append(database_url)
    # Longest first, so a secret containing another is replaced whole; too short a value would blank words.
    return tuple(sorted((s for s in found if len(s) >= 4), key=len, reverse=True))
