"""The consultation of draft acts with organisations and the Public Benefit Council (art. 5 ust. 5, art. 41i)."""

from states.access import COMMENTERS, EVERYONE, OFFICER
from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="consultation", title="Konsultacje projektów aktów / consultation (art. 5, 41i)", code_prefix="KO", package=__name__,
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
)
