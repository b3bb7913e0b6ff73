"""A valid local-initiative application (states/model_forms/initiative.py) for the tests and the screenshots: a
group of residents plants a neighbours' garden; the city buys the soil and the benches, the residents give money,
tools and 240 hours of work."""

from __future__ import annotations

from typing import Any


def sample_initiative_form(**changes: Any) -> dict[str, Any]:
    return _changed({
        "applicant": {"kind": "residents", "group_name": "Mieszkańcy ul. Kurpińskiego",
                      "members": [{"name": "Krystyna Nowak", "address": "ul. Kurpińskiego 3, Leszno"},
                                  {"name": "Adam Lis", "address": "ul. Kurpińskiego 5, Leszno"},
                                  {"name": "Ewa Maj", "address": "ul. Kurpińskiego 7, Leszno"}]},
        "contact": {"name": "Krystyna Nowak", "email": "krystyna@example.org", "phone": "600 100 200"},
        "task": {"title": "Ogród sąsiedzki przy ul. Kurpińskiego", "sphere": "greenery",
                 "description": "Zagospodarowanie zieleńca na ogród sąsiedzki: rabaty, ławki, tablica.",
                 "benefit": "Miejsce spotkań dla mieszkańców osiedla, zwłaszcza seniorów i dzieci.",
                 "place": "działka 123/4, obręb Leszno", "property_owner": "Miasto Leszno"},
        "schedule": {"task_start": "2026-04-20", "task_end": "2026-06-04", "actions": [
            {"name": "Zakup ziemi i ławek", "start": "2026-04-20", "end": "2026-05-08", "done_by": "city"},
            {"name": "Sadzenie i malowanie", "start": "2026-05-09", "end": "2026-06-04", "done_by": "residents"}]},
        "costs": [
            {"name": "Ziemia, nasadzenia i ławki", "total": "18000.00", "from_city": "18000.00"},
            {"name": "Tablica informacyjna", "total": "1500.00", "from_own_cash": "1500.00"},
            {"name": "Narzędzia ogrodowe", "total": "800.00", "from_own_in_kind": "800.00"}],
        "work": {"description": "Sadzenie, malowanie ławek, sprzątanie terenu.", "people": "12", "hours": "240",
                 "hour_value": "35.00", "value": "8400.00"},
        "budget": {"total": "28700.00", "city": "18000.00", "own_cash": "1500.00", "own_in_kind": "800.00",
                   "own_work": "8400.00", "own_total": "10700.00"},
        "declarations": {"residents": True, "information_true": True, "personal_data": True},
    }, changes)


def _changed(form: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``form`` with each dotted path of ``changes`` ("costs.0.total") set to its value."""
    for path, value in changes.items():
        *parents, last = path.split(".")
        target: Any = form
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return form


def sample_ngo_initiative_form(krs: str, name: str = "Organizacja 1", **changes: Any) -> dict[str, Any]:
    form = sample_initiative_form(**changes)
    form["applicant"] = {"kind": "ngo", "organisation_name": name, "organisation_krs": krs, "members": []}
    return form


def sample_initiative_report(**changes: Any) -> dict[str, Any]:
    """The garden's report (states/model_forms/initiative_report.py): the agreement's period (planned 20 April - 4 June
    2026, agreement WSO.IL.1.2026), 260 hours of the residents' work, their tools and their money for the board."""
    return _changed({
        "header": {"period_start": "2026-04-20", "period_end": "2026-06-04",
                   "task_title": "Ogród sąsiedzki przy ul. Kurpińskiego", "applicants": "Mieszkańcy ul. Kurpińskiego",
                   "contract_number": "WSO.IL.1.2026"},
        "narrative": {"task_done": "Zieleniec zamieniony w ogród sąsiedzki: rabaty, cztery ławki, tablica.",
                      "results_achieved": "Ogród otwarty 4 czerwca; 12 rabat, 4 ławki, 60 osób na otwarciu.",
                      "not_done": ""},
        "contribution": {"work_description": "Sadzenie, malowanie ławek, sprzątanie terenu.", "people": "14",
                         "hours": "260", "in_kind": "800.00", "in_kind_description": "Narzędzia od Rady Osiedla",
                         "cash": "1500.00", "cash_description": "Tablica informacyjna"},
        "additional": {"remarks": ""},
        "report_declarations": {"information_true": True, "personal_data": True},
    }, changes)
