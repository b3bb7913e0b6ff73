"""The tail every grant shares once its contract is signed: the report, and for a grant in money its settlement.

The open call's offer, the small grant and the local initiative end the same way (art. 16-18; ufp art. 251-252):
the task runs under the contract, its end makes a report due, a missed report is called for in writing, the
report is submitted; the office accepts it or asks for corrections, and settles the grant. The local initiative
transfers no money (art. 19e): its tail stops at the accepted report (``review_tail``), which the case's own
``close`` follows; there is nothing to settle.

Each machine declares its tail by unpacking these in its class body, at the place its own states would stand, so
python-statemachine sees ordinary states and transitions (drawn in the diagrams, stored under the procedure's
``names.py`` values):

    contracted = State("umowa zawarta", value=OfferState.contracted.value)
    (report_due, report_overdue, report_submitted,
     task_ended, report_overdue_event, submit_report) = report_tail(contracted, OfferState)
    (report_accepted, settled,
     accept_report, request_report_corrections, settle) = settlement_tail(report_due, report_submitted, OfferState)

or, with no money to settle (the local initiative), the review alone:

    (report_accepted, accept_report, request_report_corrections) = review_tail(report_due, report_submitted,
                                                                               InitiativeState)

Every call builds new states: a state belongs to one machine. The legal basis of each event stays the machine's
(``BASIS``): a simplified report (art. 19a) is not the open call's.
"""

from __future__ import annotations

from enum import StrEnum

from statemachine import State
from statemachine.transition_list import TransitionList


def report_tail(running: State, names: type[StrEnum]) -> tuple[State, State, State, TransitionList, TransitionList,
                                                                 TransitionList]:
    """From the running contract to the submitted report: ``task_ended`` (the task's end makes the report due),
    ``report_overdue`` (the contract's written call), ``submit_report`` (at any time once the contract runs)."""
    report_due = State("oczekuje na sprawozdanie", value=names["report_due"].value)
    report_overdue = State("sprawozdanie zaległe", value=names["report_overdue"].value)
    report_submitted = State("sprawozdanie złożone", value=names["report_submitted"].value)
    task_ended = running.to(report_due)
    report_overdue_event = report_due.to(report_overdue, event="report_overdue")
    submit_report = (running.to(report_submitted) | report_due.to(report_submitted)
                     | report_overdue.to(report_submitted))
    return report_due, report_overdue, report_submitted, task_ended, report_overdue_event, submit_report


def review_tail(report_due: State, report_submitted: State, names: type[StrEnum]) -> tuple[State, TransitionList,
                                                                                       TransitionList]:
    """The review of the submitted report: ``accept_report`` (the report is accepted) or
    ``request_report_corrections`` (the report is due again, corrected, by the call's date)."""
    report_accepted = State("sprawozdanie przyjęte", value=names["report_accepted"].value)
    accept_report = report_submitted.to(report_accepted)
    request_report_corrections = report_submitted.to(report_due)
    return report_accepted, accept_report, request_report_corrections


def settlement_tail(report_due: State, report_submitted: State, names: type[StrEnum], *,
                    settle_validators: tuple[str, ...] = ()) -> tuple[State, State, TransitionList, TransitionList,
                                                                       TransitionList]:
    """From the submitted report to the settled grant: ``accept_report`` or ``request_report_corrections`` (the
    report is due again: ``review_tail``), then ``settle`` (ufp art. 251-252), with the machine's own validators if
    any."""
    report_accepted, accept_report, request_report_corrections = review_tail(report_due, report_submitted, names)
    settled = State("rozliczona", final=True, value=names["settled"].value)
    settle = report_accepted.to(settled, validators=list(settle_validators))
    return report_accepted, settled, accept_report, request_report_corrections, settle
