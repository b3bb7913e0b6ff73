"""The local initiative of residents or organisations (art. 19b-19h): application, check, evaluation, decision,
plan, purchases and report."""

from states.access import COMMITTEE, EVERYONE, OFFICER
from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="local_initiative", title="Inicjatywa lokalna / local initiative (art. 19b-19h)", code_prefix="IL", package=__name__,
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
        "close": OFFICER,
        "show": EVERYONE,
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
        "close": ("close",),
    },
    reads=("show",),
    off_case=("file",),
)
