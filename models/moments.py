"""How a stored moment reads back, in one place for the ORM (models.types.UTCDateTime) and the plain DB-API
read path (coop/quick.py): SQLite keeps naive UTC (as text through sqlite3), PostgreSQL an aware timestamp."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
