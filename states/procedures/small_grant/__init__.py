"""The small grant outside competition (art. 19a): offer, publication and comments, decision, contract, report,
settlement."""

from states.access import ANY, COMMENTERS, EVERYONE, OFFICER, ORGANISATION
from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="small_grant", title="Tryb pozakonkursowy / small grant (art. 19a)", code_prefix="MG", package=__name__,
    order=20,  # the registry's order (states/procedures/__init__.py)
    machines={"small_grant": "SmallGrantMachine"},
    diagrams=(Diagram("small-grant", "Tryb pozakonkursowy / small grant (art. 19a)", "SmallGrantMachine"),),
    has_compliance=True,
    # who may run its commands (states/authorization.py enforces them; docs/authorization.md shows them)
    access={
        "file_offer": OFFICER,
        # the organisation's representative files the model form itself (issue 22); the officer may for it
        "file_offer_form": {"officer": ANY, "applicant": ORGANISATION},
        "show": EVERYONE,
        "show_budget": EVERYONE,
        "publish_offer": OFFICER,
        "record_budget": OFFICER,
        "add_comment": COMMENTERS,
        "consider_comment": OFFICER,
        "decide": OFFICER,
        "sign_contract": OFFICER,
        "submit_report": OFFICER,
        # the organisation's representative files the simplified report itself (issue 22); the officer may for it
        "file_report_form": {"officer": ANY, "applicant": ORGANISATION},
        "review_report": OFFICER,
        "settle": OFFICER,
    },
    # the machine events each command fires or is first gated by (descriptor.py ``events``: the desk's steps)
    events={
        "publish_offer": ("publish",),
        "add_comment": ("comment",),
        "consider_comment": ("consider_comment",),
        "decide": ("decide",),
        "sign_contract": ("sign_contract",),
        "submit_report": ("submit_report",),
        "file_report_form": ("submit_report",),
        "review_report": ("accept_report", "request_report_corrections"),
        "settle": ("settle",),
    },
    reads=("show", "show_budget"),
    off_case=("file_offer", "file_offer_form", "record_budget"),  # filing makes the case; the budget is the year's, of no case
)
