"""What waits on a person in an open call (states/todo.py, ``coop todo``): the officers' steps by state, and the
committee's declarations and scores. Light on purpose: it names states and messages, and loads no machine."""

from kernel.text import tr
from states.procedures.descriptor import CommitteeWaiting, Waiting
from states.procedures.open_call.names import CallState, OfferState

STEPS = (
    Waiting("open_call", CallState.formal_review, tr("Finish the formal review of the offers"),
            "art. 15 ust. 1; KPA art. 64 § 2", deadline="correction_end"),
    Waiting("open_call", CallState.selected, tr("Publish the results in the three channels"), "art. 15 ust. 2h-2j"),
    Waiting("offer", OfferState.received, tr("Review the offer formally"), "art. 14; art. 15 ust. 1"),
    Waiting("offer", OfferState.correction_requested, tr("Review the corrected offer"), "KPA art. 64 § 2",
            deadline="correction_end"),
    Waiting("offer", OfferState.selected, tr("Sign the contract"), "art. 16 ust. 1"),
    Waiting("offer", OfferState.report_submitted, tr("Review the report"), "art. 18"),
    Waiting("offer", OfferState.report_overdue, tr("Call for the overdue report"), "art. 18 ust. 1",
            deadline="report_due"),
    Waiting("offer", OfferState.report_accepted, tr("Settle the grant"), "art. 18; ufp art. 251"),
)

COMMITTEE = CommitteeWaiting("open_call", CallState.substantive_review, OfferState.formally_accepted,
                             declare=tr("Declare conflicts of interest for the call's offers"),
                             score=tr("Score the offer"), basis="art. 15 ust. 2d; KPA art. 24")
