"""A valid offer on the model form, for the tests of everything that files one (states/model_forms/offer.py)."""

from __future__ import annotations

from typing import Any


def sample_offer_form(krs: str = "0000123456", *, title: str = "Wakacje z nauką pływania",
                      task_start: str = "2027-03-01", task_end: str = "2027-06-30",
                      requested_grant: str = "8000.00") -> dict[str, Any]:
    """The JSON an organisation files: one offeror, costs adding up to the grant and its own funds."""
    return {
        "authority": "Prezydent Miasta Leszna",
        "task_kind": "wspieranie i upowszechnianie kultury fizycznej",
        "offerors": [{"name": "Stowarzyszenie Pływackie Delfin", "legal_form": "stowarzyszenie", "krs": krs,
                      "address": "ul. Wałowa 5, 64-100 Leszno", "email": "biuro@delfin.example.pl"}],
        "contact_name": "Anna Nowak",
        "contact_email": "anna.nowak@delfin.example.pl",
        "title": title,
        "task_start": task_start,
        "task_end": task_end,
        "summary_text": "Nauka pływania dla 60 dzieci ze szkół podstawowych Leszna.",
        "costs": [{"category": "Wynagrodzenie instruktorów", "unit": "godzina", "unit_cost": "100.00",
                   "units": "90", "total": "9000.00", "from_grant": requested_grant}],
        "requested_grant": requested_grant,
        "own_funds": "1000.00",
    }
