"""The three ways an open call ends invalidated (art. 18a ust. 1), and the publication that follows (ust. 2)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from models.tables import AuditRecord, Case, Deadline, Offer, Publication
from states import inputs
from states.errors import RuleViolation
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.tick import tick
from tests.test_open_call_guards import (
    LOW,
    MEMBERS,
    announced_call,
    announcement,
    appoint,
    close_offers,
    declare,
    do,
    file,
    in_substantive_review,
    refused,
    score,
    session,
    the_case,
)

INVALIDATION_PUBLISHED = {"bip": "2026-02-20T09:00+01:00", "board": "2026-02-20T09:30+01:00",
                          "website": "2026-02-23T08:00+01:00"}


def transitions(url: str, code: str) -> list[tuple[str, str | None, str | None, str]]:
    with session(url) as s:
        case = the_case(s, code)
        rows = s.exec(select(AuditRecord).where(AuditRecord.case_id == case.id, AuditRecord.subject == "case")
                      .order_by(AuditRecord.seq))
        return [(r.event, r.from_state, r.to_state, r.basis) for r in rows]


def publish_invalidation(url: str, code: str) -> None:
    """Two channels first, the website later: the publication is complete only with the third."""
    two = {k: v for k, v in INVALIDATION_PUBLISHED.items() if k != "website"}
    first = do(url, open_call_handlers.publish, open_call_inputs.Publish(code=code, subject="invalidation", published=two), "2026-02-20T10:00+01:00")
    assert first["complete"] is False
    last = do(url, open_call_handlers.publish, open_call_inputs.Publish(code=code, subject="invalidation",
                                         published={"website": INVALIDATION_PUBLISHED["website"]}),
              "2026-02-23T09:00+01:00")
    assert last["complete"] is True and last["state"] == "invalidated"
    with session(url) as s:
        case = the_case(s, code)
        rows = s.exec(select(Publication).where(Publication.case_id == case.id,
                                                Publication.subject == "invalidation")).all()
        assert sorted(r.channel for r in rows) == ["bip", "board", "website"]
        records = s.exec(select(AuditRecord).where(AuditRecord.case_id == case.id,
                                                   AuditRecord.event == "publish_invalidation")
                         .order_by(AuditRecord.seq)).all()
        assert [(r.basis, r.payload["all_channels"]) for r in records] == [("art. 18a ust. 2", False),
                                                                          ("art. 18a ust. 2", True)]


def test_no_offer_filed_the_tick_invalidates_the_call(db_url):
    code = announced_call(db_url)
    # the invalidation may not be published while the call is still open
    refused(db_url, RuleViolation, "art. 18a ust. 2", open_call_handlers.publish,
            open_call_inputs.Publish(code=code, subject="invalidation", published={"bip": "2026-01-20T09:00+01:00"}),
            "2026-01-20T10:00+01:00")
    before = tick("2026-01-23T23:59:58+01:00", url=db_url)
    assert before.fired == 0  # the last day is not over yet
    report = tick("2026-01-24T00:00:00+01:00", url=db_url)
    assert report.fired == 1
    assert transitions(db_url, code)[-1] == ("close_offers", "announced", "invalidated", "art. 18a ust. 1 pkt 1")
    with session(db_url) as s:
        case = the_case(s, code)
        assert case.state == "invalidated"
        deadline = s.exec(select(Deadline).where(Deadline.case_id == case.id)).one()
        assert (deadline.kind, deadline.outcome) == ("offers_close", "fired")
    publish_invalidation(db_url, code)


def test_every_offer_formally_rejected_close_review_invalidates(db_url):
    code = announced_call(db_url)
    for org in (0, 1):
        file(db_url, code, org, at=f"2026-01-{12 + org:02d}T10:00+01:00")
    close_offers(db_url)
    do(db_url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="reject", defects=("brak podpisu",)),
       "2026-01-26T10:00+01:00")
    # a pending offer keeps the review open
    refused(db_url, RuleViolation, "art. 15 ust. 1", open_call_handlers.finish_formal_review, inputs.CaseRef(code=code),
            "2026-01-26T11:00+01:00")
    do(db_url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=2, decision="reject", defects=("brak kosztorysu",)),
       "2026-01-26T12:00+01:00")
    result = do(db_url, open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
    assert result["state"] == "invalidated" and result["formally_accepted"] == []
    assert transitions(db_url, code)[-1] == ("finish_formal_review", "formal_review", "invalidated",
                                             "art. 18a ust. 1 pkt 2")
    with session(db_url) as s:
        offers = s.exec(select(Offer).order_by(Offer.number)).all()
        assert [(o.state, o.formal_defects) for o in offers] == [("formally_rejected", ["brak podpisu"]),
                                                                 ("formally_rejected", ["brak kosztorysu"])]
    publish_invalidation(db_url, code)


def test_a_single_valid_offer_is_still_evaluated(db_url):
    code = announced_call(db_url)
    appoint(db_url, code)
    file(db_url, code, 0)
    close_offers(db_url)
    do(db_url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="accept"), "2026-01-26T10:00+01:00")
    result = do(db_url, open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
    assert result["state"] == "substantive_review"


def test_no_offer_reaches_the_threshold_select_invalidates(db_url):
    code = in_substantive_review(db_url)
    for member in MEMBERS:
        declare(db_url, code, member)
    for number in (1, 2, 3):
        for member in MEMBERS:
            score(db_url, code, number, member, LOW)
    ranking = do(db_url, open_call_handlers.show_ranking, inputs.CaseRef(code=code), "2026-02-10T09:00+01:00")
    assert ranking["proposal"] == {} and not any(r["passed"] for r in ranking["ranking"])
    # no grant can go to an offer below the threshold ...
    refused(db_url, RuleViolation, "art. 13 ust. 2 pkt 6", open_call_handlers.select_offers,
            open_call_inputs.SelectOffers(code=code, grants={1: Decimal("1000.00")}, decision_ref="Zarządzenie nr 45/2026"),
            "2026-02-13T12:00+01:00")
    # ... so the Mayor's choice of none invalidates the call
    result = do(db_url, open_call_handlers.select_offers, open_call_inputs.SelectOffers(code=code, grants={}, decision_ref="Zarządzenie nr 45/2026"),
                "2026-02-13T12:00+01:00")
    assert result["state"] == "invalidated"
    assert transitions(db_url, code)[-1] == ("select_offers", "substantive_review", "invalidated",
                                             "art. 18a ust. 1 pkt 2")
    with session(db_url) as s:
        assert the_case(s, code).state == "invalidated"
        assert {o.state for o in s.exec(select(Offer))} == {"not_selected"}
        assert all(o.granted_amount is None and o.score_percent is not None for o in s.exec(select(Offer)))
    publish_invalidation(db_url, code)
    # an invalidated call is final: nothing more is selected or published as results
    refused(db_url, RuleViolation, "art. 15 ust. 2h", open_call_handlers.publish,
            open_call_inputs.Publish(code=code, subject="results", published={"bip": "2026-02-24T09:00+01:00"}),
            "2026-02-24T10:00+01:00")


def test_cases_are_independent(db_url):
    """One call invalidated by the tick leaves another call with offers on its way to the formal review."""
    code = announced_call(db_url)
    other = do(db_url, open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Sport 2026", task_area="sport",
                                                        budget=Decimal("50000.00")), "2026-01-02T08:40+01:00")["code"]
    do(db_url, open_call_handlers.announce_call, announcement(other), "2026-01-02T12:00+01:00")
    file(db_url, other, 0)
    close_offers(db_url)
    with session(db_url) as s:
        states = {case.code: case.state for case in s.exec(select(Case))}
    assert states == {code: "invalidated", other: "formal_review"}
