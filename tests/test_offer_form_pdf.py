"""The filed offer as a PDF (notifications/offer_pdf.py), read back with pdftotext: every section under its Polish
heading, every value filed, Polish letters intact, and the receipt (number, Warsaw time, SHA-256, version).
No database, but not the fast tier: that tier is the statutory rules on plain facts (docs/architecture.md, "Tests"),
and these render a document with fpdf2 and read it back with an external program (~2 s for the six)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from notifications.offer_pdf import FONTS, offer_pdf
from states.model_forms.canonical import content_sha256
from states.model_forms.offer import parse_offer_form
from tests.offer_forms import sample_joint_offer_form, sample_offer_form

pytestmark = [pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is missing")]
ROOT = Path(__file__).resolve().parents[1]
HEADINGS = [
    "I. Podstawowe informacje o złożonej ofercie", "II. Dane oferenta(-tów)", "III. Opis zadania",
    "4. Plan i harmonogram działań", "IV. Charakterystyka oferenta",
    "V. Kalkulacja przewidywanych kosztów realizacji zadania publicznego",
    "V.A Zestawienie kosztów realizacji zadania", "V.B Źródła finansowania kosztów realizacji zadania",
    "V.C Podział kosztów realizacji zadania pomiędzy oferentów",
    "VI. Inne informacje mogące mieć znaczenie przy ocenie oferty", "VII. Oświadczenia",
]


def text_of(pdf: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / "offer.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def receipt_for(content: dict, received_at: str = "2027-02-10T13:03:05+00:00") -> dict:
    return {"number": "OK/2027/001/7", "received_at": received_at, "sha256": content_sha256(content),
            "case_code": "OK/2027/001", "case_title": "Sport dzieci i młodzieży 2027", "version": 2}


def leaves(value, key=""):
    if isinstance(value, dict):
        for k, item in value.items():
            yield from leaves(item, k)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, key)
    else:
        yield key, value


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_pdf_holds_the_filed_offer_and_its_receipt(tmp_path):
    form = sample_joint_offer_form(title="Zażółć gęślą jaźń — ŻÓŁTA ŁÓDŹ", task_start="2027-10-01",
                                   task_end="2029-02-28")
    content = parse_offer_form(form).content()
    receipt = receipt_for(content)
    pdf = offer_pdf(content, receipt)
    assert pdf.startswith(b"%PDF-")
    layout = text_of(pdf, tmp_path, "-layout")
    raw = text_of(pdf, tmp_path, "-raw")

    assert "OFERTA WSPÓLNA REALIZACJI ZADANIA PUBLICZNEGO" in layout
    for heading in HEADINGS:
        assert heading in layout, heading
    assert "Zażółć gęślą jaźń — ŻÓŁTA ŁÓDŹ" in layout  # the Polish letters, both cases
    # the receipt: number, the moment in Warsaw time (13:03 UTC is 14:03 in February), the hash whole, the version
    assert "OK/2027/001/7" in layout and "Sport dzieci i młodzieży 2027" in layout
    assert "2027-02-10 14:03:05 (+01:00)" in layout
    assert receipt["sha256"] in layout
    assert re.search(r"Wersja oferty\s+2", layout)
    # a cost line as filed: its number on the form, name, unit, unit cost, units, value and its three years
    line = next(line for line in layout.splitlines() if "Wynajem toru na basenie" in line)
    assert re.search(r"I\.1\.2\s+Wynajem toru na basenie\s+miesiąc\s+175,00\s+4\s+700,00\s+233,33\s+233,33\s+233,34",
                     line), line
    assert re.search(r"Suma wszystkich kosztów\s+realizacji zadania", raw)
    assert "10 200,00" in layout and "78,43 %" in layout
    # every text and number filed is in the PDF (amounts in Polish notation, declarations as TAK)
    everything = squeezed(raw)
    for key, value in leaves(content):
        if value is None or value == "" or key in ("category", "execution", "offeror", "activity"):
            continue
        if isinstance(value, bool):
            assert value is True
            continue
        if re.fullmatch(r"[0-9]+\.[0-9]{2}", str(value)):
            whole, cents = str(value).split(".")
            shown = f"{int(whole):,}".replace(",", "") + ("" if key == "units" and cents == "00" else "," + cents)
        else:
            shown = str(value)
        assert squeezed(shown) in everything, (key, value)
    assert everything.count("—TAK") == 5  # 1), 2), 5)-7); 3) and 4) print the wording chosen
    assert squeezed("3) oferent / oferenci składający niniejszą ofertę nie zalega(-ją) z opłacaniem należności z "
                    "tytułu zobowiązań podatkowych") in everything


@pytest.mark.parametrize("simplified", [False, True], ids=["offer", "simplified"])
def test_the_pdf_prints_the_arrears_wording_the_offeror_chose(tmp_path, simplified):
    """Declarations 3) and 4) as filed: „zalega(-ją)” (false) for taxes, „nie zalega(-ją)” (true) for social
    security, each in the annex's words and nothing else about them (no "TAK"/"NIE" to read two ways)."""
    from states.model_forms.simplified_offer import parse_simplified_offer_form
    from tests.offer_forms import sample_simplified_offer_form

    form = sample_simplified_offer_form() if simplified else sample_offer_form()
    part = "statements" if simplified else "declarations"
    form[part]["no_tax_arrears"] = False
    content = (parse_simplified_offer_form if simplified else parse_offer_form)(form).content()
    assert content[part]["no_tax_arrears"] is False and content[part]["no_social_security_arrears"] is True
    raw = " ".join(text_of(offer_pdf(content, receipt_for(content)), tmp_path, "-raw").split())
    assert ("3) oferent / oferenci składający niniejszą ofertę zalega(-ją) z opłacaniem należności z tytułu "
            "zobowiązań podatkowych") in raw
    assert "nie zalega(-ją) z opłacaniem należności z tytułu zobowiązań podatkowych" not in raw
    assert ("4) oferent / oferenci składający niniejszą ofertę nie zalega(-ją) z opłacaniem należności z tytułu "
            "składek na ubezpieczenia społeczne") in raw
    assert "podatkowych — " not in raw and "społeczne — " not in raw


def test_a_summer_receipt_is_shown_in_summer_time_and_a_single_offer_says_v_c_does_not_apply(tmp_path):
    content = parse_offer_form(sample_offer_form()).content()
    text = text_of(offer_pdf(content, receipt_for(content, "2027-06-30T21:59:00Z")), tmp_path, "-layout")
    assert "2027-06-30 23:59 (+02:00)" in text
    assert "OFERTA REALIZACJI ZADANIA PUBLICZNEGO" in text and "OFERTA WSPÓLNA" not in text
    assert "nie dotyczy (oferta jednego oferenta)" in text


def test_a_character_the_font_cannot_draw_is_printed_as_its_code_point(tmp_path):
    content = parse_offer_form(sample_offer_form(title="Pływanie 🏊 w Lesznie 日本")).content()
    text = text_of(offer_pdf(content, receipt_for(content)), tmp_path, "-layout")
    assert "Pływanie [U+1F3CA] w Lesznie [U+65E5][U+672C]" in text


def test_the_font_is_shipped_with_the_package_and_its_licence():
    assert FONTS == ROOT / "notifications" / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (FONTS / name).is_file(), name
    assert "Bitstream Vera" in (FONTS / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "fonts/*" in project["tool"]["setuptools"]["package-data"]["notifications"]
    assert "fpdf2==2.8.9" in project["project"]["dependencies"]
