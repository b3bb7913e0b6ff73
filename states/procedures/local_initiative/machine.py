"""The local initiative (inicjatywa lokalna, art. 19b-19h): residents propose, the city carries it out with them.

No grant is transferred: the city buys services and materials itself against the joint cost estimate, and
the residents contribute social work, money or goods. The council resolution's criteria weigh mainly the
residents' social work (art. 19c); their weights are settings of the rule set.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session
from statemachine import State

from models.procedures.local_initiative import (
    LocalInitiativeApplication,
    LocalInitiativeCost,
    LocalInitiativePurchase,
)
from models.tables import Case
from states import labels
from states.cases import case_rows, one_case_row
from states.contract_tail import report_tail, review_tail
from states.engine import LegalMachine, Step
from states.errors import InvalidInput, RuleViolation
from states.procedures.local_initiative.names import InitiativeState
from states.rule_sets import LocalInitiativeRules
from states.text import money, tr

KIND = "local_initiative"
CODE_PREFIX = "IL"
RESOLUTION_BASIS = "art. 19c; uchwała Rady Miejskiej Leszna nr XIX/253/2016"
CONTRIBUTION_PARTIES = ("work", "cash", "goods")


def application_of(session: Session, case: Case) -> LocalInitiativeApplication:
    return one_case_row(session, LocalInitiativeApplication, case.id)


def costs_by_party(session: Session, case: Case) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for line in case_rows(session, LocalInitiativeCost, case.id, order_by=(LocalInitiativeCost.id,)):
        totals[line.party] = totals.get(line.party, Decimal("0.00")) + line.amount
    return totals


def city_share(session: Session, case: Case) -> Decimal:
    return costs_by_party(session, case).get("city", Decimal("0.00"))


def purchased(session: Session, case: Case) -> Decimal:
    return sum((row.amount for row in case_rows(session, LocalInitiativePurchase, case.id)), Decimal("0.00"))


def score(points: dict[str, Decimal], rules: LocalInitiativeRules) -> Decimal:
    """Weighted share of the maximum, as a percentage with two decimals."""
    weights = rules.weights
    unknown, missing = sorted(set(points) - set(weights)), sorted(set(weights) - set(points))
    if unknown or missing:
        raise InvalidInput(
            "criteria_mismatch",
            labels.criteria_mismatch(tr("Score exactly the resolution's criteria: {keys}",
                                        keys=labels.choices(sorted(weights), labels.INITIATIVE_CRITERIA)),
                                     unknown, missing),
            basis=RESOLUTION_BASIS,
        )
    for key, value in points.items():
        if value > rules.max_points:
            raise RuleViolation(
                "points_above_maximum",
                tr("Criterion {key}: {points} points > the maximum {max_points}", key=key, points=value,
                   max_points=rules.max_points),
                basis=RESOLUTION_BASIS,
            )
    achieved = sum(weights[k] * points[k] for k in weights)
    possible = sum(weights.values()) * rules.max_points
    return (achieved / possible * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class LocalInitiativeMachine(LegalMachine):
    NAMES = InitiativeState

    filed = State("wniosek złożony", initial=True, value=InitiativeState.filed.value)
    evaluation = State("ocena wniosku", value=InitiativeState.evaluation.value)
    evaluated = State("oceniony", value=InitiativeState.evaluated.value)
    rejected = State("odrzucony", final=True, value=InitiativeState.rejected.value)
    accepted = State("przyjęty", value=InitiativeState.accepted.value)
    planned = State("harmonogram i kosztorys uzgodnione", value=InitiativeState.planned.value)
    in_execution = State("realizacja", value=InitiativeState.in_execution.value)
    # The report part of the tail every grant shares (states/contract_tail.py) and its review: the officer accepts
    # the report or calls for corrections (due again, corrected); no money, so no settlement: the case closes once
    # the report is accepted.
    (report_due, report_overdue, report_submitted,
     task_ended, report_overdue_event, submit_report) = report_tail(in_execution, InitiativeState)
    (report_accepted, accept_report, request_report_corrections) = review_tail(report_due, report_submitted,
                                                                               InitiativeState)
    closed = State("zamknięta", final=True, value=InitiativeState.closed.value)

    pass_formal_check = filed.to(evaluation)
    fail_formal_check = filed.to(rejected)
    evaluate = evaluation.to(evaluated)
    decide = (evaluated.to(rejected, cond="refused") | evaluated.to(accepted, validators=["score_passes"]))
    plan = accepted.to(planned, validators=["residents_contribute", "city_buys_something"])
    sign_contract = planned.to(in_execution)
    close = report_accepted.to(closed)

    # A step that keeps the state: the city buys for the initiative while it runs (art. 19e).
    city_purchase = (in_execution.to.itself(validators="within_estimate")
                     | report_due.to.itself(validators="within_estimate"))

    STEPS = {
        "evaluate": Step(tr("the evaluation"), "art. 19c ust. 1"),
        "plan": Step(tr("agreeing the schedule and estimate"), "art. 19e"),
        "sign_contract": Step(tr("signing the contract"), "art. 19e"),
        "city_purchase": Step(tr("a purchase for the initiative"), "art. 19e"),
        "accept_report": Step(tr("accepting the report"), "art. 19e (umowa)"),
        "request_report_corrections": Step(tr("calling for corrections of the report"), "art. 19e (umowa)"),
        "close": Step(tr("closing the initiative"), "art. 19e (umowa)"),
    }

    BASIS = {
        "pass_formal_check": "art. 19b ust. 1; art. 19c ust. 1",
        "fail_formal_check": "art. 19b ust. 1; art. 19c ust. 1",
        "evaluate": RESOLUTION_BASIS,
        "decide->rejected": "art. 19c ust. 1",
        "decide": "art. 19c ust. 1; art. 19e",
        "plan": "art. 19e; art. 19f",
        "sign_contract": "art. 19e",
        "task_ended": "art. 19e (umowa)",
        "report_overdue": "art. 19e (umowa)",
        "submit_report": "art. 19e (umowa)",
        "accept_report": "art. 19e (umowa)",
        "request_report_corrections": "art. 19e (umowa)",
        "close": "art. 19e (umowa)",
        "city_purchase": "art. 19e (umowa: kosztorys)",
    }

    # guard for "city_purchase"
    def within_estimate(self, ctx, case: Case, amount: Decimal, **_) -> None:
        purchase_within_estimate(ctx.session, case, amount)

    @staticmethod
    def refused(accept: bool = False, **_) -> bool:
        return not accept

    @staticmethod
    def score_passes(application: LocalInitiativeApplication, rules: LocalInitiativeRules, **_) -> None:
        needed = rules.pass_threshold * 100
        if application.score_percent is None or application.score_percent < needed:
            raise RuleViolation(
                "initiative_below_threshold",
                tr("The application scored {score_percent}% < the required {needed:.0f}%", score_percent=application.score_percent, needed=needed),
                basis=RESOLUTION_BASIS,
            )

    @staticmethod
    def residents_contribute(costs: dict[str, Decimal], **_) -> None:
        if not any(costs.get(p, 0) > 0 for p in CONTRIBUTION_PARTIES):
            raise RuleViolation(
                "no_residents_contribution",
                tr("The applicants must contribute social work, money or goods"),
                basis="art. 19f",
            )

    @staticmethod
    def city_buys_something(costs: dict[str, Decimal], **_) -> None:
        if costs.get("city", 0) <= 0:
            raise RuleViolation(
                "no_city_share",
                tr("The estimate has no purchase by the city"),
                basis="art. 19e",
            )


def purchase_within_estimate(session: Session, case: Case, amount: Decimal) -> None:
    share, spent = city_share(session, case), purchased(session, case)
    if spent + amount > share:
        raise RuleViolation(
            "purchase_beyond_estimate",
            tr("{spent} + {amount} = {spent2} > the city's share of the estimate {share}", spent=money(spent), amount=money(amount), spent2=money(spent + amount), share=money(share)),
            basis="art. 19e (umowa: harmonogram i kosztorys)",
        )
