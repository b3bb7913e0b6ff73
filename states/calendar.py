"""Polish legal calendar: statutory holidays, working days and the counting of periods (KC art. 110-115).

All functions are pure. Dates are Europe/Warsaw calendar dates; deadlines are aware datetimes in Warsaw time.
Every computed deadline carries a bilingual, step-by-step explanation so a refusal or an audit entry can show
how the date was reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial

from kernel.local_time import WARSAW
from kernel.text import Localized, Message, language, ntr, ptr, tr

END_OF_DAY = time(23, 59, 59)

UNITS = ("days", "working_days", "weeks", "months")

# 24 December became a statutory holiday by the act of 6 December 2024 (in force from 2025).
CHRISTMAS_EVE_FROM_YEAR = 2025
_CHRISTMAS_EVE = {"pl": "Wigilia Bożego Narodzenia", "en": "Christmas Eve"}

# Polish inflects a weekday after a preposition ("przesunięty z soboty", "ze środy", "na poniedziałek"): the
# catalogue holds each form under its context.
_WEEKDAYS = {
    "weekday": (ptr("weekday", "Monday"), ptr("weekday", "Tuesday"), ptr("weekday", "Wednesday"),
                ptr("weekday", "Thursday"), ptr("weekday", "Friday"), ptr("weekday", "Saturday"),
                ptr("weekday", "Sunday")),
    "moved from": (ptr("moved from", "Monday"), ptr("moved from", "Tuesday"), ptr("moved from", "Wednesday"),
                   ptr("moved from", "Thursday"), ptr("moved from", "Friday"), ptr("moved from", "Saturday"),
                   ptr("moved from", "Sunday")),
    "moved to": (ptr("moved to", "Monday"), ptr("moved to", "Tuesday"), ptr("moved to", "Wednesday"),
                 ptr("moved to", "Thursday"), ptr("moved to", "Friday"), ptr("moved to", "Saturday"),
                 ptr("moved to", "Sunday")),
}


def _weekday(context: str, d: date) -> Message:
    return _WEEKDAYS[context][_as_date(d).weekday()]


_lang = language


# ---------------------------------------------------------------------------------------------------------
# Holidays
# ---------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _polish_holidays() -> Callable[..., Mapping[date, str]]:
    """``holidays``' table of Polish holidays, without loading the other ~250 countries.

    ``holidays.countries`` imports every country as soon as one is used (~50 ms, most of what
    ``coop calendar`` costs), so the Polish module is loaded from its own file, as the package would load it.
    Should a release move or split that file, the package's public entry point is used: slower, the same table
    (tests/test_b4_quick.py compares the two).
    """
    import holidays

    try:
        import importlib.util
        from pathlib import Path

        spec = importlib.util.spec_from_file_location(
            "holidays.countries.poland", Path(holidays.__file__).with_name("countries") / "poland.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.Poland
    except Exception:  # a layout this loader does not know
        return partial(holidays.country_holidays, "PL")


@lru_cache(maxsize=256)
def _holidays_in_year(year: int, lang: str) -> dict[date, str]:
    """The statutory holidays of one year (Sundays excluded), as a plain dict: cheap, never mutated and
    safe to share between threads (the package's own object grows lazily on lookups)."""
    package_lang = "en_US" if lang == "en" else "pl"
    table = _polish_holidays()(years=year, language=package_lang)
    result = {d: name for d, name in table.items() if d.year == year}
    # Older releases of `holidays` (the project allows >=0.60) predate the 2024 amendment.
    christmas_eve = date(year, 12, 24)
    if year >= CHRISTMAS_EVE_FROM_YEAR and christmas_eve not in result:
        result[christmas_eve] = _CHRISTMAS_EVE[lang]
    return result


def _as_date(d: date) -> date:
    # A datetime is a date subclass but would never match the date keys of the holiday table.
    return local_date(d) if isinstance(d, datetime) else d


def holiday_name(d: date, lang: str | None = None) -> str | None:
    """The name of the statutory holiday on ``d`` (in ``lang``, default the current language), or None.

    Sundays as such are not reported; a Sunday that is also a named holiday (Easter Sunday) is."""
    d = _as_date(d)
    lang = _lang(lang)
    return _holidays_in_year(d.year, lang).get(d)


def is_statutory_holiday(d: date) -> bool:
    d = _as_date(d)
    return d.weekday() == 6 or d in _holidays_in_year(d.year, "pl")


def is_working_day(d: date) -> bool:
    d = _as_date(d)
    return d.weekday() < 5 and d not in _holidays_in_year(d.year, "pl")


def is_party_day_off(d: date) -> bool:
    """Saturday or a statutory holiday (Sunday included): the days off which a party's deadline moves
    (KC art. 115, KPA art. 57 §4)."""
    d = _as_date(d)
    return d.weekday() >= 5 or d in _holidays_in_year(d.year, "pl")


def weekday_name(d: date, lang: str | None = None) -> str:
    """The weekday's name in ``lang`` (default: the run's language)."""
    return _weekday("weekday", d).in_language(_lang(lang))


# ---------------------------------------------------------------------------------------------------------
# Time zone
# ---------------------------------------------------------------------------------------------------------


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"naive datetime {moment.isoformat()} has no time zone; pass an aware datetime "
            "(e.g. with tzinfo=ZoneInfo('Europe/Warsaw') or UTC)"
        )


