"""``coop settings …``: the settings every worker reads from the engine's database (notifications/settings.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import command, group, run, show

settings_app = group("settings", "The engine's settings (mailboxes, RDPP, channels, retries), the same for every "
                                 "worker; secrets stay in each worker's environment.")

Key = Annotated[str, typer.Argument(help="The setting, e.g. officers-email (see `coop settings show`).")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why it changes; kept in its history.")]


@command(settings_app, "show")
def settings_show() -> None:
    """Every setting, its value and its source (engine database or default); secrets only as set or not."""
    from notifications.setting_handlers import show_settings

    show(run(show_settings, readonly=True), ["key", "value", "source", "environment", "description"])


@command(settings_app, "set")
def settings_set(key: Key, value: Annotated[str, typer.Argument(help="The new value.")], reason: Reason = None) -> None:
    """Set a setting for every worker; the change is kept in its history."""
    from notifications.setting_handlers import SetSetting, set_setting

    show(run(set_setting, SetSetting.parse(key=key, value=value, reason=reason)))


@command(settings_app, "unset")
def settings_unset(key: Key, reason: Reason = None) -> None:
    """Back to the built-in default; the change is kept in its history."""
    from notifications.setting_handlers import SettingRef, unset_setting

    show(run(unset_setting, SettingRef.parse(key=key, reason=reason)))


@command(settings_app, "history")
def settings_history(key: Annotated[str | None, typer.Argument(help="Only this setting.")] = None) -> None:
    """Every change of the settings: when (the database's time), who, old and new value, why."""
    from notifications.setting_handlers import SettingHistory, setting_history

    show(run(setting_history, SettingHistory.parse(key=key), readonly=True),
         ["changed_at", "key", "old_value", "new_value", "actor", "role", "reason"])


@command(settings_app, "import-env")
def settings_import_env(reason: Reason = None) -> None:
    """Once: copy this worker's COOP_OFFICERS_EMAIL … into the settings the engine's database has no value of."""
    from notifications.setting_handlers import ImportEnvironment, import_environment

    show(run(import_environment, ImportEnvironment.parse(reason=reason)), ["key", "value", "outcome"])
