"""What waits on an officer in regranting (states/todo.py, ``coop todo``): the operator's open call, its
sub-call for implementers (art. 16a; its state in the case's data) and the micro-grants. Light on purpose: it names
states, events and messages, and loads no machine; each step's basis is the machine's.

The operator's call runs the open call's machine, so its steps are the open call's (the same ``during``). The
sub-call starts once the operator's contract runs (the call in execution): the officer records its announcement,
the published choice of implementers and their contracts (the first makes it ``implementing``), then the
operator's report on them, due when the operator's contract has its report due (its offer's ``report_due`` row),
and its review (sent back for corrections, the sub-call implements again and the report waits again)."""

from kernel.text import tr
from states.procedures.descriptor import CommitteeWaiting, Waiting
from states.procedures.open_call.names import CallState, OfferState
from states.procedures.open_call.waiting import CONTRACTING, REVIEWING, call_steps
from states.procedures.regranting import SUB_CALL
from states.procedures.regranting.names import MicroGrantState, SubCallState

SUB_CALL_RUNS = SUB_CALL.during  # the descriptor's: the desk offers the sub-call's steps in the same states

STEPS = (
    *call_steps("regranting"),
    Waiting("offer", OfferState.received, tr("Review the offer formally"), "accept_formally", during=REVIEWING),
    Waiting("offer", OfferState.correction_requested, tr("Review the corrected offer"), "accept_formally",
            deadline="correction_end", during=REVIEWING),
    Waiting("offer", OfferState.selected, tr("Sign the contract"), "sign_contract", during=CONTRACTING),
    Waiting("regranting", None, tr("Record the operator's call for implementers"), "announce_sub_call",
            machine="SubCallMachine", track="sub_call", during=SUB_CALL_RUNS),
    Waiting("regranting", SubCallState.planned, tr("Record the operator's call for implementers"),
            "announce_sub_call", machine="SubCallMachine", track="sub_call", during=SUB_CALL_RUNS),
    Waiting("regranting", SubCallState.announced, tr("Record the operator's published choice of implementers"),
            "publish_selection", machine="SubCallMachine", track="sub_call", during=SUB_CALL_RUNS),
    Waiting("regranting", SubCallState.selection_published, tr("Record the implementers' contracts"),
            "start_implementing", machine="SubCallMachine", track="sub_call", during=SUB_CALL_RUNS),
    Waiting("regranting", SubCallState.implementing, tr("Record the operator's report"), "submit_operator_report",
            machine="SubCallMachine", track="sub_call", during=SUB_CALL_RUNS, deadline="report_due"),
    # regranting's own review of it (review_operator_report): accepted, or sent back to be filed again
    Waiting("offer", OfferState.report_submitted, tr("Review the operator's report"), "accept_report"),
    Waiting("micro_grant", MicroGrantState.contracted, tr("Transfer the funds to the grantee"), "transfer",
            deadline="regranting.transfer_due"),
    Waiting("micro_grant", MicroGrantState.transfer_overdue, tr("Transfer the funds to the grantee"), "transfer",
            deadline="regranting.transfer_due"),
    Waiting("micro_grant", MicroGrantState.report_submitted, tr("Settle the micro-grant"), "settle"),
)

COMMITTEE = CommitteeWaiting("regranting", CallState.substantive_review, OfferState.formally_accepted,
                             declare=tr("Declare conflicts of interest for the call's offers"),
                             score=tr("Score the offer"))
