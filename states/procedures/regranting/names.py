"""The states of this procedure's machines, by name: what code outside the machines compares and stores.

Light on purpose (it imports nothing of the procedure), so the notification routing, the flows and the artifacts
name a state without loading the machines. Each machine declares its states with these values
(``State("projekt", initial=True, value=CallState.draft.value)``): a state renamed or removed here fails at
import, and tests/test_state_names.py checks that each enum and its machine list the same states."""

from enum import StrEnum


class SubCallState(StrEnum):
    """The stored values of the operator's sub-call's (art. 16a) states (SubCallMachine)."""

    planned = "planned"
    announced = "announced"
    selection_published = "selection_published"
    implementing = "implementing"
    reported = "reported"
    report_accepted = "report_accepted"


class MicroGrantState(StrEnum):
    """The stored values of a micro-grant's states (MicroGrantMachine)."""

    contracted = "contracted"
    transfer_overdue = "transfer_overdue"
    funds_transferred = "funds_transferred"
    report_submitted = "report_submitted"
    settled = "settled"
