"""The notification settings: what decides the engine's behaviour from the engine's database, secrets from the
worker's environment.

Every worker must act alike (issue 23: one worker without the officers' address failed 20,000 notices), so
the settings that decide what is sent, to whom and how (``ENGINE_SETTINGS``: the office's name and mailboxes,
the RDPP, the channels, the retry policy) live in the database's ``engine_settings`` table, are changed with
``coop settings set`` (validated here, every change kept in ``engine_setting_changes``) and read once per
unit of work: a change is seen by the next transaction of every worker. A key without a row takes its
built-in default.

The secrets (invariant 12: the SMTP password, the webhook URL whose path carries a token, the database's
password) never enter a row: they stay in each worker's environment or ``.env`` (``COOP_SMTP_PASSWORD``,
``COOP_WEBHOOK_URL``, ``COOP_DATABASE_URL``).

The environment variables that used to set the other keys (``COOP_OFFICERS_EMAIL`` …) are no longer read as
settings: a database whose key is unset takes the default, never one worker's environment. A worker whose
environment sets such a variable to something other than the database's value logs a warning naming the key
(once per process and value); ``coop settings import-env`` copies the environment's values into a database once,
recorded in the history.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from states.errors import InvalidInput, RuleViolation
from states.inputs import AsciiInt, Email, ShortText, SingleLine
from states.text import Message, tr

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

log = logging.getLogger("coop.settings")


def _mailbox(value: str) -> str:
    """``Name <address>`` or a bare address; the address by email-validator's rules (as every address here)."""
    from states.text_policy import email_address

    name, address = parseaddr(value)
    if not address or "@" not in address:
        raise ValueError(tr("must be an e-mail address, optionally with a name: Urząd Miasta <powiadomienia@um.pl>"))
    normalised = email_address(address)
    return f"{name} <{normalised}>" if name else normalised


_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


def _host(value: str) -> str:
    if not _HOST.fullmatch(value):
        raise ValueError(tr("must be a host name such as coop.leszno.pl (letters, digits, hyphens and dots)"))
    return value.lower()


Seconds = Annotated[float, Field(gt=0, le=86400, allow_inf_nan=False)]
Mailbox = Annotated[SingleLine, AfterValidator(_mailbox), Field(max_length=300)]
Host = Annotated[SingleLine, AfterValidator(_host)]


