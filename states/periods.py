"""Every period the engine counts, declared once: its basis, whom it binds, and so whether it is shifted.

The law counts a period the same way for everybody (KC art. 111-114), but only a period that *binds a party*
— someone who loses a right or an act when it passes — moves off a Saturday or a statutory holiday to the next
day that is neither (KC art. 115; KPA art. 57 §4). A period that limits *the office* (a minimum it must give,
a time within which it must act) is never shifted: the office cannot lengthen its own limit. Some numbers are
neither: a length a task or contract may not exceed, a date a contract names, a reminder's lead time.

Handlers count a period only through its declaration here (tests/test_periods.py checks that nothing else
calls ``calendar.period_deadline``), and docs/periods.md is generated from this table
(``python -m states.periods``) and checked against it by a test.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path

from states import calendar
from states.rule_sets import LESZNO_2026, RuleSet


class Binds(Enum):
    PARTY = "party"  # loses a right or an act when the period passes: shifted (KC art. 115)
    OFFICE = "office"  # a limit the office must respect: never shifted
    NOBODY = "nobody"  # a length or a named date, not a time limit for anyone's act: never shifted


@dataclass(frozen=True)
class Period:
    key: str
    what: str
    basis: str
    binds: Binds
    who: str
    why: str
    unit: str = "days"
    setting: str | None = None  # "section.field" of the rule set giving the length; None: fixed by law or a date
    fixed: str | None = None  # the length or date when no setting gives it, as the docs show it

    @property
    def shifted(self) -> bool:
        """A party's period moves off days off; a working-day period already ends on a working day."""
        return self.binds is Binds.PARTY and self.unit != "working_days"

    def length(self, rules: RuleSet) -> int:
        section, field = self.setting.split(".")
        return getattr(getattr(rules, section), field)

    def count(self, trigger: date | datetime, amount: int, *,
              closing_time: time = calendar.END_OF_DAY) -> calendar.ComputedDeadline:
        """The period of ``amount`` units from ``trigger`` (0: a date fixed by an act), shifted if it binds a party."""
        return calendar.period_deadline(trigger, amount, self.unit, party=self.binds is Binds.PARTY,
                                        closing_time=closing_time, basis=self.basis)

    def earliest(self, trigger: date | datetime, amount: int) -> date:
        """The earliest date an office's minimum period allows (a validation bound, never shifted)."""
        assert self.binds is Binds.OFFICE, "only an office's minimum is a validation bound"
        return calendar.earliest_deadline_after(trigger, amount)

    def on(self, day: date, *, closing_time: time = calendar.END_OF_DAY) -> calendar.ComputedDeadline:
        """A deadline on a date an act fixes (the offer deadline, 31 January): shifted if it binds a party."""
        return self.count(day, 0, closing_time=closing_time)


_OFFERORS = "the organisations filing offers"
_GRANTEE = "the organisation under the contract"
_SHIFT = "it binds a party, who loses the act when it passes; KC art. 115 moves its last day off a day off"

# --- open call (art. 11-15, 16-18a) ----------------------------------------------------------------------------
OFFER_DEADLINE_MINIMUM = Period(
    "open_call.offer_deadline_minimum", "offer deadline at least N days after the latest publication",
    "art. 13 ust. 1", Binds.OFFICE, "the office announcing the call",
    "a minimum the office must give (a validation: deadline ≥ publication + N days), not a time limit for an act",
    setting="open_call.min_offer_days")
OFFER_DEADLINE = Period(
    "open_call.offer_deadline", "the offer deadline the announcement names", "art. 13 ust. 2 pkt 5; KC art. 115",
    Binds.PARTY, _OFFERORS, _SHIFT, fixed="the announced date")
CORRECTION_WINDOW = Period(
    "open_call.correction_window", "correction of formal defects of an offer", "ogłoszenie konkursu; KC art. 115",
    Binds.PARTY, "the offeror asked to correct", _SHIFT, setting="open_call.correction_window_days")
