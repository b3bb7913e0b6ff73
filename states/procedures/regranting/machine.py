"""Regranting (art. 16a): an open call selects an operator, the operator runs its own call for implementers
of micro-grants, and reports on every one of them.

The operator's case (kind ``regranting``) is an ordinary open call: ``OpenCallMachine`` and ``OfferMachine``
move it, through the open-call handlers. Its sub-call moves through ``SubCallMachine``, whose state is kept in
the case's data (it is one more lifecycle of the same case, audited in the same chain). Every micro-grant is a
case of its own (kind ``micro_grant``) nested under the operator's (``Case.parent_id``).
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session
from statemachine import State

from models.procedures.regranting import MicroGrant
from models.tables import Case, Contract, Offer
from states import labels
from states.cases import case_rows, one_case_row, row_by_id
from states.engine import Context, LegalMachine
from states.errors import RuleViolation
from states.procedures.open_call.machine import (  # the operator's case runs the open call's machine
    CONTRACTED_OFFER_STATES,
    OfferMachine,  # noqa: F401  (the operator's offer: settle_operator's event, PROCEDURE.events)
    OpenCallMachine,  # noqa: F401  (the machine of a case of kind regranting: see PROCEDURE.machines)
)
from states.procedures.regranting.names import MicroGrantState, SubCallState
from states.publications import publications_of
from states.rule_sets import RegrantingRules
from states.text import money, tr

KIND = "regranting"
CODE_PREFIX = "RG"
MICRO_KIND = "micro_grant"
MICRO_PREFIX = "MR"
# The operator is contracted once its offer is in any state from the signed contract on (read from the offer
# machine, like the ranking's scored states, so neither drifts from it).
OPERATOR_STATES = CONTRACTED_OFFER_STATES


class SubCallView:
    """The sub-call's state, kept in the operator case's data so the machine can bind to it."""

    def __init__(self, case: Case) -> None:
        self.case = case

    @property
    def state(self) -> str | None:
        return (self.case.data.get("sub_call") or {}).get("state")

    @state.setter
    def state(self, value: str) -> None:
        self.case.data = {**self.case.data, "sub_call": {**(self.case.data.get("sub_call") or {}), "state": value}}


def micro_grant_of(session: Session, case: Case) -> MicroGrant:
    """The micro-grant a ``MR/`` case records."""
    return one_case_row(session, MicroGrant, case.id)


def micro_grants_of(session: Session, case: Case) -> list[MicroGrant]:
    return case_rows(session, MicroGrant, case.id, column="operator_case_id", order_by=(MicroGrant.id,))


def operator_offer(session: Session, case: Case) -> tuple[Offer, Contract] | None:
    """The operator's offer (the first, by number, that has a contract) and its contract."""
    contracts = {contract.offer_id: contract for contract in case_rows(session, Contract, case.id)}
    return next(((offer, contracts[offer.id]) for offer in case_rows(session, Offer, case.id, order_by=(Offer.number,))
                 if offer.id in contracts), None)


