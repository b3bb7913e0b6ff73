"""The open call for offers (art. 11-15 of the Act on public benefit activity): the call, its committee, the
offers, their contracts, reports and settlement. Regranting's operator is chosen by an open call too."""

from states.procedures.descriptor import Diagram, Procedure

PROCEDURE = Procedure(
    slug="open_call", title="Otwarty konkurs ofert / open call (art. 11-15)", code_prefix="OK", package=__name__,
    machines={"open_call": "OpenCallMachine", "offer": "OfferMachine"},
    diagrams=(Diagram("open-call", "Otwarty konkurs ofert / open call (art. 11-15)", "OpenCallMachine"),
              Diagram("offer", "Oferta w konkursie / an offer in an open call", "OfferMachine")),
    has_compliance=True,
)
