"""What waits on an officer in a local initiative (art. 19b-19h; states/todo.py, ``coop todo``). Light on
purpose: it names states and messages, and loads no machine."""

from kernel.text import tr
from states.procedures.descriptor import Waiting
from states.procedures.local_initiative.names import InitiativeState

STEPS = (
    Waiting("local_initiative", InitiativeState.filed, tr("Check the application formally"), "art. 19c"),
    Waiting("local_initiative", InitiativeState.evaluated, tr("Decide on the application"), "art. 19d"),
    Waiting("local_initiative", InitiativeState.accepted, tr("Plan the initiative"), "art. 19e"),
    Waiting("local_initiative", InitiativeState.planned, tr("Sign the contract"), "art. 19e"),
    Waiting("local_initiative", InitiativeState.report_submitted, tr("Review the report and close"), "art. 19g"),
    Waiting("local_initiative", InitiativeState.report_overdue, tr("Call for the overdue report"),
            "art. 19g", deadline="local_initiative.report_due"),
)
