"""Time is a parameter (invariant 3): every command takes ``now`` from here, never from the rules."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from states.errors import InvalidInput
from states.text import Text


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
