"""Time at its edges, through the engine (not just the calendar): the last second of the offer deadline, the
first second after it, the Europe/Warsaw DST changes of 2026 (29 March, 25 October), 29 February 2028, and a
case whose simulated clock runs backwards (refused, nothing written).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from models.tables import AuditRecord, Deadline
from states.errors import RuleViolation
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.tick import tick
from tests.test_open_call_guards import (
    KRS,
    announcement,
    appoint,
    create,
    do,
    refused,
    register,
    session,
    the_case,
)


def announced_with(url: str, offer_deadline: str, published_at: str, announced_at: str) -> str:
    """A call announced in all three channels at ``published_at``, closing on ``offer_deadline``."""
    register(url)
    code = create(url)
    published = dict.fromkeys(("bip", "board", "website"), published_at)
    do(url, open_call_handlers.announce_call, announcement(code, offer_deadline, published, selection_date="2029-06-30"), announced_at)
    return code


def offer(code: str, org: int, received_at: str) -> open_call_inputs.FileOffer:
    return open_call_inputs.FileOffer(code=code, organisation_krs=KRS[org], title=f"Zadanie {org + 1}", requested_grant="1000.00",
                       task_start="2026-04-01", task_end="2026-06-30", received_at=received_at)


def close_deadline(url: str, code: str) -> Deadline:
    with session(url) as s:
        case = the_case(s, code)
        return s.exec(select(Deadline).where(Deadline.case_id == case.id, Deadline.kind == "offers_close")).one()


def state(url: str, code: str) -> str:
    with session(url) as s:
        return the_case(s, code).state


def close_offers_count(url: str, code: str) -> int:
    with session(url) as s:
        case = the_case(s, code)
        return len(s.exec(select(AuditRecord).where(AuditRecord.case_id == case.id,
                                                    AuditRecord.event == "close_offers")).all())


# --- the last second of the day ---------------------------------------------------------------------------------


def test_an_offer_at_235959_on_the_deadline_day_is_on_time_and_at_midnight_late(db_url):
    code = announced_with(db_url, "2026-01-23", "2026-01-02T09:00+01:00", "2026-01-02T12:00+01:00")
    assert close_deadline(db_url, code).due_at == datetime(2026, 1, 23, 22, 59, 59, tzinfo=UTC)
    on_time = do(db_url, open_call_handlers.file_offer, offer(code, 0, "2026-01-23T23:59:59+01:00"), "2026-01-23T23:59:59+01:00")
    assert on_time["state"] == "received"
    error = refused(db_url, RuleViolation, "art. 13 ust. 2 pkt 5", open_call_handlers.file_offer,
                    offer(code, 1, "2026-01-24T00:00:00+01:00"), "2026-01-24T00:00:00+01:00")
    assert error.rule == "offer_late" and "2026-01-24 00:00" in error.message()


def test_a_tick_at_235958_does_not_close_the_call_and_at_235959_it_does(db_url):
    code = announced_with(db_url, "2026-01-23", "2026-01-02T09:00+01:00", "2026-01-02T12:00+01:00")
    do(db_url, open_call_handlers.file_offer, offer(code, 0, "2026-01-12T10:00+01:00"), "2026-01-12T10:00+01:00")
    early = tick("2026-01-23T23:59:58+01:00", url=db_url)
    assert (early.fired, state(db_url, code), close_deadline(db_url, code).fired_at) == (0, "announced", None)
    due = tick("2026-01-23T23:59:59+01:00", url=db_url)
    assert due.fired == 1 and state(db_url, code) == "formal_review"
    again = tick("2026-01-24T00:00:00+01:00", url=db_url)  # a second tick fires nothing twice
    assert again.fired == 0 and close_offers_count(db_url, code) == 1


# --- the DST changes of 2026 ------------------------------------------------------------------------------------


def test_a_deadline_on_the_spring_dst_sunday_moves_to_monday_and_closes_at_summer_midnight(db_url):
    # Sunday 29 March 2026: clocks go 02:00 CET -> 03:00 CEST; a party's deadline on a Sunday moves (KC art. 115)
    code = announced_with(db_url, "2026-03-29", "2026-03-06T09:00+01:00", "2026-03-06T12:00+01:00")
    deadline = close_deadline(db_url, code)
    assert deadline.due_at == datetime(2026, 3, 30, 21, 59, 59, tzinfo=UTC)  # 23:59:59 CEST, not CET
    do(db_url, open_call_handlers.file_offer, offer(code, 0, "2026-03-30T23:59:59+02:00"), "2026-03-30T23:59:59+02:00")
    assert tick("2026-03-30T23:59:58+02:00", url=db_url).fired == 0
    # the winter offset on a summer day is one hour later than it looks: already past the deadline
    error = refused(db_url, RuleViolation, "art. 13 ust. 2 pkt 5", open_call_handlers.file_offer,
                    offer(code, 1, "2026-03-30T23:30:00+01:00"), "2026-03-30T23:30:00+01:00")
    assert "2026-03-31 00:30" in error.message()  # reported in Warsaw time


def test_a_deadline_on_the_autumn_dst_sunday_moves_to_monday_and_closes_at_winter_midnight(db_url):
    # Sunday 25 October 2026: clocks go 03:00 CEST -> 02:00 CET (a 25-hour day)
    code = announced_with(db_url, "2026-10-25", "2026-10-02T09:00+02:00", "2026-10-02T12:00+02:00")
    assert close_deadline(db_url, code).due_at == datetime(2026, 10, 26, 22, 59, 59, tzinfo=UTC)
    # received in the repeated hour 02:30, twice (first CEST, then CET): both on time, both recorded
    do(db_url, open_call_handlers.file_offer, offer(code, 0, "2026-10-25T02:30+02:00"), "2026-10-25T02:30+02:00")
    do(db_url, open_call_handlers.file_offer, offer(code, 1, "2026-10-25T02:30+01:00"), "2026-10-25T02:30+01:00")
    assert tick("2026-10-26T23:59:58+01:00", url=db_url).fired == 0
    assert tick("2026-10-26T23:59:59+01:00", url=db_url).fired == 1
    assert state(db_url, code) == "formal_review"


def test_a_deadline_set_in_winter_for_a_summer_day_keeps_its_wall_clock(db_url):
    # announced in winter (CET), closing after the spring change: 23:59:59 Warsaw time of that day, i.e. CEST
    code = announced_with(db_url, "2026-04-07", "2026-03-13T09:00+01:00", "2026-03-13T12:00+01:00")
    assert close_deadline(db_url, code).due_at == datetime(2026, 4, 7, 21, 59, 59, tzinfo=UTC)
    do(db_url, open_call_handlers.file_offer, offer(code, 0, "2026-04-07T23:59:59+02:00"), "2026-04-07T23:59:59+02:00")
    assert tick("2026-04-07T23:59:59+02:00", url=db_url).fired == 1


# --- 29 February ------------------------------------------------------------------------------------------------


def test_a_deadline_on_29_february_2028(db_url):
    # published Tuesday 8 February 2028: 21 days later is Tuesday 29 February, a working day
    code = announced_with(db_url, "2028-02-29", "2028-02-08T09:00+01:00", "2028-02-08T12:00+01:00")
    assert close_deadline(db_url, code).due_at == datetime(2028, 2, 29, 22, 59, 59, tzinfo=UTC)
    do(db_url, open_call_handlers.file_offer, offer(code, 0, "2028-02-29T23:59:59+01:00"), "2028-02-29T23:59:59+01:00")
    refused(db_url, RuleViolation, "art. 13 ust. 2 pkt 5", open_call_handlers.file_offer,
            offer(code, 1, "2028-03-01T00:00:00+01:00"), "2028-03-01T00:00:00+01:00")
    assert tick("2028-02-29T23:59:58+01:00", url=db_url).fired == 0
    assert tick("2028-02-29T23:59:59+01:00", url=db_url).fired == 1


def test_20_days_to_29_february_is_refused_as_too_short(db_url):
    register(db_url)
    code = create(db_url)
    published = dict.fromkeys(("bip", "board", "website"), "2028-02-09T09:00+01:00")
    error = refused(db_url, RuleViolation, "art. 13 ust. 1", open_call_handlers.announce_call,
                    announcement(code, "2028-02-29", published, selection_date="2028-06-30"), "2028-02-09T12:00+01:00")
    assert "2028-03-01" in error.message()  # the earliest lawful day, past the leap day


# --- a clock that runs backwards --------------------------------------------------------------------------------


@pytest.mark.parametrize("earlier", ["2026-01-02T11:59:59+01:00", "2026-01-02T10:59:59Z", "2025-12-31T23:00+01:00"])
def test_a_command_earlier_than_the_cases_last_event_is_refused(db_url, earlier):
    code = announced_with(db_url, "2026-01-23", "2026-01-02T09:00+01:00", "2026-01-02T12:00+01:00")
    error = refused(db_url, RuleViolation, None, open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name="Jan Kowalski"),
                    earlier)
    assert error.rule == "clock_backwards" and "nie może się cofać" in error.message()
    # the same instant is not earlier: a command at 12:00 exactly is accepted
    appoint(db_url, code, ("Jan Kowalski",), at="2026-01-02T12:00+01:00")


def test_a_tick_behind_the_cases_clock_leaves_the_deadline_for_a_later_tick(db_url):
    """An officer acting with --at in the future puts the case's clock ahead of the scheduler's; the deadline
    must wait for a tick that has caught up, not be lost."""
    code = announced_with(db_url, "2026-01-23", "2026-01-02T09:00+01:00", "2026-01-02T12:00+01:00")
    do(db_url, open_call_handlers.file_offer, offer(code, 0, "2026-01-12T10:00+01:00"), "2026-01-12T10:00+01:00")
    appoint(db_url, code, ("Jan Kowalski",), at="2026-01-24T09:00+01:00")  # the case's clock: 24 Jan 09:00
    tick("2026-01-24T08:00+01:00", url=db_url)  # due, but an hour behind the case
    assert state(db_url, code) == "announced"
    tick("2026-01-24T09:30+01:00", url=db_url)
    assert state(db_url, code) == "formal_review" and close_offers_count(db_url, code) == 1

