"""The terms of a grant's contract that every procedure contracting a grant shares (the open call, the small
grant; art. 16, 18; ufp art. 251-252): the report's deadline and its written call, how long the funds may be
used, when the unused ones come back, what a settlement records, and the two money rules of the report and the
settlement (funds used within the grant, the unused funds returned). Plain facts in, no database: the shared
handler steps (states/contract_tail_steps.py) and the machines' validators call the same functions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from states import calendar, periods
from states.errors import RuleViolation
from states.rule_sets import OpenCallRules
from states.text import money, tr


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


def require_within_grant(funds_used: Decimal, granted: Decimal | None) -> None:
    """A report cannot account for more than the grant (art. 18 ust. 1; ufp art. 252: what is used beyond it is
    used against the contract). A grant not yet known (None) bounds nothing."""
    if granted is not None and funds_used > granted:
        raise RuleViolation(
            "used_above_grant",
            tr("Funds used {funds_used} > grant {amount}", funds_used=money(funds_used), amount=money(granted)),
            basis="art. 18 ust. 1; ufp art. 252",
        )


def require_unused_returned(unused: Decimal, returned_amount: Decimal, returned_on: date | None,
                            return_due: date | None = None) -> None:
    """No settlement before the unused grant is back, in full and on a known day (ufp art. 251 ust. 1-3); the
    refusal names the return deadline when the caller knows it (the open call's contract stores it)."""
    if unused > 0 and (returned_amount < unused or returned_on is None):
        if return_due is None:
            message = tr("The unused grant {unused} must be returned before settlement (returned {returned_amount})",
                         unused=money(unused), returned_amount=money(returned_amount))
        else:
            message = tr("The unused grant {unused} must be returned before settlement (returned {returned_amount}); "
                         "due by {return_due}", unused=money(unused), returned_amount=money(returned_amount),
                         return_due=return_due)
        raise RuleViolation("unused_funds_not_returned", message, basis="ufp art. 251 ust. 1-3")
