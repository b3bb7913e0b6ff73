"""The officer's calendar questions (`coop calendar …`): no database, so they answer at once."""

from __future__ import annotations

from datetime import date, datetime, time

from states import calendar, labels
from states.clock import day_in_range, parse_moment
from states.errors import InvalidInput
from states.text import tr

# The name the command log and the idempotency digests give these handlers (models/command_log.py:
# command_name): the module's path before it was renamed, so a key recorded then still answers its retry.
COMMAND_NAMESPACE = "states.calendar_commands"


def _parse_trigger(value: str) -> date | datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return parse_moment(value, "trigger")
    return _in_range(day)


def _in_range(day: date) -> date:
    problem = day_in_range(day, tr("The date"))
    if problem:  # 9999-12-20 + 30 days was an OverflowError traceback
        raise InvalidInput("date_out_of_range", problem)
    return day


def compute_period(trigger: str, amount: int, unit: str, *, party: bool, closing: str) -> dict:
    if unit not in calendar.UNITS:
        raise InvalidInput("unknown_unit", tr("Unknown unit “{unit}”; allowed: {units}", unit=unit,
                                                              units=labels.choices(calendar.UNITS, labels.UNITS)))
    try:
        closing_time = time.fromisoformat(closing)
    except ValueError:
        raise InvalidInput("bad_time", tr("Invalid time “{closing}”", closing=closing)) from None
    result = calendar.period_deadline(_parse_trigger(trigger), amount, unit, party=party, closing_time=closing_time)
    return {"last_day": result.last_day, "due": result.due, "shifted": result.shifted,
            "basis": result.basis, "explanation": [str(step) for step in result.steps]}


def describe_day(value: str) -> dict:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("bad_date", tr("Invalid date “{value}” (YYYY-MM-DD)", value=value)) from None
    _in_range(day)
    return {"date": day, "weekday": calendar.weekday_name(day), "holiday": calendar.holiday_name(day),
            "working_day": calendar.is_working_day(day), "party_day_off": calendar.is_party_day_off(day)}
