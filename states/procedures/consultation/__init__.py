"""The consultation of draft acts with organisations and the Public Benefit Council (art. 5 ust. 5, art. 41i)."""

from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="consultation", title="Konsultacje projektów aktów / consultation (art. 5, 41i)", code_prefix="KO", package=__name__,
    machines={"consultation": "ConsultationMachine"},
    diagrams=(Diagram("consultation", "Konsultacje projektów aktów / consultation (art. 5, 41i)", "ConsultationMachine"),),
    has_compliance=True,
)
