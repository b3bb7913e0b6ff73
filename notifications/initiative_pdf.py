"""The local-initiative application filed through the portal as a PDF: its receipt (number, moment of receipt in
Warsaw time, SHA-256 of the canonical content, version) and every part of the application as filed, under Polish
headings (states/model_forms/initiative.py; there is no national model form: art. 19c ust. 1 leaves it to the
council's resolution).

``initiative_pdf(content, receipt) -> bytes``: ``content`` is the application as filed (the JSON that was hashed),
``receipt`` as states/procedures/local_initiative/filing.py ``receipt_of`` gives it. Drawn from the content as it is,
not re-validated; the font and building blocks are the offer's PDF's (notifications/offer_pdf.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications.offer_pdf import EMPTY, amount_text, filed_by, plain_text, received_text, start_pdf
from states import labels

KINDS = {"residents": "grupa mieszkańców (bezpośrednio)", "ngo": "organizacja pozarządowa w imieniu mieszkańców"}
DONE_BY = {"residents": "mieszkańcy", "city": "miasto", "together": "mieszkańcy i miasto wspólnie"}
DECLARATIONS = {
    "residents": "wnioskodawcy są mieszkańcami miasta (art. 19b ust. 1 ustawy)",
    "information_true": "informacje podane we wniosku są zgodne ze stanem faktycznym",
    "personal_data": "osoby wymienione we wniosku wyraziły zgodę na przetwarzanie ich danych osobowych na potrzeby "
                     "wniosku",
}


def _sphere(value: Any) -> str:
    label = labels.SPHERES.get(str(value))
    return f"{label.in_language('pl')} ({value})" if label is not None else plain_text(value)


def initiative_pdf(content: Mapping[str, Any], receipt: Mapping[str, Any]) -> bytes:
    """The PDF of the application ``content`` as filed, with its ``receipt``."""
    number, sha256 = plain_text(receipt.get("number")), plain_text(receipt.get("sha256"))
    task = content.get("task") or {}
    pdf = start_pdf(
        footer=f"Wniosek {receipt.get('case_code', '')} nr {number}, SHA-256 {sha256[:16]}…",
        pdf_title=f"Wniosek {number}: {task.get('title', '')}",
        title="WNIOSEK O REALIZACJĘ ZADANIA PUBLICZNEGO W RAMACH INICJATYWY LOKALNEJ",
        basis="art. 19b-19h ustawy z dnia 24 kwietnia 2003 r. o działalności pożytku publicznego i o wolontariacie; "
              "tryb i kryteria oceny: uchwała Rady Miejskiej (art. 19c ust. 1)",
        heading="Potwierdzenie złożenia wniosku", of_what="wniosku", rows=[
            ("Numer potwierdzenia", number),
            ("Sprawa", f"{plain_text(receipt.get('case_code'))} — {plain_text(receipt.get('case_title'))}"),
            ("Data i godzina wpływu (czas warszawski)", received_text(receipt)),
            ("Wersja wniosku", receipt.get("version")),
            ("Złożył(a)", filed_by(receipt)),
            ("Skrót SHA-256 treści wniosku", sha256),
        ])

    applicant = content.get("applicant") or {}
    pdf.heading("1. Wnioskodawcy")
    pdf.pairs([("Kto składa wniosek", KINDS.get(applicant.get("kind"), applicant.get("kind"))),
               ("Nazwa grupy mieszkańców", applicant.get("group_name")),
               ("Organizacja", applicant.get("organisation_name")),
               ("Numer KRS organizacji", applicant.get("organisation_krs"))])
    members = list(applicant.get("members") or [])
    if members:
        pdf.subheading("Członkowie grupy")
        pdf.grid(["Lp.", "Imię i nazwisko", "Adres"], [[i, m.get("name"), m.get("address")]
                                                        for i, m in enumerate(members, 1)], (12, 70, 98))
    contact = content.get("contact") or {}
    pdf.heading("2. Osoba do kontaktu")
    pdf.pairs([("Imię i nazwisko", contact.get("name")), ("Adres e-mail", contact.get("email")),
               ("Telefon", contact.get("phone"))])
    pdf.heading("3. Zadanie")
    pdf.pairs([("Tytuł", task.get("title")), ("Sfera zadań publicznych (art. 19b ust. 1)", _sphere(task.get("sphere"))),
               ("Miejsce realizacji", task.get("place")), ("Właściciel nieruchomości", task.get("property_owner"))])
    pdf.field("Opis zadania", task.get("description"))
    pdf.field("Korzyść dla mieszkańców i interesu publicznego", task.get("benefit"))
    schedule = content.get("schedule") or {}
    pdf.heading("4. Harmonogram")
    pdf.pairs([("Termin realizacji", f"{plain_text(schedule.get('task_start'))} – {plain_text(schedule.get('task_end'))}")])
    pdf.grid(["Lp.", "Działanie", "Od", "Do", "Wykonuje"],
             [[i, a.get("name"), a.get("start"), a.get("end"), DONE_BY.get(a.get("done_by"), a.get("done_by"))]
              for i, a in enumerate(schedule.get("actions") or [], 1)], (12, 78, 25, 25, 40))
    pdf.heading("5. Kosztorys")
    costs = list(content.get("costs") or [])
    pdf.grid(["Lp.", "Rodzaj kosztu", "Wartość (zł)", "Zakup miasta (zł)", "Wkład pieniężny (zł)",
              "Wkład rzeczowy (zł)"],
             [[i, c.get("name"), amount_text(c.get("total")), amount_text(c.get("from_city")),
               amount_text(c.get("from_own_cash")), amount_text(c.get("from_own_in_kind"))] for i, c in enumerate(costs, 1)]
             or [[EMPTY] * 6], (10, 60, 27, 27, 28, 28), align=["LEFT", "LEFT"] + ["RIGHT"] * 4)
    work = content.get("work") or {}
    pdf.heading("6. Praca społeczna mieszkańców")
    pdf.field("Zakres pracy", work.get("description"))
    pdf.pairs([("Liczba osób", work.get("people")), ("Liczba godzin", work.get("hours")),
               ("Wartość jednej godziny (zł)", amount_text(work.get("hour_value"))),
               ("Wartość pracy (zł)", amount_text(work.get("value")))])
    budget = content.get("budget") or {}
    pdf.heading("7. Budżet")
    pdf.pairs([("Szacunkowy koszt zadania (zł)", amount_text(budget.get("total"))),
               ("Udział miasta: zakupy usług i rzeczy (zł)", amount_text(budget.get("city"))),
               ("Wkład własny pieniężny (zł)", amount_text(budget.get("own_cash"))),
               ("Wkład własny rzeczowy (zł)", amount_text(budget.get("own_in_kind"))),
               ("Wkład własny: praca społeczna (zł)", amount_text(budget.get("own_work"))),
               ("Wkład własny razem (zł)", amount_text(budget.get("own_total")))], widths=(80, 100))
    declarations = content.get("declarations") or {}
    pdf.heading("8. Oświadczenia")
    for index, (key, text) in enumerate(DECLARATIONS.items(), 1):
        pdf.paragraph(f"{index}) {text} — {'TAK' if declarations.get(key) is True else 'NIE'}")
    return bytes(pdf.output())
