"""What waits on an officer in regranting (states/todo.py, ``coop todo``): the operator's open call and the
micro-grants. Light on purpose: it names states and messages, and loads no machine."""

from kernel.text import tr
from states.procedures.descriptor import CommitteeWaiting, Waiting
from states.procedures.open_call.names import CallState, OfferState
from states.procedures.regranting.names import MicroGrantState

STEPS = (
    Waiting("regranting", CallState.formal_review, tr("Finish the formal review of the offers"),
            "art. 15 ust. 1; KPA art. 64 § 2", deadline="correction_end"),
    Waiting("regranting", CallState.selected, tr("Publish the results in the three channels"), "art. 15 ust. 2h-2j"),
    Waiting("micro_grant", MicroGrantState.transfer_overdue, tr("Transfer the funds to the grantee"),
            "art. 16a", deadline="regranting.transfer_due"),
    Waiting("micro_grant", MicroGrantState.report_submitted, tr("Settle the micro-grant"), "art. 16a; art. 18"),
)

COMMITTEE = CommitteeWaiting("regranting", CallState.substantive_review, OfferState.formally_accepted,
                             declare=tr("Declare conflicts of interest for the call's offers"),
                             score=tr("Score the offer"), basis="art. 15 ust. 2d; KPA art. 24")
