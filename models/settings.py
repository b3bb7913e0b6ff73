"""The database's own settings: a few named values that belong to this database, not to a process.

The first is ``clock``: whether the database holds real work or a simulation (a demo, a what-if, the tests).
It is written once, when the engine first uses the database (or by ``coop db init``), and never changed: a
real database cannot be turned into a simulation, where a command may claim any moment (invariant 3).
The others are the settings that decide what the engine does, whichever worker runs it: the office's
mailboxes, the RDPP's address, the channels' settings, the retry policy (notifications/settings.py, written
with ``coop settings set``). Each change of them is kept in ``engine_setting_changes`` (who, when by the
database's clock, the old and the new value, why), written in the same transaction as the value.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field

from kernel.errors import InvalidInput, RuleViolation
from kernel.text import Message, tr
from models.tables import Table, moment

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

CLOCK = "clock"
REAL = "real"
SIMULATION = "simulation"
CLOCK_MODES = (REAL, SIMULATION)
SIMULATION_ENV = "COOP_SIMULATION"


class EngineSetting(Table, table=True):
    """One named setting of this database; ``changed_at`` is when it was written (the database's time)."""

    __tablename__ = "engine_settings"
    key: str = Field(primary_key=True, max_length=64)
    value: str
    changed_at: datetime = moment(nullable=False)


class SettingChange(Table, table=True):
    """One change of a setting, append-only: ``new_value`` None is an unset (back to the built-in default),
    ``old_value`` None a setting that had none. ``changed_at`` is the database's time of writing."""

    __tablename__ = "engine_setting_changes"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, index=True)
    old_value: str | None = None
    new_value: str | None = None
    actor: str
    role: str = Field(max_length=32)
    reason: str | None = None
    changed_at: datetime = moment(nullable=False)


_TABLE = EngineSetting.__table__
# The clock mode of each database this process has used, by URL: it never changes once written, so it is read
# once per process, not once per command.
_CLOCK_MODES: dict[str, str] = {}


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def read_setting(connection: Connection, key: str) -> str | None:
    return connection.execute(sa.select(_TABLE.c.value).where(_TABLE.c.key == key)).scalar()


def _write_once(connection: Connection, key: str, value: str) -> str:
    """Write ``key`` unless some process already did; returns the value that holds (a concurrent first use
    of a new database writes it once: the loser reads the winner's)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    connection.execute(insert(_TABLE).values(key=key, value=value, changed_at=datetime.now(UTC))
                       .on_conflict_do_nothing(index_elements=["key"]))
    return read_setting(connection, key)


def mode_from_environment() -> str:
    """The mode a database takes when the engine first uses it: a simulation only if ``COOP_SIMULATION`` says
    so at that moment, else real."""
    value = os.environ.get(SIMULATION_ENV, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return REAL
    if value in ("1", "true", "yes", "on"):
        return SIMULATION
    raise InvalidInput(
        "bad_simulation_flag",
        tr("{SIMULATION_ENV}=“{value}”: use 1 (a simulation database) or 0 (a real database).", SIMULATION_ENV=SIMULATION_ENV, value=value),
    )


def clock_mode(engine: Engine) -> str:
    """``real`` or ``simulation``: read once per process; written (from the environment) on first use."""
    key = _key(engine)
    mode = _CLOCK_MODES.get(key)
    if mode is None:
        with engine.connect() as connection:
            mode = read_setting(connection, CLOCK)
        if mode is None:
            wanted = mode_from_environment()
            with engine.begin() as connection:
                mode = _write_once(connection, CLOCK, wanted)
        mode = _CLOCK_MODES.setdefault(key, _checked(mode))
    return mode


def stored_clock_mode(engine: Engine) -> str | None:
    """The mode written in the database, or None when nothing has used it yet (it then writes nothing)."""
    with engine.connect() as connection:
        return read_setting(connection, CLOCK)


def initialise_clock(engine: Engine, mode: str) -> tuple[str, bool]:
    """Make the database ``mode`` (``coop db init``); returns (mode, whether it was written now). A database
    already of the other mode is refused: it never changes."""
    if mode not in CLOCK_MODES:
        raise InvalidInput("bad_clock_mode", tr("Unknown clock mode “{mode}”", mode=mode))
    with engine.begin() as connection:
        before = read_setting(connection, CLOCK)
        held = before if before is not None else _write_once(connection, CLOCK, mode)
    if held != mode:
        raise RuleViolation(
            "clock_mode_fixed",
            tr("The database is already a {held} database; a database's mode is set once, when it is "
               "created, and cannot be changed. For a simulation create a new database (COOP_DATABASE_URL).", held=_name(held)),
        )
    _CLOCK_MODES[_key(engine)] = _checked(held)
    return held, before is None


def _name(mode: str | None) -> Message:
    return tr("simulation") if mode == SIMULATION else tr("real")


def _checked(mode: str | None) -> str:
    if mode not in CLOCK_MODES:  # written by hand or by a newer engine: neither guess is safe
        raise RuleViolation(
            "unknown_clock_mode",
            tr("The database has an unknown clock mode “{mode}” (engine_settings.clock); expected real or "
               "simulation.", mode=mode),
        )
    return mode
