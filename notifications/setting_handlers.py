"""``coop settings …``: the engine's settings (notifications/settings.py) shown, changed and their history.

A change is an officer's (the role that runs the office; issue 20 brings real identities): it is validated by
the settings' own model, written with its history row (who, the database's time, old → new, why) in one
transaction. Secrets are never written or shown: only whether this worker's environment sets them.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import select

from models.notification_tables import Notification
from models.settings import EngineSetting, SettingChange
from notifications import settings as s
from states.engine import Context
from states.inputs import Command, MultiLine, SingleLine
from states.text import tr

# The name the command log and the idempotency digests give these handlers (models/command_log.py:
# command_name): the module's path before it moved, so a key recorded then still answers its retry.
COMMAND_NAMESPACE = "notifications.setting_commands"

Key = Annotated[SingleLine, Field(min_length=1, max_length=64)]
Reason = Annotated[SingleLine, Field(min_length=1, max_length=500)]


class SetSetting(Command):
    key: Key
    value: Annotated[MultiLine, Field(max_length=1000)]  # checked by the setting's own rule (one line, mostly)
    reason: Reason | None = None


class SetSettings(Command):
    """Several settings in one transaction (a demo's, a test's): each checked as by ``set``."""

    values: dict[Key, Annotated[MultiLine, Field(max_length=1000)]]
    reason: Reason | None = None


class SettingRef(Command):
    key: Key
    reason: Reason | None = None


class SettingHistory(Command):
    key: Key | None = None


class ImportEnvironment(Command):
    reason: Reason | None = None


def _source(stored: bool) -> object:
    return tr("engine database") if stored else tr("default")


def show_settings(ctx: Context) -> list[dict]:
    """Every setting in force and where it comes from; the secrets only as "set in the environment: yes/no"."""
    stored = s.read_values(ctx.session.connection())
    config = s.load(ctx.session.connection())
    environment = s.environment_values()
    rows: list[dict] = []
    for item in s.ENGINE_SETTINGS:
        value = getattr(config, item.field)
        note = ""
        if item.key in environment:
            try:
                differs = s.parse(item, environment[item.key]) != value
            except Exception:  # noqa: BLE001 - an invalid environment value differs, whatever it says
                differs = True
            note = tr("{env} differs (ignored)", env=item.env) if differs else tr("{env} the same", env=item.env)
        rows.append({"key": item.key, "value": "" if value is None else s.as_text(value),
                     "source": _source(item.key in stored), "environment": note, "description": item.help})
    for secret in s.SECRETS:
        rows.append({"key": secret.key, "value": "***", "source": tr("environment (secret)"),
                     "environment": tr("set in the environment: {answer}",
                                       answer=tr("yes") if s.secret_is_set(secret) else tr("no")),
                     "description": secret.help})
    return rows


def _write(ctx: Context, item: s.Setting, new: str | None, reason: str | None) -> dict:
    """Write (``new``) or remove (None) the row of ``item`` and its history row, in the command's transaction."""
    row = ctx.session.get(EngineSetting, item.key)
    old = row.value if row is not None else None
    result = {"key": item.key, "old_value": old, "new_value": new, "changed": old != new}
    if old == new:
        return result
    at = ctx.written_at
    if new is None:
        ctx.session.delete(row)
    elif row is None:
        ctx.session.add(EngineSetting(key=item.key, value=new, changed_at=at))
    else:
        row.value, row.changed_at = new, at
        ctx.session.add(row)
    ctx.session.add(SettingChange(key=item.key, old_value=old, new_value=new, actor=ctx.actor.name,
                                  role=ctx.actor.role, reason=reason, changed_at=at))
    if new and item in s.OFFICE_MAILBOXES.values():
        result["released"] = _release_held(ctx, item, new)
    return {**result, "changed_at": at}


def _release_held(ctx: Context, item: s.Setting, address: str) -> int:
    """The messages that waited for this mailbox take it and are due again from their first moment."""
    audience = next(a for a, mailbox in s.OFFICE_MAILBOXES.items() if mailbox is item)
    t = Notification.__table__
    ctx.session.flush()
    return ctx.session.connection().execute(
        sa.update(t).where(t.c.status == "pending", t.c.audience == audience, t.c.recipient == "")
        .values(recipient=address, next_attempt_at=t.c.not_before, last_error=None)).rowcount


def set_setting(ctx: Context, cmd: SetSetting) -> dict:
    item = s.setting(cmd.key)
    return _write(ctx, item, s.as_text(s.parse(item, cmd.value)), cmd.reason)


def set_settings(ctx: Context, cmd: SetSettings) -> list[dict]:
    parsed = [(item, s.as_text(s.parse(item, raw))) for item, raw in ((s.setting(k), v) for k, v in cmd.values.items())]
    return [_write(ctx, item, value, cmd.reason) for item, value in parsed]


def unset_setting(ctx: Context, cmd: SettingRef) -> dict:
    """Back to the built-in default (an office mailbox: empty, so its messages wait)."""
    return _write(ctx, s.setting(cmd.key), None, cmd.reason)


def import_environment(ctx: Context, cmd: ImportEnvironment) -> list[dict]:
    """Copy this worker's environment (``COOP_OFFICERS_EMAIL`` …) into the settings that have no value in the
    database; a setting the database has is kept. Every value is checked first: one bad value, nothing copied."""
    found = s.environment_values()
    checked = {key: s.as_text(s.parse(s.BY_KEY[key], raw, source=s.BY_KEY[key].env)) for key, raw in found.items()}
    stored = s.read_values(ctx.session.connection())
    reason = cmd.reason or "coop settings import-env"
    rows = []
    for key, value in checked.items():
        if key in stored:
            outcome = tr("the same") if stored[key] == value else tr("kept: the database has its own value")
            rows.append({"key": key, "value": stored[key], "outcome": outcome})
            continue
        _write(ctx, s.BY_KEY[key], value, reason)
        rows.append({"key": key, "value": value, "outcome": tr("imported")})
    return rows


def setting_history(ctx: Context, cmd: SettingHistory) -> list[dict]:
    query = select(SettingChange).order_by(SettingChange.id)
    if cmd.key:
        query = query.where(SettingChange.key == s.setting(cmd.key).key)
    return [{"changed_at": r.changed_at, "key": r.key, "old_value": r.old_value, "new_value": r.new_value,
             "actor": r.actor, "role": r.role, "reason": r.reason or ""} for r in ctx.session.exec(query)]
