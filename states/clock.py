"""Time is a parameter (invariant 3): every command takes ``now`` from here, never from the rules.

A database is real or a simulation (models/settings.py). On a simulation any moment may be claimed (``--at``,
``COOP_NOW``): a programme year runs in seconds. On a real database a step takes effect now, at the database's
own time of writing, or at a stated past moment within ``BACKDATING_WINDOW`` with a reason; never in the
future. Whatever the mode, every audit record also keeps that time of writing (``recorded_at``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from states.errors import InvalidInput, RuleViolation
from states.text import Message, capitalized, ntr, tr

R = TypeVar("R")

# The moments and days the engine takes at all: far from any programme, and far enough from datetime's own
# limits (years 1-9999) that adding the longest period (years) or converting to UTC never overflows:
# ``--at 9999-12-31T23:59:59-23:59`` was an OverflowError traceback. (How far a real database may depart
# from now is a narrower rule, checked where the moment is used.)
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _range_text(what: Message | str, shown: str) -> Message:
    what = what if isinstance(what, Message) else tr("The moment {what}", what=what)
    return tr("{what} {shown} is outside the range the engine accepts: {earliest} to {latest} (UTC)", what=what,
              shown=shown, earliest=EARLIEST_DAY, latest=LATEST_DAY)


def moment_range_problem(moment: datetime, what: Message | str = tr("the moment")) -> Message | None:
    """Why this aware moment cannot be taken (it does not exist in UTC, or lies outside the range), or None."""
    try:
        day = moment.astimezone(UTC).date()
    except OverflowError:  # 9999-12-31T23:59-23:59 is in year 10000 in UTC; 0001-01-01T00:00+01:00 in year 0
        return _range_text(what, moment.isoformat())
    return None if EARLIEST_DAY <= day <= LATEST_DAY else _range_text(what, moment.isoformat())


def day_in_range(day: date, what: Message | str = tr("the date")) -> Message | None:
    """Why this day cannot be taken, or None."""
    return None if EARLIEST_DAY <= day <= LATEST_DAY else _range_text(what, day.isoformat())


def parse_day(value: str, what: str) -> date:
    """A day typed as YYYY-MM-DD, within the engine's range."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("bad_date", tr("Invalid date {what}: “{value}” (YYYY-MM-DD)", what=what, value=value)) from None
    problem = day_in_range(day, tr("The date {what}", what=what))
    if problem:
        raise InvalidInput("date_out_of_range", problem)
    return day


def parse_moment(value: str, what: str = "--at") -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1) if " " in value.strip() else value.strip())
    except ValueError:
        raise InvalidInput(
            "bad_moment",
            tr("Invalid moment {what}: “{value}”; use ISO 8601, e.g. 2026-01-02T10:00+01:00.", what=what, value=value),
        ) from None
    return require_aware(moment, what)


def require_aware(moment: datetime, what: str = "--at") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            "naive_moment",
            tr("The moment {what} has no time zone and is ambiguous: add an offset, e.g. +01:00 or Z.", what=what),
        )
    problem = moment_range_problem(moment, what)
    if problem:
        raise InvalidInput("moment_out_of_range", problem)
    return moment.astimezone(UTC)


def claimed_moment(at: datetime | str | None = None) -> datetime | None:
    """The moment a command claims: ``--at`` if given, else ``COOP_NOW``; None when it claims none (now)."""
    if isinstance(at, datetime):
        return require_aware(at)
    if at:
        return parse_moment(at)
    env = os.environ.get("COOP_NOW", "").strip()
    if env:
        return parse_moment(env, "COOP_NOW")
    return None


def resolve_now(at: datetime | str | None = None) -> datetime:
    """``--at`` if given, else ``COOP_NOW`` (a simulated clock), else the real time."""
    return claimed_moment(at) or datetime.now(UTC)


# --- the effective time of a step on a real database (invariant 3) ----------------------------------------------

SKEW = timedelta(minutes=5)
"""How far a stated moment may stray from the database's time of writing and still be "now". The officer's
computer, the Prefect worker and the database server each keep their own clock; synchronised hosts differ by
seconds, a laptop off the network by a minute or two. A step stated within this tolerance needs no reason; one
stated ahead of the database's time by less than this is taken at the database's time, so a case's clock
never runs ahead of the database's and the next step (at the database's time) is never refused as a clock
running backwards."""

BACKDATING_WINDOW = timedelta(days=30)
"""How far back a step, or the receipt it records, may be dated on a real database, with a reason. A letter
posted on the last day of a period counts as filed in time (KPA art. 57 § 5; art. 13 ust. 2 pkt 5 of the Act
for offers, when the call says so) and may reach the office's desk days later; an officer away for a fortnight
records what arrived meanwhile. Thirty days cover both; a longer window would let a history be written long
after the fact, which is what the bound exists to prevent."""

REASON_LIMIT = 500  # characters: a sentence and a reference, not a document


@dataclass(frozen=True)
class Claim:
    """What a command says about its time: the moment it claims (None: now) and why it departs from now."""

    at: datetime | None = None
    reason: str | None = None

    @classmethod
    def of(cls, at: datetime | str | None = None, reason: str | None = None) -> Claim:
        """``--at``/``COOP_NOW`` and ``--at-reason``/``COOP_REASON``, checked before any transaction starts."""
        if reason is None:
            reason = os.environ.get("COOP_REASON")
        return cls(claimed_moment(at), _checked_reason(reason))


