"""How a stored moment reads back, in one place for the ORM (models.types.UTCDateTime) and the plain DB-API
read path (coop/quick.py): SQLite keeps naive UTC (as text through sqlite3), PostgreSQL an aware timestamp."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        try:  # naive UTC text (SQLite's) parsed with its zone: replace() below costs 5× the parse
            moment = datetime.fromisoformat(value + "+00:00")
            if moment.tzinfo is not None:  # (a bare date takes the suffix for a time and stays naive)
                return moment
        except ValueError:  # the text carries its own zone
            pass
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
