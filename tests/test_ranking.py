"""Rankings (art. 15 ust. 1): every offer the committee scored is ranked in every later state of the call and of
the offer, with its points, its place under the tie rule and whether it passed; an offer rejected at the
formal review never is. On SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select
from statemachine import State

from coop.demo import OFFICER, run_open_call
from models.db import get_engine, normalise_url
from models.tables import Case, Offer
from states import inputs
from states.engine import LegalMachine, execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call.machine import SCORED_OFFER_STATES, OfferMachine
from tests.regranting_fixtures import contracted
from tests.test_open_call_guards import HIGH, LOW, announced_call, close_offers, published_results

# The demo's committee: offer 1 has 39 of 45 weighted points from each member, 6 has 38, 2 has 35 (three
# members: Ewa Nowak declared a conflict), 3 has 32 and 4 has 13, below the 60 % threshold; offer 5 was
# rejected at the formal review. (rank, offer, points, percent, passed)
DEMO_RANKING = [(1, 1, "39.00", "86.67", True), (2, 6, "38.00", "84.44", True), (3, 2, "35.00", "77.78", True),
                (4, 3, "32.00", "71.11", True), (5, 4, "13.00", "28.89", False)]
DEMO_GRANTS = {1: Decimal("30000.00"), 6: Decimal("12000.00"), 2: Decimal("25000.00"), 3: Decimal("33000.00")}


def show_ranking(url: str, code: str) -> dict:
    return execute(open_call_handlers.show_ranking, inputs.CaseRef(code=code), actor=OFFICER, url=url, readonly=True)


def ranked(result: dict) -> list[tuple]:
    return [(r["rank"], r["offer"], str(r["points"]), str(r["percent"]), r["passed"]) for r in result["ranking"]]


def funded(offer_state: str) -> dict[int, str]:
    return {1: offer_state, 2: offer_state, 3: offer_state, 4: "not_selected", 5: "formally_rejected", 6: offer_state}


@pytest.mark.parametrize(("until", "call_state", "offer_states"), [
    ("scored", "substantive_review", {**funded("scored"), 4: "scored"}),
    ("selected", "selected", funded("selected")),
    ("results_published", "results_published", funded("selected")),
    ("contracted", "in_execution", funded("contracted")),
    ("reports_due", "in_execution", funded("report_due")),
    ("report_overdue", "in_execution", {**funded("report_submitted"), 6: "report_overdue"}),
    ("reports_accepted", "in_execution", funded("report_accepted")),
    ("settled", "settled", funded("settled")),
])
def test_every_scored_offer_is_ranked_in_every_state_after_scoring(db_url, until, call_state, offer_states):
    code = run_open_call(db_url, until=until).code

    result = show_ranking(db_url, code)
    assert result["state"] == call_state
    assert ranked(result) == DEMO_RANKING  # the formally rejected offer 5 is never ranked
    assert {r["offer"]: r["state"] for r in result["ranking"]} == {n: s for n, s in offer_states.items() if n != 5}
    assert (result["max_points"], result["threshold_percent"]) == (Decimal(45), Decimal("60.00"))
    assert "note" not in result
    decided = until != "scored"
    assert {r["offer"]: r["granted"] for r in result["ranking"] if r["granted"]} == (DEMO_GRANTS if decided else {})
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        offers = session.exec(select(Offer).where(Offer.case_id == case.id)).all()
        assert {o.number: o.state for o in offers} == offer_states
        if decided:  # what the Mayor's decision recorded is what the ranking still says
            assert sorted((o.rank, o.number, str(o.score_percent)) for o in offers if o.rank) == [
                (rank, number, percent) for rank, number, _, percent, _ in DEMO_RANKING]


def test_a_withdrawn_offer_keeps_its_place_and_ties_follow_the_statutory_order(db_url):
    # Offers 1 and 2 both have 39 of 45 points; offer 2 has more on criterion 1 (capacity, art. 15 ust. 1 pkt 1),
    # so it ranks first although offer 1 came in earlier.
    tied = (10, 8, 8, 4, 4, 5)
    code = published_results(db_url, per_offer=(HIGH, tied, LOW))
    execute(open_call_handlers.withdraw_offer, inputs.OfferRef(code=code, number=2), actor=OFFICER, at="2026-02-20T10:00+01:00", url=db_url)

    result = show_ranking(db_url, code)
    assert [(r["rank"], r["offer"], str(r["percent"]), r["passed"], r["state"]) for r in result["ranking"]] == [
        (1, 2, "86.67", True, "withdrawn"), (2, 1, "86.67", True, "selected"), (3, 3, "28.89", False, "not_selected")]


def test_the_regranting_operators_call_ranks_its_operator_after_the_contract(db_url):
    code = contracted(db_url)  # RG/…: the operator's offer went on from "selected" to "contracted"
    result = show_ranking(db_url, code)
    assert [(r["rank"], r["offer"], str(r["percent"]), r["passed"], r["state"]) for r in result["ranking"]] == [
        (1, 1, "88.89", True, "contracted")]


def test_a_call_invalidated_before_scoring_says_it_has_no_ranking(db_url):
    code = announced_call(db_url)
    close_offers(db_url)  # no offer filed: invalidated (art. 18a ust. 1 pkt 1)
    result = show_ranking(db_url, code)
    assert (result["state"], result["ranking"]) == ("invalidated", [])
    assert result["note"] == ("Konkurs unieważniono, zanim komisja oceniła którąkolwiek ofertę (art. 18a ust. 1), "
                              "więc rankingu nie ma.")


@pytest.mark.fast
def test_scored_states_are_read_from_the_offer_machine():
    # every state the offer machine can reach from "scored", and none it can reach without scoring
    assert SCORED_OFFER_STATES == {"scored", "selected", "not_selected", "withdrawn", "contracted", "report_due",
                                   "report_overdue", "report_submitted", "report_accepted", "settled"}
    assert {s.value for s in OfferMachine.states} - SCORED_OFFER_STATES == {
        "received", "correction_requested", "formally_accepted", "formally_rejected"}

    class Leaky(LegalMachine):  # a shortcut around "scored" would make being past it prove nothing: refused
        accepted = State(initial=True)
        scored = State()
        selected = State(final=True)
        score = accepted.to(scored)
        decide = scored.to(selected)
        shortcut = accepted.to(selected)

    with pytest.raises(ValueError, match="without passing 'scored'"):
        Leaky.states_after("scored")
