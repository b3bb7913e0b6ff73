"""Two people, one case, the same moment: real threads, each with its own unit of work, on SQLite and
PostgreSQL. Exactly one wins; the other is told the case changed (check and retry), or — where the database
serialises the two — that the step no longer applies. Never a lost or doubled transition: the audit records
are counted and every chain verifies.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from typing import Any

from sqlmodel import select

from models.tables import AuditRecord, Case, Offer
from states import inputs
from states.cases import load_case
from states.engine import SCHEDULER, Actor, execute
from states.errors import ConcurrentChange, DomainError
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.queries import verify_cases
from states.tick import fire_batch
from tests.test_open_call_guards import OFFICER, announced_call, appoint, close_offers, do, file, session

AUDITOR = Actor("audytor", "auditor")


def in_formal_review(url: str) -> str:
    code = announced_call(url)
    appoint(url, code)
    for org in range(2):
        file(url, code, org, at=f"2026-01-{12 + org:02d}T10:00+01:00")
    close_offers(url)
    for number in (1, 2):
        do(url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="accept"), "2026-01-26T10:00+01:00")
    return code


def after_reading(handler, barrier: threading.Barrier, code: str):
    """``handler``, but it first reads the case and waits until the other command has read it too (first attempt
    only: an automatic retry must not wait for a partner that has finished)."""
    attempts = []

    @functools.wraps(handler)  # the authorization matrix knows it as the handler it wraps
    def racing(ctx, cmd):
        load_case(ctx.session, code)  # the case row is read (and its version remembered) here
        if not attempts:
            attempts.append(1)
            barrier.wait(timeout=20)
        return handler(ctx, cmd)

    return racing


def race(*calls) -> list[Any]:
    """Run the calls in parallel threads; return each one's result or exception."""
    results: list[Any] = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except Exception as error:  # collected and asserted on by the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def audit_events(url: str, code: str) -> Counter:
    with session(url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        records = s.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq)).all()
        assert [r.seq for r in records] == list(range(1, case.audit_seq + 1))  # no gap, no duplicate
        return Counter(r.event for r in records)


def assert_chains_verify(url: str) -> None:
    result = execute(verify_cases, actor=AUDITOR, url=url, readonly=True)
    assert result["broken"] == [] and result["verified"] >= 1


def test_two_officers_closing_the_formal_review_at_once(db_url):
    code = in_formal_review(db_url)
    before = audit_events(db_url, code)
    barrier = threading.Barrier(2)
    is_pg = db_url.startswith("postgresql")
    at = "2026-02-02T09:00+01:00"

    def close(name):
        # SQLite takes the write lock at BEGIN IMMEDIATE, so both cannot read inside their transactions before
        # either writes: there the barrier only makes them start together.
        def go():
            if not is_pg:
                barrier.wait(timeout=20)
            handler = after_reading(open_call_handlers.finish_formal_review, barrier, code) if is_pg else open_call_handlers.finish_formal_review
            return execute(handler, inputs.CaseRef(code=code), actor=Actor(name, "officer"), at=at, url=db_url)
        return go

    results = race(close("Anna Urzędniczka"), close("Bartosz Urzędnik"))
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], DomainError), repr(losers[0])
    if is_pg:  # both read the same version: the loser is told the case changed and to check and retry
        assert isinstance(losers[0], ConcurrentChange) and losers[0].exit_code == 4
        assert "zmieniona" in losers[0].message() and "ponów" in losers[0].message()
    else:  # serialised: the second saw the new state
        assert losers[0].rule in ("concurrent_change", "event_not_allowed")
    after = audit_events(db_url, code)
    assert after - before == Counter({"finish_formal_review": 1})
    with session(db_url) as s:
        assert s.exec(select(Case).where(Case.code == code)).one().state == "substantive_review"
    assert_chains_verify(db_url)


def test_a_tick_and_an_officer_on_the_same_case_at_the_deadline(db_url):
    """The offers_close tick and a last-second offer, both reading the announced case at 23:59:59: the offer is
    on time either way; the call closes exactly once; the tick retries by itself if it lost."""
    code = announced_call(db_url)
    file(db_url, code, 0, at="2026-01-12T10:00+01:00")
    before = audit_events(db_url, code)
    barrier = threading.Barrier(2)
    is_pg = db_url.startswith("postgresql")
    at = "2026-01-23T23:59:59+01:00"
    offer = open_call_inputs.FileOffer(code=code, organisation_krs="0000100002", title="Ostatnia chwila", requested_grant="1000.00",
                        task_start="2026-04-01", task_end="2026-06-30")

    def officer():
        handler = after_reading(open_call_handlers.file_offer, barrier, code) if is_pg else open_call_handlers.file_offer
        if not is_pg:
            barrier.wait(timeout=20)
        return execute(handler, offer, actor=OFFICER, at=at, url=db_url)

    def scheduler():
        handler = after_reading(fire_batch, barrier, code) if is_pg else fire_batch
        if not is_pg:
            barrier.wait(timeout=20)
        return execute(handler, 500, actor=SCHEDULER, at=at, url=db_url, retry_conflicts=True)

    results = race(officer, scheduler)
    filed, ticked = results
    assert not isinstance(ticked, Exception), repr(ticked)  # the tick never gives up on a conflict
    assert ticked.fired == 1
    after = audit_events(db_url, code) - before
    assert after["close_offers"] == 1  # closed exactly once
    with session(db_url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        offers = s.exec(select(Offer).where(Offer.case_id == case.id)).all()
        assert case.state == "formal_review"
    if isinstance(filed, Exception):  # the officer lost the race: told to retry, nothing of the offer written
        assert isinstance(filed, ConcurrentChange) and "zmieniona" in filed.message()
        assert len(offers) == 1 and after["file_offer"] == 0
    else:  # the officer won (or went first): the offer is there, once
        assert len(offers) == 2 and after["file_offer"] == 1
    assert_chains_verify(db_url)


def test_two_committee_members_scoring_one_offer_at_once_both_count(db_url):
    """Different members on the same offer are not a conflict of facts, but they do race on the case's audit
    head: both must end up recorded, the loser after its own retry, never one lost."""
    from tests.test_open_call_guards import MEMBERS, declare, in_substantive_review, score_cmd

    code = in_substantive_review(db_url)
    for member in MEMBERS:
        declare(db_url, code, member)
    barrier = threading.Barrier(2)
    is_pg = db_url.startswith("postgresql")

    def scorer(member):
        def go():
            handler = after_reading(open_call_handlers.score_offer, barrier, code) if is_pg else open_call_handlers.score_offer
            if not is_pg:
                barrier.wait(timeout=20)
            return execute(handler, score_cmd(code, 1, member), actor=Actor(member, "committee_member"),
                           at="2026-02-05T09:00+01:00", url=db_url)
        return go

    results = race(scorer(MEMBERS[0]), scorer(MEMBERS[1]))
    for member, result in zip(MEMBERS, results, strict=False):
        if isinstance(result, Exception):  # the loser retries, as its message says, and then succeeds
            assert isinstance(result, ConcurrentChange), repr(result)
            execute(open_call_handlers.score_offer, score_cmd(code, 1, member), actor=Actor(member, "committee_member"),
                    at="2026-02-05T09:01+01:00", url=db_url)
    assert audit_events(db_url, code)["score"] == 2
    assert_chains_verify(db_url)
