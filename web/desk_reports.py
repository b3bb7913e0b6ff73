"""The desk's page of an offer's reports (issue 22): what the organisation filed on the model form of the report
(states/model_forms/report.py), for the officer who reviews it (``review_report``), the auditor and the call's
committee.

| route | page |
|---|---|
| ``GET /sprawy/{code}/oferty/{n}/sprawozdania?nr=K`` | the offer's contract and reports, report S<K> (the latest unless asked) part by part |
| ``GET /sprawy/{code}/oferty/{n}/sprawozdania/{k}/pdf`` | report S<k> as PDF (notifications/report_pdf.py, the same as the receipt's) |

Both read through ``states.engine.execute`` as the session's person (states/report_filings.py ``offer_reports`` and
``report_receipt``, allowed as an offer's filed form is: states/authorization.py ``FILED_OFFER``). The labels are
the portal form's (web/portal_form.py ``filed_sections`` over web/portal_reports.py's tree). A report an officer
typed in has no form: the page lists it with its summary.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError
from web.portal_steps import desk_refused
from web.security import require_actor
from web.templating import page

router = APIRouter()


def reports_path(code: str, number: int) -> str:
    return f"/sprawy/{code}/oferty/{number}/sprawozdania"


@router.get("/sprawy/{code:path}/oferty/{number:int}/sprawozdania")
def reports_page(request: Request, code: str, number: int, nr: str = "",
                 actor: Actor = Depends(require_actor)) -> Response:
    from states.engine import execute
    from states.report_filings import OfferReportsRef, offer_reports
    from web.portal_form import filed_sections
    from web.portal_reports import TREES

    try:
        facts = execute(offer_reports, OfferReportsRef(code=code, number=number), actor=actor,
                        url=request.app.state.desk.url, readonly=True)
    except DomainError as refusal:
        return desk_refused(request, refusal)
    on_form = [r for r in facts["reports"] if r["content"] is not None]
    asked = int(nr) if nr.isdigit() else None
    shown: dict[str, Any] | None = next((r for r in on_form if r["report"] == asked), None) if asked else (
        on_form[-1] if on_form else None)
    return page(request, "desk_reports.html", title=tr("Reports on offer no. {number} in {code}", number=number,
                                                        code=facts["code"]),
                facts=facts, shown=shown, base=reports_path(facts["code"], number),
                case_url=f"/sprawy/{facts['code']}", offer_url=(f"/sprawy/{facts['code']}/oferty/{number}"  # a small grant's paper offer has no such page
                           if facts["form"] == "report" or facts["offer_content"] is not None else None),
                sections=filed_sections(TREES[facts["form"]], shown["content"]) if shown else [])


@router.get("/sprawy/{code:path}/oferty/{number:int}/sprawozdania/{report:int}/pdf")
def report_pdf_file(request: Request, code: str, number: int, report: int,
                    actor: Actor = Depends(require_actor)) -> Response:
    from notifications.report_pdf import report_pdf
    from states.engine import execute
    from states.report_filings import ReportReceiptRef, report_receipt

    try:
        receipt = execute(report_receipt, ReportReceiptRef(code=code, number=number, report=report), actor=actor,
                          url=request.app.state.desk.url, readonly=True)
    except DomainError as refusal:
        return desk_refused(request, refusal)
    name = receipt["number"].replace("/", "-")
    return Response(report_pdf(receipt["content"], receipt), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="sprawozdanie-{name}.pdf"'})
