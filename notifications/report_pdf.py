"""The filed report as a PDF: every part of the model form (Dz.U. 2018 poz. 2057, załącznik nr 5) under its Polish
heading, with what the organisation filed, and the receipt that proves it (number, moment of receipt in Warsaw
time, SHA-256 of the canonical content).

``report_pdf(content, receipt) -> bytes``: ``content`` is the report as filed (``ReportForm.content()``, the JSON
that was hashed), ``receipt`` has ``number``, ``received_at`` (ISO 8601), ``sha256``, ``case_code``,
``case_title``, ``offer`` and ``contract`` (states/report_filings.py ``report_receipt``). Drawn from the content as
it is, as notifications/offer_pdf.py draws the offer (its page, font and tables), so ``pdftotext`` holds every
value filed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fpdf.enums import XPos, YPos

from notifications.offer_pdf import BLANK, EMPTY, FONT, OfferPdf, amount_text, plain_text
from states.model_forms.report import DECLARATIONS_PL, SOURCES
from states.text import moment_text

KINDS = {"partial": "częściowe", "final": "końcowe"}
CATEGORIES = {"activities": "I. Koszty realizacji działań", "administrative": "II. Koszty administracyjne"}
SOURCE_LABELS = {  # II.2's rows, in the form's order (states/model_forms/report.py SOURCES)
    "grant": "Kwota dotacji",
    "own_financial": "Wkład własny finansowy",
    "other_public": "Środki z innych źródeł publicznych",
    "other_sources": "Pozostałe środki",
    "volunteer_work": "Wkład osobowy (praca wolontariuszy i członków)",
    "in_kind": "Wkład rzeczowy",
    "recipients_fees": "Świadczenia pieniężne od odbiorców zadania",
}


def report_pdf(content: Mapping[str, Any], receipt: Mapping[str, Any]) -> bytes:
    """The PDF of the report ``content`` as filed, with its ``receipt``; a small grant's simplified report and a
    local initiative's report (``receipt["form_kind"]``) are drawn on their own forms
    (notifications/simplified_report_pdf.py, notifications/initiative_report_pdf.py)."""
    if receipt.get("form_kind") == "simplified":
        from notifications.simplified_report_pdf import simplified_report_pdf

        return simplified_report_pdf(content, receipt)
    if receipt.get("form_kind") == "initiative":
        from notifications.initiative_report_pdf import initiative_report_pdf

        return initiative_report_pdf(content, receipt)
    header = content.get("header") or {}
    number = plain_text(receipt.get("number"))
    sha256 = plain_text(receipt.get("sha256"))
    kind = KINDS.get(header.get("kind"), header.get("kind"))
    pdf = OfferPdf(f"Sprawozdanie {number}, SHA-256 {sha256[:16]}…")
    pdf.set_title(f"Sprawozdanie {number}: {header.get('task_title', '')}")
    pdf.set_creator("coop-engine")
    pdf.add_page()

    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(0, 6.5, "SPRAWOZDANIE Z WYKONANIA ZADANIA PUBLICZNEGO", align="C", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.multi_cell(0, 4.5, "o którym mowa w art. 18 ust. 4 ustawy z dnia 24 kwietnia 2003 r. o działalności pożytku "
                           "publicznego i o wolontariacie; wzór: rozporządzenie Przewodniczącego Komitetu do spraw "
                           "Pożytku Publicznego z dnia 24 października 2018 r. (Dz.U. 2018 poz. 2057), załącznik nr 5",
                   align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    receipt_block(pdf, receipt)

    pdf.heading("Dane sprawozdania")
    pdf.pairs([("Rodzaj sprawozdania", kind),
               ("Okres, za jaki jest składane sprawozdanie",
                f"od {plain_text(header.get('period_start'))} do {plain_text(header.get('period_end'))}"),
               ("Organ administracji publicznej", header.get("authority")),
               ("Tytuł zadania publicznego", header.get("task_title")),
               ("Nazwa Zleceniobiorcy(-ców)", header.get("contractors")),
               ("Data zawarcia umowy", header.get("contract_date")),
               ("Numer umowy, o ile został nadany", header.get("contract_number"))])

    # --- I ------------------------------------------------------------------------------------------------------
    narrative = content.get("narrative") or {}
    pdf.heading("Część I. Sprawozdanie merytoryczne")
    pdf.field("1. Opis osiągniętych rezultatów wraz z liczbowym określeniem skali działań zrealizowanych w ramach "
              "zadania", narrative.get("results_achieved"))
    results = list(narrative.get("results") or [])
    if results:
        pdf.grid(["Nazwa rezultatu", "Zakładana wartość", "Osiągnięta wartość", "Jeżeli nie osiągnięto: dlaczego"],
                 [[r.get("name"), r.get("planned_value"), r.get("achieved_value"), r.get("shortfall")]
                  for r in results], [50, 35, 35, 60])
    pdf.subheading("2. Opis wykonania poszczególnych działań")
    pdf.grid(["Lp.", "Nazwa działania", "Opis wykonania", "Termin realizacji", "Kto wykonał działanie"],
             [[str(n), a.get("name"), a.get("description"), f"{plain_text(a.get('start'))} – {plain_text(a.get('end'))}",
               a.get("performed_by")] for n, a in enumerate(narrative.get("activities") or [], 1)],
             [8, 36, 70, 30, 36])
    pdf.field("3. Działania niezrealizowane lub zrealizowane inaczej niż planowano i przyczyny",
              narrative.get("not_done") or "nie dotyczy")

    # --- II -----------------------------------------------------------------------------------------------------
    pdf.heading("Część II. Sprawozdanie z wykonania wydatków")
    pdf.subheading("1. Rozliczenie wydatków [PLN]")
    rows, bold = [], []
    expenses = list(content.get("expenses") or [])
    for category, label in CATEGORIES.items():
        bold.append(len(rows))
        rows.append([BLANK, label, BLANK, BLANK, BLANK, BLANK, BLANK])
        for n, line in enumerate((e for e in expenses if e.get("category") == category), 1):
            rows.append([f"{'I' if category == 'activities' else 'II'}.{n}", line.get("name"),
                         amount_text(line.get("planned_total")), amount_text(line.get("planned_grant")),
                         amount_text(line.get("spent_total")), amount_text(line.get("spent_grant")),
                         amount_text(line.get("spent_other"))])
    pdf.grid(["Lp.", "Rodzaj kosztu", "Koszty zgodnie z umową: razem", "w tym z dotacji",
              "Faktycznie poniesione wydatki: razem", "w tym z dotacji",
              "z innych środków, wkładu osobowego lub rzeczowego"], rows, [12, 48, 24, 24, 24, 24, 24],
             align=["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"], bold_rows=bold)

    funding = content.get("funding") or {}
    pdf.subheading("2. Rozliczenie ze względu na źródło finansowania zadania publicznego [PLN]")
    rows = [["1.", "Suma wszystkich kosztów realizacji zadania", amount_text(funding.get("planned_total")),
             amount_text(funding.get("spent_total"))]]
    rows += [[f"{n}.", SOURCE_LABELS[source], amount_text(funding.get(f"planned_{source}", 0)),
              amount_text(funding.get(f"spent_{source}", 0))] for n, source in enumerate(SOURCES, 2)]
    pdf.grid(["Lp.", "Źródło finansowania", "Koszty zgodnie z umową", "Faktycznie poniesione wydatki"], rows,
             [12, 100, 34, 34], align=["LEFT", "LEFT", "RIGHT", "RIGHT"], bold_rows=[0], size=8)

    split = list(content.get("offeror_split") or [])
    pdf.subheading("Podział kosztów pomiędzy Zleceniobiorców")
    if split:
        pdf.grid(["Zleceniobiorca", "Wydatki razem [PLN]", "w tym z dotacji [PLN]"],
                 [[s.get("contractor"), amount_text(s.get("spent_total")), amount_text(s.get("spent_grant"))]
                  for s in split], [100, 40, 40], align=["LEFT", "RIGHT", "RIGHT"])
    else:
        pdf.paragraph("nie dotyczy (jeden Zleceniobiorca)")

    income = content.get("income") or {}
    pdf.subheading("3. Informacje o innych przychodach uzyskanych przy realizacji zadania publicznego")
    pdf.pairs([("Odsetki bankowe od środków dotacji [PLN]", amount_text(income.get("interest", 0))),
               ("Inne przychody [PLN]", amount_text(income.get("other_income", 0))),
               ("Inne przychody: z jakiego tytułu", income.get("other_income_description")),
               ("Świadczenia pieniężne pobrane od odbiorców zadania: z jakiego tytułu",
                income.get("recipients_fees_description"))])

    # --- III ----------------------------------------------------------------------------------------------------
    pdf.heading("Część III. Dodatkowe informacje")
    pdf.paragraph((content.get("additional") or {}).get("remarks") or "nie dotyczy")

    declarations(pdf, content)
    return bytes(pdf.output())


def receipt_block(pdf: Any, receipt: Mapping[str, Any], offer_line: tuple[str, str] | None = None) -> None:
    """The receipt that proves the report (number, moment of receipt, SHA-256): the model report's and the
    simplified report's."""
    number = plain_text(receipt.get("number"))
    sha256 = plain_text(receipt.get("sha256"))
    pdf.heading("Potwierdzenie złożenia sprawozdania")
    received = receipt.get("received_at")
    pdf.pairs([
        ("Numer potwierdzenia", number),
        ("Postępowanie", f"{plain_text(receipt.get('case_code'))} — {plain_text(receipt.get('case_title'))}"),
        offer_line or ("Oferta, umowa",
                       f"oferta nr {plain_text(receipt.get('offer'))}, umowa {plain_text(receipt.get('contract'))}"),
        ("Data i godzina wpływu (czas warszawski)",
         moment_text(datetime.fromisoformat(str(received).replace("Z", "+00:00"))) if received else EMPTY),
        ("Skrót SHA-256 treści sprawozdania", sha256),
    ], widths=(50, 130))
    pdf.set_font(FONT, "", 7.5)
    pdf.multi_cell(0, 4, "Skrót SHA-256 liczy się z treści sprawozdania zapisanej jako kanoniczny JSON (UTF-8, klucze "
                         "posortowane, bez zbędnych odstępów); każdy może go sprawdzić programem "
                         "tools/verify_receipt.py.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)


def declarations(pdf: Any, content: Mapping[str, Any]) -> None:
    """The three declarations, in the model form's words, each ticked or not (both forms have the same)."""
    ticked = content.get("report_declarations") or {}
    pdf.heading("Oświadczenia")
    pdf.paragraph("Oświadczam(-my), że:")
    for index, (key, text) in enumerate(DECLARATIONS_PL.items(), 1):
        pdf.paragraph(f"{index}) {text} — {'TAK' if ticked.get(key) is True else 'NIE'}")
