"""The states of this procedure's machines, by name: what code outside the machines compares and stores.

Light on purpose (it imports nothing of the procedure), so the notification routing, the flows and the artifacts
name a state without loading the machines. Each machine declares its states with these values
(``State("projekt", initial=True, value=CallState.draft.value)``): a state renamed or removed here fails at
import, and tests/test_state_names.py checks that each enum and its machine list the same states."""

from enum import StrEnum


class ConsultationState(StrEnum):
    """The stored values of a consultation's states (ConsultationMachine)."""

    draft = "draft"
    open = "open"
    closed = "closed"
    report_published = "report_published"
    sent_to_council = "sent_to_council"
    adopted = "adopted"
