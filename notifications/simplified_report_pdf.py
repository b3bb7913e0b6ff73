"""A small grant's report on the simplified form (Dz.U. 2018 poz. 2055, załącznik nr 2) as a PDF: every part under
its Polish heading, with what the organisation filed and the receipt that proves it, drawn as
notifications/report_pdf.py draws the model report (its page, font, tables and receipt block), so ``pdftotext``
holds every value filed.

``simplified_report_pdf(content, receipt) -> bytes``: ``content`` is ``SimplifiedReportForm.content()``,
``receipt`` states/report_filings.py ``report_receipt``'s answer. ``report_pdf`` sends a simplified report here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fpdf.enums import XPos, YPos

from notifications.offer_pdf import FONT, OfferPdf, amount_text, plain_text
from notifications.report_pdf import declarations, receipt_block
from states.model_forms.simplified_report import SimplifiedFunding

SOURCE_LABELS = {  # the sums by source, in the form's order (SimplifiedFunding.SOURCES)
    "grant": "Kwota dotacji",
    "other_financial": "Inne środki finansowe",
    "personal_in_kind": "Wkład osobowy lub rzeczowy",
}


def simplified_report_pdf(content: Mapping[str, Any], receipt: Mapping[str, Any]) -> bytes:
    header = content.get("header") or {}
    number = plain_text(receipt.get("number"))
    sha256 = plain_text(receipt.get("sha256"))
    pdf = OfferPdf(f"Sprawozdanie {number}, SHA-256 {sha256[:16]}…")
    pdf.set_title(f"Sprawozdanie {number}: {header.get('task_title', '')}")
    pdf.set_creator("coop-engine")
    pdf.add_page()

    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(0, 6.5, "SPRAWOZDANIE Z REALIZACJI ZADANIA PUBLICZNEGO (UPROSZCZONE)", align="C",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.multi_cell(0, 4.5, "zadanie zlecone w trybie art. 19a ustawy z dnia 24 kwietnia 2003 r. o działalności "
                           "pożytku publicznego i o wolontariacie; wzór: rozporządzenie Przewodniczącego Komitetu do "
                           "spraw Pożytku Publicznego z dnia 24 października 2018 r. (Dz.U. 2018 poz. 2055), "
                           "załącznik nr 2", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    receipt_block(pdf, receipt, offer_line=("Sprawa, umowa",
                                            f"mała dotacja (art. 19a), umowa {plain_text(receipt.get('contract'))}"))

    pdf.heading("Dane sprawozdania")
    pdf.pairs([("Okres realizacji zadania",
                f"od {plain_text(header.get('period_start'))} do {plain_text(header.get('period_end'))}"),
               ("Organ administracji publicznej", header.get("authority")),
               ("Tytuł zadania publicznego", header.get("task_title")),
               ("Nazwa Zleceniobiorcy(-ców)", header.get("contractors")),
               ("Data zawarcia umowy", header.get("contract_date")),
               ("Numer umowy", header.get("contract_number"))])

    narrative = content.get("narrative") or {}
    pdf.heading("Część I. Opis zrealizowanego zadania publicznego")
    pdf.field("Opis zrealizowanego zadania", narrative.get("task_done"))
    pdf.field("Osiągnięte rezultaty, z liczbowym określeniem skali działań", narrative.get("results_achieved"))
    pdf.field("Działania niezrealizowane lub zrealizowane inaczej niż planowano i przyczyny",
              narrative.get("not_done") or "nie dotyczy")

    pdf.heading("Część II. Zestawienie kosztów realizacji zadania [PLN]")
    pdf.grid(["Lp.", "Rodzaj kosztu", "Koszt planowany", "w tym z dotacji", "Koszt poniesiony", "w tym z dotacji",
              "z innych środków, wkładu osobowego lub rzeczowego"],
             [[str(n), line.get("name"), amount_text(line.get("planned_total")), amount_text(line.get("planned_grant")),
               amount_text(line.get("spent_total")), amount_text(line.get("spent_grant")), amount_text(line.get("spent_other"))]
              for n, line in enumerate(content.get("expenses") or [], 1)], [12, 48, 24, 24, 24, 24, 24],
             align=["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"])
    funding = content.get("funding") or {}
    rows = [["1.", "Suma wszystkich kosztów realizacji zadania", amount_text(funding.get("planned_total")),
             amount_text(funding.get("spent_total"))]]
    rows += [[f"{n}.", SOURCE_LABELS[source], amount_text(funding.get(f"planned_{source}", 0)),
              amount_text(funding.get(f"spent_{source}", 0))] for n, source in enumerate(SimplifiedFunding.SOURCES, 2)]
    pdf.grid(["Lp.", "Źródło finansowania", "Koszty planowane", "Koszty poniesione"], rows, [12, 100, 34, 34],
             align=["LEFT", "LEFT", "RIGHT", "RIGHT"], bold_rows=[0], size=8)

    pdf.heading("Część III. Dodatkowe informacje")
    pdf.paragraph((content.get("additional") or {}).get("remarks") or "nie dotyczy")
    declarations(pdf, content)
    return bytes(pdf.output())
