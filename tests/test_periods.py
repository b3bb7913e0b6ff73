"""Every period at every holiday that can end it, 2026-2028: a party's period moves, the office's never does.

The holidays and the expected days are written out here, independently of the `holidays` package the calendar
uses, so a wrong table there fails here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from states import periods
from states.calendar import WARSAW
from states.periods import PERIODS, Binds
from states.rule_sets import LESZNO_2026

pytestmark = pytest.mark.fast  # plain facts, no database (tests/fast_tier.py)

ROOT = Path(__file__).resolve().parent.parent

EASTER_MONDAY = {2026: date(2026, 4, 6), 2027: date(2027, 3, 29), 2028: date(2028, 4, 17)}
CORPUS_CHRISTI = {2026: date(2026, 6, 4), 2027: date(2027, 5, 27), 2028: date(2028, 6, 15)}
# Every holiday that can end a period (the Sunday holidays, Easter and Pentecost, fall on a Sunday anyway).
HOLIDAYS = sorted(
    [date(y, m, d) for y in (2026, 2027, 2028)
     for m, d in ((1, 1), (1, 6), (5, 1), (5, 3), (8, 15), (11, 1), (11, 11), (12, 24), (12, 25), (12, 26))]
    + list(EASTER_MONDAY.values()) + list(CORPUS_CHRISTI.values()))
DAYS_OFF = set(HOLIDAYS) | {date(2029, 1, 1), date(2029, 1, 6)}  # periods counted from late 2028


def next_open_day(d: date) -> date:
    while d.weekday() >= 5 or d in DAYS_OFF:
        d += timedelta(days=1)
    return d


def working_days_after(d: date, n: int) -> date:
    while n:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in DAYS_OFF:
            n -= 1
    return d


def length(period) -> int:
    return period.length(LESZNO_2026) if period.setting else 0


COUNTED_IN_DAYS = [p for p in PERIODS if p.unit == "days"]
COUNTED_IN_WORKING_DAYS = [p for p in PERIODS if p.unit == "working_days"]


@pytest.mark.parametrize("holiday", HOLIDAYS, ids=str)
@pytest.mark.parametrize("period", COUNTED_IN_DAYS, ids=lambda p: p.key)
def test_a_period_ending_on_a_holiday(period, holiday):
    n = length(period)
    result = period.count(holiday - timedelta(days=n), n)
    assert result.nominal_last_day == holiday
    expected = next_open_day(holiday) if period.binds is Binds.PARTY else holiday
    assert result.last_day == expected
    assert result.shifted is (expected != holiday)
    assert result.due == datetime(expected.year, expected.month, expected.day, 23, 59, 59, tzinfo=WARSAW)
    assert result.basis == period.basis


@pytest.mark.parametrize("holiday", HOLIDAYS, ids=str)
@pytest.mark.parametrize("period", COUNTED_IN_WORKING_DAYS, ids=lambda p: p.key)
def test_a_working_day_period_across_a_holiday(period, holiday):
    n = length(period)
    trigger = holiday - timedelta(days=1)
    result = period.count(trigger, n)
    assert result.last_day == working_days_after(trigger, n)
    assert result.last_day.weekday() < 5 and result.last_day not in DAYS_OFF
    assert not result.shifted


def test_every_period_is_decided_and_counted_in_a_known_unit():
    assert {p.binds for p in PERIODS} == set(Binds)
    for p in PERIODS:
        assert p.unit in ("days", "working_days", "years"), p.key
        assert (p.setting is None) != (p.fixed is None), f"{p.key}: a length from the rule set or a fixed one"
        assert p.basis and p.who and p.why, p.key
        if p.binds is Binds.PARTY:
            assert p.shifted or p.unit == "working_days", p.key
        else:
            assert not p.shifted, p.key
    assert len({p.key for p in PERIODS}) == len(PERIODS)


def test_the_councils_opinion_on_a_draft_received_on_28_october_2026_is_due_12_november():
    due = periods.RDPP_OPINION.count(datetime(2026, 10, 28, 10, 0, tzinfo=WARSAW), 14)
    assert due.nominal_last_day == date(2026, 11, 11)  # Independence Day
    assert due.last_day == date(2026, 11, 12)
    assert "KC art. 115" in due.explain("pl")


def test_the_docs_table_is_the_declarations():
    text = (ROOT / "docs" / "periods.md").read_text(encoding="utf-8")
    assert periods.document_with_table(text) == text, "run `python -m states.periods` to regenerate docs/periods.md"
    for p in PERIODS:
        assert p.what in text


def test_handlers_count_periods_only_through_their_declarations():
    """One declaration per period: nothing but the calendar itself, the declarations and the officer's
    calculator (`coop calendar period`, whose party flag the officer chooses) counts a period directly."""
    allowed = {"states/calendar.py", "states/periods.py", "states/calendar_handlers.py"}
    direct = re.compile(r"\b(period_deadline|earliest_deadline_after)\(")
    found = []
    for folder in ("states", "notifications", "flows", "coop", "models"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in allowed and direct.search(path.read_text(encoding="utf-8")):
                found.append(rel)
    assert found == []
