"""The desk's page of one offer (issue 22): what the organisation filed on the model form, for the officer, the
auditor and the call's committee, which review and score it.

| route | page |
|---|---|
| ``GET /sprawy/{code}/oferty/{n}?wersja=V`` | version V (the latest unless asked) section by section, its receipt and the versions |
| ``GET /sprawy/{code}/oferty/{n}/pdf?wersja=V`` | that version as PDF (notifications/offer_pdf.py, the same as the receipt's) |

Both read through ``states.engine.execute`` as the session's person: ``offer_versions`` and ``offer_receipt``
(states/offer_filings.py) are allowed to officers, auditors, the offer's organisation and the call's own committee
members (states/authorization.py ``FILED_OFFER``); anyone else is refused with the rule's reason. The labels are
the portal form's (web/portal_form.py ``filed_sections`` over the same tree), so the desk and the portal name a
field the same way. An offer an officer recorded from paper has no version: the page says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError
from web.portal_steps import desk_refused, download, read, version_asked
from web.security import require_actor
from web.templating import page

router = APIRouter()


def offer_path(code: str, number: int) -> str:
    return f"/sprawy/{code}/oferty/{number}"


@router.get("/sprawy/{code:path}/oferty/{number:int}")
def offer_page(request: Request, code: str, number: int, wersja: str = "",
               actor: Actor = Depends(require_actor)) -> Response:
    from states.offer_filings import OfferVersionsRef, offer_versions
    from web.portal_attachments import filed_links
    from web.portal_form import filed_sections
    from web.portal_offers import TREE
    from web.portal_small_grant import tree_of

    try:
        filed = read(request, offer_versions, OfferVersionsRef(code=code, number=number), actor)
    except DomainError as refusal:
        return desk_refused(request, refusal)
    versions = filed["versions"]
    asked = version_asked(wersja)
    shown: dict[str, Any] | None = versions[-1] if versions else None
    if asked is not None and versions:
        shown = next((v for v in versions if v["version"] == asked), None)
        if shown is None:  # the read's own refusal, which names the versions there are
            from states.offer_filings import ReceiptRef, offer_receipt

            try:
                read(request, offer_receipt, ReceiptRef(code=code, number=number, version=asked), actor)
            except DomainError as refusal:
                return desk_refused(request, refusal)
    base = offer_path(filed["code"], number)
    return page(request, "desk_offer.html", title=tr("Offer no. {number} in {code}", number=number,
                                                      code=filed["code"]),
                filed=filed, shown=shown, versions=versions, base=base, case_url=f"/sprawy/{filed['code']}",
                sections=filed_sections(tree_of(shown["content"], TREE), shown["content"]) if shown else [],
                files=filed_links(base, shown["version"], shown["content"]) if shown else [])


@router.get("/sprawy/{code:path}/oferty/{number:int}/pdf")
def offer_pdf_file(request: Request, code: str, number: int, wersja: str = "",
                   actor: Actor = Depends(require_actor)) -> Response:
    from notifications.offer_pdf import offer_pdf
    from states.offer_filings import ReceiptRef, offer_receipt

    try:
        receipt = read(request, offer_receipt, ReceiptRef(code=code, number=number, version=version_asked(wersja)),
                       actor)
    except DomainError as refusal:
        return desk_refused(request, refusal)
    return download(offer_pdf(receipt["content"], receipt), "oferta", receipt["number"], "pdf")