def _checked_reason(reason: str | None) -> str | None:
    """One line of plain text (the single-line text policy), at most ``REASON_LIMIT`` characters; blank is none."""
    from states.text_policy import checked

    text, problem = checked((reason or "").strip())
    if not text:
        return None
    if problem is None and len(text) > REASON_LIMIT:
        problem = tr("at most {REASON_LIMIT} characters, {count} given", REASON_LIMIT=REASON_LIMIT, count=len(text))
    if problem is not None:
        raise InvalidInput("bad_reason", tr("The reason (--at-reason, COOP_REASON): {problem}.", problem=problem))
    return text


class ClockRefused(RuleViolation):
    """A moment a real database does not accept: in the future, or in the past without a reason or too far."""


STEP = tr("the step's moment (--at / COOP_NOW)")
RECEIPT = tr("the receipt time")
SUBMISSION = tr("the comment's submission time")
DELIVERY = tr("the delivery time")


def effective_time(claim: Claim, written_at: Callable[[], datetime], *, simulation: bool, default: datetime,
                   written_time_only: bool = False) -> datetime:
    """The moment a writing step takes effect.

    On a simulation database: the claimed moment, any moment (``default``, the process's time, if none). On a
    real one: the database's time of writing (``written_at()``), or a claimed moment within ``SKEW`` of it, or
    a claimed past moment at most ``BACKDATING_WINDOW`` back with a reason; never the future. The scheduler's
    tick (``written_time_only``) acts at the database's time only."""
    if simulation:
        return claim.at or default
    written = written_at()
    at = claim.at
    if at is None:
        return written
    if at > written + SKEW:
        raise _refusal("moment_in_future", STEP, at, written)
    if at >= written - SKEW:
        return written if at > written or written_time_only else at
    if written_time_only:
        raise ClockRefused(
            "at_written_time_only",
            tr("A real database: this step (the tick's firing of deadlines, an offer filed on the model form) "
               "takes the database's current time only ({written}), not {at}; run it without --at.",
               written=shown(written), at=shown(at)),
        )
    check_past(at, written, claim.reason, STEP)
    return at


def check_past(moment: datetime, written: datetime, reason: str | None, what: Message) -> None:
    """A moment a step states on a real database (its own, or a receipt's): within ``SKEW`` of the database's
    time of writing; or earlier, with a reason, at most ``BACKDATING_WINDOW`` back; never later."""
    if moment > written + SKEW:
        raise _refusal("moment_in_future", what, moment, written)
    if moment >= written - SKEW:
        return
    if moment < written - BACKDATING_WINDOW:
        raise _refusal("backdated_beyond_window", what, moment, written)
    if reason is None:
        raise _refusal("backdated_without_reason", what, moment, written)


def _refusal(rule: str, what: Message, moment: datetime, written: datetime) -> ClockRefused:
    days, skew, gap = BACKDATING_WINDOW.days, int(SKEW.total_seconds() // 60), span(moment - written)
    later = moment > written
    head = (tr("{what}: {moment}, {gap} after the database's time of writing ({written}). ", what=capitalized(what),
               moment=moment, gap=gap, written=written) if later else
            tr("{what}: {moment}, {gap} before the database's time of writing ({written}). ", what=capitalized(what),
               moment=moment, gap=gap, written=written))
    if rule == "moment_in_future":
        rest = tr("A real database records nothing dated in the future (clocks may differ by {skew} min); "
                  "a simulation runs on a simulation database (coop db init --simulation).", skew=skew)
    elif rule == "backdated_beyond_window":
        rest = ntr("A real database accepts no moment more than {n} day before the time of writing, even with a "
                   "reason.",
                   "A real database accepts no moment more than {n} days before the time of writing, even with a "
                   "reason.", days)
    else:
        rest = ntr("A real database accepts an earlier moment (at most {n} day back) with a reason: --at-reason "
                   "\"…\" (or COOP_REASON), e.g. \"received by post, KPA art. 57 § 5\".",
                   "A real database accepts an earlier moment (at most {n} days back) with a reason: --at-reason "
                   "\"…\" (or COOP_REASON), e.g. \"received by post, KPA art. 57 § 5\".", days)
    return ClockRefused(rule, head + rest)


def shown(moment: datetime) -> str:
    from states.local_time import moment_text

    return moment_text(moment)


def span(delta: timedelta) -> str:
    """A duration as people read it: ``3 d 2 h 5 min``, ``45 s``."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or f"{seconds} s"


def check_claimed(ctx: Any, moment: datetime, what: Message) -> None:
    """A moment a command states for something that happened before it (a receipt, a comment's submission, a
    delivery): unbounded on a simulation database, ``check_past`` on a real one."""
    if not ctx.simulation:
        check_past(moment, ctx.written_at, ctx.reason, what)


def at_written_time(handler: Callable[..., R]) -> Callable[..., R]:
    """Mark a handler that acts at the database's time of writing only, on a real database: the tick, and an offer
    filed on the model form (its moment of receipt is the server's clock, never a moment claimed for it)."""
    handler.at_written_time = True  # type: ignore[attr-defined]
    return handler
