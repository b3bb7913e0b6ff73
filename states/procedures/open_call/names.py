"""The states of this procedure's machines, by name: what code outside the machines compares and stores.

Light on purpose (it imports nothing of the procedure), so the notification routing, the flows and the artifacts
name a state without loading the machines. Each machine declares its states with these values
(``State("projekt", initial=True, value=CallState.draft.value)``): a state renamed or removed here fails at
import, and tests/test_state_names.py checks that each enum and its machine list the same states."""

from enum import StrEnum


class CallState(StrEnum):
    """The stored values of the open call's states (OpenCallMachine)."""

    draft = "draft"
    announced = "announced"
    formal_review = "formal_review"
    substantive_review = "substantive_review"
    selected = "selected"
    results_published = "results_published"
    in_execution = "in_execution"
    settled = "settled"
    invalidated = "invalidated"


class OfferState(StrEnum):
    """The stored values of an offer's (in an open call) states (OfferMachine)."""

    received = "received"
    correction_requested = "correction_requested"
    formally_accepted = "formally_accepted"
    formally_rejected = "formally_rejected"
    scored = "scored"
    selected = "selected"
    not_selected = "not_selected"
    withdrawn = "withdrawn"
    contracted = "contracted"
    report_due = "report_due"
    report_overdue = "report_overdue"
    report_submitted = "report_submitted"
    report_accepted = "report_accepted"
    settled = "settled"