SELECTION_DATE = Period(
    "open_call.selection_date", "selection of offers by the date the announcement names", "art. 13 ust. 2 pkt 6",
    Binds.OFFICE, "the Mayor", "the office's own limit: it must choose by then, and cannot lengthen it",
    fixed="the announced date")
JUSTIFICATION = Period(
    "open_call.justification", "asking for the justification of the choice, from the results' publication",
    "art. 15 ust. 2j", Binds.PARTY, "anyone who asks", _SHIFT, setting="open_call.justification_days")
FINAL_REPORT = Period(
    "open_call.final_report", "final report after the task ends", "art. 18 ust. 1", Binds.PARTY, _GRANTEE, _SHIFT,
    setting="open_call.final_report_days")
REPORT_CALL = Period(
    "open_call.report_call", "written call for a missing or deficient report",
    "umowa (wezwanie do złożenia sprawozdania); KC art. 115", Binds.PARTY, _GRANTEE, _SHIFT,
    setting="open_call.report_call_days")
FUNDS_USAGE = Period(
    "open_call.funds_usage", "the grant may be used until N days after the task ends (never past 31 December)",
    "umowa; ufp art. 251 ust. 1", Binds.NOBODY, "—",
    "the end of the eligible-spending period the contract names, not a time limit for an act; "
    "ufp art. 251 ust. 3 counts the return period from that date as named", setting="open_call.funds_usage_days_after_task")
FUNDS_RETURN = Period(
    "open_call.funds_return", "return of unused funds after the usage deadline", "ufp art. 251 ust. 3",
    Binds.PARTY, _GRANTEE, _SHIFT, setting="open_call.return_days_after_usage")
FUNDS_RETURN_YEAR_END = Period(
    "open_call.funds_return_year_end", "return of unused funds when usage ran to the year's end",
    "ufp art. 251 ust. 1", Binds.PARTY, _GRANTEE, _SHIFT, fixed="31 January of the next year")
CONTRACT_LENGTH = Period(
    "open_call.contract_length", "a contract lasts at most N years", "art. 16 ust. 1", Binds.NOBODY, "—",
    "a length a contract may not exceed, not a time limit for an act", unit="years",
    setting="open_call.max_contract_years")

# --- small grant (art. 19a) -----------------------------------------------------------------------------------
SMALL_GRANT_PUBLICATION = Period(
    "small_grant.publication", "publication of the offer within N working days of its receipt", "art. 19a ust. 3",
    Binds.OFFICE, "the office", "the office's own limit; counted in working days, so it already ends on one",
    unit="working_days", setting="small_grant.publish_within_working_days")
SMALL_GRANT_COMMENTS = Period(
    "small_grant.comments", "the offer published for N days; anyone may comment meanwhile",
    "art. 19a ust. 4; KC art. 115", Binds.PARTY, "anyone commenting on the offer", _SHIFT,
    setting="small_grant.comment_days")
SMALL_GRANT_EXECUTION = Period(
    "small_grant.execution", "the task lasts at most N days, both ends counted", "art. 19a ust. 1 pkt 2",
    Binds.NOBODY, "—", "a length the task may not exceed, a condition of the mode, not a time limit for an act",
    setting="small_grant.max_days")
SMALL_GRANT_REPORT = Period(
    "small_grant.report", "simplified report after the task ends", "art. 18 ust. 1", Binds.PARTY, _GRANTEE, _SHIFT,
    setting="small_grant.report_days")

# --- consultation (art. 5, 5a, 41i) -------------------------------------------------------------------------------
CONSULTATION_COMMENTS = Period(
    "consultation.comments", "comments on the draft, from the latest publication, closing at the resolution's hour",
    "art. 5 ust. 5 (uchwała rady o trybie konsultacji)", Binds.PARTY, "the organisations commenting",
    "it binds the commenters, who lose their say when it passes; its closing hour presumes an open office, so "
    "KC art. 115 moves it (moving only lengthens it, so the resolution's minimum still holds)",
    setting="consultation.period_days")
