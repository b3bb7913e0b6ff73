"""What waits on a person in an open call (states/todo.py, ``coop todo``): the officers' steps by state, and the
committee's declarations and scores. Light on purpose: it names states, events and messages, and loads no machine;
each step's basis is the machine's.

An offer's steps wait only while its call allows them (``during``): an offer is reviewed formally once the offers
have closed (the call in formal review; before, it is only received), and its contract is signed once the results
are published (the call's ``sign_contract``)."""

from kernel.text import tr
from states.procedures.descriptor import CommitteeWaiting, Waiting
from states.procedures.open_call.names import CallState, OfferState

REVIEWING = (CallState.formal_review,)
CONTRACTING = (CallState.results_published, CallState.in_execution)

STEPS = (
    Waiting("open_call", CallState.formal_review, tr("Finish the formal review of the offers"), "review_offer",
            deadline="correction_end"),
    Waiting("open_call", CallState.selected, tr("Publish the results in the three channels"), "publish_results"),
    Waiting("offer", OfferState.received, tr("Review the offer formally"), "accept_formally", during=REVIEWING),
    Waiting("offer", OfferState.correction_requested, tr("Review the corrected offer"), "accept_formally",
            deadline="correction_end", during=REVIEWING),
    Waiting("offer", OfferState.selected, tr("Sign the contract"), "sign_contract", during=CONTRACTING),
    Waiting("offer", OfferState.report_submitted, tr("Review the report"), "accept_report"),
    Waiting("offer", OfferState.report_overdue, tr("Call for the overdue report"), "report_overdue",
            deadline="report_due"),
    Waiting("offer", OfferState.report_accepted, tr("Settle the grant"), "settle"),
)

COMMITTEE = CommitteeWaiting("open_call", CallState.substantive_review, OfferState.formally_accepted,
                             declare=tr("Declare conflicts of interest for the call's offers"),
                             score=tr("Score the offer"))
