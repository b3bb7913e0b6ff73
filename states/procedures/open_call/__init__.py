"""The open call for offers (art. 11-15 of the Act on public benefit activity): the call, its committee, the
offers, their contracts, reports and settlement. Regranting's operator is chosen by an open call too."""

from states.access import ANY, COMMITTEE, EVERYONE, OFFICER, ORGANISATION
from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="open_call", title="Otwarty konkurs ofert / open call (art. 11-15)", code_prefix="OK", package=__name__,
    order=10,  # the registry's order (states/procedures/__init__.py)
    machines={"open_call": "OpenCallMachine", "offer": "OfferMachine"},
    diagrams=(Diagram("open-call", "Otwarty konkurs ofert / open call (art. 11-15)", "OpenCallMachine"),
              Diagram("offer", "Oferta w konkursie / an offer in an open call", "OfferMachine")),
    has_compliance=True,
    # who may run its commands (states/authorization.py enforces them; docs/authorization.md shows them)
    access={
        "create_call": OFFICER,
        "announce_call": OFFICER,
        "appoint_member": OFFICER,
        "declare_conflicts": COMMITTEE,
        "file_offer": OFFICER,
        # the organisation files its own offer on the model form (issue 22); the officer may file one for it
        "file_offer_form": {"officer": ANY, "applicant": ORGANISATION},
        "correct_offer_form": {"officer": ANY, "applicant": ORGANISATION},
        "review_offer": OFFICER,
        "finish_formal_review": OFFICER,
        "score_offer": COMMITTEE,
        "show_ranking": EVERYONE,
        "select_offers": OFFICER,
        "publish": OFFICER,
        "withdraw_offer": {"officer": ANY, "applicant": ORGANISATION},
        "sign_contract": OFFICER,
        "submit_report": OFFICER,
        # the organisation files its own report on the model form (issue 22); the officer may file one for it
        "file_report_form": {"officer": ANY, "applicant": ORGANISATION},
        "review_report": OFFICER,
        "settle_offer": OFFICER,
    },
    # the machine events each command fires or is first gated by (descriptor.py ``events``: the desk's steps)
    events={
        "announce_call": ("announce",),
        "appoint_member": ("appoint_member",),
        "declare_conflicts": ("declare_conflicts",),
        "file_offer": ("file_offer",),
        "file_offer_form": ("file_offer",),
        "correct_offer_form": ("OfferMachine.file_correction",),
        "review_offer": ("review_offer",),
        "finish_formal_review": ("finish_formal_review",),
        "score_offer": ("score",),
        "select_offers": ("select_offers",),
        "publish": ("publish_results", "publish_invalidation"),
        "withdraw_offer": ("OfferMachine.withdraw",),
        "sign_contract": ("sign_contract",),
        "submit_report": ("OfferMachine.submit_report",),
        "file_report_form": ("OfferMachine.submit_report",),
        "review_report": ("OfferMachine.accept_report", "OfferMachine.request_report_corrections"),
        "settle_offer": ("OfferMachine.settle",),
    },
    reads=("show_ranking",),
    off_case=("create_call",),
)
