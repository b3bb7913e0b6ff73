"""Valid offers on the model form (states/model_forms/offer.py), for the tests of everything that files one.

``sample_offer_form`` keeps its signature whatever the model becomes: it returns a VALID form as the JSON dict an
organisation files, one offeror; ``sample_joint_offer_form`` a joint offer of two (art. 14 ust. 2). Their sums
follow from the arguments: the requested grant pays the instructors' line, the own contribution pays the rest.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _share(part: Decimal, total: Decimal) -> str:
    return _money(part * 100 / total)


def _years(task_start: str, task_end: str) -> list[int]:
    return list(range(date.fromisoformat(task_start).year, date.fromisoformat(task_end).year + 1))


def _per_year(total: Decimal, years: list[int]) -> list[str]:
    """A line's value over the calendar years of the task (none for a task within one year): equal parts, the
    cents left over in the last year."""
    if len(years) == 1:
        return []
    part = (total / len(years)).quantize(CENT, rounding="ROUND_DOWN")
    return [_money(part)] * (len(years) - 1) + [_money(total - part * (len(years) - 1))]


def _offeror(krs: str, name: str, street: str) -> dict[str, Any]:
    domain = "".join(ch for ch in name.lower().split()[-1] if ch.isalnum())
    return {"name": name, "legal_form": "stowarzyszenie", "krs": krs, "other_register": None,
            "address": f"{street}, 64-100 Leszno", "correspondence_address": None,
            "email": f"biuro@{domain}.example.pl", "phone": "+48 65 529 00 00", "website": None}


def _form(offerors: list[dict[str, Any]], *, title: str, task_start: str, task_end: str,
          requested_grant: str) -> dict[str, Any]:
    grant = Decimal(requested_grant)
    years = _years(task_start, task_end)
    joint = len(offerors) > 1
    # V.A: the instructors' hours are paid from the grant; the pool's rent and the volunteers' work are the own
    # contribution, so every sum below follows from the grant asked for.
    hours = Decimal(90)
    instructors = grant
    volunteer_hours = Decimal(40)
    volunteers = volunteer_hours * Decimal("30.00")
    rent = Decimal("700.00")
    admin = Decimal("300.00")
    own_financial = rent + admin
    total = instructors + volunteers + rent + admin

    def line(category: str, activity: int | None, name: str, unit: str, unit_cost: Decimal, units: Decimal,
             **sources: Decimal) -> dict[str, Any]:
        value = (unit_cost * units).quantize(CENT, rounding=ROUND_HALF_UP)
        parts = {key: "0.00" for key in ("from_grant", "from_own_financial", "from_volunteer_work",
                                         "from_in_kind")}
        parts.update({key: _money(amount) for key, amount in sources.items()})
        return {"category": category, "activity": activity, "name": name, "unit": unit,
                "unit_cost": _money(unit_cost), "units": _money(units), "total": _money(value),
                "per_year": _per_year(value, years), **parts}

    start, end = date.fromisoformat(task_start), date.fromisoformat(task_end)
    middle = start + (end - start) / 2
    activities = [
        {"name": "Zajęcia nauki pływania", "description": "Dwa razy w tygodniu po 45 minut, grupy po 10 dzieci, "
         "z instruktorem i ratownikiem.", "target_group": "dzieci w wieku 7–10 lat",
         "start": task_start, "end": task_end, "third_party_scope": "", "offeror": 1 if joint else None},
        {"name": "Pokaz i zawody na zakończenie", "description": "Pokaz umiejętności dla rodziców i zawody "
         "„Pływam bezpiecznie”; opiekę nad dziećmi sprawują wolontariusze.", "target_group": "dzieci i ich rodzice",
         "start": middle.isoformat(), "end": task_end, "third_party_scope": "Obsługa ratownicza basenu (MOSiR)",
         "offeror": len(offerors) if joint else None},
    ]
    costs = [
        line("activities", 1, "Wynagrodzenie instruktorów pływania", "godzina", (instructors / hours), hours,
             from_grant=instructors) if (instructors / hours) == (instructors / hours).quantize(CENT)
        else line("activities", 1, "Wynagrodzenie instruktorów pływania", "usługa", instructors, Decimal(1),
                  from_grant=instructors),
        line("activities", 1, "Wynajem toru na basenie", "miesiąc", rent / 4, Decimal(4), from_own_financial=rent),
        line("activities", 2, "Praca wolontariuszy przy zawodach", "godzina", Decimal("30.00"), volunteer_hours,
             from_volunteer_work=volunteers),
        line("administrative", None, "Obsługa księgowa", "usługa", admin, Decimal(1), from_own_financial=admin),
    ]
    own = own_financial + volunteers
    form: dict[str, Any] = {
        "basic": {"authority": "Prezydent Miasta Leszna",
                  "task_kind": "wspieranie i upowszechnianie kultury fizycznej"},
        "offerors": offerors,
        "contact": {"name": "Anna Nowak", "phone": "+48 600 100 200", "email": "anna.nowak@delfin.example.pl"},
        "task": {
            "title": title, "task_start": task_start, "task_end": task_end,
            "place": "Kryta pływalnia „Wodny Park” w Lesznie, ul. Spółdzielcza 2.",
            "target_group": "60 dzieci ze szkół podstawowych Leszna, które nie umieją pływać.",
            "goal": "Dzieci uczą się pływać i bezpiecznie zachowywać się w wodzie; zajęcia są bezpłatne, więc "
                    "mogą w nich brać udział dzieci z rodzin o niskich dochodach.",
            "complementarity": "Uzupełnia szkolne lekcje wychowania fizycznego.",
            "activities": activities,
            "effects": "90 godzin zajęć, pokaz i zawody dla 60 dzieci.",
            "social_change": "Mniej dzieci zagrożonych utonięciem; więcej dzieci uprawiających sport.",
            "durability": "Najlepsi uczestnicy przechodzą do sekcji pływackiej stowarzyszenia.",
            "results": [{"name": "Dzieci, które przepłyną 25 m", "target_value": "45 dzieci",
                         "monitoring": "Karta umiejętności prowadzona przez instruktora"}],
        },
        "profile": {"earlier_activity": "Od 2012 r. prowadzimy sekcję pływacką i letnie obozy sportowe.",
                    "resources": "Trzech instruktorów z uprawnieniami, sprzęt do nauki pływania, 8 wolontariuszy."},
        "costs": costs,
        "sources": {
            "total": _money(total),
            "grant": _money(grant), "grant_share": _share(grant, total),
            "own_contribution": _money(own), "own_contribution_share": _share(own, total),
            "own_financial": _money(own_financial), "own_financial_share": _share(own_financial, total),
            "own_non_financial": _money(volunteers), "own_non_financial_share": _share(volunteers, total),
            "volunteer_work": _money(volunteers), "in_kind": "0.00",
            "recipients_fees": "0.00", "recipients_fees_share": "0.00",
        },
        "cost_split": None,
        "other": {"execution": "unpaid", "joint_roles": None,
                  "remarks": "Zajęcia prowadzimy także w czasie ferii zimowych."},
        "declarations": {key: True for key in (
            "public_benefit_scope", "fees_in_paid_activity_only", "no_tax_arrears", "no_social_security_arrears",
            "register_data_true", "information_true", "personal_data")},
    }
    if joint:
        # V.C: the lead offeror bears the instructors and the pool, the partner the rest.
        lead = instructors + rent
        parts = [lead, total - lead]
        form["cost_split"] = [{"offeror": n, "total": _money(part), "per_year": _per_year(part, years)}
                              for n, part in enumerate(parts, 1)]
        form["other"]["joint_roles"] = ("Delfin prowadzi zajęcia nauki pływania; partner organizuje pokaz i zawody "
                                        "oraz obsługę księgową.")
    return form


def sample_offer_form(krs: str = "0000123456", *, title: str = "Wakacje z nauką pływania",
                      task_start: str = "2027-03-01", task_end: str = "2027-06-30",
                      requested_grant: str = "8000.00") -> dict[str, Any]:
    """The JSON an organisation files: one offeror, the grant paying the instructors, its own funds and volunteers
    the rest (V.B total = grant + 2 200.00)."""
    return _form([_offeror(krs, "Stowarzyszenie Pływackie Delfin", "ul. Wałowa 5")], title=title,
                 task_start=task_start, task_end=task_end, requested_grant=requested_grant)


def sample_joint_offer_form(krs_lead: str = "0000123456", krs_partner: str = "0000654321", *,
                            title: str = "Pływamy razem", task_start: str = "2027-03-01",
                            task_end: str = "2027-06-30", requested_grant: str = "8000.00") -> dict[str, Any]:
    """A joint offer (art. 14 ust. 2) of two associations: V.C splits the costs, VI.2 says who does what, each
    activity names its offeror."""
    return _form([_offeror(krs_lead, "Stowarzyszenie Pływackie Delfin", "ul. Wałowa 5"),
                  _offeror(krs_partner, "Klub Sportowy Orka", "ul. Szkolna 12")], title=title,
                 task_start=task_start, task_end=task_end, requested_grant=requested_grant)


def sample_simplified_offer_form(krs: str = "0000123456", *, title: str = "Wakacje z nauką pływania",
                                 task_start: str = "2027-06-01", task_end: str = "2027-07-31",
                                 requested_grant: str = "8000.00") -> dict[str, Any]:
    """A VALID small-grant offer on the simplified form (Dz.U. 2018 poz. 2055 zał. 1) as the JSON an organisation
    files: one offeror; the grant pays the instructors, other sources the pool's rent and the volunteers' work
    (sum of all costs = grant + 1 900.00)."""
    grant = Decimal(requested_grant)
    rent, volunteers = Decimal("700.00"), Decimal("1200.00")
    lines = [
        {"name": "Wynagrodzenie instruktorów pływania", "unit": "usługa", "unit_cost": _money(grant),
         "units": "1.00", "total": _money(grant), "from_grant": _money(grant), "from_other": "0.00"},
        {"name": "Wynajem toru na basenie", "unit": "miesiąc", "unit_cost": "350.00", "units": "2.00",
         "total": _money(rent), "from_grant": "0.00", "from_other": _money(rent)},
        {"name": "Praca wolontariuszy przy zawodach", "unit": "godzina", "unit_cost": "30.00", "units": "40.00",
         "total": _money(volunteers), "from_grant": "0.00", "from_other": _money(volunteers)},
    ]
    return {
        "basic": {"authority": "Prezydent Miasta Leszna",
                  "task_kind": "wspieranie i upowszechnianie kultury fizycznej", "title": title,
                  "task_start": task_start, "task_end": task_end},
        "offerors": [_offeror(krs, "Stowarzyszenie Pływackie Delfin", "ul. Wałowa 5")],
        "contact": {"name": "Anna Nowak", "phone": "+48 600 100 200", "email": "anna.nowak@delfin.example.pl"},
        "task": {
            "place": "Kryta pływalnia „Wodny Park” w Lesznie, ul. Spółdzielcza 2.",
            "target_group": "30 dzieci ze szkół podstawowych Leszna, które nie umieją pływać.",
            "goal": "Dzieci uczą się pływać i bezpiecznie zachowywać się w wodzie; zajęcia są bezpłatne.",
            "complementarity": "Uzupełnia szkolne lekcje wychowania fizycznego.",
            "expected_results": "40 godzin zajęć; 25 dzieci przepłynie 25 m.",
        },
        "cost_estimate": lines,
        "cost_summary": {"total": _money(grant + rent + volunteers), "grant": _money(grant),
                         "other_sources": _money(rent + volunteers)},
        "statements": {key: True for key in (
            "public_benefit_scope", "fees_in_paid_activity_only", "no_tax_arrears", "no_social_security_arrears",
            "register_data_true", "information_true", "personal_data")},
    }