class SubCallMachine(LegalMachine):
    NAMES = SubCallState

    planned = State("nabór planowany", initial=True, value=SubCallState.planned.value)
    announced = State("nabór ogłoszony", value=SubCallState.announced.value)
    selection_published = State("wybór realizatorów ogłoszony", value=SubCallState.selection_published.value)
    implementing = State("mikrodotacje w realizacji", value=SubCallState.implementing.value)
    reported = State("sprawozdanie operatora złożone", value=SubCallState.reported.value)
    report_accepted = State("sprawozdanie operatora przyjęte", final=True, value=SubCallState.report_accepted.value)

    announce_sub_call = planned.to(announced, validators=["operator_contracted", "published_everywhere"])
    publish_selection = announced.to(selection_published, validators=["published_everywhere"])
    start_implementing = selection_published.to(implementing)
    submit_operator_report = implementing.to(reported, validators=["every_micro_grant_reported"])
    # the office's review of the operator's report (regranting's review_operator_report, with the operator offer's):
    # accepted, or sent back to the micro-grants, whence the operator reports again with the list of implementers
    accept_operator_report = reported.to(report_accepted)
    request_operator_report_corrections = reported.to(implementing)

    BASIS = {
        "announce_sub_call": "art. 16a ust. 1; umowa z operatorem (sposób wyboru realizatorów)",
        "publish_selection": "art. 16a; umowa z operatorem (upublicznienie wyboru)",
        "start_implementing": "art. 16a; umowa z operatorem",
        "submit_operator_report": "art. 18 ust. 1; art. 16a (sprawozdanie z realizacji regrantingu)",
        "accept_operator_report": "art. 18 ust. 1; art. 16a (sprawozdanie z realizacji regrantingu)",
        "request_operator_report_corrections": "art. 18 ust. 1; art. 16a; umowa (wezwanie do poprawienia sprawozdania)",
    }

    def operator_contracted(self, ctx: Context, case: Case, **_) -> None:
        found = operator_offer(ctx.session, case)
        if found is None or found[0].state not in OPERATOR_STATES:
            raise RuleViolation(
                "operator_not_contracted",
                tr("{code}: the operator has no contract yet; the sub-call follows it", code=case.code),
                basis="art. 16a ust. 1; art. 16 ust. 1",
            )

    def published_everywhere(self, ctx: Context, case: Case, notice: str, rules: RegrantingRules, **_) -> None:
        published = publications_of(ctx.session, case, notice)
        missing = [c for c in rules.channels if c not in published]
        if missing:
            raise RuleViolation(
                "sub_call_channels",
                tr("{code}: {notice} must be published in {channels}; missing: {missing}", code=case.code,
                   notice=labels.publication(notice), channels=labels.channels(rules.channels),
                   missing=labels.channels(missing)),
                basis="art. 16a; umowa z operatorem",
            )

    def every_micro_grant_reported(self, ctx: Context, case: Case, **_) -> None:
        pending = [m.implementer for m in micro_grants_of(ctx.session, case)
                   if row_by_id(ctx.session, Case, m.case_id).state not in (MicroGrantState.report_submitted, MicroGrantState.settled)]
        if pending:
            raise RuleViolation(
                "micro_grants_unreported",
                tr("The operator's report needs every implementer's report; missing: {pending}", pending=pending),
                basis="art. 16a; art. 18 ust. 1",
            )


class MicroGrantMachine(LegalMachine):
    NAMES = MicroGrantState

    contracted = State("umowa z realizatorem", initial=True, value=MicroGrantState.contracted.value)
    transfer_overdue = State("przekazanie środków opóźnione", value=MicroGrantState.transfer_overdue.value)
    funds_transferred = State("środki przekazane", value=MicroGrantState.funds_transferred.value)
    report_submitted = State("sprawozdanie realizatora", value=MicroGrantState.report_submitted.value)
    settled = State("rozliczona", final=True, value=MicroGrantState.settled.value)

    transfer_due_passed = contracted.to(transfer_overdue)
    transfer = contracted.to(funds_transferred) | transfer_overdue.to(funds_transferred)
    submit_report = funds_transferred.to(report_submitted)
    settle = report_submitted.to(settled, validators="unused_funds_returned")

    BASIS = {
        "transfer_due_passed": "art. 16a; umowa z operatorem (termin przekazania środków)",
        "transfer": "art. 16a; umowa z operatorem (przekazanie środków realizatorowi)",
        "submit_report": "umowa z realizatorem; art. 16a",
        "settle": "umowa z realizatorem; art. 16a",
    }

    # guard for "settle"
    @staticmethod
    def unused_funds_returned(unused: Decimal, returned_amount: Decimal, **_) -> None:
        if returned_amount < unused:
            raise RuleViolation(
                "unused_funds_not_returned",
                tr("The implementer must return the unused {unused} to the operator (returned "
                   "{returned_amount})", unused=money(unused), returned_amount=money(returned_amount)),
                basis="umowa z realizatorem; art. 16a",
            )