class EngineValues(BaseModel):
    """The settings kept in the engine's database, with their built-in defaults and rules."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_default=False)

    office_name: ShortText = "Urząd Miasta Leszna"
    mail_from: Mailbox = "Urząd Miasta Leszna <powiadomienia@leszno.example>"
    officers_email: Email = ""  # the NGO office's shared mailbox; empty: officers' messages wait for it
    rdpp_email: Email = ""  # the Public Benefit Council's (RDPP) address: drafts for its opinion (art. 41i)
    rdpp_name: ShortText = "Rada Działalności Pożytku Publicznego w Lesznie"
    message_id_domain: Host = "coop.leszno.example"
    default_lang: Literal["pl", "en"] = "pl"  # recipients without a preference
    smtp_host: Host = "localhost"
    smtp_port: Annotated[AsciiInt, Field(ge=1, le=65535)] = 25
    smtp_starttls: bool = False
    smtp_ssl: bool = False  # implicit TLS (port 465)
    smtp_user: Annotated[SingleLine, Field(min_length=1, max_length=254)] | None = None
    smtp_timeout: Seconds = 20.0
    webhook_timeout: Seconds = 10.0
    max_attempts: Annotated[AsciiInt, Field(ge=1, le=100)] = 6
    backoff_seconds: Seconds = 60.0  # 1, 2, 4, 8 … minutes between attempts
    batch_size: Annotated[AsciiInt, Field(ge=1, le=10000)] = 50
    lease_seconds: Seconds = 300.0  # a crashed dispatcher's claim expires after this
    # The portal's address as people reach it (the links in messages: the e-mail confirmation, web/portal.py)
    portal_url: Annotated[SingleLine, Field(pattern=r"^https?://[A-Za-z0-9.:\[\]-]+(/[^\s]*)?$",
                                            max_length=300)] = "http://127.0.0.1:4210"


class NotifySettings(EngineValues):
    """What the notification code reads: the engine's values and this worker's secrets."""

    # Secrets (invariant 12): SecretStr keeps them out of any repr or log of the settings; read with
    # get_secret_value() only where they are used (the SMTP login, the webhook POST).
    smtp_password: SecretStr | None = None
    webhook_url: SecretStr = SecretStr("")  # the city's portal: public notices as JSON; its path carries a token


@dataclass(frozen=True)
class Setting:
    key: str  # as people type it: ``officers-email``
    field: str  # the attribute of ``EngineValues``
    help: Message
    env: str  # the environment variable that set it before it moved to the database

    @property
    def default(self) -> Any:
        return EngineValues.model_fields[self.field].default


def _setting(key: str, help: Message, field: str | None = None, env: str | None = None) -> Setting:
    field = field or key.replace("-", "_")
    return Setting(key, field, help, env or f"COOP_{field.upper()}")


ENGINE_SETTINGS: tuple[Setting, ...] = (
    _setting("office-name", tr("the office's name: the signature of every message")),
    _setting("mail-from", tr("the sender of every e-mail (From), e.g. Urząd Miasta <powiadomienia@um.pl>")),
    _setting("officers-email", tr("the NGO office's shared mailbox: officers' tasks; empty: they wait")),
    _setting("rdpp-email", tr("the Public Benefit Council's (RDPP) address: drafts for its opinion (art. 41i)")),
    _setting("rdpp-name", tr("the Public Benefit Council's name")),
    _setting("message-id-domain", tr("the domain of every Message-ID")),
    _setting("default-language", tr("the language of recipients without a preference: pl | en"),
             field="default_lang", env="COOP_NOTIFY_LANG"),
    _setting("smtp-host", tr("the SMTP server")),
    _setting("smtp-port", tr("the SMTP server's port")),
    _setting("smtp-starttls", tr("STARTTLS after connecting: true | false")),
    _setting("smtp-ssl", tr("implicit TLS (port 465): true | false")),
    _setting("smtp-user", tr("the SMTP login's user (its password stays in the environment)")),
    _setting("smtp-timeout", tr("seconds the SMTP server may take to answer")),
    _setting("webhook-timeout", tr("seconds the city's portal may take to answer")),
    _setting("max-attempts", tr("attempts before a message fails for good")),
    _setting("backoff-seconds", tr("seconds before the second attempt; doubled after each")),
    _setting("batch-size", tr("messages a dispatcher claims at once")),
    _setting("lease-seconds", tr("seconds a dispatcher's claim lasts (real time, renewed before each message)")),
    _setting("portal-url", tr("the portal's address as people reach it, for the links in messages, e.g. "
                              "https://ngo.leszno.pl")),
)
BY_KEY = {s.key: s for s in ENGINE_SETTINGS}
_BY_FIELD = {s.field: s for s in ENGINE_SETTINGS}


@dataclass(frozen=True)
class Secret:
    key: str
    env: str
    help: Message


# Never in a row (invariant 12): each worker's environment (or .env) holds them.
SECRETS: tuple[Secret, ...] = (
    Secret("smtp-password", "COOP_SMTP_PASSWORD", tr("the SMTP login's password")),
    Secret("webhook-url", "COOP_WEBHOOK_URL", tr("the city's portal webhook (its path carries a token)")),
    Secret("database-password", "COOP_DATABASE_URL", tr("the database's password, in its URL")),
)
_SECRET_KEYS = {s.key: s for s in SECRETS}

# The mailboxes of the office and the council: a message to them waits while the setting is empty.
OFFICE_MAILBOXES = {"officers": BY_KEY["officers-email"], "rdpp": BY_KEY["rdpp-email"]}


def setting(key: str) -> Setting:
    """The setting named ``key``, or a refusal naming the keys (and saying where a secret lives)."""
    found = BY_KEY.get(key.strip().lower())
    if found is not None:
        return found
    from states.text_policy import shown

    secret = _SECRET_KEYS.get(key.strip().lower())
    if secret is not None:
        raise InvalidInput("secret_setting", tr(
            "“{key}” is a secret: it stays in each worker's environment ({env}), never in the engine's database "
            "(invariant 12).", key=secret.key, env=secret.env))
    raise InvalidInput("unknown_setting", tr("Unknown setting “{key}”; the settings are: {keys}.",
                                             key=shown(key), keys=[s.key for s in ENGINE_SETTINGS]))


def as_text(value: Any) -> str:
    """A validated value as the database keeps it (``true``, ``25``, ``60.0``, the address)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse(item: Setting, raw: str, *, source: str | None = None) -> Any:
    """``raw`` as the setting's typed value, by the rules of ``EngineValues``; InvalidInput naming the setting
    (and ``source``, where the value came from) and the rule."""
    try:
        return getattr(EngineValues.model_validate({item.field: raw}), item.field)
    except ValidationError as error:
        from states.input_errors import problem
        from states.text_policy import shown

        first = problem(error.errors(include_url=False)[0])
        where = f" ({source})" if source else ""  # the variable an imported value came from
        raise InvalidInput("invalid_setting", tr(
            "Setting {key}{source}: “{value}” — {problem}; nothing was changed.", key=item.key, source=where,
            value=shown(raw, 80), problem=first)) from None