def local_date(moment: datetime) -> date:
    """The Europe/Warsaw calendar date of an aware datetime (a plain date is returned unchanged)."""
    if not isinstance(moment, datetime):
        return moment
    _require_aware(moment)
    return moment.astimezone(WARSAW).date()


def end_of_day(d: date, at: time = END_OF_DAY) -> datetime:
    """``at`` o'clock Warsaw time on ``d``; zoneinfo picks the offset valid on that day, so DST is handled."""
    if at.tzinfo is not None:
        raise ValueError(
            "the closing time must be a naive wall-clock time; it is always read in Europe/Warsaw"
        )
    return datetime.combine(_as_date(d), at, tzinfo=WARSAW)


def latest_of(moments: Iterable[datetime | None]) -> datetime | None:
    """The latest moment, or None if any is missing (not yet published everywhere) or there are none."""
    items = list(moments)
    if not items or any(m is None for m in items):
        return None
    for m in items:
        _require_aware(m)
    return max(items)


# ---------------------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------------------


def add_days(trigger: date, n: int) -> date:
    """KC art. 111 §2: the day of the event is not counted, so the n-th day after it is the last day."""
    return _as_date(trigger) + timedelta(days=n)


def add_working_days(trigger: date, n: int) -> date:
    """The n-th working day after ``trigger`` (trigger itself not counted); a negative n counts backwards."""
    day = _as_date(trigger)
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def add_weeks(trigger: date, n: int) -> date:
    """KC art. 112: ends on the day whose name matches the trigger's weekday."""
    return _as_date(trigger) + timedelta(weeks=n)


def _last_day_of_month(year: int, month: int) -> int:
    # Not the stdlib `calendar` module: this module shadows that name for anyone running from states/.
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - timedelta(days=1)).day


def add_months(trigger: date, n: int) -> date:
    """KC art. 112: same day of the month; if the final month has no such day, its last day."""
    trigger = _as_date(trigger)
    index = trigger.year * 12 + (trigger.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(trigger.day, _last_day_of_month(year, month)))


_ADDERS = {"days": add_days, "working_days": add_working_days, "weeks": add_weeks, "months": add_months}


def earliest_deadline_after(trigger: date | datetime, min_days: int) -> date:
    """The earliest date a deadline the office sets may fall on ("at least 21 days after the announcement").

    A validation bound (deadline >= trigger + N days), so never moved off a day off."""
    if not isinstance(min_days, int) or isinstance(min_days, bool) or min_days < 0:
        raise ValueError(f"min_days must be a non-negative integer, got {min_days!r}")
    return add_days(local_date(trigger), min_days)


# ---------------------------------------------------------------------------------------------------------
# Deadlines with explanation
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComputedDeadline:
    trigger: date
    amount: int
    unit: str
    nominal_last_day: date
    last_day: date
    due: datetime
    shifted: bool
    basis: str
    steps: tuple[Message, ...]

    def explain(self, lang: str | None = None) -> str:
        """The steps, one per line, in ``lang`` (default: the current language)."""
        if lang is None:
            return "\n".join(str(step) for step in self.steps)
        return "\n".join(step.in_language(_lang(lang)) for step in self.steps)


def _format_time(at: time) -> str:
    return at.strftime("%H:%M:%S" if at.second or at.microsecond else "%H:%M")


def _day_off_label(d: date, lang: str) -> str:
    """'sobota – Wniebowzięcie…' style label: the weekday, plus the holiday name when there is one."""
    name = holiday_name(d, lang)
    weekday = weekday_name(d, lang)
    return f"{weekday} – {name}" if name else weekday


