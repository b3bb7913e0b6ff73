"""The local-initiative applications filed by residents or an organisation themselves, through the portal (issue
22; art. 19b-19h): their rows (models/procedures/local_initiative.py) and receipts. The commands are the procedure's
(handlers.py ``file_residents_application``, ``file_organisation_application``, ``initiative_receipt``,
``my_initiatives``, ``application_facts``): the application on its form (states/model_forms/initiative.py) is
received by the procedure's own ``receive`` (the one place the filing's rules are checked, as for an officer's paper
``file``), its content kept as version 1 with its SHA-256, receipt number and moment of receipt, the hash and the
receipt in the case's audit record of the filing, so the hash-chained history proves what was filed.

Who files (the authorization matrix, the descriptor's ``access``):

- ``file_residents_application``: any logged-in person (role ``public``, or ``applicant`` for a representative who
  files for a group of residents): the Act gives the initiative to the residents directly (art. 19b ust. 1), and no
  organisation, grant or confirmation by the office stands between them; the person filing is the group's contact;
- ``file_organisation_application``: the representative of the organisation named (relation ``organisation``).

The actor is the authenticated person (DESIGN inv. 9); ``filed_by`` keeps their login, and the relation ``filer``
(states/access.py) lets that person (or a representative of the organisation it was filed for), beside the
officers and the auditors, read the receipt.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from models.procedures.local_initiative import InitiativeFiling
from models.tables import Case


def receipt_number(code: str, version: int) -> str:
    return f"{code}-{version}"


# --- the reads ---------------------------------------------------------------------------------------------------


def receipt_of(session, case: Case, row: InitiativeFiling) -> dict[str, Any]:
    """One version's receipt with the content it proves (the keys notifications/initiative_pdf.py takes); who filed
    it by login and by the people registry's name, as an offer's (states/offer_filings.py)."""
    from states.people import person_name

    return {"number": row.receipt, "received_at": row.received_at.isoformat(), "sha256": row.sha256,
            "case_code": case.code, "case_title": case.title, "version": row.version, "state": case.state,
            "filed_by": row.filed_by, "filed_by_name": person_name(session, row.filed_by), "content": row.content}


def versions_of(session, case: Case) -> list[InitiativeFiling]:
    return list(session.exec(select(InitiativeFiling).where(InitiativeFiling.case_id == case.id)
                             .order_by(InitiativeFiling.version)))


def receipt_by_number(session, number: str) -> dict[str, Any] | None:
    """A receipt by its number (the e-mail's attachment, notifications/attachments.py), or None."""
    found = session.exec(select(InitiativeFiling, Case).join(Case, Case.id == InitiativeFiling.case_id)
                         .where(InitiativeFiling.receipt == number)).first()
    return receipt_of(session, found[1], found[0]) if found else None
