"""How a moment is shown: always in Europe/Warsaw, always with its offset, in one of two forms defined here.

- ``moment_iso``: ISO 8601 with the offset, for scripts (``--json``, CSV, a flow's result):
  ``2026-01-23T23:59:59+01:00``;
- ``moment_text``: for people (CLI text, Prefect artifacts and run names, refusals):
  ``2026-01-23 23:59:59 (+01:00)``, ``2026-05-06 15:30 (+02:00)`` (seconds only when there are any);
  ``clock_text`` is its time of day, ``23:59:59 (+01:00)``, for prose that spells the date out in words (the
  notifications' ``23 stycznia 2026 r., godz. 23:59:59 (+01:00)``).

Only what is shown goes through here. What is stored and hashed is left as it is: UTC in the database, UTC
``...Z`` text in the audit chain's hashed content and in ``coop audit export`` (states/audit.py), so every
history written before still verifies. Light on purpose: ``coop history`` prints through it without the ORM.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kernel.moments import as_utc

WARSAW = ZoneInfo("Europe/Warsaw")  # the zone of every moment shown, and of the legal calendar (states/calendar.py)

__all__ = ["WARSAW", "as_moment", "clock_text", "in_warsaw", "moment_iso", "moment_text"]


def as_moment(value: datetime | str | None) -> datetime | None:
    """A moment as an aware datetime: a datetime, or ISO 8601 text as it is kept in a case's data or a message's
    data (with its offset or ``Z``). A naive value is a stored one read without its zone, which is UTC
    (kernel/moments.py). None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return as_utc(value) if value.tzinfo is None or value.utcoffset() is None else value


def in_warsaw(value: datetime | str) -> datetime:
    return as_moment(value).astimezone(WARSAW)


def _offset(local: datetime) -> str:
    text = local.strftime("%z")  # +0100
    return f"{text[:3]}:{text[3:]}"


def moment_iso(value: datetime | str) -> str:
    """``2026-01-23T23:59:59+01:00`` (microseconds kept when there are any: a script may match them)."""
    return in_warsaw(value).isoformat()


def clock_text(value: datetime | str) -> str:
    """``23:59:59 (+01:00)``, ``15:30 (+02:00)``: the Warsaw time of day with its offset; seconds when there are
    any (as the calendar's explanations write a closing time), fractions of a second left to ``moment_iso``."""
    local = in_warsaw(value)
    clock = f"{local:%H:%M:%S}" if local.second else f"{local:%H:%M}"
    return f"{clock} ({_offset(local)})"


def moment_text(value: datetime | str) -> str:
    """``2026-01-23 23:59:59 (+01:00)``: the Warsaw date and time of day with its offset."""
    local = in_warsaw(value)
    return f"{local:%Y-%m-%d} {clock_text(local)}"
