"""The filed offer as a PDF: every section of its model form under the form's Polish heading (an open call's offer:
Dz.U. 2018 poz. 2057, załącznik nr 1; a small grant's simplified offer: Dz.U. 2018 poz. 2055, załącznik nr 1), with what the organisation filed, and the receipt that proves it (number, moment of receipt in
Warsaw time, SHA-256 of the canonical content, version).

``offer_pdf(content, receipt) -> bytes``: ``content`` is the offer as filed (``OfferForm.content()``, the JSON that
was hashed), ``receipt`` has ``number``, ``received_at`` (ISO 8601), ``sha256``, ``case_code``, ``case_title`` and
``version``. The PDF is drawn from the content as it is, not re-validated, so an offer filed under an earlier
version of the model still prints; its text (``pdftotext``) holds every value filed.

The font is DejaVu Sans, shipped in notifications/fonts/ (with its licence): a PDF's standard fonts have no Polish
letters, and a machine may lack system fonts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from states.model_forms.offer import ARREARS_PL, DECLARATIONS_PL
from states.model_forms.simplified_offer import STATEMENTS_PL, is_simplified
from states.text import moment_text, number_text

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"
EMPTY = "—"  # a field left empty
BLANK = " "  # a cell the form itself leaves blank (a heading row's columns)

CATEGORIES = {"activities": "I", "administrative": "II"}
EXECUTION = {"unpaid": "nieodpłatne wykonanie zadania publicznego", "paid": "odpłatne wykonanie zadania publicznego"}


def amount_text(value: Any) -> str:
    """An amount as the form writes it: 8 000,00 (PLN in the column's heading)."""
    try:
        return number_text(Decimal(str(value)).quantize(Decimal("0.01")), "pl")
    except (InvalidOperation, ValueError):
        return str(value)


def _number(value: Any) -> str:
    try:
        return number_text(Decimal(str(value)).normalize() if Decimal(str(value)) == Decimal(str(value)).to_integral()
                           else Decimal(str(value)), "pl")
    except (InvalidOperation, ValueError):
        return str(value)


@cache
def _covered() -> frozenset[int]:
    """The characters both faces of the shipped font can draw."""
    from fontTools.ttLib import TTFont

    faces = []
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        with TTFont(FONTS / name) as font:
            faces.append(frozenset(font.getBestCmap()))
    return frozenset.intersection(*faces)


def plain_text(value: Any) -> str:
    """A value as printed; a character the font cannot draw (an emoji, a CJK ideograph) is written as its code
    point, [U+1F3CA], so the PDF still shows everything that was filed instead of dropping it silently."""
    if value is None or value == "":
        return EMPTY
    covered = _covered()
    return "".join(ch if ord(ch) in covered or ch == "\n" else f"[U+{ord(ch):04X}]" for ch in str(value))


class OfferPdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_font(FONT, "", 9)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.cell(0, 5, f"{self.footer_text} — strona {self.page_no()}/{{nb}}", align="C")

    # --- building blocks --------------------------------------------------------------------------------------------

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 10.5)
        self.set_fill_color(225, 230, 240)
        self.multi_cell(0, 6.5, text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 9)
        self.ln(1)

    def subheading(self, text: str) -> None:
        self.set_font(FONT, "B", 9)
        self.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 9)

    def paragraph(self, text: Any) -> None:
        self.multi_cell(0, 4.6, plain_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def field(self, label: str, value: Any) -> None:
        self.subheading(label)
        self.paragraph(value)

    def pairs(self, rows: Iterable[tuple[str, Any]], widths: tuple[float, float] = (60, 120)) -> None:
        with self.table(col_widths=widths, first_row_as_headings=False, line_height=4.6,
                        text_align=("LEFT", "LEFT")) as table:
            for label, value in rows:
                row = table.row()
                self.set_font(FONT, "B", 8.5)
                row.cell(label)
                self.set_font(FONT, "", 8.5)
                row.cell(plain_text(value))
        self.set_font(FONT, "", 9)
        self.ln(2)

    def grid(self, headings: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[float],
             align: Sequence[str] | None = None, bold_rows: Iterable[int] = (), size: float = 7.5) -> None:
        bold = set(bold_rows)
        self.set_font(FONT, "", size)
        with self.table(col_widths=tuple(widths), line_height=size * 0.55,
                        text_align=tuple(align) if align else "LEFT",
                        headings_style=_headings_style(), num_heading_rows=1) as table:
            head = table.row()
            for text in headings:
                head.cell(text)
            for index, values in enumerate(rows):
                self.set_font(FONT, "B" if index in bold else "", size)
                row = table.row()
                for value in values:
                    row.cell(plain_text(value))
        self.set_font(FONT, "", 9)
        self.ln(2)


def _headings_style():
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="BOLD", fill_color=(235, 238, 245))


