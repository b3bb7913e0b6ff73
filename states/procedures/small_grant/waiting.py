"""What waits on an officer in a small grant (art. 19a; states/todo.py, ``coop todo``). Light on purpose: it
names states, events and messages, and loads no machine; each step's basis is the machine's. The comment period
waits on nobody: the tick closes it (``small_grant.comments_end``)."""

from kernel.text import tr
from states.procedures.descriptor import Waiting
from states.procedures.small_grant.names import SmallGrantState

STEPS = (
    Waiting("small_grant", SmallGrantState.received, tr("Check the offer and publish it"), "pass_check",
            deadline="small_grant.publish_due"),
    Waiting("small_grant", SmallGrantState.checked, tr("Publish the offer"), "publish",
            deadline="small_grant.publish_due"),
    Waiting("small_grant", SmallGrantState.comments_closed, tr("Decide on the grant"), "decide"),
    Waiting("small_grant", SmallGrantState.granted, tr("Sign the contract"), "sign_contract"),
    Waiting("small_grant", SmallGrantState.report_submitted, tr("Review the report"), "accept_report"),
    Waiting("small_grant", SmallGrantState.report_overdue, tr("Call for the overdue report"), "report_overdue",
            deadline="small_grant.report_due"),
    Waiting("small_grant", SmallGrantState.report_accepted, tr("Settle the grant"), "settle"),
)
