"""Inputs: the validated input of every domain command (invariant 7: validated at the edge).

The field types and the base ``Command`` model shared by every procedure; each procedure's own inputs live in
``states/procedures/<procedure>/inputs.py``.

The CLI, the Prefect forms and the tests all build these models; a ``ValidationError`` becomes an
``InvalidInput`` naming the field and the rule, before anything touches the database.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from models.tables import CommitteeMember
from states import text_policy
from states.clock import day_in_range, moment_range_problem
from states.errors import InvalidInput
from states.input_errors import PATTERN_MEANING, describe
from states.text import tr


def _iso_date(value: object) -> object:
    # pydantic would read "0" or 1700000000 as a Unix timestamp; a date typed by a person is YYYY-MM-DD.
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        raise ValueError(tr("must be a date written YYYY-MM-DD, e.g. 2026-01-23"))
    if isinstance(value, int | float):
        raise ValueError(tr("must be a date written YYYY-MM-DD, e.g. 2026-01-23"))
    return value.strip() if isinstance(value, str) else value


def _iso_moment(value: object) -> object:
    # As for a date: "0" or 1700000000 would be read as a Unix timestamp (1970-01-01 UTC, aware, in range).
    if isinstance(value, bool | int | float) or (
            isinstance(value, str) and not re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip())):
        raise ValueError("a moment is written in ISO 8601 with its offset, e.g. 2026-01-02T10:00+01:00")
    return value.strip() if isinstance(value, str) else value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(tr("a moment must carry its time zone offset, e.g. 2026-01-02T10:00+01:00"))
    problem = moment_range_problem(value)
    if problem:
        raise text_policy.policy_error(problem, "moment_range")
    return value


def _day(value: date) -> date:
    problem = day_in_range(value)
    if problem:
        raise text_policy.policy_error(problem, "date_range")
    return value


# The text policy (states/text_policy.py): every text NFC; a single-line field without control, line-break,
# bidirectional or invisible characters; a multi-line field allows the newline too. Every str field of every
# input model is one of these (or a pattern of ASCII characters, or a Literal).
SingleLine = Annotated[str, BeforeValidator(text_policy.single_line_input), AfterValidator(text_policy.single_line)]
MultiLine = Annotated[str, BeforeValidator(text_policy.multi_line_input), AfterValidator(text_policy.multi_line)]
ShortText = Annotated[SingleLine, Field(min_length=1, max_length=300)]


def column_length(column: Any) -> int:
    """How long a text a table's column holds (``VARCHAR(n)``). SQLite does not enforce it and PostgreSQL fails
    the command, so the input model refuses a longer text itself: the same refusal on both, before the database."""
    return column.type.length


# A committee member's name: part of every message key to them (models/tables.py CommitteeMember.name).
MemberName = Annotated[SingleLine, Field(min_length=1, max_length=column_length(CommitteeMember.name))]
LongText = Annotated[MultiLine, Field(max_length=5000)]
# Amounts and numbers: the digits 0-9 only (Decimal reads '١٠٠٠' as 1000).
AsciiDecimal = Annotated[Decimal, BeforeValidator(text_policy.ascii_decimal)]
AsciiInt = Annotated[int, BeforeValidator(text_policy.ascii_integer)]
Amount = Annotated[AsciiDecimal, Field(ge=0, le=Decimal("999999999.99"), max_digits=11, decimal_places=2)]
PositiveAmount = Annotated[AsciiDecimal, Field(gt=0, le=Decimal("999999999.99"), max_digits=11, decimal_places=2)]
Points = Annotated[AsciiDecimal, Field(ge=0, le=1000, max_digits=6, decimal_places=2)]
Ordinal = Annotated[AsciiInt, Field(ge=1)]  # an offer's or a comment's number within its case
Moment = Annotated[datetime, BeforeValidator(_iso_moment), AfterValidator(_aware)]
Day = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_day)]
KRS_PATTERN = r"^[0-9]{10}$"  # not \d: it admits digits of every script
CASE_CODE_PATTERN = r"^[A-Z]{2,3}/[0-9]{4}/[0-9]{3,6}$"
# A regex means nothing to an officer: say what the field must look like instead.
PATTERN_MEANING.update({
    KRS_PATTERN: tr("must be exactly 10 digits"),
    CASE_CODE_PATTERN: tr("must look like OK/2026/001"),
})
Krs = Annotated[str, Field(pattern=KRS_PATTERN)]
Email = Annotated[SingleLine, AfterValidator(text_policy.email_address), Field(max_length=254)]
CaseCode = Annotated[str, Field(pattern=CASE_CODE_PATTERN)]
Channel = Literal["bip", "board", "website"]
CHANNELS: tuple[str, ...] = ("bip", "board", "website")

ChannelName = Annotated[str, Field(pattern=r"^[a-z_]{2,40}$", description="a publication channel, e.g. bip")]
Number = Ordinal
Year = Annotated[AsciiInt, Field(ge=2000, le=2100)]
Hours = Annotated[AsciiDecimal, Field(gt=0, le=1000000, max_digits=9, decimal_places=2)]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @classmethod
    def parse(cls, **values: object):
        """Build the command or raise ``InvalidInput`` listing every field that is wrong."""
        try:
            return cls(**values)
        except ValidationError as error:
            raise InvalidInput("invalid_input", describe(error)) from None


class RegisterOrganisation(Command):
    name: ShortText
    legal_form: ShortText
    krs: Krs | None = None
    address: ShortText
    email: Email
    contact_person: ShortText


class CaseRef(Command):
    code: CaseCode


class OfferRef(Command):
    code: CaseCode
    number: Ordinal
