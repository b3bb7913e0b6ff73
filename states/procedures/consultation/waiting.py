"""What waits on an officer in a consultation (states/todo.py, ``coop todo``). Light on purpose: it names states,
events and messages, and loads no machine; each step's basis is the machine's (or its deadline's).

While the consultation is open nothing waits on the officer for the comments: the tick closes it when the period
ends (``consultation.comments_end``). What may wait meanwhile is the Public Benefit Council's opinion (art. 41i):
the officer records it when it comes, while its 14-day row is pending (the tick records the waiver by silence)."""

from kernel.text import tr
from states.procedures.consultation.names import ConsultationState
from states.procedures.descriptor import Waiting

STEPS = (
    Waiting("consultation", ConsultationState.open, tr("Record the Public Benefit Council's opinion"),
            deadline="consultation.rdpp_due", pending=True),
    Waiting("consultation", ConsultationState.closed, tr("Record the Public Benefit Council's opinion"),
            deadline="consultation.rdpp_due", pending=True),
    Waiting("consultation", ConsultationState.closed, tr("Publish the consultation report"), "publish_report"),
    Waiting("consultation", ConsultationState.report_published, tr("Send the draft to the council"),
            "send_to_council"),
    Waiting("consultation", ConsultationState.sent_to_council, tr("Record the council's resolution"), "adopt"),
)
