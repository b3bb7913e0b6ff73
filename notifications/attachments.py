"""What an e-mail carries beside its text: files made at send time from the rows the message names.

A message's row keeps its template's data, never a file: the attachment is made again from the engine's rows each
time the message is sent (a retry attaches the same bytes), so the outbox stays small and nothing is stored twice.
``ATTACHMENTS`` maps a template to the function making its files from the message's data; the dispatcher
(notifications/dispatcher.py) calls ``attachments_for`` before each send of an e-mail.

- ``offer_receipt``: the receipt of an offer filed on the model form as a PDF (notifications/offer_pdf.py), made
  from the filed version the message names by its receipt number (states/offer_filings.py): the content, the hash
  and the moment of receipt in the PDF are those the case's history holds.
- ``report_receipt``, ``small_grant_report_receipt``, ``initiative_report_receipt``: a report filed on its form
  (states/report_filings.py) as its PDF (notifications/report_pdf.py ``report_pdf``, which draws each form), made
  from the report row the message names by its receipt number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # maintype/subtype
    data: bytes


def _receipt_pdf(data: dict[str, Any], url: str | None, find: Callable[[Any, str], dict[str, Any] | None],
                 render: Callable[[dict[str, Any], dict[str, Any]], bytes]) -> list[Attachment]:
    """The receipt the message names (``payload.receipt``) as a PDF: ``find(session, number)`` reads the filed
    version, ``render(content, receipt)`` makes its PDF; none when the message names none or it is not found."""
    from models.db import run_in_transaction

    number = (data.get("payload") or {}).get("receipt")
    if not number:
        return []
    receipt = run_in_transaction(lambda uow: find(uow.session, number), url=url, readonly=True)
    if receipt is None:
        return []
    content = receipt.pop("content")
    name = "potwierdzenie-" + number.replace("/", "-") + ".pdf"
    return [Attachment(name, "application/pdf", render(content, receipt))]


def _offer_receipt(data: dict[str, Any], url: str | None) -> list[Attachment]:
    from notifications.offer_pdf import offer_pdf
    from states.offer_filings import receipt_by_number

    return _receipt_pdf(data, url, receipt_by_number, offer_pdf)


def _initiative_receipt(data: dict[str, Any], url: str | None) -> list[Attachment]:
    """The receipt of a local-initiative application filed through the portal (notifications/initiative_pdf.py)."""
    from notifications.initiative_pdf import initiative_pdf
    from states.procedures.local_initiative.filing import receipt_by_number

    return _receipt_pdf(data, url, receipt_by_number, initiative_pdf)


def _report_receipt(data: dict[str, Any], url: str | None) -> list[Attachment]:
    """The receipt of a report filed on its form: the model report, the simplified one or the initiative's."""
    from notifications.report_pdf import report_pdf
    from states.report_filings import receipt_by_number

    return _receipt_pdf(data, url, receipt_by_number, report_pdf)


ATTACHMENTS: dict[str, Callable[[dict[str, Any], str | None], list[Attachment]]] = {
    "offer_receipt": _offer_receipt,
    "small_grant_offer_receipt": _offer_receipt,  # a small grant's offer on the same form (art. 19a)
    "initiative_receipt": _initiative_receipt,
    **dict.fromkeys(("report_receipt", "small_grant_report_receipt", "initiative_report_receipt"), _report_receipt),
}


def attachments_for(message: dict[str, Any], url: str | None) -> list[Attachment]:
    """The files of one outbox row (a dict of its columns), made now; none for a template without any."""
    make = ATTACHMENTS.get(message["template"])
    if make is None or message.get("channel") != "email":
        return []
    return make(message.get("data") or {}, url)
