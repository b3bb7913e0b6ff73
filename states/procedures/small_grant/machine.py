"""The small grant outside competition (tryb pozakonkursowy, art. 19a): its machine and its rules.

One case per simplified offer. The preliminary check refuses an offer that breaks a statutory condition
(10 000 PLN, 90 days) or a cap; the decision re-checks the caps under a lock of the year's ledger row,
so two offers decided at the same moment never overshoot the art. 19a ust. 7 ceiling.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from sqlmodel import Session, func, select
from statemachine import State

from models.procedures.small_grant import SmallGrantComment, SmallGrantOffer, SmallGrantYear
from models.tables import Case
from states.cases import case_rows, one_case_row
from states.contract_tail import report_tail, settlement_tail
from states.engine import Context, LegalMachine, Step
from states.errors import RuleViolation
from states.grant_terms import require_unused_returned
from states.procedures.small_grant.names import SmallGrantState
from states.rule_sets import SmallGrantRules
from states.text import money, ntr, tr

KIND = "small_grant"
CODE_PREFIX = "MG"
GRANTED_STATES = (SmallGrantState.granted, SmallGrantState.contracted, SmallGrantState.report_due,
                  SmallGrantState.report_overdue, SmallGrantState.report_submitted, SmallGrantState.report_accepted,
                  SmallGrantState.settled)


def execution_days(start: date, end: date) -> int:
    """art. 19a ust. 1 pkt 2: both the first and the last day count."""
    return (end - start).days + 1


def check_conditions(amount: Decimal, start: date, end: date, rules: SmallGrantRules) -> None:
    """The statutory conditions of art. 19a ust. 1, each refusal with the figure that failed."""
    if amount > rules.max_grant:
        raise RuleViolation(
            "small_grant_amount",
            tr("{amount} > {max_grant}: the grant exceeds the small-grant limit", amount=money(amount), max_grant=money(rules.max_grant)),
            basis="art. 19a ust. 1 pkt 1",
        )
    if end < start:
        raise RuleViolation(
            "small_grant_period",
            tr("The task ends {end} before it starts {start}", end=end, start=start),
            basis="art. 19a ust. 1 pkt 2",
        )
    days = execution_days(start, end)
    if days > rules.max_days:
        raise RuleViolation(
            "small_grant_duration",
            ntr("The task {start} – {end} lasts {n} day (the first and the last day counted); the limit in days: "
                "{max_days}",
                "The task {start} – {end} lasts {n} days (the first and the last day counted); the limit in days: "
                "{max_days}",
                days, start=start, end=end, max_days=rules.max_days),
            basis="art. 19a ust. 1 pkt 2",
        )


def year_ledger(session: Session, year: int, *, lock: bool) -> SmallGrantYear:
    query = select(SmallGrantYear).where(SmallGrantYear.year == year)
    if lock:
        # The decision's transaction holds this row until it commits: a concurrent decision of the same
        # year waits here and then reads the committed figure (READ COMMITTED re-reads after the lock).
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.exec(query).first()
    if row is None:
        raise RuleViolation(
            "no_planned_funds",
            tr("No planned NGO grant funds recorded for {year}: the ceiling of 20 per cent cannot be checked "
               "(coop grant budget {year} --planned ...)", year=year),
            basis="art. 19a ust. 7",
        )
    return row


def ceiling(ledger: SmallGrantYear, rules: SmallGrantRules) -> Decimal:
    return ceiling_of(ledger.planned_ngo_grants, rules)


def ceiling_of(planned: Decimal, rules: SmallGrantRules) -> Decimal:
    """art. 19a ust. 7: small grants in a year at most this share of the funds planned for NGO grants."""
    return (planned * rules.yearly_share).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def organisation_total(session: Session, offer: SmallGrantOffer) -> Decimal:
    """Small grants already granted to the organisation in the offer's budget year (other cases)."""
    total = session.exec(
        select(func.sum(SmallGrantOffer.granted_amount))
        .join(Case, Case.id == SmallGrantOffer.case_id)
        .where(SmallGrantOffer.organisation_id == offer.organisation_id,
               SmallGrantOffer.budget_year == offer.budget_year,
               SmallGrantOffer.id != offer.id,
               Case.state.in_(GRANTED_STATES))
    ).one()
    return total or Decimal("0.00")


def check_caps(session: Session, offer: SmallGrantOffer, amount: Decimal, rules: SmallGrantRules, *,
               lock: bool) -> SmallGrantYear:
    """The yearly ceiling (art. 19a ust. 7) and the cap per organisation (art. 19a ust. 6)."""
    ledger = year_ledger(session, offer.budget_year, lock=lock)
    limit = ceiling(ledger, rules)
    after = ledger.committed + amount
    if after > limit:
        raise RuleViolation(
            "small_grant_ceiling",
            tr("{committed} + {amount} = {after} > {limit}: small grants in {year} would exceed {share:.0f} per cent "
               "of the planned NGO grant funds ({planned})", committed=money(ledger.committed),
               amount=money(amount), after=money(after), limit=money(limit), year=offer.budget_year,
               share=rules.yearly_share * 100, planned=money(ledger.planned_ngo_grants)),
            basis="art. 19a ust. 7",
        )
    already = organisation_total(session, offer)
    if already + amount > rules.organisation_cap:
        raise RuleViolation(
            "small_grant_organisation_cap",
            tr("{already} + {amount} = {after} > {cap}: the yearly cap of small grants per organisation in "
               "{year}", already=money(already), amount=money(amount), after=money(already + amount),
               cap=money(rules.organisation_cap), year=offer.budget_year),
            basis="art. 19a ust. 6",
        )
    return ledger


