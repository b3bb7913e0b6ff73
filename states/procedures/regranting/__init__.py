"""Regranting (art. 16a): an operator chosen by an open call runs its own sub-call and grants micro-grants."""

from states.access import EVERYONE, OFFICER
from states.procedures.descriptor import DataTrack, Diagram, Procedure

# The operator's sub-call (SubCallMachine), its state in the case's data, runs once the operator's contract does:
# while its call (the open call's machine) is in execution. The state's stored value, written here so that the
# registry loads no module of any procedure (invariant 5); tests/test_desk_regranting.py holds it to CallState.
SUB_CALL = DataTrack("regranting", "sub_call", during=("in_execution",))

PROCEDURE = Procedure(
    slug="regranting", title="Regranting (art. 16a)", code_prefix="RG", package=__name__,
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
        "settle_operator": ("settle",),  # the operator's offer, settled as the open call's (the call's settle)
    },
    reads=("show",),
    off_case=("create",),
    data_tracks={"SubCallMachine": SUB_CALL},
)