RDPP_OPINION = Period(
    "consultation.rdpp_opinion", "the Public Benefit Council's opinion, from the draft's delivery",
    "art. 41i ust. 2", Binds.PARTY, "the Public Benefit Council (RDPP)",
    "it binds the Council, whose opinion is waived when it passes; KC art. 115 moves its last day off a day off",
    setting="consultation.rdpp_opinion_days")
COUNCIL_LEAD = Period(
    "consultation.council_lead", "days between the consultation report and the council's session",
    "praktyka lokalna", Binds.OFFICE, "the office planning the session",
    "the office's own planning margin, never shifted", setting="consultation.council_lead_days")
PROGRAMME_ADOPTION = Period(
    "consultation.programme_adoption", "the annual programme adopted by 30 November of the year before",
    "art. 5a ust. 1", Binds.OFFICE, "the city council", "a limit the municipality must meet: never shifted",
    fixed="30 November")

# --- local initiative (art. 19b-19h) ----------------------------------------------------------------------------
INITIATIVE_REPORT = Period(
    "local_initiative.final_report", "final report after the task ends", "art. 19e (umowa); KC art. 115",
    Binds.PARTY, "the applicants", _SHIFT, setting="local_initiative.final_report_days")

# --- regranting (art. 16a) -----------------------------------------------------------------------------------------
REGRANT_TRANSFER = Period(
    "regranting.transfer", "the operator transfers a micro-grant within N days of its contract",
    "art. 16a; umowa z operatorem (przekazanie środków); KC art. 115", Binds.PARTY, "the operator", _SHIFT,
    setting="regranting.transfer_days")
MICRO_REPORT = Period(
    "regranting.micro_report", "an implementer's report after its task ends",
    "umowa z realizatorem; art. 16a; KC art. 115", Binds.PARTY, "the implementer", _SHIFT,
    setting="regranting.micro_report_days")

# --- reminders (local policy) --------------------------------------------------------------------------------------
REPORT_REMINDER = Period(
    "notifications.report_reminder", "a report reminder N days before it is due", "polityka lokalna",
    Binds.NOBODY, "—", "a reminder's lead time binds nobody", setting="notifications.report_reminder_days_before")
SCORING_REMINDER = Period(
    "notifications.scoring_reminder", "a reminder to unscored members N working days before the selection date",
    "polityka lokalna", Binds.NOBODY, "—", "a reminder's lead time binds nobody", unit="working_days",
    setting="notifications.scoring_reminder_working_days_before")

PERIODS: tuple[Period, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Period))

_UNIT_WORDS = {"days": "days", "working_days": "working days", "months": "months", "years": "years", "weeks": "weeks"}


def _length(period: Period, rules: RuleSet) -> str:
    if period.setting is None:
        return period.fixed or ""
    return f"{period.length(rules)} {_UNIT_WORDS[period.unit]} (`{period.setting}`)"


def markdown_table(rules: RuleSet = LESZNO_2026) -> str:
    """docs/periods.md's table, from the declarations above and the rule set's lengths."""
    lines = ["| procedure | period | basis | length (rule set " + rules.version + ") | binds | shifted | why |",
             "|---|---|---|---|---|---|---|"]
    for p in PERIODS:
        binds = p.who if p.binds is Binds.NOBODY else f"{p.binds.value}: {p.who}"
        lines.append(f"| {p.key.split('.')[0].replace('_', ' ')} | {p.what} | {p.basis} | {_length(p, rules)} | {binds} | "
                     f"{'yes' if p.shifted else 'no'} | {p.why} |")
    return "\n".join(lines) + "\n"


DOC = Path(__file__).resolve().parent.parent / "docs" / "periods.md"
_BEGIN, _END = "<!-- periods:begin (python -m states.periods) -->\n", "<!-- periods:end -->"


def document_with_table(text: str, rules: RuleSet = LESZNO_2026) -> str:
    head, rest = text.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    return head + _BEGIN + markdown_table(rules) + _END + tail


if __name__ == "__main__":  # regenerate the table in docs/periods.md
    DOC.write_text(document_with_table(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"{DOC}: {len(PERIODS)} periods\n")
