"""The legal calendar: holidays, working days and period counting (procedures.md section 0 and section 8).

Every expected date below was worked out by hand and its weekday is asserted too, so a wrong expectation
cannot hide behind a wrong implementation.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.calendar import (
    END_OF_DAY,
    WARSAW,
    ComputedDeadline,
    add_days,
    add_months,
    add_weeks,
    add_working_days,
    earliest_deadline_after,
    end_of_day,
    holiday_name,
    is_party_day_off,
    is_statutory_holiday,
    is_working_day,
    latest_of,
    local_date,
    period_deadline,
    weekday_name,
)
from states.text import Message

pytestmark = pytest.mark.fast  # plain facts, no database (tests/fast_tier.py)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


@pytest.fixture
def polish(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_LANG", "pl")


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_LANG", "en")


# ---------------------------------------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------------------------------------


def test_constants() -> None:
    assert WARSAW == ZoneInfo("Europe/Warsaw")
    assert END_OF_DAY == time(23, 59, 59)


# ---------------------------------------------------------------------------------------------------------
# Statutory holidays (procedures.md section 0)
# ---------------------------------------------------------------------------------------------------------

# Every statutory holiday other than the plain Sundays, per year, as the law lists them.
HOLIDAYS_2026 = {
    "2026-01-01": THU,  # New Year
    "2026-01-06": TUE,  # Epiphany
    "2026-04-05": SUN,  # Easter Sunday
    "2026-04-06": MON,  # Easter Monday
    "2026-05-01": FRI,
    "2026-05-03": SUN,
    "2026-05-24": SUN,  # Pentecost = Easter + 49
    "2026-06-04": THU,  # Corpus Christi = Easter + 60
    "2026-08-15": SAT,
    "2026-11-01": SUN,
    "2026-11-11": WED,
    "2026-12-24": THU,  # a holiday since 2025
    "2026-12-25": FRI,
    "2026-12-26": SAT,
}
HOLIDAYS_2027 = {
    "2027-01-01": FRI,
    "2027-01-06": WED,
    "2027-03-28": SUN,  # Easter Sunday
    "2027-03-29": MON,  # Easter Monday
    "2027-05-01": SAT,
    "2027-05-03": MON,
    "2027-05-16": SUN,  # Pentecost = 2027-03-28 + 49
    "2027-05-27": THU,  # Corpus Christi = 2027-03-28 + 60
    "2027-08-15": SUN,
    "2027-11-01": MON,
    "2027-11-11": THU,
    "2027-12-24": FRI,
    "2027-12-25": SAT,
    "2027-12-26": SUN,
}


@pytest.mark.parametrize("table", [HOLIDAYS_2026, HOLIDAYS_2027], ids=["2026", "2027"])
def test_holiday_weekdays_in_the_tables_are_right(table: dict[str, int]) -> None:
    for iso, weekday in table.items():
        assert d(iso).weekday() == weekday, iso


@pytest.mark.parametrize("year, table", [(2026, HOLIDAYS_2026), (2027, HOLIDAYS_2027)])
def test_holidays_of_the_year_are_exactly_the_statutory_list(year: int, table: dict[str, int]) -> None:
    day = date(year, 1, 1)
    found = set()
    while day.year == year:
        if holiday_name(day) is not None:
            found.add(day.isoformat())
        day += timedelta(days=1)
    assert found == set(table)


def test_movable_feasts_follow_easter() -> None:
    for easter in (d("2026-04-05"), d("2027-03-28")):
        assert easter.weekday() == SUN
        for offset in (0, 1, 49, 60):
            assert is_statutory_holiday(easter + timedelta(days=offset)), (easter, offset)
    assert d("2026-04-05") + timedelta(days=60) == d("2026-06-04")
    assert d("2027-03-28") + timedelta(days=60) == d("2027-05-27")


@pytest.mark.parametrize("iso", ["2025-12-24", "2026-12-24", "2027-12-24", "2030-12-24"])
def test_christmas_eve_is_a_holiday_from_2025(iso: str) -> None:
    assert is_statutory_holiday(d(iso))
    assert holiday_name(d(iso), "pl") == "Wigilia Bożego Narodzenia"
    assert holiday_name(d(iso), "en") == "Christmas Eve"


def test_christmas_eve_was_not_a_holiday_before_2025() -> None:
    assert d("2024-12-24").weekday() == TUE
    assert not is_statutory_holiday(d("2024-12-24"))
    assert is_working_day(d("2024-12-24"))


def test_holiday_names_polish_and_english() -> None:
    assert holiday_name(d("2026-01-06"), "pl") == "Święto Trzech Króli"
    assert holiday_name(d("2026-01-06"), "en") == "Epiphany"
    assert holiday_name(d("2026-04-06"), "pl") == "Poniedziałek Wielkanocny"
    assert holiday_name(d("2026-04-06"), "en") == "Easter Monday"
    assert holiday_name(d("2026-08-15"), "en") == "Assumption Day"
    assert "Wniebowzięcie" in holiday_name(d("2026-08-15"), "pl")
    assert holiday_name(d("2026-06-04"), "pl") == "Dzień Bożego Ciała"
    assert holiday_name(d("2026-05-24"), "en") == "Pentecost"


def test_holiday_name_defaults_to_the_current_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_LANG", "en")
    assert holiday_name(d("2026-11-11")) == "National Independence Day"
    monkeypatch.setenv("COOP_LANG", "pl")
    assert holiday_name(d("2026-11-11")) == "Narodowe Święto Niepodległości"
    monkeypatch.delenv("COOP_LANG")
    assert holiday_name(d("2026-11-11")) == "Narodowe Święto Niepodległości"


def test_plain_sunday_is_a_statutory_holiday_without_a_name() -> None:
    sunday = d("2026-07-19")
    assert sunday.weekday() == SUN
    assert holiday_name(sunday) is None
    assert is_statutory_holiday(sunday)
    assert not is_working_day(sunday)
    assert is_party_day_off(sunday)


def test_plain_saturday_is_off_for_a_party_but_not_a_statutory_holiday() -> None:
    saturday = d("2026-07-18")
    assert saturday.weekday() == SAT
    assert holiday_name(saturday) is None
    assert not is_statutory_holiday(saturday)
    assert not is_working_day(saturday)
    assert is_party_day_off(saturday)


def test_ordinary_weekday() -> None:
    wednesday = d("2026-07-15")
    assert wednesday.weekday() == WED
    assert holiday_name(wednesday) is None
    assert not is_statutory_holiday(wednesday)
    assert is_working_day(wednesday)
    assert not is_party_day_off(wednesday)


@pytest.mark.parametrize("iso", ["2026-01-01", "2026-01-06", "2026-04-06", "2026-06-04", "2026-11-11"])
def test_weekday_holidays_are_not_working_days(iso: str) -> None:
    assert d(iso).weekday() < SAT
    assert is_statutory_holiday(d(iso))
    assert not is_working_day(d(iso))
    assert is_party_day_off(d(iso))


def test_ordinary_days_are_not_holidays() -> None:
    # Days people sometimes take for holidays: Holy Saturday, 2 May, 2 November, New Year's Eve.
    for iso in ("2026-04-04", "2026-05-02", "2026-11-02", "2026-12-31"):
        assert holiday_name(d(iso)) is None, iso
        assert not is_statutory_holiday(d(iso)), iso
    assert is_working_day(d("2026-11-02"))
    assert is_working_day(d("2026-12-31"))


def test_calendar_functions_accept_an_aware_datetime_as_its_warsaw_date() -> None:
    # 2026-01-05 23:30 UTC is already 6 January (Epiphany) in Warsaw.
    moment = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert is_statutory_holiday(moment)
    assert not is_working_day(moment)
    assert holiday_name(moment, "en") == "Epiphany"


# ---------------------------------------------------------------------------------------------------------
# Weekday names
# ---------------------------------------------------------------------------------------------------------


def test_weekday_names() -> None:
    monday = d("2026-08-17")
    assert monday.weekday() == MON
    polish_names = [weekday_name(monday + timedelta(days=i), "pl") for i in range(7)]
    english_names = [weekday_name(monday + timedelta(days=i), "en") for i in range(7)]
    assert polish_names == ["poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"]
    assert english_names == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# ---------------------------------------------------------------------------------------------------------
# Time zone
# ---------------------------------------------------------------------------------------------------------


def test_local_date_converts_to_warsaw() -> None:
    # Winter: UTC+1.
    assert local_date(datetime(2026, 1, 1, 22, 59, tzinfo=UTC)) == d("2026-01-01")
    assert local_date(datetime(2026, 1, 1, 23, 0, tzinfo=UTC)) == d("2026-01-02")
    # Summer: UTC+2.
    assert local_date(datetime(2026, 7, 16, 21, 59, tzinfo=UTC)) == d("2026-07-16")
    assert local_date(datetime(2026, 7, 16, 22, 0, tzinfo=UTC)) == d("2026-07-17")
    # Already in Warsaw, and another zone.
    assert local_date(datetime(2026, 7, 16, 0, 5, tzinfo=WARSAW)) == d("2026-07-16")
    assert local_date(datetime(2026, 7, 16, 18, 0, tzinfo=ZoneInfo("America/New_York"))) == d("2026-07-17")


def test_local_date_rejects_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 7, 16, 12, 0))


def test_end_of_day_is_warsaw_local() -> None:
    winter = end_of_day(d("2026-01-23"))
    assert winter == datetime(2026, 1, 23, 23, 59, 59, tzinfo=WARSAW)
    assert winter.utcoffset() == timedelta(hours=1)
    assert winter.astimezone(UTC) == datetime(2026, 1, 23, 22, 59, 59, tzinfo=UTC)
    summer = end_of_day(d("2026-08-17"))
    assert summer.utcoffset() == timedelta(hours=2)
    assert summer.astimezone(UTC) == datetime(2026, 8, 17, 21, 59, 59, tzinfo=UTC)


def test_end_of_day_on_the_dst_change_days() -> None:
    # Clocks go forward on Sunday 2026-03-29 and back on Sunday 2026-10-25.
    spring, autumn = d("2026-03-29"), d("2026-10-25")
    assert spring.weekday() == SUN and autumn.weekday() == SUN
    before_spring = end_of_day(spring - timedelta(days=1))
    at_spring = end_of_day(spring)
    assert before_spring.utcoffset() == timedelta(hours=1)
    assert at_spring.utcoffset() == timedelta(hours=2)
    assert at_spring.isoformat() == "2026-03-29T23:59:59+02:00"
    assert (at_spring.timetz().hour, at_spring.minute, at_spring.second) == (23, 59, 59)
    # Same-zone subtraction in Python is wall-clock; go through UTC to measure elapsed time.
    assert at_spring.astimezone(UTC) - before_spring.astimezone(UTC) == timedelta(hours=23)  # short day

    before_autumn = end_of_day(autumn - timedelta(days=1))
    at_autumn = end_of_day(autumn)
    assert before_autumn.utcoffset() == timedelta(hours=2)
    assert at_autumn.utcoffset() == timedelta(hours=1)
    assert at_autumn.isoformat() == "2026-10-25T23:59:59+01:00"
    assert at_autumn.astimezone(UTC) - before_autumn.astimezone(UTC) == timedelta(hours=25)  # long day


def test_end_of_day_with_a_closing_time() -> None:
    due = end_of_day(d("2026-05-06"), time(15, 30))
    assert due.isoformat() == "2026-05-06T15:30:00+02:00"


def test_end_of_day_rejects_an_aware_closing_time() -> None:
    with pytest.raises(ValueError):
        end_of_day(d("2026-05-06"), time(15, 30, tzinfo=UTC))


def test_latest_of_picks_the_last_publication() -> None:
    bip = datetime(2026, 1, 2, 9, 0, tzinfo=WARSAW)
    board = datetime(2026, 1, 2, 10, 0, tzinfo=WARSAW)
    website = datetime(2026, 1, 2, 8, 30, tzinfo=UTC)  # 09:30 Warsaw
    assert latest_of([bip, board, website]) == board
    assert latest_of(iter([bip, website])) == website
    assert latest_of([bip]) == bip


def test_latest_of_is_none_until_every_channel_has_published() -> None:
    bip = datetime(2026, 1, 2, 9, 0, tzinfo=WARSAW)
    assert latest_of([bip, None, bip]) is None
    assert latest_of([None]) is None
    assert latest_of([]) is None


def test_latest_of_rejects_naive_moments() -> None:
    with pytest.raises(ValueError, match="naive"):
        latest_of([datetime(2026, 1, 2, 9, 0)])


# ---------------------------------------------------------------------------------------------------------
# Adding periods
# ---------------------------------------------------------------------------------------------------------


def test_add_days_does_not_count_the_day_of_the_event() -> None:
    assert add_days(d("2026-01-02"), 21) == d("2026-01-23")
    assert add_days(d("2026-07-16"), 30) == d("2026-08-15")
    assert add_days(d("2026-12-20"), 14) == d("2027-01-03")
    assert add_days(d("2026-07-16"), 0) == d("2026-07-16")


def test_add_weeks_ends_on_the_same_weekday() -> None:
    assert add_weeks(d("2026-07-16"), 2) == d("2026-07-30")
    assert d("2026-07-30").weekday() == THU
    assert add_weeks(d("2026-12-24"), 1) == d("2026-12-31")


@pytest.mark.parametrize(
    "trigger, n, expected",
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2027-01-31", 1, "2027-02-28"),
        ("2028-01-31", 1, "2028-02-29"),  # leap year
        ("2026-01-30", 1, "2026-02-28"),
        ("2026-01-29", 1, "2026-02-28"),
        ("2026-01-28", 1, "2026-02-28"),
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-07-16", 1, "2026-08-16"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-12-15", 1, "2027-01-15"),
        ("2026-12-15", 2, "2027-02-15"),
        ("2026-01-15", 12, "2027-01-15"),
        ("2026-08-31", -6, "2026-02-28"),
        ("2026-03-15", -3, "2025-12-15"),
    ],
)
def test_add_months(trigger: str, n: int, expected: str) -> None:
    assert add_months(d(trigger), n) == d(expected)


def test_add_working_days_worked_example_small_grant() -> None:
    # procedures.md section 8: received Wed 2026-04-01, 7 working days, Easter Monday 2026-04-06 skipped:
    # Thu 2 (1), Fri 3 (2), [Sat, Sun, Mon 6 holiday], Tue 7 (3), Wed 8 (4), Thu 9 (5), Fri 10 (6),
    # Mon 13 (7).
    assert d("2026-04-01").weekday() == WED
    assert add_working_days(d("2026-04-01"), 7) == d("2026-04-13")
    assert d("2026-04-13").weekday() == MON


def test_add_working_days_skips_epiphany() -> None:
    # Fri 2026-01-02: Mon 5 (1), Tue 6 Epiphany skipped, Wed 7 (2), Thu 8 (3).
    assert d("2026-01-02").weekday() == FRI
    assert add_working_days(d("2026-01-02"), 1) == d("2026-01-05")
    assert add_working_days(d("2026-01-02"), 2) == d("2026-01-07")
    assert add_working_days(d("2026-01-02"), 3) == d("2026-01-08")


def test_add_working_days_across_new_year() -> None:
    # Thu 2026-12-31: Fri 1 Jan holiday, weekend, Mon 4 (1), Tue 5 (2), Wed 6 Epiphany, Thu 7 (3).
    assert d("2026-12-31").weekday() == THU
    assert d("2027-01-06").weekday() == WED
    assert add_working_days(d("2026-12-31"), 3) == d("2027-01-07")
    # Wed 2025-12-31: Thu 1 Jan holiday, Fri 2 (1), Mon 5 (2), Tue 6 Epiphany, Wed 7 (3).
    assert add_working_days(d("2025-12-31"), 3) == d("2026-01-07")


def test_add_working_days_across_christmas() -> None:
    # Wed 2026-12-23: 24 (Thu) and 25 (Fri) are holidays, then the weekend: Mon 28.
    assert add_working_days(d("2026-12-23"), 1) == d("2026-12-28")


def test_add_working_days_from_a_day_off_and_zero_and_backwards() -> None:
    assert add_working_days(d("2026-08-15"), 1) == d("2026-08-17")  # from a Saturday holiday
    assert add_working_days(d("2026-08-15"), 0) == d("2026-08-15")
    assert add_working_days(d("2026-04-13"), -7) == d("2026-04-01")


# ---------------------------------------------------------------------------------------------------------
# period_deadline
# ---------------------------------------------------------------------------------------------------------


def test_worked_example_open_call_offer_deadline() -> None:
    # procedures.md section 8: published Fri 2026-01-02 -> earliest valid offer deadline 2026-01-23.
    assert d("2026-01-02").weekday() == FRI
    assert earliest_deadline_after(d("2026-01-02"), 21) == d("2026-01-23")
    published = latest_of(
        [
            datetime(2026, 1, 2, 8, 0, tzinfo=WARSAW),
            datetime(2026, 1, 2, 12, 0, tzinfo=WARSAW),
            datetime(2026, 1, 2, 14, 15, tzinfo=WARSAW),
        ]
    )
    assert earliest_deadline_after(published, 21) == d("2026-01-23")


def test_earliest_deadline_is_a_bound_and_never_shifted() -> None:
    # 2026-07-16 + 30 = Sat 2026-08-15 (Assumption Day): the bound stays on the day off.
    assert earliest_deadline_after(d("2026-07-16"), 30) == d("2026-08-15")


def test_earliest_deadline_uses_the_warsaw_date_of_a_datetime() -> None:
    # 23:30 UTC on 1 January is already 2 January in Warsaw.
    assert earliest_deadline_after(datetime(2026, 1, 1, 23, 30, tzinfo=UTC), 21) == d("2026-01-23")
    with pytest.raises(ValueError):
        earliest_deadline_after(datetime(2026, 1, 2, 9, 0), 21)
    with pytest.raises(ValueError):
        earliest_deadline_after(d("2026-01-02"), -1)


def test_thirty_days_landing_on_assumption_day_saturday_is_moved_for_a_party(polish: None) -> None:
    deadline = period_deadline(d("2026-07-16"), 30)
    assert isinstance(deadline, ComputedDeadline)
    assert deadline.trigger == d("2026-07-16")
    assert deadline.amount == 30
    assert deadline.unit == "days"
    assert deadline.nominal_last_day == d("2026-08-15")
    assert d("2026-08-15").weekday() == SAT
    assert deadline.last_day == d("2026-08-17")
    assert d("2026-08-17").weekday() == MON
    assert deadline.shifted
    assert deadline.basis == "KC art. 111-115"
    assert deadline.due == datetime(2026, 8, 17, 23, 59, 59, tzinfo=WARSAW)
    assert deadline.due.utcoffset() == timedelta(hours=2)

    assert all(isinstance(step, Message) for step in deadline.steps)
    assert both(deadline.steps[0]) == (
        "termin 30 dni od 2026-07-16 (dzień zdarzenia nie jest liczony): 2026-08-15",
        "30 days from 2026-07-16 (the day of the event is not counted): 2026-08-15",
    )
    assert deadline.steps[1].in_language("pl") == (
        "przesunięty z soboty 2026-08-15 (Wniebowzięcie Najświętszej Marii Panny) "
        "na poniedziałek 2026-08-17 (KC art. 115)"
    )
    assert deadline.steps[1].in_language("en") == (
        "moved from Saturday 2026-08-15, a holiday (Assumption Day), to Monday 2026-08-17 (KC art. 115)"
    )
    text = deadline.explain()
    assert (
        text.splitlines()[0] == "termin 30 dni od 2026-07-16 (dzień zdarzenia nie jest liczony): 2026-08-15"
    )
    assert "2026-08-16 (niedziela)" in text
    assert (
        text.splitlines()[-1]
        == "termin upływa 2026-08-17 (poniedziałek) o godz. 23:59:59 czasu warszawskiego"
    )


def both(message: Message) -> tuple[str, str]:
    return message.in_language("pl"), message.in_language("en")


def test_explain_follows_the_language(english: None) -> None:
    deadline = period_deadline(d("2026-07-16"), 30)
    lines = deadline.explain().splitlines()
    assert lines[0] == "30 days from 2026-07-16 (the day of the event is not counted): 2026-08-15"
    assert lines[1] == (
        "moved from Saturday 2026-08-15, a holiday (Assumption Day), to Monday 2026-08-17 (KC art. 115)"
    )
    assert lines[-1] == "the period ends on 2026-08-17 (Monday) at 23:59:59 Warsaw time"
    assert len(lines) == len(deadline.steps)
    assert deadline.explain("pl").splitlines()[0].startswith("termin 30 dni")


def test_office_period_is_not_moved() -> None:
    deadline = period_deadline(d("2026-07-16"), 30, party=False)
    assert deadline.nominal_last_day == deadline.last_day == d("2026-08-15")
    assert not deadline.shifted
    assert deadline.due == datetime(2026, 8, 15, 23, 59, 59, tzinfo=WARSAW)
    assert "nie jest przesuwany" in deadline.explain("pl")
    assert "not moved" in deadline.explain("en")


def test_shift_across_several_days_off_at_christmas() -> None:
    # 2026-12-10 + 14 = Thu 24 Dec (holiday) -> Fri 25 (holiday), Sat 26 (holiday), Sun 27 -> Mon 28.
    assert [d(f"2026-12-{day}").weekday() for day in (24, 25, 26, 27, 28)] == [THU, FRI, SAT, SUN, MON]
    deadline = period_deadline(d("2026-12-10"), 14)
    assert deadline.nominal_last_day == d("2026-12-24")
    assert deadline.last_day == d("2026-12-28")
    assert deadline.shifted
    assert deadline.due.isoformat() == "2026-12-28T23:59:59+01:00"
    pl = deadline.explain("pl")
    en = deadline.explain("en")
    assert "przesunięty z czwartku 2026-12-24 (Wigilia Bożego Narodzenia) na poniedziałek 2026-12-28" in pl
    assert "moved from Thursday 2026-12-24, a holiday (Christmas Eve), to Monday 2026-12-28" in en
    for day in ("2026-12-25", "2026-12-26", "2026-12-27"):
        assert day in pl and day in en


def test_shift_off_a_plain_saturday_and_a_plain_sunday() -> None:
    saturday = period_deadline(d("2026-07-11"), 7)  # Sat 2026-07-18
    assert saturday.nominal_last_day == d("2026-07-18")
    assert saturday.last_day == d("2026-07-20")
    assert both(saturday.steps[1]) == (
        "przesunięty z soboty 2026-07-18 na poniedziałek 2026-07-20 (KC art. 115)",
        "moved from Saturday 2026-07-18 to Monday 2026-07-20 (KC art. 115)",
    )
    sunday = period_deadline(d("2026-07-12"), 7)  # Sun 2026-07-19
    assert sunday.last_day == d("2026-07-20")
    assert sunday.steps[1].in_language("pl") == "przesunięty z niedzieli 2026-07-19 na poniedziałek 2026-07-20 (KC art. 115)"
    assert len(sunday.steps) == 3  # nominal, shift, due: no further days off


def test_shift_off_a_weekday_holiday_to_the_next_day() -> None:
    # 14-day RDPP opinion (art. 41i ust. 2): delivered Thu 2026-05-21 -> Thu 2026-06-04 (Corpus Christi)
    # -> Fri 2026-06-05.
    deadline = period_deadline(d("2026-05-21"), 14, basis="art. 41i ust. 2")
    assert deadline.nominal_last_day == d("2026-06-04")
    assert deadline.last_day == d("2026-06-05")
    assert d("2026-06-05").weekday() == FRI
    assert deadline.basis == "art. 41i ust. 2"
    assert deadline.steps[1].in_language("pl") == (
        "przesunięty z czwartku 2026-06-04 (Dzień Bożego Ciała) na piątek 2026-06-05 (KC art. 115)"
    )


def test_longest_run_of_days_off_christmas_2025() -> None:
    # Wed 2025-12-24 .. Sun 28 are all days off: 21 days from 2025-12-03 ends on Mon 2025-12-29.
    assert d("2025-12-24").weekday() == WED
    deadline = period_deadline(d("2025-12-03"), 21)
    assert deadline.nominal_last_day == d("2025-12-24")
    assert deadline.last_day == d("2025-12-29")
    assert deadline.steps[1].in_language("pl").startswith("przesunięty ze środy 2025-12-24 (Wigilia Bożego Narodzenia)")


def test_shift_from_a_wednesday_holiday_uses_ze_srody() -> None:
    # Wed 2026-11-11 (Independence Day) -> Thu 2026-11-12.
    deadline = period_deadline(d("2026-10-28"), 14)
    assert deadline.last_day == d("2026-11-12")
    assert deadline.steps[1].in_language("pl").startswith("przesunięty ze środy 2026-11-11 (Narodowe Święto Niepodległości)")
    assert " na czwartek 2026-11-12 " in deadline.steps[1].in_language("pl")


def test_rdpp_opinion_delivered_late_in_the_evening_counts_from_the_warsaw_date() -> None:
    # Delivered 2026-05-20 23:30 UTC = 2026-05-21 01:30 in Warsaw.
    delivered = datetime(2026, 5, 20, 23, 30, tzinfo=UTC)
    deadline = period_deadline(delivered, 14)
    assert deadline.trigger == d("2026-05-21")
    assert deadline.last_day == d("2026-06-05")


def test_rdpp_opinion_ordinary_case() -> None:
    deadline = period_deadline(d("2026-05-20"), 14, basis="art. 41i ust. 2")
    assert deadline.nominal_last_day == deadline.last_day == d("2026-06-03")
    assert not deadline.shifted
    assert deadline.due.isoformat() == "2026-06-03T23:59:59+02:00"
    assert len(deadline.steps) == 2


def test_consultation_closing_at_half_past_three() -> None:
    # Leszno: 7 calendar days, closing at 15:30. Opened Wed 2026-04-29 -> Wed 2026-05-06 15:30.
    deadline = period_deadline(d("2026-04-29"), 7, closing_time=time(15, 30))
    assert deadline.last_day == d("2026-05-06")
    assert deadline.due == datetime(2026, 5, 6, 15, 30, tzinfo=WARSAW)
    assert deadline.due.isoformat() == "2026-05-06T15:30:00+02:00"
    assert "o godz. 15:30 czasu warszawskiego" in deadline.explain("pl")
    assert "at 15:30 Warsaw time" in deadline.explain("en")


def test_consultation_ending_on_all_saints_after_dst_change() -> None:
    # Opened Sun 2026-10-25 (DST ends) -> Sun 2026-11-01 All Saints -> Mon 2026-11-02 15:30, UTC+1.
    deadline = period_deadline(d("2026-10-25"), 7, closing_time=time(15, 30))
    assert deadline.nominal_last_day == d("2026-11-01")
    assert deadline.last_day == d("2026-11-02")
    assert deadline.due.isoformat() == "2026-11-02T15:30:00+01:00"
    office = period_deadline(d("2026-10-25"), 7, closing_time=time(15, 30), party=False)
    assert office.due.isoformat() == "2026-11-01T15:30:00+01:00"


def test_working_day_period_is_never_shifted() -> None:
    # procedures.md section 8 via period_deadline, and art. 19a ust. 3 as basis.
    deadline = period_deadline(d("2026-04-01"), 7, "working_days", basis="art. 19a ust. 3")
    assert deadline.nominal_last_day == deadline.last_day == d("2026-04-13")
    assert not deadline.shifted
    assert deadline.due.isoformat() == "2026-04-13T23:59:59+02:00"
    assert "7 dni roboczych od 2026-04-01" in deadline.explain("pl")
    assert "2026-04-06 (Poniedziałek Wielkanocny)" in deadline.explain("pl")
    assert "2026-04-06 (Easter Monday)" in deadline.explain("en")


def test_working_days_across_new_year_via_period_deadline() -> None:
    deadline = period_deadline(d("2026-12-31"), 3, "working_days")
    assert deadline.last_day == d("2027-01-07")
    en = deadline.explain("en")
    assert "2027-01-01 (New Year's Day)" in en
    assert "2027-01-06 (Epiphany)" in en


def test_weeks_period() -> None:
    deadline = period_deadline(d("2026-07-16"), 2, "weeks")
    assert deadline.last_day == d("2026-07-30")
    assert not deadline.shifted
    assert "(czwartek)" in deadline.steps[0].in_language("pl")
    # 1 week from Mon 2026-04-27 -> Mon 2026-05-04; from Sun 2026-04-26 -> Sun 2026-05-03 (holiday) -> Mon 4.
    assert period_deadline(d("2026-04-26"), 1, "weeks").last_day == d("2026-05-04")
    assert period_deadline(d("2026-04-26"), 1, "weeks").steps[0].in_language("pl").startswith("termin 1 tygodnia od")


def test_months_period_with_month_end_and_shift() -> None:
    # 1 month from 2027-01-31 -> 2027-02-28 (Sunday) -> Mon 2027-03-01.
    assert d("2027-02-28").weekday() == SUN
    deadline = period_deadline(d("2027-01-31"), 1, "months")
    assert deadline.nominal_last_day == d("2027-02-28")
    assert deadline.last_day == d("2027-03-01")
    assert "nie ma dnia 31." in deadline.steps[0].in_language("pl")
    assert "has no day 31" in deadline.steps[0].in_language("en")
    assert deadline.steps[0].in_language("pl").startswith("termin 1 miesiąca od 2027-01-31")
    # art. 12: 1 month from Thu 2026-07-16 -> Sun 2026-08-16 -> Mon 2026-08-17.
    proposal = period_deadline(d("2026-07-16"), 1, "months", basis="art. 12")
    assert proposal.nominal_last_day == d("2026-08-16")
    assert proposal.last_day == d("2026-08-17")
    # 2028 is a leap year: Tue 2028-02-29, no shift.
    leap = period_deadline(d("2028-01-31"), 1, "months")
    assert leap.last_day == d("2028-02-29")
    assert not leap.shifted


def test_kpa_basis_cites_kpa_for_the_shift() -> None:
    deadline = period_deadline(d("2026-07-16"), 30, basis="KPA art. 57")
    assert deadline.steps[1].in_language("pl").endswith("(KPA art. 57 §4)")


def test_zero_amount() -> None:
    deadline = period_deadline(d("2026-07-15"), 0)
    assert deadline.last_day == d("2026-07-15")
    assert period_deadline(d("2026-07-15"), 0, "working_days").last_day == d("2026-07-15")


def test_computed_deadline_is_frozen() -> None:
    deadline = period_deadline(d("2026-07-16"), 30)
    with pytest.raises(dataclasses.FrozenInstanceError):
        deadline.last_day = d("2026-08-18")  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"trigger": date(2026, 7, 16), "amount": 30, "unit": "years"}, "unit"),
        ({"trigger": date(2026, 7, 16), "amount": -1}, "negative"),
        ({"trigger": datetime(2026, 7, 16, 12, 0), "amount": 30}, "naive"),
        ({"trigger": date(2026, 7, 16), "amount": 1.5}, "integer"),
    ],
)
def test_period_deadline_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        period_deadline(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------

dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))
units = st.sampled_from(["days", "working_days", "weeks", "months"])


@given(trigger=dates, amount=st.integers(min_value=0, max_value=120), unit=units)
def test_party_deadline_never_ends_on_a_day_off(trigger: date, amount: int, unit: str) -> None:
    deadline = period_deadline(trigger, amount, unit)
    if unit != "working_days" or amount > 0:
        assert not is_party_day_off(deadline.last_day)
    assert deadline.last_day >= deadline.nominal_last_day
    # The longest run of days off is five: 24-28 December when the 24th is a Wednesday (2025).
    assert (deadline.last_day - deadline.nominal_last_day).days <= 5
    assert deadline.shifted == (deadline.last_day != deadline.nominal_last_day)
    assert deadline.due.tzinfo is WARSAW
    assert deadline.due.date() == deadline.last_day
    assert deadline.due.timetz().replace(tzinfo=None) == END_OF_DAY


@given(trigger=dates, amount=st.integers(min_value=0, max_value=120), unit=units)
def test_office_deadline_is_never_shifted(trigger: date, amount: int, unit: str) -> None:
    deadline = period_deadline(trigger, amount, unit, party=False)
    assert deadline.last_day == deadline.nominal_last_day
    assert not deadline.shifted


@given(trigger=dates, n=st.integers(min_value=1, max_value=60))
def test_add_working_days_counts_exactly_n_working_days(trigger: date, n: int) -> None:
    result = add_working_days(trigger, n)
    assert is_working_day(result)
    between = [trigger + timedelta(days=i) for i in range(1, (result - trigger).days + 1)]
    assert sum(is_working_day(day) for day in between) == n
    assert add_working_days(result, -n) <= trigger


@given(trigger=dates, n=st.integers(min_value=-36, max_value=36))
def test_add_months_keeps_the_day_or_clamps_to_month_end(trigger: date, n: int) -> None:
    result = add_months(trigger, n)
    assert (result.year * 12 + result.month) - (trigger.year * 12 + trigger.month) == n
    if result.day != trigger.day:
        assert result.day < trigger.day
        assert (result + timedelta(days=1)).day == 1  # clamped to the last day of the month


@given(trigger=dates, n=st.integers(min_value=0, max_value=400))
def test_add_days_and_weeks(trigger: date, n: int) -> None:
    assert (add_days(trigger, n) - trigger).days == n
    assert add_weeks(trigger, n).weekday() == trigger.weekday()


@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)))
def test_day_classification_is_consistent(day: date) -> None:
    assert is_working_day(day) == (not is_party_day_off(day))
    if day.weekday() == SUN:
        assert is_statutory_holiday(day)
    if holiday_name(day) is not None:
        assert is_statutory_holiday(day)