def read_values(connection: Connection) -> dict[str, str]:
    """The settings written in the database, by key (text as stored)."""
    return {key: value for key, value in connection.execute(_all_rows()) if key in BY_KEY}


@lru_cache(maxsize=1)
def _all_rows():
    # The whole table (a row per key written, the clock's among them): one plain statement, built once; a
    # filter by key (IN with 18 values) cost more to expand than the rows it skips.
    import sqlalchemy as sa

    from models.settings import EngineSetting

    table = EngineSetting.__table__
    return sa.select(table.c.key, table.c.value)


def load(connection: Connection) -> NotifySettings:
    """The settings in force: the database's values, else the defaults; the secrets from the environment."""
    return _merged(tuple(sorted(read_values(connection).items())), _environment_key())


@lru_cache(maxsize=32)
def _merged(stored: tuple[tuple[str, str], ...], environment_key: tuple) -> NotifySettings:
    # Checking the values costs ~0.5 ms and they rarely change: done once per distinct (stored, environment).
    values: dict[str, Any] = {}
    for key, raw in stored:
        item = BY_KEY[key]
        try:
            values[item.field] = parse(item, raw)
        except InvalidInput as error:  # written by hand or a newer engine: refuse rather than guess
            raise RuleViolation("bad_stored_setting", tr(
                "The engine's database holds an invalid value: {problem} Set it again with "
                "`coop settings set {key} …`.", problem=error.message(), key=key)) from None
    environment = _parsed_environment(environment_key)
    config = NotifySettings.model_construct(**values, smtp_password=environment.smtp_password,
                                            webhook_url=environment.webhook_url)
    _warn_about_environment(config, environment)
    return config


def engine_settings(url: str | None = None) -> NotifySettings:
    """``load`` in a short read-only transaction of its own (the dispatcher: once per batch)."""
    from models.db import run_in_transaction

    return run_in_transaction(lambda uow: load(uow.session.connection()), url=url, readonly=True)


def session_settings(session) -> NotifySettings:
    """The settings for this unit of work: read once per session (a tick's batch notifies for many records),
    so the next transaction sees a change."""
    config = session.info.get(_SESSION_KEY)
    if config is None:
        config = session.info[_SESSION_KEY] = load(session.connection())
    return config


