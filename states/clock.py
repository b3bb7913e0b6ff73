"""Time is a parameter (invariant 3): every command takes ``now`` from here, never from the rules."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from states.errors import InvalidInput
from states.text import Text

# The moments and days the engine takes at all: far from any programme, and far enough from datetime's own
# limits (years 1-9999) that adding the longest period (years) or converting to UTC never overflows:
# ``--at 9999-12-31T23:59:59-23:59`` was an OverflowError traceback. (How far a real database may depart
# from now is a narrower rule, checked where the moment is used.)
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _range_text(what: Text | str, shown: str) -> Text:
    what = what if isinstance(what, Text) else Text(f"Moment {what}", f"The moment {what}")
    return Text(f"{what.pl} {shown} leży poza zakresem, który silnik przyjmuje: od {EARLIEST_DAY} do {LATEST_DAY} (UTC)",
                f"{what.en} {shown} is outside the range the engine accepts: {EARLIEST_DAY} to {LATEST_DAY} (UTC)")


def moment_range_problem(moment: datetime, what: Text | str = Text("moment", "the moment")) -> Text | None:
    """Why this aware moment cannot be taken (it does not exist in UTC, or lies outside the range), or None."""
    try:
        day = moment.astimezone(UTC).date()
    except OverflowError:  # 9999-12-31T23:59-23:59 is in year 10000 in UTC; 0001-01-01T00:00+01:00 in year 0
        return _range_text(what, moment.isoformat())
    return None if EARLIEST_DAY <= day <= LATEST_DAY else _range_text(what, moment.isoformat())


def day_in_range(day: date, what: Text | str = Text("data", "the date")) -> Text | None:
    """Why this day cannot be taken, or None."""
    return None if EARLIEST_DAY <= day <= LATEST_DAY else _range_text(what, day.isoformat())


def parse_day(value: str, what: str) -> date:
    """A day typed as YYYY-MM-DD, within the engine's range."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("bad_date", Text(f"Niepoprawna data {what}: {value!r} (RRRR-MM-DD)",
                                            f"Invalid date {what}: {value!r} (YYYY-MM-DD)")) from None
    problem = day_in_range(day, Text(f"Data {what}", f"The date {what}"))
    if problem:
        raise InvalidInput("date_out_of_range", problem)
    return day


def parse_moment(value: str, what: str = "--at") -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1) if " " in value.strip() else value.strip())
    except ValueError:
        raise InvalidInput(
            "bad_moment",
            Text(f"Niepoprawny moment {what}: {value!r}; użyj formatu ISO 8601, np. 2026-01-02T10:00+01:00.",
                 f"Invalid moment {what}: {value!r}; use ISO 8601, e.g. 2026-01-02T10:00+01:00."),
        ) from None
    return require_aware(moment, what)


def require_aware(moment: datetime, what: str = "--at") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            "naive_moment",
            Text(f"Moment {what} bez strefy czasowej jest niejednoznaczny: dodaj przesunięcie, np. +01:00 lub Z.",
                 f"The moment {what} has no time zone and is ambiguous: add an offset, e.g. +01:00 or Z."),
        )
    problem = moment_range_problem(moment, what)
    if problem:
        raise InvalidInput("moment_out_of_range", problem)
    return moment.astimezone(UTC)


def resolve_now(at: datetime | str | None = None) -> datetime:
    """``--at`` if given, else ``COOP_NOW`` (a simulated clock), else the real time."""
    if isinstance(at, datetime):
        return require_aware(at)
    if at:
        return parse_moment(at)
    env = os.environ.get("COOP_NOW", "").strip()
    if env:
        return parse_moment(env, "COOP_NOW")
    return datetime.now(UTC)
