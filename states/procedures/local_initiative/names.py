"""The states of this procedure's machines, by name: what code outside the machines compares and stores.

Light on purpose (it imports nothing of the procedure), so the notification routing, the flows and the artifacts
name a state without loading the machines. Each machine declares its states with these values
(``State("projekt", initial=True, value=CallState.draft.value)``): a state renamed or removed here fails at
import, and tests/test_state_names.py checks that each enum and its machine list the same states."""

from enum import StrEnum


class InitiativeState(StrEnum):
    """The stored values of a local initiative's states (LocalInitiativeMachine)."""

    filed = "filed"
    evaluation = "evaluation"
    evaluated = "evaluated"
    rejected = "rejected"
    accepted = "accepted"
    planned = "planned"
    in_execution = "in_execution"
    report_due = "report_due"
    report_overdue = "report_overdue"
    report_submitted = "report_submitted"
    report_accepted = "report_accepted"
    closed = "closed"