def _nominal_step(trigger: date, amount: int, unit: str, nominal: date) -> Message:
    if amount == 0:  # a date fixed by an act (e.g. the offer deadline), not counted from an event
        return tr("deadline set for {nominal} ({weekday})", nominal=nominal, weekday=_weekday("weekday", nominal))
    if unit == "days":
        return ntr("{n} day from {trigger} (the day of the event is not counted): {nominal}",
                   "{n} days from {trigger} (the day of the event is not counted): {nominal}",
                   amount, trigger=trigger, nominal=nominal)
    if unit == "working_days":
        counted = ntr("{n} working day from {trigger} (the day of the event is not counted; Saturdays, Sundays and "
                      "holidays are skipped): {nominal}",
                      "{n} working days from {trigger} (the day of the event is not counted; Saturdays, Sundays and "
                      "holidays are skipped): {nominal}",
                      amount, trigger=trigger, nominal=nominal)
        skipped = [
            d
            for d in (trigger + timedelta(days=i) for i in range(1, (nominal - trigger).days))
            if d.weekday() < 5 and not is_working_day(d)
        ]
        if not skipped:
            return counted
        return counted + tr("; holidays skipped: {days}", days=Localized(
            lambda lang: ", ".join(f"{d} ({holiday_name(d, lang)})" for d in skipped)))
    if unit == "weeks":
        return ntr("{n} week from {trigger} ends on the same weekday as the event ({weekday}): {nominal}",
                   "{n} weeks from {trigger} ends on the same weekday as the event ({weekday}): {nominal}",
                   amount, trigger=trigger, weekday=_weekday("weekday", trigger), nominal=nominal)
    # months
    if nominal.day != trigger.day:
        return ntr("{n} month from {trigger}: {month} has no day {day}, so the period ends on its last day: {nominal}",
                   "{n} months from {trigger}: {month} has no day {day}, so the period ends on its last day: {nominal}",
                   amount, trigger=trigger, month=f"{nominal:%Y-%m}", day=trigger.day, nominal=nominal)
    return ntr("{n} month from {trigger} ends on the same day of the month as the event: {nominal}",
               "{n} months from {trigger} ends on the same day of the month as the event: {nominal}",
               amount, trigger=trigger, nominal=nominal)


def _day_off(d: date) -> Localized:
    return Localized(lambda lang: _day_off_label(d, lang))


def _shift_steps(nominal: date, last: date, shift_basis: str) -> list[Message]:
    name = holiday_name(nominal, "en")
    moved = dict(from_day=_weekday("moved from", nominal), nominal=nominal, to_day=_weekday("moved to", last),
                 last=last, basis=shift_basis)
    if name:
        step = tr("moved from {from_day} {nominal}, a holiday ({holiday}), to {to_day} {last} ({basis})",
                  holiday=Localized(lambda lang: holiday_name(nominal, lang)), **moved)
    else:
        step = tr("moved from {from_day} {nominal} to {to_day} {last} ({basis})", **moved)
    steps = [step]
    further = [nominal + timedelta(days=i) for i in range(1, (last - nominal).days)]
    if further:
        steps.append(tr("further days off skipped as well: {days}", days=Localized(
            lambda lang: "; ".join(f"{d} ({_day_off_label(d, lang)})" for d in further))))
    return steps


def period_deadline(
    trigger: date | datetime,
    amount: int,
    unit: str = "days",
    *,
    party: bool = True,
    closing_time: time = END_OF_DAY,
    basis: str = "KC art. 111-115",
) -> ComputedDeadline:
    """Count a period from ``trigger`` under KC art. 110-115 and explain how.

    ``party=True``: a last day on a Saturday or statutory holiday moves to the next day that is neither
    (KC art. 115; KPA art. 57 §4 when ``basis`` cites the KPA). ``party=False`` (periods the office sets for
    itself) never moves. Working-day periods already end on a working day and are never moved."""
    if unit not in UNITS:
        raise ValueError(f"unknown period unit {unit!r}; expected one of {', '.join(UNITS)}")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValueError(f"period amount must be an integer, got {amount!r}")
    if amount < 0:
        raise ValueError(f"period amount must not be negative, got {amount}")
    start = local_date(trigger)  # raises ValueError for a naive datetime

    nominal = _ADDERS[unit](start, amount)
    last = nominal
    steps = [_nominal_step(start, amount, unit, nominal)]

    if unit != "working_days" and is_party_day_off(nominal):
        if party:
            while is_party_day_off(last):
                last += timedelta(days=1)
            shift_basis = "KPA art. 57 §4" if basis.lstrip().upper().startswith("KPA") else "KC art. 115"
            steps.extend(_shift_steps(nominal, last, shift_basis))
        else:
            steps.append(
                tr("the last day {nominal} ({day_off}) is a day off, but the period is not moved: it is the "
                   "office's own period, not a party's", nominal=nominal, day_off=_day_off(nominal))
            )

    due = end_of_day(last, closing_time)
    steps.append(
        tr("the period ends on {last} ({weekday}) at {time} Warsaw time", last=last,
           weekday=_weekday("weekday", last), time=_format_time(closing_time))
    )
    return ComputedDeadline(
        trigger=start,
        amount=amount,
        unit=unit,
        nominal_last_day=nominal,
        last_day=last,
        due=due,
        shifted=last != nominal,
        basis=basis,
        steps=tuple(steps),
    )
