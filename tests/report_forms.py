"""Valid reports on the model form (states/model_forms/report.py), for the tests of everything that files one.

``sample_report_form`` returns a VALID final report as the JSON dict an organisation files, for a contract of
``granted`` over ``task_start`` – ``task_end``: two cost lines (the grant pays the first and part of the second,
own means the rest), the sources adding up, the declarations accepted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def _m(value: Decimal | str) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def sample_report_form(*, granted: str = "40000.00", spent_grant: str | None = None, own: str = "5000.00",
                       task_start: str = "2026-04-01", task_end: str = "2026-07-16", kind: str = "final",
                       period_end: str | None = None, contract_number: str | None = "WZ.526.1.2026",
                       volunteer: str = "1000.00") -> dict[str, Any]:
    grant, spent = Decimal(granted), Decimal(spent_grant or granted)
    own_m, vol = Decimal(own), Decimal(volunteer)
    first = Decimal("30000.00") if grant > Decimal("30000.00") else grant
    line2_grant_planned, line2_grant_spent = grant - first, spent - first
    return {
        "header": {"kind": kind, "period_start": task_start, "period_end": period_end or task_end,
                   "authority": "Prezydent Miasta Leszna", "task_title": "Zadanie 1",
                   "contractors": "Organizacja 1, Leszno, KRS 0000100001", "contract_date": "2026-03-02",
                   "contract_number": contract_number},
        "narrative": {
            "results_achieved": "Zajęcia pływackie dla 60 dzieci, 24 spotkania.",
            "results": [{"name": "Dzieci objęte zajęciami", "planned_value": "60 dzieci",
                         "achieved_value": "58 dzieci", "shortfall": "Dwoje dzieci wyjechało."}],
            "activities": [{"name": "Zajęcia na basenie", "description": "Dwa razy w tygodniu po 90 minut.",
                            "start": task_start, "end": period_end or task_end,
                            "performed_by": "Organizacja 1"}],
            "not_done": ""},
        "expenses": [
            {"category": "activities", "name": "Instruktor", "planned_total": _m(first),
             "planned_grant": _m(first), "spent_total": _m(first), "spent_grant": _m(first), "spent_other": "0.00"},
            {"category": "administrative", "name": "Obsługa księgowa",
             "planned_total": _m(line2_grant_planned + own_m + vol), "planned_grant": _m(line2_grant_planned),
             "spent_total": _m(line2_grant_spent + own_m + vol), "spent_grant": _m(line2_grant_spent),
             "spent_other": _m(own_m + vol)}],
        "funding": {"planned_total": _m(grant + own_m + vol), "spent_total": _m(spent + own_m + vol),
                    "planned_grant": _m(grant), "spent_grant": _m(spent),
                    "planned_own_financial": _m(own_m), "spent_own_financial": _m(own_m),
                    "planned_volunteer_work": _m(vol), "spent_volunteer_work": _m(vol)},
        "offeror_split": [],
        "income": {"interest": "12.34", "other_income": "0.00", "other_income_description": "",
                   "recipients_fees_description": ""},
        "additional": {"remarks": "Brak."},
        "report_declarations": {"status_unchanged": True, "report_true": True, "report_personal_data": True},
    }


def sample_simplified_report(*, granted: str = "9000.00", spent_grant: str | None = None,
                             task_start: str = "2026-05-01", task_end: str = "2026-07-16",
                             period_end: str | None = None,
                             contract_number: str | None = "WSO.526.1.2026") -> dict[str, Any]:
    """A VALID small grant's report on the simplified form (states/model_forms/simplified_report.py) for a
    contract of ``granted`` over ``task_start`` – ``task_end``: two costs (the grant pays the first and part of
    the second, 1 000 other financial means and 500 in kind the rest), the sums by source adding up."""
    grant, spent = Decimal(granted), Decimal(spent_grant or granted)
    first = Decimal("6000.00") if grant > Decimal("6000.00") else grant
    own = Decimal("1500.00")
    return {
        "header": {"kind": "final", "period_start": task_start, "period_end": period_end or task_end,
                   "authority": "Prezydent Miasta Leszna", "task_title": "Rajd rowerowy „Poznaj Leszno”",
                   "contractors": "Stowarzyszenie Leszczyńskie Rowery, Leszno, KRS 0000200001",
                   "contract_date": "2026-04-17", "contract_number": contract_number},
        "narrative": {"task_done": "Trzy rajdy rowerowe po Lesznie z przewodnikiem, 12 punktów historycznych.",
                      "results_achieved": "Rajd: 140 uczestników, 3 trasy, 36 km; 12 tablic z opisem tras.",
                      "not_done": ""},
        "expenses": [
            {"name": "Wynajem rowerów i kasków", "planned_total": _m(first), "planned_grant": _m(first),
             "spent_total": _m(first), "spent_grant": _m(first), "spent_other": "0.00"},
            {"name": "Materiały, mapy i nagrody", "planned_total": _m(grant - first + own),
             "planned_grant": _m(grant - first), "spent_total": _m(spent - first + own),
             "spent_grant": _m(spent - first), "spent_other": _m(own)},
        ],
        "funding": {"planned_total": _m(grant + own), "spent_total": _m(spent + own),
                    "planned_grant": _m(grant), "spent_grant": _m(spent),
                    "planned_other_financial": "1000.00", "spent_other_financial": "1000.00",
                    "planned_personal_in_kind": "500.00", "spent_personal_in_kind": "500.00"},
        "additional": {"remarks": "Trasa zmieniona po uwagach mieszkańców."},
        "report_declarations": {"status_unchanged": True, "report_true": True, "report_personal_data": True},
    }
