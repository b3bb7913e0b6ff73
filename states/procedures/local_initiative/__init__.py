"""The local initiative of residents or organisations (art. 19b-19h): application, check, evaluation, decision,
plan, purchases, the report and its review."""

from states.access import ANY, AUDITORS, COMMITTEE, EVERYONE, FILER, OFFICER, ORGANISATION
from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="local_initiative", title="Inicjatywa lokalna / local initiative (art. 19b-19h)", code_prefix="IL", package=__name__,
    order=40,  # the registry's order (states/procedures/__init__.py)
    machines={"local_initiative": "LocalInitiativeMachine"},
    diagrams=(Diagram("local-initiative", "Inicjatywa lokalna / local initiative (art. 19b-19h)", "LocalInitiativeMachine"),),
    # who may run its commands (states/authorization.py enforces them; docs/authorization.md shows them)
    access={
        "file": OFFICER,
        "formal_check": OFFICER,
        "evaluate": COMMITTEE,
        "decide": OFFICER,
        "plan": OFFICER,
        "sign_contract": OFFICER,
        "record_purchase": OFFICER,
        "submit_report": OFFICER,
        "review_report": OFFICER,
        "close": OFFICER,
        "show": EVERYONE,
        # the portal (filing.py): any logged-in person files for a group of residents, directly (art. 19b ust. 1:
        # no organisation or grant is needed), and is the group's contact; a representative files for their own
        # organisation; the receipt is read by whoever filed it (or represents its organisation), the officers
        # and the auditors; each person lists what they filed
        "file_residents_application": {"public": ANY, "applicant": ANY},
        "file_organisation_application": {"applicant": ORGANISATION},
        "initiative_receipt": {**AUDITORS, "applicant": FILER, "public": FILER},
        "my_initiatives": {"public": ANY, "applicant": ANY, "officer": ANY},
        "application_facts": {"public": ANY, "applicant": ANY, "officer": ANY},
        # the report on its form (issue 22): filed and read by the initiative's applicant (``filer``: whoever filed
        # the application through the portal, or a representative of its organisation); an officer may file it for
        # them; the officers and the auditors read every one
        "file_report_form": {"officer": ANY, "applicant": FILER, "public": FILER},
        "initiative_reports": {**AUDITORS, "applicant": FILER, "public": FILER},
        "initiative_report_receipt": {**AUDITORS, "applicant": FILER, "public": FILER},
        # an application typed in from paper has no filer: the officer names the portal account representing the
        # residents' group (handlers.py ``name_representative``), who then files the report through the portal
        "name_representative": OFFICER,
    },
    # the machine events each command fires or is first gated by (descriptor.py ``events``: the desk's steps)
    events={
        "formal_check": ("pass_formal_check", "fail_formal_check"),
        "evaluate": ("evaluate",),
        "decide": ("decide",),
        "plan": ("plan",),
        "sign_contract": ("sign_contract",),
        "record_purchase": ("city_purchase",),
        "submit_report": ("submit_report",),
        "file_report_form": ("submit_report",),
        "review_report": ("accept_report", "request_report_corrections"),
        "close": ("close",),
        # no event of its own: offered while the initiative runs, up to its report (the handler reads this list)
        "name_representative": ("pass_formal_check", "evaluate", "decide", "plan", "sign_contract", "submit_report"),
    },
    reads=("show", "initiative_receipt", "my_initiatives", "application_facts", "initiative_reports",
           "initiative_report_receipt"),
    off_case=("file", "file_residents_application", "file_organisation_application"),
)
