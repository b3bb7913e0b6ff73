"""An officer's step reads what it decides from once, set-based, and passes it on (issue 19): the open call's
handlers read the call's facts (``CallFacts``: its offers, members, declarations and scores, points,
publications, applicants), one query a kind, and pass them with the event to the machine's guards and with the
record to the notification routing, which no longer query again what the step read.

Counted with SQLAlchemy's public ``before_cursor_execute`` event over a whole open call driven by the B2 bench
(28 steps), table reads only (not PostgreSQL's ``SELECT CURRENT_TIMESTAMP``, the step's time of writing).
Main with the session's memo cache sent about 132 a lifecycle (8 for ``publish``, 9 for ``select_offers``);
plain reads with no facts passed on sent 232 (26 and 25); the facts passed on: 129 (8 and 9); a score reading
the call's offers once and its committee in one query, a review looking for a correction window only when one
can run: 98 (2026-12-07; a score 5.3 → 3).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event
from sqlalchemy.engine import Engine

from states import engine

LIFECYCLE_MAX = 100  # SELECTs of one whole open call, its 28 steps (the tick's batch included)
# A score and a declaration read the case, the call's offers and its committee (members with their declarations
# and scores: one query); a review, the case and its offer; an appointment, the case, the committee, the settings.
STEP_MAX = {"publish": 8, "select_offers": 9, "score_offer": 3, "declare_conflicts": 3, "review_offer": 2,
            "appoint_member": 3, "show_ranking": 4, "finish_formal_review": 5}


def _selects_of_a_lifecycle(url: str, monkeypatch) -> list[tuple[str, int]]:
    """(handler, SELECTs it sent) for each command of the second of two lifecycles (the first warms up)."""
    from bench.b2_lifecycle import domain_lifecycles

    commands: list[tuple[str, int]] = []
    running: list[list] = []

    def count(_conn, _cursor, statement, *_):
        # a read of rows; not the database's clock (PostgreSQL's SELECT CURRENT_TIMESTAMP: a step's time of writing)
        if running and statement.lstrip()[:6].upper() == "SELECT" and "FROM" in statement.upper().split():
            running[-1][1] += 1

    plain = engine.execute

    def execute(handler, *args, **kwargs):
        running.append([handler.__name__, 0])
        try:
            return plain(handler, *args, **kwargs)
        finally:
            commands.append(tuple(running.pop()))

    monkeypatch.setattr(engine, "execute", execute)
    event.listen(Engine, "before_cursor_execute", count)
    try:
        domain_lifecycles(url, 1)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    starts = [i for i, (name, _) in enumerate(commands) if name == "create_call"]
    assert len(starts) == 2, commands
    return commands[starts[-1]:]


def test_an_open_call_s_lifecycle_reads_each_kind_once_a_step(db_url, monkeypatch):
    commands = _selects_of_a_lifecycle(db_url, monkeypatch)
    steps = Counter(name for name, _ in commands)
    assert steps["score_offer"] == 9 and steps["publish"] == 1 and steps["select_offers"] == 1, steps
    total = sum(n for _, n in commands)
    assert total <= LIFECYCLE_MAX, (total, commands)
    for name, selects in commands:
        assert selects <= STEP_MAX.get(name, 8), (name, selects, commands)


def test_the_count_sees_rules_that_read_again(db_url, monkeypatch):
    """The bound is not blind: routing that ignores the facts passed with the record and reads the call again
    for every record (as each rule did before, for itself) goes over it."""
    from notifications import routing

    plain = routing.call_of
    monkeypatch.setattr(routing, "call_of", lambda ctx, case, facts: plain(ctx, case, {}))
    steps = dict(_selects_of_a_lifecycle(db_url, monkeypatch))
    assert steps["publish"] > STEP_MAX["publish"] and steps["select_offers"] > STEP_MAX["select_offers"], steps


def test_a_step_whose_rules_only_cancel_reads_no_settings(db_url, monkeypatch):
    """A score or a declaration only cancels reminders (a rule of action ``cancel``), which writes no row the
    engine's settings shape (language, sender, Message-ID domain): the outbox does not read them for it; a step
    that enqueues a message (an appointment, the selection) still does."""
    from bench.b2_lifecycle import domain_lifecycles

    reads: dict[str, int] = {}
    running: list[str] = []

    def count(_conn, _cursor, statement, *_):
        if running and "engine_settings" in statement and statement.lstrip()[:6].upper() == "SELECT":
            reads[running[-1]] = reads.get(running[-1], 0) + 1

    plain = engine.execute

    def execute(handler, *args, **kwargs):
        running.append(handler.__name__)
        reads.setdefault(handler.__name__, 0)
        try:
            return plain(handler, *args, **kwargs)
        finally:
            running.pop()

    monkeypatch.setattr(engine, "execute", execute)
    event.listen(Engine, "before_cursor_execute", count)
    try:
        domain_lifecycles(db_url, 1)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert reads["score_offer"] == 0 and reads["declare_conflicts"] == 0, reads
    assert reads["appoint_member"] > 0 and reads["select_offers"] > 0, reads
