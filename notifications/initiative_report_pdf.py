"""The local initiative's report filed by its applicants as a PDF (issue 22; the agreement of art. 19e): its receipt
(number, moment of receipt in Warsaw time, who filed it, SHA-256 of the canonical content) and every part of the
report as filed, under Polish headings (states/model_forms/initiative_report.py; there is no national model: no grant
is transferred, art. 19e). Drawn as the application's PDF (notifications/initiative_pdf.py: the offer's building
blocks, ``start_pdf``), so ``pdftotext`` holds every value filed.

``initiative_report_pdf(content, receipt) -> bytes``: ``content`` the report as filed (the JSON that was hashed),
``receipt`` states/report_filings.py ``filed_report``'s answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications.offer_pdf import amount_text, filed_by, plain_text, received_text, start_pdf
from states.model_forms.initiative_report import DECLARATIONS_PL


def initiative_report_pdf(content: Mapping[str, Any], receipt: Mapping[str, Any]) -> bytes:
    number, sha256 = plain_text(receipt.get("number")), plain_text(receipt.get("sha256"))
    header = content.get("header") or {}
    pdf = start_pdf(
        footer=f"Sprawozdanie {number}, SHA-256 {sha256[:16]}…",
        pdf_title=f"Sprawozdanie {number}: {header.get('task_title', '')}",
        title="SPRAWOZDANIE Z REALIZACJI INICJATYWY LOKALNEJ",
        basis="art. 19b-19h ustawy z dnia 24 kwietnia 2003 r. o działalności pożytku publicznego i o wolontariacie; "
              "umowa o wykonanie inicjatywy lokalnej (art. 19e)",
        heading="Potwierdzenie złożenia sprawozdania", of_what="sprawozdania", rows=[
            ("Numer potwierdzenia", number),
            ("Sprawa", f"{plain_text(receipt.get('case_code'))} — {plain_text(receipt.get('case_title'))}"),
            ("Umowa", f"inicjatywa lokalna (art. 19b-19h), umowa {plain_text(receipt.get('contract'))}"),
            ("Data i godzina wpływu (czas warszawski)", received_text(receipt)),
            ("Złożył(a)", filed_by(receipt)),
            ("Skrót SHA-256 treści sprawozdania", sha256),
        ])
    pdf.heading("Dane sprawozdania")
    pdf.pairs([("Okres sprawozdawczy", f"od {plain_text(header.get('period_start'))} do {plain_text(header.get('period_end'))}"),
               ("Tytuł zadania", header.get("task_title")),
               ("Wnioskodawcy", header.get("applicants")),
               ("Numer umowy", header.get("contract_number"))])
    narrative = content.get("narrative") or {}
    pdf.heading("Część I. Opis zrealizowanego zadania")
    pdf.field("Opis zrealizowanego zadania", narrative.get("task_done"))
    pdf.field("Osiągnięte rezultaty, z liczbowym określeniem skali działań", narrative.get("results_achieved"))
    pdf.field("Działania niezrealizowane lub zrealizowane inaczej niż planowano i przyczyny",
              narrative.get("not_done") or "nie dotyczy")
    contribution = content.get("contribution") or {}
    pdf.heading("Część II. Wkład własny mieszkańców")
    pdf.field("Praca społeczna: zakres", contribution.get("work_description") or "nie dotyczy")
    pdf.pairs([("Liczba osób", contribution.get("people")), ("Liczba godzin pracy", contribution.get("hours")),
               ("Wkład rzeczowy (zł)", amount_text(contribution.get("in_kind"))),
               ("Wkład rzeczowy: co", contribution.get("in_kind_description")),
               ("Wkład finansowy (zł)", amount_text(contribution.get("cash"))),
               ("Wkład finansowy: na co", contribution.get("cash_description"))], widths=(60, 120))
    pdf.heading("Część III. Dodatkowe informacje")
    pdf.paragraph((content.get("additional") or {}).get("remarks") or "nie dotyczy")
    ticked = content.get("report_declarations") or {}
    pdf.heading("Oświadczenia")
    pdf.paragraph("Oświadczam(-my), że:")
    for index, (key, text) in enumerate(DECLARATIONS_PL.items(), 1):
        pdf.paragraph(f"{index}) {text} — {'TAK' if ticked.get(key) is True else 'NIE'}")
    return bytes(pdf.output())
