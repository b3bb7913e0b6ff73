"""B6 (bench/b6_rush.py) at a tiny size, end to end: a real PostgreSQL database, the desk and the bare endpoint
under uvicorn, clients filing before and after the deadline. Counts only, never timings (they live in bench/):
every offer sent before the deadline accepted exactly once, every one after it refused by the rule, no answer the
database contradicts, the chains verified. PostgreSQL only: B6 is a benchmark of the server over HTTP."""

from __future__ import annotations

import os

import pytest

from bench import b6_rush
from bench.data import Databases
from bench.report import table

PG_ADMIN_URL = os.environ.get("COOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.mark.parametrize("group_commit", [False, True], ids=["alone", "group commit"])
def test_b6_at_a_tiny_size_files_each_offer_before_the_deadline_once_and_refuses_the_late_ones(group_commit):
    dbs = Databases(PG_ADMIN_URL)
    # A quarter of a second clear on each side of T: no request leaves in the very last moments (one sent then
    # may reach the server after T however fast it is; the benchmark sends up to T and counts them).
    plan = b6_rush.Plan(organisations=20, window=3.0, last_second=4, late=3, workers=2, margin=0.25,
                        warmup_per_worker=1, group_commit=group_commit)
    try:
        outcome = b6_rush.measure(dbs, plan)
    finally:
        dbs.drop_all()
    verdict = outcome.verdict
    assert (verdict.sent_before, verdict.sent_after) == (20, 3)
    assert outcome.rushed.unanswered == 0
    assert verdict.accepted_once == 20 and verdict.lost == 0
    assert verdict.doubled == 0
    assert verdict.after_accepted == 0 and verdict.after_refused_late == 3
    assert verdict.received_after_deadline == 0
    assert verdict.disagreeing == 0
    assert verdict.chains_verified, verdict.chain_note
    assert (outcome.bare_rows, outcome.bare_doubled, outcome.bare_requests) == (23, 0, 23)
    shown = table(b6_rush.rows(outcome))
    assert "≤ 3× the bare endpoint's p99" in shown and "uvicorn with 2 worker processes" in shown
    assert f"group commit {'on' if group_commit else 'off'}" in shown
    # The serial floor: filings alone before the rush, the call's row held for a part of each command
    assert outcome.serial is not None and 0 < outcome.serial.held < outcome.serial.command
    assert 0 < outcome.serial.cpu and outcome.serial.cpu_floor == plan.burst * outcome.serial.cpu / outcome.serial.cores
    assert "the call's row held" in shown and f"the floor of the last second's {plan.burst} filings" in shown
    assert "by CPU alone" in shown
