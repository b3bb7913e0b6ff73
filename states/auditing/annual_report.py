"""The annual report on the cooperation programme (art. 5a ust. 3: to the council and BIP by 31 May).

Generated from the data only: ``annual_figures`` gathers the numbers for one year, ``render_markdown`` writes
them in Polish. Procedures whose tables are not in the database yet are reported as "brak danych", never as
an error. A case belongs to the year in which it was opened (Warsaw calendar).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from models.tables import Case, CommitteeMember, Contract, Offer, Organisation
from states import calendar
from states.auditing.compliance import cases_of_year
from states.engine import Context
from states.errors import InvalidInput
from states.text import tr

NO_DATA = "brak danych"
PROCEDURES = {
    "open_call": "Otwarty konkurs ofert (art. 11–15)",
    "small_grant": "Tryb pozakonkursowy – małe granty (art. 19a)",
    "local_initiative": "Inicjatywa lokalna (art. 19b–19h)",
    "regranting": "Regranting (art. 16a)",
    "micro_grant": "Mikrodotacje w regrantingu (art. 16a)",
    "consultation": "Konsultacje aktów prawa miejscowego (art. 5 ust. 5)",
}


def pln(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",") + " zł"


def hours(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _empty() -> dict:
    return {"cases": 0, "offers": 0, "grants": 0, "amount": Decimal("0.00")}


def case_totals(session: Session, case: Case) -> tuple[int, int, Decimal]:
    """(offers or applications, grants, granted amount) of one case, from the tables of its procedure."""
    from models.procedures.local_initiative import LocalInitiativeApplication
    from models.procedures.regranting import MicroGrant
    from models.procedures.small_grant import SmallGrantOffer

    if case.kind == "small_grant":
        offers = list(session.exec(select(SmallGrantOffer).where(SmallGrantOffer.case_id == case.id)))
        granted = [o.granted_amount for o in offers if o.granted_amount]
        return len(offers), len(granted), sum(granted, Decimal("0.00"))
    if case.kind == "local_initiative":  # art. 19e: the city buys itself, no grant is transferred
        return len(list(session.exec(select(LocalInitiativeApplication.id)
                                     .where(LocalInitiativeApplication.case_id == case.id)))), 0, Decimal("0.00")
    micro = list(session.exec(select(MicroGrant).where(MicroGrant.case_id == case.id)))
    if micro:
        return 0, len(micro), sum((m.amount for m in micro), Decimal("0.00"))
    offers = len(list(session.exec(select(Offer.id).where(Offer.case_id == case.id))))
    contracts = list(session.exec(select(Contract.amount).where(Contract.case_id == case.id)))
    return offers, len(contracts), sum(contracts, Decimal("0.00"))


def annual_figures(session: Session, year: int) -> dict:
    cases = cases_of_year(session, year)
    by_kind: dict[str, dict] = {kind: _empty() for kind in PROCEDURES}
    by_area: dict[str, dict] = defaultdict(_empty)
    ngo_seats = calls_with_ngo_members = 0
    for case in cases:
        offers, grants, granted = case_totals(session, case)
        for bucket in (by_kind.setdefault(case.kind, _empty()), by_area[case.task_area or "(nie wskazano)"]):
            bucket["cases"] += 1
            bucket["offers"] += offers
            bucket["grants"] += grants
            bucket["amount"] += granted
        seats = len(list(session.exec(select(CommitteeMember.id).where(CommitteeMember.case_id == case.id,
                                                                       CommitteeMember.affiliation == "ngo"))))
        ngo_seats += seats
        calls_with_ngo_members += bool(seats)
    organisations = len(list(session.exec(select(Organisation.id))))
    figures = {
        "year": year,
        "due": date(year + 1, 5, 31),
        "by_procedure": by_kind,
        "by_area": dict(sorted(by_area.items())),
        "non_financial": {
            "organisations_in_registry": organisations,
            "ngo_committee_seats": ngo_seats,
            "calls_with_ngo_members": calls_with_ngo_members,
        },
    }
    figures.update(procedure_sections(session, year, cases, by_kind))
    return figures


def _rows(session: Session, table, column, ids: list[int]) -> list:
    return list(session.exec(select(table).where(column.in_(ids)))) if ids else []


def procedure_sections(session: Session, year: int, cases: list[Case], by_kind: dict[str, dict]) -> dict:
    """The other procedures' own figures, from their table modules (models/procedures/); what nobody recorded is None
    ("brak danych")."""
    from models.procedures.consultation import ConsultationComment
    from models.procedures.local_initiative import (
        LocalInitiativeApplication,
        LocalInitiativeCost,
        LocalInitiativePurchase,
    )
    from models.procedures.regranting import MicroGrant
    from models.procedures.small_grant import SmallGrantOffer, SmallGrantYear
    from states.rulebook import find_rule_set

    ids = {kind: [c.id for c in cases if c.kind == kind] for kind in PROCEDURES}

    small = _rows(session, SmallGrantOffer, SmallGrantOffer.case_id, ids["small_grant"])
    granted = [o for o in small if o.granted_amount]
    small_amount = sum((o.granted_amount for o in granted), Decimal("0.00"))
    ledger = session.get(SmallGrantYear, year)
    ceiling = (ledger.planned_ngo_grants * find_rule_set(session, None).small_grant.yearly_share).quantize(Decimal("0.01")) \
        if ledger else None

    initiatives = _rows(session, LocalInitiativeApplication, LocalInitiativeApplication.case_id, ids["local_initiative"])
    costs = _rows(session, LocalInitiativeCost, LocalInitiativeCost.case_id, ids["local_initiative"])
    purchases = _rows(session, LocalInitiativePurchase, LocalInitiativePurchase.case_id, ids["local_initiative"])

    every_id = [c.id for c in cases]
    micro = _rows(session, MicroGrant, MicroGrant.operator_case_id, every_id)
    comments = _rows(session, ConsultationComment, ConsultationComment.case_id, ids["consultation"])
    return {
        "small_grants": {"count": len(granted), "filed": len(small), "amount": small_amount, "ceiling": ceiling},
        "local_initiatives": {
            "count": by_kind["local_initiative"]["cases"], "applications": len(initiatives),
            "work_hours": sum((c.hours or Decimal(0) for c in costs if c.party == "work"), Decimal("0.00")),
            "work_value": sum((c.amount for c in costs if c.party == "work"), Decimal("0.00")),
            "city_spent": sum((p.amount for p in purchases), Decimal("0.00")),
        },
        "regranting": {"operators": len({m.operator_case_id for m in micro}), "micro_grants": len(micro),
                       "amount": sum((m.amount for m in micro), Decimal("0.00"))},
        "consultations": {"count": by_kind["consultation"]["cases"], "comments": len(comments),
                          "answered": sum(1 for c in comments if c.answer),
                          "accepted": sum(1 for c in comments if c.answer in ("accepted", "partly_accepted"))},
    }


def render_markdown(f: dict, generated_on: date) -> str:
    year = f["year"]
    lines = [
        f"# Sprawozdanie z realizacji programu współpracy z organizacjami pozarządowymi za rok {year}",
        "",
        f"Podstawa: art. 5a ust. 3 ustawy o działalności pożytku publicznego i o wolontariacie. "
        f"Termin przedłożenia radzie gminy i opublikowania w BIP: {f['due']:%d.%m.%Y}.",
        f"Zestawienie wygenerowane z danych systemu w dniu {generated_on:%d.%m.%Y}.",
        "",
        "## 1. Postępowania według trybu",
        "",
        "| Tryb | Postępowania | Oferty / wnioski | Dotacje (umowy) | Kwota dotacji |",
        "|---|---:|---:|---:|---:|",
    ]
    total = _empty()
    for kind, bucket in f["by_procedure"].items():
        lines.append(f"| {PROCEDURES.get(kind, kind)} | {bucket['cases']} | {bucket['offers']} | {bucket['grants']} | "
                     f"{pln(bucket['amount'])} |")
        for key in total:
            total[key] += bucket[key]
    lines += [f"| **Razem** | **{total['cases']}** | **{total['offers']}** | **{total['grants']}** | "
              f"**{pln(total['amount'])}** |", "", "## 2. Według obszaru zadań publicznych", ""]
    if f["by_area"]:
        lines += ["| Obszar | Postępowania | Oferty / wnioski | Dotacje (umowy) | Kwota dotacji |",
                  "|---|---:|---:|---:|---:|"]
        lines += [f"| {area} | {b['cases']} | {b['offers']} | {b['grants']} | {pln(b['amount'])} |"
                  for area, b in f["by_area"].items()]
    else:
        lines.append("Brak postępowań w tym roku: 0.")
    small = f["small_grants"]
    lines += ["", "## 3. Małe granty (art. 19a)", ""]
    share = (f"{(small['amount'] / small['ceiling'] * 100):.1f}% limitu {pln(small['ceiling'])} (art. 19a ust. 7)"
             if small["ceiling"] else f"{NO_DATA} (nie zapisano planowanych środków na dotacje)")
    lines.append(f"Złożone oferty: {small['filed']}; przyznane dotacje: {small['count']}; kwota: {pln(small['amount'])}; "
                 f"udział w limicie: {share}.")
    local = f["local_initiatives"]
    lines += ["", "## 4. Inicjatywa lokalna (art. 19b–19h)", "",
              f"Wnioski: {local['applications']}; godziny pracy społecznej mieszkańców: {hours(local['work_hours'])} "
              f"(wartość {pln(local['work_value'])}); zakupy miasta na rzecz inicjatyw: {pln(local['city_spent'])}."]
    regranting = f["regranting"]
    lines += ["", "## 5. Regranting (art. 16a)", "",
              f"Operatorzy: {regranting['operators']}; mikrodotacje: {regranting['micro_grants']}; "
              f"kwota mikrodotacji: {pln(regranting['amount'])}."]
    consult = f["consultations"]
    lines += ["", "## 6. Konsultacje (art. 5 ust. 2 pkt 3–4)", "",
              f"Konsultacje: {consult['count']}; uwagi: {consult['comments']}, w tym z odpowiedzią: {consult['answered']}, "
              f"uwzględnione w całości lub części: {consult['accepted']}."]
    nf = f["non_financial"]
    lines += ["", "## 7. Pozafinansowe formy współpracy", "",
              f"- Baza organizacji pozarządowych: {nf['organisations_in_registry']} organizacji w rejestrze.",
              f"- Przedstawiciele organizacji w komisjach konkursowych (art. 15 ust. 2a): miejsca: "
              f"{nf['ngo_committee_seats']}; konkursy z ich udziałem: {nf['calls_with_ngo_members']}.",
              f"- Konsultowanie projektów aktów normatywnych: {consult['count']} konsultacji.",
              "- Pozostałe formy z programu (patronat Prezydenta, lokale z zasobu gminy, promocja 1,5% podatku, "
              f"nagrody): {NO_DATA} — system ich nie rejestruje.", ""]
    return "\n".join(lines)


def annual_report(ctx: Context, year: int) -> dict:
    if not 2000 <= year <= 2100:
        raise InvalidInput("bad_year", tr("Invalid year {year}", year=year))
    figures = annual_figures(ctx.session, year)
    return {"year": year, "figures": figures,
            "markdown": render_markdown(figures, calendar.local_date(ctx.now))}
