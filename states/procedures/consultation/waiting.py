"""What waits on an officer in a consultation (states/todo.py, ``coop todo``). Light on purpose: it names states
and messages, and loads no machine."""

from kernel.text import tr
from states.procedures.consultation.names import ConsultationState
from states.procedures.descriptor import Waiting

STEPS = (
    Waiting("consultation", ConsultationState.open, tr("Close the consultation when its comment period ends"),
            "art. 5 ust. 5", deadline="consultation.comments_end"),
    Waiting("consultation", ConsultationState.closed, tr("Publish the consultation report"), "art. 5 ust. 5"),
    Waiting("consultation", ConsultationState.report_published, tr("Send the draft to the council"), "art. 5 ust. 5"),
    Waiting("consultation", ConsultationState.sent_to_council, tr("Record the council's resolution"), "art. 5a ust. 1"),
)
