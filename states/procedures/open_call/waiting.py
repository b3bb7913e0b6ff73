"""What waits on a person in an open call (states/todo.py, ``coop todo``): the officers' steps by state, and the
committee's declarations and scores. Light on purpose: it names states, events and messages, and loads no machine;
each step's basis is the machine's.

An offer's steps wait only while its call allows them (``during``): an offer is reviewed formally once the offers
have closed (the call in formal review; before, it is only received), and its contract is signed once the results
are published (the call's ``sign_contract``).

A call in formal review with no committee waits for one (art. 15 ust. 2a: the review cannot finish without it,
so it is due when the review may finish, the corrections' end; the machine lets no call reach scoring without
one, nor appoint a member then). Once every offer is scored, the selection waits, due on the selection date
the announcement names (art. 13 ust. 2 pkt 6)."""

from kernel.text import tr
from states.procedures.descriptor import CommitteeWaiting, Waiting
from states.procedures.open_call.names import CallState, OfferState

REVIEWING = (CallState.formal_review,)
CONTRACTING = (CallState.results_published, CallState.in_execution)

SCORING_DONE = (OfferState.formally_accepted,)  # no offer still waits for its scores


def call_steps(kind: str) -> tuple[Waiting, ...]:
    """The steps of a call's own (the open call's, and a regranting operator's call, which runs its machine)."""
    return (
        Waiting(kind, CallState.formal_review, tr("Appoint the call's committee"), "appoint_member",
                deadline="correction_end", no_committee=True),
        Waiting(kind, CallState.formal_review, tr("Finish the formal review of the offers"), "review_offer",
                deadline="correction_end"),
        Waiting(kind, CallState.substantive_review, tr("Select the offers and their grants"), "select_offers",
                no_offer_in=SCORING_DONE, due_day="selection_date"),
        Waiting(kind, CallState.selected, tr("Publish the results in the three channels"), "publish_results"),
    )


STEPS = (
    *call_steps("open_call"),
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