def _years(content: Mapping[str, Any]) -> list[int]:
    task = content.get("task") or {}
    try:
        return list(range(int(str(task["task_start"])[:4]), int(str(task["task_end"])[:4]) + 1))
    except (KeyError, ValueError):
        return []


def _lp_of_lines(costs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The form's numbering of V.A: I.<activity>.<k> for the costs of an activity, II.<k> for administrative ones."""
    seen: dict[Any, int] = {}
    numbers = []
    for line in costs:
        if line.get("category") == "administrative":
            key = "II"
            seen[key] = seen.get(key, 0) + 1
            numbers.append(f"II.{seen[key]}")
        else:
            key = ("I", line.get("activity"))
            seen[key] = seen.get(key, 0) + 1
            numbers.append(f"I.{line.get('activity') or '?'}.{seen[key]}")
    return numbers


def received_text(receipt: Mapping[str, Any]) -> str:
    """The receipt's moment of receipt in Warsaw time, as the PDF's receipt says it."""
    received = receipt.get("received_at")
    return moment_text(datetime.fromisoformat(str(received).replace("Z", "+00:00"))) if received else EMPTY


def filed_by(receipt: Mapping[str, Any]) -> str:
    """Who filed the form, as the receipt's „Złożył(a)” says: the people registry's name (``filed_by_name``), else
    what the row keeps (``filed_by``)."""
    return plain_text(receipt.get("filed_by_name") or receipt.get("filed_by"))


def start_pdf(*, footer: str, pdf_title: str, title: str, basis: str, heading: str,
              rows: Sequence[tuple[str, Any]], of_what: str) -> OfferPdf:
    """A new PDF of a filed form (an offer, a local-initiative application): the form's ``title`` and legal
    ``basis``, then the receipt that proves the filing (``heading`` over its ``rows``) and the note on how its
    SHA-256 of the content ``of_what`` ("oferty", "wniosku") is checked; the body's font set."""
    pdf = OfferPdf(footer)
    pdf.set_title(pdf_title)
    pdf.set_creator("coop-engine")
    pdf.add_page()
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(0, 6.5, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.multi_cell(0, 4.5, basis, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.heading(heading)
    pdf.pairs(list(rows), widths=(50, 130))
    pdf.set_font(FONT, "", 7.5)
    pdf.multi_cell(0, 4, f"Skrót SHA-256 liczy się z treści {of_what} zapisanej jako kanoniczny JSON (UTF-8, klucze "
                         "posortowane, bez zbędnych odstępów); każdy może go sprawdzić programem "
                         "tools/verify_receipt.py.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    return pdf


def _start(receipt: Mapping[str, Any], *, title: str, task_title: str, basis: str) -> OfferPdf:
    """A new PDF with the offer form's title, its legal basis and the receipt that proves the filing."""
    number = plain_text(receipt.get("number"))
    sha256 = plain_text(receipt.get("sha256"))
    return start_pdf(
        footer=f"Oferta {receipt.get('case_code', '')} nr {number}, wersja {receipt.get('version', '')}, "
               f"SHA-256 {sha256[:16]}…",
        pdf_title=f"Oferta {number}: {task_title}", title=title, basis=basis,
        heading="Potwierdzenie złożenia oferty", of_what="oferty", rows=[
            ("Numer potwierdzenia", number),
            ("Postępowanie", f"{plain_text(receipt.get('case_code'))} — {plain_text(receipt.get('case_title'))}"),
            ("Data i godzina wpływu (czas warszawski)", received_text(receipt)),
            ("Wersja oferty", receipt.get("version")),
            ("Złożył(a)", filed_by(receipt)),
            ("Skrót SHA-256 treści oferty", sha256),
        ])


def _offerors(pdf: OfferPdf, offerors: Sequence[Mapping[str, Any]]) -> None:
    joint = len(offerors) > 1
    for index, offeror in enumerate(offerors, 1):
        if joint:
            pdf.subheading(f"Oferent {index}{' (wiodący)' if index == 1 else ''}")
        pdf.pairs([("Nazwa", offeror.get("name")), ("Forma prawna", offeror.get("legal_form")),
                   ("Numer w KRS", offeror.get("krs")), ("Inna ewidencja i numer", offeror.get("other_register")),
                   ("Adres siedziby", offeror.get("address")),
                   ("Adres do korespondencji", offeror.get("correspondence_address")),
                   ("Adres e-mail", offeror.get("email")), ("Numer telefonu", offeror.get("phone")),
                   ("Strona www", offeror.get("website"))])


def _declarations(pdf: OfferPdf, heading: str, wording: Mapping[str, str], given: Mapping[str, Any]) -> None:
    pdf.heading(heading)
    pdf.paragraph("Oświadczam(-my), że:")
    for index, (key, text) in enumerate(wording.items(), 1):
        if key in ARREARS_PL:  # 3) and 4): the wording the offeror chose, „nie zalega(-ją)” or „zalega(-ją)”
            chosen = given.get(key)
            pdf.paragraph(f"{index}) {ARREARS_PL[key][chosen]}" if isinstance(chosen, bool)
                          else f"{index}) {text} — nie wskazano")
            continue
        mark = "TAK" if given.get(key) is True else "NIE"
        pdf.paragraph(f"{index}) {text} — {mark}")


def _attachments(pdf: OfferPdf, content: Mapping[str, Any]) -> None:
    """The files filed with the offer (states/offer_attachments.py): each one's hash is part of the receipt's."""
    attachments = content.get("attachments") or []
    if attachments:
        from states.offer_attachments import KIND_PL

        pdf.heading("Załączniki")
        pdf.paragraph("Pliki złożone z ofertą; skrót SHA-256 każdego z nich jest częścią treści, której skrót "
                      "SHA-256 podaje potwierdzenie.")
        pdf.grid(["Lp.", "Rodzaj", "Nazwa pliku", "Typ", "Rozmiar (B)", "SHA-256"],
                 [[str(i), KIND_PL.get(a.get("kind"), a.get("kind")), a.get("name"), a.get("media_type"),
                   str(a.get("size")), a.get("sha256")] for i, a in enumerate(attachments, 1)],
                 widths=(8, 22, 40, 22, 18, 70), size=7)


def _simplified_offer_pdf(content: Mapping[str, Any], receipt: Mapping[str, Any]) -> bytes:
    """A small grant's offer on the simplified form (art. 19a; Dz.U. 2018 poz. 2055 zał. 1), section by section
    under the simplified form's own headings."""
    basic = content.get("basic") or {}
    pdf = _start(receipt, title="UPROSZCZONA OFERTA REALIZACJI ZADANIA PUBLICZNEGO",
                 task_title=basic.get("title", ""),
                 basis="o której mowa w art. 19a ustawy z dnia 24 kwietnia 2003 r. o działalności pożytku "
                       "publicznego i o wolontariacie; wzór: rozporządzenie Przewodniczącego Komitetu do spraw "
                       "Pożytku Publicznego z dnia 24 października 2018 r. w sprawie uproszczonego wzoru oferty "
                       "i uproszczonego wzoru sprawozdania z realizacji zadania publicznego (Dz.U. 2018 poz. 2055), "
                       "załącznik nr 1")
    pdf.heading("I. Podstawowe informacje o złożonej ofercie")
    pdf.pairs([("1. Organ administracji publicznej, do którego jest adresowana oferta", basic.get("authority")),
               ("2. Rodzaj zadania publicznego", basic.get("task_kind")),
               ("3. Tytuł zadania publicznego", basic.get("title")),
               ("4. Termin realizacji zadania publicznego",
                f"od {plain_text(basic.get('task_start'))} do {plain_text(basic.get('task_end'))}")])

    pdf.heading("II. Dane oferenta(-tów)")
    pdf.subheading("1. Nazwa oferenta(-tów), numer w Krajowym Rejestrze Sądowym lub innej ewidencji, adres siedziby "
                   "lub adres do korespondencji")
    _offerors(pdf, list(content.get("offerors") or []))
    contact = content.get("contact") or {}
    pdf.subheading("2. Inne dodatkowe dane kontaktowe, w tym dane osób upoważnionych do składania wyjaśnień "
                   "dotyczących oferty")
    pdf.pairs([("Imię i nazwisko", contact.get("name")), ("Numer telefonu", contact.get("phone")),
               ("Adres e-mail", contact.get("email"))])

    task = content.get("task") or {}
    pdf.heading("III. Opis zadania")
    pdf.subheading("1. Syntetyczny opis zadania")
    pdf.pairs([("Miejsce realizacji zadania", task.get("place")), ("Grupa docelowa", task.get("target_group")),
               ("Sposób rozwiązywania jej problemów / zaspokajania potrzeb", task.get("goal")),
               ("Komplementarność z innymi działaniami", task.get("complementarity"))])
    pdf.field("2. Zakładany(-ne) rezultat(-ty) zadania publicznego", task.get("expected_results"))

    pdf.heading("IV. Szacunkowa kalkulacja kosztów realizacji zadania publicznego")
    lines = list(content.get("cost_estimate") or [])
    summary = content.get("cost_summary") or {}
    rows = [[str(n), line.get("name"), line.get("unit"), amount_text(line.get("unit_cost")), _number(line.get("units")),
             amount_text(line.get("total")), amount_text(line.get("from_grant")), amount_text(line.get("from_other"))]
            for n, line in enumerate(lines, 1)]
    rows.append([BLANK, "Suma wszystkich kosztów realizacji zadania", BLANK, BLANK, BLANK,
                 amount_text(summary.get("total")), amount_text(summary.get("grant")),
                 amount_text(summary.get("other_sources"))])
    pdf.grid(["Lp.", "Rodzaj kosztu", "Rodzaj miary", "Koszt jedn. [PLN]", "Liczba jedn.", "Wartość [PLN]",
              "Z dotacji [PLN]", "Z innych źródeł [PLN]"], rows, widths=(10, 52, 20, 22, 16, 22, 22, 22),
             align=["LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"], bold_rows=[len(rows) - 1])

    _declarations(pdf, "V. Oświadczenia", STATEMENTS_PL, content.get("statements") or {})
    _attachments(pdf, content)
    return bytes(pdf.output())


def offer_pdf(content: Mapping[str, Any], receipt: Mapping[str, Any]) -> bytes:
    """The PDF of the offer ``content`` as filed, with its ``receipt``: an open call's offer on the model form
    (poz. 2057 zał. 1), a small grant's on the simplified one (poz. 2055 zał. 1), each under its own headings."""
    if is_simplified(content):
        return _simplified_offer_pdf(content, receipt)
    offerors = list(content.get("offerors") or [])
    joint = len(offerors) > 1
    title = "OFERTA WSPÓLNA REALIZACJI ZADANIA PUBLICZNEGO" if joint else "OFERTA REALIZACJI ZADANIA PUBLICZNEGO"
    pdf = _start(receipt, title=title, task_title=(content.get("task") or {}).get("title", ""),
                 basis=f"o której mowa w art. 14 ust. {2 if joint else 1} ustawy z dnia 24 kwietnia 2003 r. "
                       "o działalności pożytku publicznego i o wolontariacie; wzór: rozporządzenie "
                       "Przewodniczącego Komitetu do spraw Pożytku Publicznego z dnia 24 października 2018 r. "
                       "(Dz.U. 2018 poz. 2057), załącznik nr 1")

    # --- I ----------------------------------------------------------------------------------------------------------
    basic = content.get("basic") or {}
    pdf.heading("I. Podstawowe informacje o złożonej ofercie")
    pdf.pairs([("1. Organ administracji publicznej, do którego jest adresowana oferta", basic.get("authority")),
               ("2. Rodzaj zadania publicznego", basic.get("task_kind"))])

    # --- II ---------------------------------------------------------------------------------------------------------
    pdf.heading("II. Dane oferenta(-tów)")
    pdf.subheading("1. Nazwa oferenta(-tów), forma prawna, numer w Krajowym Rejestrze Sądowym lub innej ewidencji, "
                   "adres siedziby, strona www, adres do korespondencji, adres e-mail, numer telefonu")
    _offerors(pdf, offerors)
    contact = content.get("contact") or {}
    pdf.subheading("2. Dane osoby upoważnionej do składania wyjaśnień dotyczących oferty")
    pdf.pairs([("Imię i nazwisko", contact.get("name")), ("Numer telefonu", contact.get("phone")),
               ("Adres e-mail", contact.get("email"))])

    # --- III --------------------------------------------------------------------------------------------------------
    task = content.get("task") or {}
    pdf.heading("III. Opis zadania")
    pdf.pairs([("1. Tytuł zadania publicznego", task.get("title")),
               ("2. Termin realizacji zadania publicznego",
                f"data rozpoczęcia: {plain_text(task.get('task_start'))}, data zakończenia: {plain_text(task.get('task_end'))}")])
    pdf.subheading("3. Syntetyczny opis zadania")
    pdf.pairs([("Miejsce realizacji", task.get("place")), ("Grupa docelowa", task.get("target_group")),
               ("Sposób rozwiązywania problemów / zaspokajania potrzeb", task.get("goal")),
               ("Komplementarność z innymi działaniami", task.get("complementarity"))])
    pdf.subheading("4. Plan i harmonogram działań")
    activities = list(task.get("activities") or [])
    headings = ["Lp.", "Nazwa działania", "Opis", "Grupa docelowa", "Planowany termin realizacji",
                "Zakres działania realizowany przez podmiot niebędący stroną umowy"]
    widths = [8, 30, 52, 28, 24, 38]
    if joint:
        headings.append("Oferent")
        widths = [8, 24, 40, 22, 22, 30, 28]
    rows = []
    for index, activity in enumerate(activities, 1):
        values = [str(index), activity.get("name"), activity.get("description"), activity.get("target_group"),
                  f"{plain_text(activity.get('start'))} – {plain_text(activity.get('end'))}",
                  activity.get("third_party_scope")]
        if joint:
            ref = activity.get("offeror")
            name = offerors[ref - 1].get("name") if isinstance(ref, int) and 0 < ref <= len(offerors) else ref
            values.append(name)
        rows.append(values)
    pdf.grid(headings, rows, widths)
    pdf.subheading("5. Opis zakładanych rezultatów realizacji zadania publicznego")
    pdf.pairs([("Bezpośrednie efekty (produkty, usługi)", task.get("effects")),
               ("Zmiana społeczna", task.get("social_change")),
               ("Trwałość rezultatów", task.get("durability"))])
    pdf.subheading("6. Dodatkowe informacje dotyczące rezultatów realizacji zadania publicznego")
    results = list(task.get("results") or [])
    if results:
        pdf.grid(["Nazwa rezultatu", "Planowany poziom osiągnięcia rezultatów (wartość docelowa)",
                  "Sposób monitorowania rezultatów / źródło informacji o osiągnięciu wskaźnika"],
                 [[r.get("name"), r.get("target_value"), r.get("monitoring")] for r in results], [60, 50, 70])
    else:
        pdf.paragraph("nie dotyczy")

    # --- IV ---------------------------------------------------------------------------------------------------------
    profile = content.get("profile") or {}
    pdf.heading("IV. Charakterystyka oferenta")
    pdf.field("1. Informacja o wcześniejszej działalności oferenta, w szczególności w zakresie, którego dotyczy "
              "zadanie publiczne", profile.get("earlier_activity"))
    pdf.field("2. Zasoby kadrowe, rzeczowe i finansowe oferenta, które będą wykorzystane do realizacji zadania",
              profile.get("resources"))

    # --- V.A --------------------------------------------------------------------------------------------------------
    pdf.heading("V. Kalkulacja przewidywanych kosztów realizacji zadania publicznego")
    pdf.subheading("V.A Zestawienie kosztów realizacji zadania")
    costs = list(content.get("costs") or [])
    years = _years(content)
    many_years = len(years) > 1
    numbers = _lp_of_lines(costs)
    headings = ["Lp.", "Rodzaj kosztu", "Rodzaj miary", "Koszt jedn. [PLN]", "Liczba jedn.",
                "Wartość razem [PLN]"]
    headings += [f"Rok {n} ({year}) [PLN]" for n, year in enumerate(years, 1)] if many_years else []
    # fpdf2 scales the widths to the page: the years' columns take their share from the cost's name.
    widths = [12, 62, 22, 24, 18, 26] + ([20] * len(years) if many_years else [])
    rows, bold = [], []

    def add_sum(label: str, lines: list[Mapping[str, Any]]) -> None:
        total = sum((Decimal(str(line.get("total", "0"))) for line in lines), Decimal(0))
        row = [BLANK, label, BLANK, BLANK, BLANK, amount_text(total)]
        if many_years:
            row += [amount_text(sum((Decimal(str((line.get("per_year") or [0] * len(years))[i]))
                                 for line in lines if i < len(line.get("per_year") or [])), Decimal(0)))
                    for i in range(len(years))]
        bold.append(len(rows))
        rows.append(row)

    for category, label, sum_label in (("activities", "Koszty realizacji działań", "Suma kosztów realizacji działań"),
                                       ("administrative", "Koszty administracyjne",
                                        "Suma kosztów administracyjnych")):
        bold.append(len(rows))
        rows.append([CATEGORIES[category], label, BLANK, BLANK, BLANK, BLANK]
                    + ([BLANK] * len(years) if many_years else []))
        lines = [(n, line) for n, line in zip(numbers, costs, strict=True) if line.get("category") == category]
        last_activity = object()
        for lp, line in lines:
            if category == "activities" and line.get("activity") != last_activity:
                last_activity = line.get("activity")
                ref = last_activity
                name = activities[ref - 1].get("name") if isinstance(ref, int) and 0 < ref <= len(activities) else ""
                rows.append([f"I.{ref}", f"Działanie {ref}: {plain_text(name)}", BLANK, BLANK, BLANK, BLANK]
                            + ([BLANK] * len(years) if many_years else []))
            row = [lp, line.get("name"), line.get("unit"), amount_text(line.get("unit_cost")), _number(line.get("units")),
                   amount_text(line.get("total"))]
            if many_years:
                per_year = list(line.get("per_year") or [])
                row += [amount_text(per_year[i]) if i < len(per_year) else EMPTY for i in range(len(years))]
            rows.append(row)
        add_sum(sum_label, [line for _, line in lines])
    add_sum("Suma wszystkich kosztów realizacji zadania", costs)
    align = ["LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"] + ["RIGHT"] * (len(years) if many_years else 0)
    pdf.grid(headings, rows, widths, align=align, bold_rows=bold)

    pdf.subheading("V.A (cd.) Pokrycie kosztów poszczególnych pozycji ze źródeł finansowania [PLN]")
    rows = [[lp, line.get("name"), amount_text(line.get("from_grant", 0)), amount_text(line.get("from_own_financial", 0)),
             amount_text(line.get("from_volunteer_work", 0)), amount_text(line.get("from_in_kind", 0))]
            for lp, line in zip(numbers, costs, strict=True)]
    pdf.grid(["Lp.", "Rodzaj kosztu", "z dotacji", "z wkładu własnego finansowego",
              "z wkładu osobowego (praca wolontariuszy)", "z wkładu rzeczowego"], rows, [12, 62, 26, 26, 28, 26],
             align=["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"])

    # --- V.B --------------------------------------------------------------------------------------------------------
    sources = content.get("sources") or {}
    pdf.subheading("V.B Źródła finansowania kosztów realizacji zadania")

    def share(key: str) -> str:
        value = sources.get(key)
        return f"{amount_text(value)} %" if value is not None else EMPTY

    rows = [
        ["1.", "Suma wszystkich kosztów realizacji zadania", amount_text(sources.get("total")), "100,00 %"],
        ["2.", "Planowana dotacja w ramach niniejszej oferty", amount_text(sources.get("grant")), share("grant_share")],
        ["3.", "Wkład własny", amount_text(sources.get("own_contribution")), share("own_contribution_share")],
        ["3.1.", "Wkład własny finansowy", amount_text(sources.get("own_financial")), share("own_financial_share")],
        ["3.2.", "Wkład własny niefinansowy (osobowy i rzeczowy)", amount_text(sources.get("own_non_financial")),
         share("own_non_financial_share")],
        [BLANK, "w tym wkład osobowy (praca wolontariuszy i członków)", amount_text(sources.get("volunteer_work")),
         BLANK],
        [BLANK, "w tym wkład rzeczowy", amount_text(sources.get("in_kind")), BLANK],
        ["4.", "Świadczenia pieniężne od odbiorców zadania", amount_text(sources.get("recipients_fees")),
         share("recipients_fees_share")],
    ]
    pdf.grid(["Lp.", "Źródło finansowania kosztów realizacji zadania", "Wartość [PLN]", "Udział [%]"], rows,
             [12, 108, 32, 28], align=["LEFT", "LEFT", "RIGHT", "RIGHT"], bold_rows=[0], size=8)

    # --- V.C --------------------------------------------------------------------------------------------------------
    pdf.subheading("V.C Podział kosztów realizacji zadania pomiędzy oferentów")
    split = content.get("cost_split")
    if split:
        headings = ["Lp.", "Nazwa oferenta", "Wartość razem [PLN]"]
        headings += [f"Rok {n} ({year}) [PLN]" for n, year in enumerate(years, 1)] if many_years else []
        rows = []
        for entry in split:
            ref = entry.get("offeror")
            name = offerors[ref - 1].get("name") if isinstance(ref, int) and 0 < ref <= len(offerors) else ref
            row = [str(ref), name, amount_text(entry.get("total"))]
            if many_years:
                per_year = list(entry.get("per_year") or [])
                row += [amount_text(per_year[i]) if i < len(per_year) else EMPTY for i in range(len(years))]
            rows.append(row)
        total = sum((Decimal(str(entry.get("total", "0"))) for entry in split), Decimal(0))
        rows.append([BLANK, "Suma wszystkich kosztów realizacji zadania", amount_text(total)]
                    + ([BLANK] * len(years) if many_years else []))
        widths = [12, 90, 30] + ([22] * len(years) if many_years else [])
        pdf.grid(headings, rows, widths, align=["LEFT", "LEFT", "RIGHT"] + ["RIGHT"] * (len(years) if many_years
                                                                                        else 0),
                 bold_rows=[len(rows) - 1])
    else:
        pdf.paragraph("nie dotyczy (oferta jednego oferenta)")

    # --- VI ---------------------------------------------------------------------------------------------------------
    other = content.get("other") or {}
    pdf.heading("VI. Inne informacje mogące mieć znaczenie przy ocenie oferty")
    pdf.field("1. Deklaracja o zamiarze odpłatnego lub nieodpłatnego wykonania zadania publicznego",
              EXECUTION.get(other.get("execution"), other.get("execution")))
    pdf.field("2. Rodzaj działań podejmowanych przez poszczególnych oferentów w ramach oferty wspólnej",
              other.get("joint_roles") if joint else "nie dotyczy (oferta jednego oferenta)")
    pdf.field("3. Inne działania, które mogą mieć znaczenie przy ocenie oferty", other.get("remarks"))

    # --- VII --------------------------------------------------------------------------------------------------------
    _declarations(pdf, "VII. Oświadczenia", DECLARATIONS_PL, content.get("declarations") or {})
    _attachments(pdf, content)
    return bytes(pdf.output())