def offer_of(session: Session, case: Case) -> SmallGrantOffer:
    return one_case_row(session, SmallGrantOffer, case.id)


def comments_of(session: Session, case: Case) -> list[SmallGrantComment]:
    return case_rows(session, SmallGrantComment, case.id, order_by=(SmallGrantComment.number,))


class SmallGrantMachine(LegalMachine):
    NAMES = SmallGrantState

    received = State("wpłynęła", initial=True, value=SmallGrantState.received.value)
    checked = State("sprawdzona wstępnie", value=SmallGrantState.checked.value)
    comment_period = State("opublikowana, uwagi", value=SmallGrantState.comment_period.value)
    comments_closed = State("uwagi rozpatrywane", value=SmallGrantState.comments_closed.value)
    granted = State("dotacja przyznana", value=SmallGrantState.granted.value)
    rejected = State("odmowa", final=True, value=SmallGrantState.rejected.value)
    contracted = State("umowa zawarta", value=SmallGrantState.contracted.value)
    # The contract -> report -> settlement tail every grant shares (states/contract_tail.py).
    (report_due, report_overdue, report_submitted,
     task_ended, report_overdue_event, submit_report) = report_tail(contracted, SmallGrantState)
    (report_accepted, settled,
     accept_report, request_report_corrections, settle) = settlement_tail(
        report_due, report_submitted, SmallGrantState, settle_validators=("unused_funds_returned",))

    pass_check = received.to(checked, validators=["conditions_met", "caps_met"])
    publish = checked.to(comment_period)
    close_comments = comment_period.to(comments_closed)
    decide = (comments_closed.to(rejected, cond="refused", validators=["every_comment_considered"])
              | comments_closed.to(granted, validators=["conditions_met", "caps_met"]))
    sign_contract = granted.to(contracted)

    # Steps that keep the state: the states named here are the only ones that allow them.
    comment = comment_period.to.itself(validators="comment_in_time")
    consider_comment = comment_period.to.itself() | comments_closed.to.itself()
    publication_overdue = checked.to.itself()

    STEPS = {
        "publish": Step(tr("publishing the offer"), "art. 19a ust. 3"),
        "consider_comment": Step(tr("considering a comment"), "art. 19a ust. 5"),
        "decide": Step(tr("the decision after the 7-day comment period"), "art. 19a ust. 4-5"),
        "sign_contract": Step(tr("signing the contract"), "art. 19a ust. 5"),
        "publication_overdue": Step(tr("the publication deadline"), "art. 19a ust. 3"),
    }

    BASIS = {
        "pass_check": "art. 19a ust. 1, 6-7",
        "publish": "art. 19a ust. 3",
        "close_comments": "art. 19a ust. 4",
        "decide->rejected": "art. 19a ust. 1, ust. 5",
        "decide": "art. 19a ust. 5",
        "sign_contract": "art. 19a ust. 5; art. 16 ust. 1",
        "task_ended": "art. 18 ust. 1",
        "report_overdue": "art. 18 ust. 1; umowa (wezwanie do złożenia sprawozdania)",
        "submit_report": "art. 18 ust. 1 (sprawozdanie uproszczone)",
        "accept_report": "art. 18 ust. 1",
        "request_report_corrections": "art. 18 ust. 1",
        "settle": "ufp art. 251-252",
        "comment": "art. 19a ust. 4",
        "consider_comment": "art. 19a ust. 5",
        "publication_overdue": "art. 19a ust. 3",
    }

    @classmethod
    def refusal(cls, event: str, case: Case, state: str, **facts) -> RuleViolation:
        if event == "comment":  # before the publication or after the period: early or late, one refusal
            return comment_late(case, facts["submitted"])
        return super().refusal(event, case, state, **facts)

    # guard for "settle"
    @staticmethod
    def unused_funds_returned(unused: Decimal, returned_amount: Decimal, returned_on: date | None, **_) -> None:
        require_unused_returned(unused, returned_amount, returned_on)  # the rule the open call's settlement checks

    # guard for "comment"
    @staticmethod
    def comment_in_time(case: Case, submitted: datetime, **_) -> None:
        until = case.data.get("comments_until")
        if until and submitted > datetime.fromisoformat(until):
            raise comment_late(case, submitted)

    def conditions_met(self, offer: SmallGrantOffer, amount: Decimal, rules: SmallGrantRules, **_) -> None:
        check_conditions(amount, offer.task_start, offer.task_end, rules)

    def caps_met(self, ctx: Context, offer: SmallGrantOffer, amount: Decimal, rules: SmallGrantRules,
                 lock: bool = False, **_) -> None:
        check_caps(ctx.session, offer, amount, rules, lock=lock)

    def every_comment_considered(self, ctx: Context, case: Case, **_) -> None:
        open_ = [c.number for c in comments_of(ctx.session, case) if c.consideration is None]
        if open_:
            raise RuleViolation(
                "comments_not_considered",
                ntr("{code}: comment {numbers} is not considered; the decision needs every comment considered",
                    "{code}: comments {numbers} are not considered; the decision needs every comment considered",
                    len(open_), code=case.code, numbers=open_),
                basis="art. 19a ust. 5",
            )

    def refused(self, amount: Decimal | None = None, **_) -> bool:
        return not amount


def comment_late(case: Case, submitted: datetime) -> RuleViolation:
    until = case.data.get("comments_until")
    return RuleViolation(
        "comment_late",
        tr("{code}: comments are accepted only while the offer is published (until {until}); the comment of "
           "{submitted} is late or early", code=case.code, until=datetime.fromisoformat(until) if until else None,
           submitted=submitted),
        basis="art. 19a ust. 4",
    )
