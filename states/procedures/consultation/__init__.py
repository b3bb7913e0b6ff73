"""The consultation of draft acts with organisations and the Public Benefit Council (art. 5 ust. 5, art. 41i)."""

from states.access import COMMENTERS, EVERYONE, OFFICER
from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="consultation", title="Konsultacje projektów aktów / consultation (art. 5, 41i)", code_prefix="KO", package=__name__,
    order=30,  # the registry's order (states/procedures/__init__.py)
    machines={"consultation": "ConsultationMachine"},
    diagrams=(Diagram("consultation", "Konsultacje projektów aktów / consultation (art. 5, 41i)", "ConsultationMachine"),),
    has_compliance=True,
    # who may run its commands (states/authorization.py enforces them; docs/authorization.md shows them)
    access={
        "create": OFFICER,
        "open_consultation": OFFICER,
        "add_comment": COMMENTERS,
        "rdpp_opinion": OFFICER,
        "publish_report": OFFICER,
        "send_to_council": OFFICER,
        "adopt": OFFICER,
        "show": EVERYONE,
    },
    # the machine events each command fires or is first gated by (descriptor.py ``events``: the desk's steps)
    events={
        "open_consultation": ("open_consultation",),
        "add_comment": ("comment",),
        # no event of its own (art. 41i): the Council's opinion comes while the comments run or the report waits
        # on it (the report's ``rdpp_settled``); its 14-day row decides the rest, in the handler
        "rdpp_opinion": ("comment", "publish_report"),
        "publish_report": ("publish_report",),
        "send_to_council": ("send_to_council",),
        "adopt": ("adopt",),
    },
    reads=("show",),
    off_case=("create",),
)
