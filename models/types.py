"""Column types that keep money exact and time unambiguous on both SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson
import sqlalchemy as sa

from kernel.moments import as_utc

CENT = Decimal("0.01")


def to_decimal2(value: Decimal | int | str | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


class Decimal2(sa.types.TypeDecorator):
    """A two-place decimal (PLN and groszy, or points) stored as an integer count of hundredths.

    SQLite has no exact decimal type; integers are exact on both backends and sum exactly in SQL.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(to_decimal2(value) * 100)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; SQLite drops the zone, so it is stored as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every moment must carry its time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)

    def result_processor(self, dialect, coltype):
        """On SQLite, ``process_result_value`` alone reads the stored text (``as_utc`` parses it): SQLAlchemy would
        first run it through its own DATETIME parser (a tick reads four moments per claimed case). Elsewhere the
        composed processors."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        process = self.process_result_value
        return lambda value: process(value, dialect)

    def batch_bind_processor(self, dialect):
        """For models.rows' batch writes: on SQLite, ``process_bind_param`` and SQLite's DATETIME processor in
        one step (SQLAlchemy's default storage format, e.g. ``2026-12-01 00:00:00.000000``); a batch converts
        several moments a row. None elsewhere: the composed processors are used."""
        if dialect.name != "sqlite":
            return None
        # A batch writes the same moment again and again (a step's ``now``: each record's and message's time),
        # so the last one converted is kept, by identity, in one cell: a tuple replaced whole, safe across threads.
        last = [(None, None)]

        def to_text(value):
            if value is None:
                return None
            seen, text = last[0]
            if value is seen:
                return text
            if value.tzinfo is None:
                raise ValueError("naive datetime refused: every moment must carry its time zone")
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            last[0] = (value, text)
            return text

        return to_text


# JSON columns (payloads, message data, a case's data and settings) are written and read by orjson: a tick
# stores a payload per record and data per message, and reads two per case it claims; the standard library took
# ~5 % of it. The rare value orjson refuses (an integer beyond 64 bits) takes the standard library's way.
# (The audit chain's canonical form stays the standard library's: states/audit.py, docs/audit.md.)
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def json_text(value: Any) -> str:
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def json_value(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
