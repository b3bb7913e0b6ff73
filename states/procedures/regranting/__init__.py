"""Regranting (art. 16a): an operator chosen by an open call runs its own sub-call and grants micro-grants."""

from kernel.text import tr
from states.access import EVERYONE, OFFICER
from states.procedures.descriptor import Borrowed, DataTrack, Diagram, Instead, Procedure

# The operator's sub-call (SubCallMachine), its state in the case's data, runs once the operator's contract does:
# while its call (the open call's machine) is in execution. The state's stored value, written here so that the
# registry loads no module of any procedure (invariant 5); tests/test_desk_regranting.py holds it to CallState.
SUB_CALL = DataTrack("regranting", "sub_call", during=("in_execution",))

# The operator is chosen by an ordinary open call (art. 16a ust. 1): its case runs these open-call commands as
# they are (`coop call|committee|offer|contract|report ... RG/...`; the desk offers them on its page), except
# those this procedure replaces, which the one writer refuses on its cases (states/authorization.py).
OPERATORS_CALL = Borrowed(
    "open_call",
    ("announce_call", "appoint_member", "declare_conflicts", "file_offer", "review_offer", "finish_formal_review",
     "score_offer", "show_ranking", "select_offers", "publish", "withdraw_offer", "sign_contract",
     # the operator is chosen by an ordinary open call (art. 16a): it files on the model form and answers a correction
     "file_offer_form", "correct_offer_form"),
    instead={
        # makes a call of kind regranting (the open call's makes an open call, never a regranting case)
        "create_call": Instead("create", tr("it makes a call whose operator runs a sub-call for implementers"),
                               "art. 16a ust. 1", "coop regrant create"),
        "submit_report": Instead("operator_report", tr("the operator's report lists every implementer, read from "
                                                       "its micro-grants"),
                                 "art. 16a; art. 18 ust. 1", "coop regrant report"),
        "file_report_form": Instead("operator_report", tr("the operator's report lists every implementer, read "
                                                          "from its micro-grants"),
                                    "art. 16a; art. 18 ust. 1", "coop regrant report"),
        "settle_offer": Instead("settle_operator", tr("the operator is settled only once every micro-grant is "
                                                      "settled"),
                                "art. 16a; ufp art. 251-252", "coop regrant settle"),
        "review_report": Instead("review_operator_report", tr("a correction sends the operator's sub-call back to its "
                                                              "micro-grants, so the operator reports again with the "
                                                              "list of implementers"),
                                 "art. 16a; art. 18 ust. 1", "coop regrant review"),
    },
)

PROCEDURE = Procedure(
    slug="regranting", title="Regranting (art. 16a)", code_prefix="RG", package=__name__,
    order=50,  # the registry's order (states/procedures/__init__.py)
    machines={"regranting": "OpenCallMachine", "micro_grant": "MicroGrantMachine"},
    diagrams=(Diagram("regranting-sub-call", "Regranting: nabór operatora / the operator's sub-call (art. 16a)", "SubCallMachine"),
              Diagram("micro-grant", "Regranting: mikrodotacja / a micro-grant (art. 16a)", "MicroGrantMachine")),
    # who may run its commands (states/authorization.py enforces them; docs/authorization.md shows them)
    access={
        "create": OFFICER,
        "transfer": OFFICER,
        "announce_sub_call": OFFICER,
        "publish_selection": OFFICER,
        "add_micro_grant": OFFICER,
        "micro_report": OFFICER,
        "settle_micro": OFFICER,
        "operator_report": OFFICER,
        "review_operator_report": OFFICER,
        "settle_operator": OFFICER,
        "show": EVERYONE,
    },
    # the machine events each command fires or is first gated by (descriptor.py ``events``: the desk's steps);
    # the operator's case runs OpenCallMachine, its sub-call SubCallMachine (in the case's data), each
    # micro-grant is a case of its own (MicroGrantMachine)
    events={
        "transfer": ("MicroGrantMachine.transfer",),
        "announce_sub_call": ("SubCallMachine.announce_sub_call",),
        "publish_selection": ("SubCallMachine.publish_selection",),
        # an implementer's contract, once the selection is published and until the operator reports
        "add_micro_grant": ("SubCallMachine.start_implementing", "SubCallMachine.submit_operator_report"),
        "micro_report": ("MicroGrantMachine.submit_report",),
        "settle_micro": ("MicroGrantMachine.settle",),
        "operator_report": ("SubCallMachine.submit_operator_report",),
        # the office's review of it: the operator's offer's and its sub-call's (corrections: back to implementing)
        "review_operator_report": ("OfferMachine.accept_report", "OfferMachine.request_report_corrections"),
        # the operator's offer, once its report is accepted (then the call, once all are: the call's settle)
        "settle_operator": ("OfferMachine.settle",),
    },
    reads=("show",),
    off_case=("create",),
    data_tracks={"SubCallMachine": SUB_CALL},
    borrows=(OPERATORS_CALL,),
)
