"""The terms of a grant's contract that every procedure contracting a grant shares (the open call, the small
grant; art. 16, 18; ufp art. 251-252): the report's deadline and its written call, how long the funds may be
used, when the unused ones come back, and what a settlement records."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from states import calendar, periods
from states.rule_sets import OpenCallRules


def report_call(now: datetime, rules: OpenCallRules) -> calendar.ComputedDeadline:
    """The contract's written call for a missing or deficient report: N days, moved off days off."""
    return periods.REPORT_CALL.count(now, rules.report_call_days)


def report_deadline(task_end: date, rules: OpenCallRules) -> calendar.ComputedDeadline:
    return periods.FINAL_REPORT.count(task_end, rules.final_report_days)


def return_deadline(usage_deadline: date, rules: OpenCallRules) -> calendar.ComputedDeadline:
    """ufp art. 251: by 31 January when the grant may be used to the year's end, else 15 days after usage."""
    if (usage_deadline.month, usage_deadline.day) == (12, 31):
        return periods.FUNDS_RETURN_YEAR_END.on(date(usage_deadline.year + 1, 1, 31))
    return periods.FUNDS_RETURN.count(usage_deadline, rules.return_days_after_usage)


def settlement_facts(unused: Decimal, returned: Decimal, returned_on: date | None, return_due: date | None) -> dict:
    """What a settlement records (ufp art. 251): the unused amount, its return, and whether it came back late;
    interest at the tax-arrears rate runs from the day after the deadline (ust. 5)."""
    late = bool(unused > 0 and returned_on and return_due and returned_on > return_due)
    facts = {"unused": unused, "returned": returned, "returned_on": returned_on, "return_due": return_due,
             "late": late}
    if late:
        facts["interest_from"] = return_due + timedelta(days=1)
    return facts


def usage_deadline(task_end: date, rules: OpenCallRules) -> date:
    """Contract clause: the grant may be used until N days after the task ends, never past the budget year."""
    return min(periods.FUNDS_USAGE.count(task_end, rules.funds_usage_days_after_task).last_day, date(task_end.year, 12, 31))
