"""What waits on a person in a local initiative (art. 19b-19h; states/todo.py, ``coop todo``). Light on purpose:
it names states, events and messages, and loads no machine; each step's basis is the machine's.

The evaluation follows the council's resolution (art. 19c; in Leszno a committee scores the application): it
waits on the members who sit on the case (a ``committee_member`` grant for it), and on the officer, who may enter
the committee's paper protocol (states/access.py: COMMITTEE)."""

from kernel.text import tr
from states.procedures.descriptor import Waiting
from states.procedures.local_initiative.names import InitiativeState

STEPS = (
    Waiting("local_initiative", InitiativeState.filed, tr("Check the application formally"), "pass_formal_check"),
    Waiting("local_initiative", InitiativeState.evaluation, tr("Enter the committee's evaluation of the application"),
            "evaluate"),
    Waiting("local_initiative", InitiativeState.evaluation, tr("Evaluate the application"), "evaluate",
            role="committee_member"),
    Waiting("local_initiative", InitiativeState.evaluated, tr("Decide on the application"), "decide"),
    Waiting("local_initiative", InitiativeState.accepted, tr("Plan the initiative"), "plan"),
    Waiting("local_initiative", InitiativeState.planned, tr("Sign the contract"), "sign_contract"),
    Waiting("local_initiative", InitiativeState.report_submitted, tr("Review the report"), "accept_report"),
    Waiting("local_initiative", InitiativeState.report_accepted, tr("Close the initiative"), "close"),
    Waiting("local_initiative", InitiativeState.report_overdue, tr("Call for the overdue report"), "report_overdue",
            deadline="local_initiative.report_due"),
)
