"""What waits on an officer in a small grant (art. 19a; states/todo.py, ``coop todo``). Light on purpose: it
names states and messages, and loads no machine."""

from kernel.text import tr
from states.procedures.descriptor import Waiting
from states.procedures.small_grant.names import SmallGrantState

STEPS = (
    Waiting("small_grant", SmallGrantState.received, tr("Check the offer and publish it"), "art. 19a ust. 3",
            deadline="small_grant.publish_due"),
    Waiting("small_grant", SmallGrantState.checked, tr("Publish the offer"), "art. 19a ust. 3",
            deadline="small_grant.publish_due"),
    Waiting("small_grant", SmallGrantState.comments_closed, tr("Decide on the grant"), "art. 19a ust. 5-6"),
    Waiting("small_grant", SmallGrantState.granted, tr("Sign the contract"), "art. 19a; art. 16 ust. 1"),
    Waiting("small_grant", SmallGrantState.report_submitted, tr("Review the report"), "art. 18"),
    Waiting("small_grant", SmallGrantState.report_overdue, tr("Call for the overdue report"), "art. 18 ust. 1",
            deadline="small_grant.report_due"),
    Waiting("small_grant", SmallGrantState.report_accepted, tr("Settle the grant"), "art. 18; ufp art. 251"),
)
