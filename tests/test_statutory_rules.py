"""The statutory rules on plain facts, without a database (the fast tier, ``pytest -m fast``).

The machines' guards and transitions that need only the facts passed with the event or the case's own row, and
the rules a handler applies to figures it has read: the same code the handlers run, given plain values.
The two-database suite checks the same rules through the handlers and their rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from statemachine.exceptions import TransitionNotAllowed

from models.tables import Case, Offer
from states.errors import InvalidInput, RuleViolation
from states.procedures.consultation import machine as consultation
from states.procedures.consultation.machine import ConsultationMachine
from states.procedures.local_initiative import machine as local_initiative
from states.procedures.local_initiative.machine import LocalInitiativeMachine
from states.procedures.open_call.machine import (
    OfferMachine,
    OpenCallMachine,
    offer_is_late,
    report_deadline,
    return_deadline,
    settlement_facts,
    usage_deadline,
)
from states.procedures.small_grant import machine as small_grant
from states.rule_sets import LESZNO_2026

pytestmark = pytest.mark.fast

OPEN_CALL = LESZNO_2026.open_call
SMALL_GRANT = LESZNO_2026.small_grant
INITIATIVE = LESZNO_2026.local_initiative
CONSULTATION = LESZNO_2026.consultation
# 23 January 2026, 23:59:59 in Warsaw (+01:00): the worked example's offer deadline
DEADLINE = datetime(2026, 1, 23, 22, 59, 59, tzinfo=UTC)


def call(state: str = "draft", **fields) -> Case:
    return Case(code="OK/2026/1", kind="open_call", title="t", state=state, **fields)


def refusal(raised: pytest.ExceptionInfo, rule: str, basis: str) -> None:
    assert raised.value.rule == rule
    assert basis in (raised.value.basis or "")


# --- the open call (art. 13-15) -------------------------------------------------------------------------------


@pytest.mark.parametrize(("offers_filed", "after", "basis"), [
    (0, "invalidated", "art. 18a ust. 1 pkt 1"),  # no offer: the call is invalidated
    (3, "formal_review", "art. 13 ust. 2 pkt 5"),
])
def test_closing_the_offers_invalidates_a_call_with_none(offers_filed, after, basis):
    row = call("announced")
    machine = OpenCallMachine.bind(row)
    machine.send("close_offers", offers_filed=offers_filed)
    assert row.state == after
    assert machine.basis_for("close_offers", after) == basis


def test_the_execution_period_ends_after_it_starts_and_lasts_at_most_the_rule_set_s_years():
    machine = OpenCallMachine.bind(call())
    ok = call(data={"execution_start": "2026-03-01", "execution_end": "2027-12-31"})
    machine.execution_period_valid(case=ok, rules=OPEN_CALL)
    for start, end in (("2026-03-01", "2026-02-28"), ("2026-03-01", "2036-03-02")):
        with pytest.raises(RuleViolation) as raised:
            machine.execution_period_valid(case=call(data={"execution_start": start, "execution_end": end}),
                                           rules=OPEN_CALL)
        refusal(raised, "execution_period", "art. 13 ust. 2 pkt 4")


def test_the_selection_date_may_not_fall_before_the_offer_deadline():
    machine = OpenCallMachine.bind(call())
    machine.selection_after_deadline(case=call(offer_deadline=DEADLINE, selection_date=date(2026, 1, 23)))
    with pytest.raises(RuleViolation) as raised:
        machine.selection_after_deadline(case=call(offer_deadline=DEADLINE, selection_date=date(2026, 1, 22)))
    refusal(raised, "selection_before_deadline", "art. 13 ust. 2 pkt 6")


def test_an_offer_is_late_by_its_arrival_unless_the_call_counts_the_postmark():
    after = datetime(2026, 1, 24, 7, 0, tzinfo=UTC)
    assert not offer_is_late(call(offer_deadline=DEADLINE), DEADLINE, None)
    assert offer_is_late(call(offer_deadline=DEADLINE), after, date(2026, 1, 23))
    postmarked = call(offer_deadline=DEADLINE, receipt_rule="postmarked")
    assert not offer_is_late(postmarked, after, date(2026, 1, 23))  # posted on the last day (KPA art. 57 §5)
    assert offer_is_late(postmarked, after, date(2026, 1, 24))
    assert offer_is_late(postmarked, after, None)


def test_an_offer_is_decided_by_its_grant_and_corrected_only_where_the_call_allows():
    offer = Offer(case_id=1, organisation_id=1, number=1, title="t", requested_grant=Decimal("1000"), state="scored")
    OfferMachine.bind(offer).send("decide", amount=Decimal("1000.00"))
    assert offer.state == "selected"
    offer.state = "scored"
    OfferMachine.bind(offer).send("decide", amount=None)
    assert offer.state == "not_selected"

    offer.state = "received"
    with pytest.raises(RuleViolation) as raised:
        OfferMachine.bind(offer).send("request_correction", rules=OPEN_CALL.model_copy(
            update={"correction_window_days": 0}))
    refusal(raised, "no_correction_window", "ogłoszenie konkursu")
    assert offer.state == "received"
    OfferMachine.bind(offer).send("request_correction", rules=OPEN_CALL)
    assert offer.state == "correction_requested"
    with pytest.raises(TransitionNotAllowed):
        OfferMachine.bind(offer).send("sign_contract")  # no contract before the offer is selected (art. 16 ust. 1)


def test_report_usage_and_return_deadlines_of_a_contract():
    assert report_deadline(date(2026, 6, 30), OPEN_CALL).last_day == date(2026, 7, 30)  # art. 18 ust. 1: 30 days
    # the grant is used until 14 days after the task, never past the budget year
    assert usage_deadline(date(2026, 6, 30), OPEN_CALL) == date(2026, 7, 14)
    assert usage_deadline(date(2026, 12, 20), OPEN_CALL) == date(2026, 12, 31)
    # ufp art. 251: returned 15 days after usage; by 31 January when used to the year's end (a Sunday in 2027:
    # the next working day, KC art. 115)
    assert return_deadline(date(2026, 7, 14), OPEN_CALL).last_day == date(2026, 7, 29)
    assert return_deadline(date(2026, 12, 31), OPEN_CALL).last_day == date(2027, 2, 1)


def test_a_late_return_of_unused_funds_bears_interest_from_the_day_after_its_deadline():
    late = settlement_facts(Decimal("1500.00"), Decimal("1500.00"), date(2026, 8, 5), date(2026, 7, 29))
    assert late["late"] and late["interest_from"] == date(2026, 7, 30)  # ufp art. 251 ust. 5
    on_time = settlement_facts(Decimal("1500.00"), Decimal("1500.00"), date(2026, 7, 29), date(2026, 7, 29))
    assert not on_time["late"] and "interest_from" not in on_time
    assert not settlement_facts(Decimal("0"), Decimal("0"), None, None)["late"]


# --- the small grant outside competition (art. 19a) -----------------------------------------------------------


def test_a_small_grant_is_at_most_10000_and_90_days_both_ends_counted():
    small_grant.check_conditions(Decimal("10000.00"), date(2026, 1, 1), date(2026, 3, 31), SMALL_GRANT)
    assert small_grant.execution_days(date(2026, 1, 1), date(2026, 3, 31)) == 90
    cases = [
        ((Decimal("10000.01"), date(2026, 1, 1), date(2026, 1, 31)), "small_grant_amount", "art. 19a ust. 1 pkt 1"),
        ((Decimal("5000.00"), date(2026, 1, 2), date(2026, 1, 1)), "small_grant_period", "art. 19a ust. 1 pkt 2"),
        ((Decimal("5000.00"), date(2026, 1, 1), date(2026, 4, 1)), "small_grant_duration", "art. 19a ust. 1 pkt 2"),
    ]
    for args, rule, basis in cases:
        with pytest.raises(RuleViolation) as raised:
            small_grant.check_conditions(*args, SMALL_GRANT)
        refusal(raised, rule, basis)


def test_the_yearly_ceiling_is_20_per_cent_of_the_planned_funds_rounded_down():
    assert small_grant.ceiling_of(Decimal("123456.78"), SMALL_GRANT) == Decimal("24691.35")  # art. 19a ust. 7
    assert small_grant.ceiling_of(Decimal("100000.00"), SMALL_GRANT) == Decimal("20000.00")


# --- the local initiative (art. 19b-19h) ----------------------------------------------------------------------


def test_an_initiative_s_score_is_the_weighted_share_of_the_maximum():
    full = {"social_work": Decimal(10), "public_benefit": Decimal(10), "feasibility": Decimal(10),
            "own_contribution": Decimal(10)}
    assert local_initiative.score(full, INITIATIVE) == Decimal("100.00")
    only_work = {**dict.fromkeys(full, Decimal(0)), "social_work": Decimal(10)}
    assert local_initiative.score(only_work, INITIATIVE) == Decimal("40.00")  # social work weighs most
    with pytest.raises(InvalidInput):
        local_initiative.score({**full, "beauty": Decimal(1)}, INITIATIVE)
    with pytest.raises(RuleViolation) as raised:
        local_initiative.score({**full, "feasibility": Decimal(11)}, INITIATIVE)
    assert raised.value.rule == "points_above_maximum"


def test_an_initiative_is_accepted_only_above_the_threshold_and_planned_only_with_both_contributions():
    row = Case(code="IL/2026/1", kind="local_initiative", title="t", state="evaluated")
    LocalInitiativeMachine.bind(row).send("decide", accept=False)
    assert row.state == "rejected"  # art. 19c ust. 1
    row.state = "evaluated"
    with pytest.raises(RuleViolation) as raised:
        LocalInitiativeMachine.bind(row).send("decide", accept=True, rules=INITIATIVE,
                                              application=SimpleNamespace(score_percent=Decimal("49.99")))
    assert raised.value.rule == "initiative_below_threshold" and row.state == "evaluated"
    LocalInitiativeMachine.bind(row).send("decide", accept=True, rules=INITIATIVE,
                                          application=SimpleNamespace(score_percent=Decimal("50.00")))
    assert row.state == "accepted"

    for costs, rule, basis in (({"city": Decimal(100)}, "no_residents_contribution", "art. 19f"),
                               ({"work": Decimal(100)}, "no_city_share", "art. 19e")):
        with pytest.raises(RuleViolation) as raised:
            LocalInitiativeMachine.bind(row).send("plan", costs=costs)
        refusal(raised, rule, basis)
    LocalInitiativeMachine.bind(row).send("plan", costs={"work": Decimal(100), "city": Decimal(500)})
    assert row.state == "planned"


# --- the consultation of draft acts (art. 5, 5a, 41i) ---------------------------------------------------------


def test_the_annual_programme_is_adopted_by_30_november_of_the_year_before():
    assert consultation.adopt_by(2027, CONSULTATION) == date(2026, 11, 30)  # art. 5a ust. 1
    programme = Case(code="KP/2026/1", kind="consultation", title="t", state="draft",
                     data={"act_kind": "programme", "programme_year": 2027})
    assert consultation.programme_warning(programme, CONSULTATION, date(2026, 11, 30)) is None
    assert "2026-11-30" in str(consultation.programme_warning(programme, CONSULTATION, date(2026, 12, 1)))
    other = Case(code="KP/2026/2", kind="consultation", title="t", state="draft", data={"act_kind": "resolution"})
    assert consultation.programme_warning(other, CONSULTATION, date(2026, 12, 1)) is None


def test_a_programme_s_draft_goes_to_the_public_benefit_council_before_the_consultation_opens():
    machine = ConsultationMachine.bind(Case(code="KP/2026/1", kind="consultation", title="t", state="draft"))
    programme = Case(code="KP/2026/1", kind="consultation", title="t", state="draft", data={"act_kind": "programme"})
    with pytest.raises(RuleViolation) as raised:
        machine.rdpp_asked_for_programme(case=programme)
    refusal(raised, "rdpp_not_asked", "art. 41i ust. 1")
    machine.rdpp_asked_for_programme(case=programme, rdpp_delivered=DEADLINE)
    machine.rdpp_asked_for_programme(case=Case(code="KP/2026/2", kind="consultation", title="t", state="draft",
                                               data={"act_kind": "resolution"}))
