"""Open data: the results of calls and small grants (who got how much for what), as CSV and JSON for the city's website.

The format is a stable contract (docs/audit.md, "Open data"): the columns below, in this order, UTF-8,
amounts with two decimals and a dot, dates ISO 8601 (Warsaw calendar days), empty/null when unknown.
A new column may be appended in a new format version; a column is never renamed or removed.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import Session, select

from models.tables import AuditRecord, Case, Contract, Offer, Organisation, Publication
from states import calendar
from states.engine import Context
from states.errors import InvalidInput
from states.procedures.open_call.names import CallState, OfferState
from states.text import tr

FORMAT = "coop-open-data/1"
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("procedure", "text", "tryb: open_call (otwarty konkurs ofert) | small_grant (art. 19a)"),
    ("case_code", "text", "sygnatura postępowania, np. OK/2026/001"),
    ("call_title", "text", "tytuł konkursu"),
    ("task_area", "text", "obszar zadań publicznych"),
    ("organisation", "text", "nazwa organizacji"),
    ("krs", "text|null", "numer KRS (10 cyfr)"),
    ("task", "text", "tytuł zadania publicznego z oferty"),
    ("amount", "decimal(2)", "kwota dotacji w PLN: z umowy, a przed jej zawarciem przyznana"),
    ("decided_on", "date", "dzień wyboru ofert (art. 15 ust. 2g) lub decyzji o małym grancie (art. 19a ust. 5)"),
    ("published_on", "date|null", "dzień ogłoszenia wyników (ostatni z trzech kanałów, art. 15 ust. 2h); "
                                  "dla małego grantu: dzień publikacji oferty (art. 19a ust. 3)"),
    ("contract_signed_on", "date|null", "dzień zawarcia umowy"),
    ("task_start", "date|null", "początek realizacji zadania"),
    ("task_end", "date|null", "koniec realizacji zadania"),
)
PUBLISHED_STATES = (CallState.results_published, CallState.in_execution, CallState.settled)


def _decided_on(session: Session, case: Case) -> date | None:
    record = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id, AuditRecord.event == "select_offers")
                          .order_by(AuditRecord.seq.desc())).first()
    return calendar.local_date(record.at) if record else None


def _published_on(session: Session, case: Case) -> date | None:
    moments = list(session.exec(select(Publication.published_at).where(Publication.case_id == case.id,
                                                                         Publication.subject == "results")))
    return calendar.local_date(max(moments)) if moments else None


def open_call_rows(session: Session, year: int | None) -> list[dict]:
    rows = []
    calls = session.exec(select(Case).where(Case.kind == "open_call", Case.state.in_(PUBLISHED_STATES))
                         .order_by(Case.code))
    for case in calls:
        published_on = _published_on(session, case)
        if year is not None and (published_on is None or published_on.year != year):
            continue
        decided_on = _decided_on(session, case)
        offers = session.exec(select(Offer).where(Offer.case_id == case.id, Offer.granted_amount.is_not(None),
                                                  Offer.state != OfferState.withdrawn).order_by(Offer.number))
        for offer in offers:
            if not offer.granted_amount:
                continue
            org = session.get(Organisation, offer.organisation_id)
            contract = session.exec(select(Contract).where(Contract.offer_id == offer.id)).first()
            rows.append({
                "procedure": "open_call", "case_code": case.code, "call_title": case.title,
                "task_area": case.task_area, "organisation": org.name if org else "", "krs": org.krs if org else None,
                "task": offer.title, "amount": f"{(contract.amount if contract else offer.granted_amount):.2f}",
                "decided_on": decided_on.isoformat() if decided_on else None,
                "published_on": published_on.isoformat() if published_on else None,
                "contract_signed_on": calendar.local_date(contract.signed_at).isoformat() if contract else None,
                "task_start": (contract.task_start if contract else offer.task_start).isoformat()
                if (contract or offer.task_start) else None,
                "task_end": (contract.task_end if contract else offer.task_end).isoformat()
                if (contract or offer.task_end) else None,
            })
    return rows


def _recorded_on(session: Session, case: Case, event: str) -> date | None:
    record = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id, AuditRecord.event == event)
                          .order_by(AuditRecord.seq.desc())).first()
    return calendar.local_date(record.at) if record else None


def small_grant_rows(session: Session, year: int | None) -> list[dict]:
    """Granted small grants (art. 19a); ``published_on`` is the day the offer was published (art. 19a ust. 3)."""
    from models.procedures.small_grant import SmallGrantOffer

    rows = []
    granted = session.exec(select(SmallGrantOffer, Case).join(Case, Case.id == SmallGrantOffer.case_id)
                           .where(SmallGrantOffer.granted_amount.is_not(None)).order_by(Case.code))
    for offer, case in granted:
        decided_on = _recorded_on(session, case, "decide")
        if not offer.granted_amount or (year is not None and (decided_on is None or decided_on.year != year)):
            continue
        org = session.get(Organisation, offer.organisation_id)
        moments = list(session.exec(select(Publication.published_at).where(Publication.case_id == case.id,
                                                                             Publication.subject == "offer")))
        signed_on = _recorded_on(session, case, "sign_contract")
        rows.append({
            "procedure": "small_grant", "case_code": case.code, "call_title": case.title, "task_area": case.task_area,
            "organisation": org.name if org else "", "krs": org.krs if org else None, "task": offer.title,
            "amount": f"{offer.granted_amount:.2f}", "decided_on": decided_on.isoformat() if decided_on else None,
            "published_on": calendar.local_date(max(moments)).isoformat() if moments else None,
            "contract_signed_on": signed_on.isoformat() if signed_on else None,
            "task_start": offer.task_start.isoformat(), "task_end": offer.task_end.isoformat(),
        })
    return rows


ROW_SOURCES = [open_call_rows, small_grant_rows]


def results(ctx: Context, year: int | None = None) -> dict:
    if year is not None and not 2000 <= year <= 2100:
        raise InvalidInput("bad_year", tr("Invalid year {year}", year=year))
    rows = [row for source in ROW_SOURCES for row in source(ctx.session, year)]
    return {"format": FORMAT, "year": year, "generated_at": calendar.local_date(ctx.now).isoformat(),
            "columns": [name for name, _, _ in COLUMNS], "rows": rows}


def to_csv(data: dict) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[name for name, _, _ in COLUMNS], lineterminator="\n")
    writer.writeheader()
    for row in data["rows"]:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()