_SESSION_KEY = "coop_notify_settings"


# --- the worker's environment: its secrets, and the variables of the settings that moved -------------------


class _Environment(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COOP_", env_file=".env", extra="ignore")

    smtp_password: SecretStr | None = None
    webhook_url: SecretStr = SecretStr("")
    # The moved settings as the environment writes them (None: not set): compared, never used.
    office_name: str | None = None
    mail_from: str | None = None
    officers_email: str | None = None
    rdpp_email: str | None = None
    rdpp_name: str | None = None
    message_id_domain: str | None = None
    default_lang: str | None = Field(default=None, validation_alias="COOP_NOTIFY_LANG")
    smtp_host: str | None = None
    smtp_port: str | None = None
    smtp_starttls: str | None = None
    smtp_ssl: str | None = None
    smtp_user: str | None = None
    smtp_timeout: str | None = None
    webhook_timeout: str | None = None
    max_attempts: str | None = None
    backoff_seconds: str | None = None
    batch_size: str | None = None
    lease_seconds: str | None = None
    portal_url: str | None = None


# The bytes view of the environment, where the platform has one: scanning it skips decoding every variable.
_ENVIRONMENT, _PREFIX = (os.environb, b"COOP_") if os.supports_bytes_environ else (os.environ, "COOP_")


def _environment_key() -> tuple:
    return tuple(sorted((k, v) for k, v in _ENVIRONMENT.items() if k.startswith(_PREFIX)))


def _environment() -> _Environment:
    # Parsing the environment and .env cost ~4 ms: cached per distinct COOP_* environment.
    return _parsed_environment(_environment_key())


@lru_cache(maxsize=8)
def _parsed_environment(_environment: tuple[tuple[Any, Any], ...]) -> _Environment:
    return _Environment()


def environment_values() -> dict[str, str]:
    """The moved settings this worker's environment (or .env) sets, by key: what ``import-env`` copies."""
    environment = _environment()
    return {item.key: getattr(environment, item.field) for item in ENGINE_SETTINGS
            if getattr(environment, item.field) is not None}


def _warn_about_environment(config: NotifySettings, environment: _Environment) -> None:
    for item in ENGINE_SETTINGS:
        raw = getattr(environment, item.field)
        if raw is None:
            continue
        in_force = getattr(config, item.field)
        try:
            same = parse(item, raw) == in_force
        except InvalidInput:
            same = False
        if same:
            continue
        log.warning("%s", tr(
            "{env} in this worker's environment differs from the setting {key} in the engine's database, which "
            "is used; every worker uses the database's. Change it with `coop settings set {key} …` (or copy the "
            "environment once: `coop settings import-env`) and remove {env} from the environment.",
            env=item.env, key=item.key))


def secrets() -> NotifySettings:
    """The defaults with this worker's secrets: for ``redact`` where no database is at hand."""
    environment = _environment()
    return NotifySettings.model_construct(smtp_password=environment.smtp_password,
                                          webhook_url=environment.webhook_url)


def secret_is_set(secret: Secret) -> bool:
    if secret.key == "database-password":
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        url = os.environ.get("COOP_DATABASE_URL", "").strip()
        try:
            return bool(url) and bool(make_url(url).password)
        except (ArgumentError, ValueError):
            return False
    environment = _environment()
    value = environment.smtp_password if secret.key == "smtp-password" else environment.webhook_url
    return bool(value and value.get_secret_value())


def redact(text: str, config: NotifySettings | None = None) -> str:
    """``text`` with every secret of the settings replaced by ``***`` (the webhook URL, whose path carries a
    token; the SMTP password; the database password): an error message may quote what it was given, and an
    error is stored in the outbox and shown in Prefect (invariant 12)."""
    config = config or secrets()
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
