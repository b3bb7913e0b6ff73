"""The small grant outside competition (art. 19a): offer, publication and comments, decision, contract, report,
settlement."""

from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="small_grant", title="Tryb pozakonkursowy / small grant (art. 19a)", code_prefix="MG", package=__name__,
    machines={"small_grant": "SmallGrantMachine"},
    diagrams=(Diagram("small-grant", "Tryb pozakonkursowy / small grant (art. 19a)", "SmallGrantMachine"),),
    has_compliance=True,
)
