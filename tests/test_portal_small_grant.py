"""The portal's small-grant offer (web/portal_small_grant.py) through FastAPI's TestClient, on SQLite and
PostgreSQL: what may be filed, a draft kept without a case, the same page's button pressed twice files one case,
"My offers" lists it, the receipt and PDF, another organisation refused, the pages in English. The form is the
simplified offer of art. 19a (Dz.U. 2018 poz. 2055 zał. 1), not the open call's."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sqlmodel import func, select

from models.tables import Case
from tests.conftest import dump
from tests.offer_forms import sample_offer_form, sample_simplified_offer_form
from tests.portal_pages import flatten, portal_environment
from tests.test_desk import with_password
from tests.test_open_call_guards import session
from tests.test_portal_offers import csrf_of, intent_of, log_in
from tests.test_small_grant import KRS, OTHER_KRS, setup_registry

AT = "2026-04-01T10:00+02:00"
TASK = {"task_start": "2026-05-01", "task_end": "2026-07-16", "requested_grant": "9500.00"}
PAGE = f"/portal/pozakonkursowa?organizacja={KRS}"


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    portal_environment(monkeypatch, tmp_path, AT)


@pytest.fixture
def portal(db_url):
    setup_registry(db_url)
    with_password(db_url, "rowery", "Anna Nowak", ("applicant", KRS))
    return db_url, log_in(db_url, "rowery")


def post(c, page, fields: dict[str, str], action: str, intent: str | None = None):
    data = {"csrf": csrf_of(page.text), "intent": intent or intent_of(page.text), "action": action, **fields}
    return c.post(PAGE, data=data, follow_redirects=False)


def test_the_choice_lists_the_small_grant_and_its_limits(portal):
    url, c = portal
    page = c.get("/portal/zloz")
    assert page.status_code == 200
    assert PAGE in page.text and "art. 19a" in page.text and "10 000,00 zł" in page.text
    english = c.get("/portal/zloz?lang=en")
    assert "Start a small-grant offer" in english.text and "90 days" in english.text


def test_a_draft_is_kept_then_the_same_press_twice_files_one_case(portal):
    url, c = portal
    page = c.get(PAGE)
    assert page.status_code == 200 and "Stowarzyszenie Leszczyńskie Rowery" in page.text
    # the simplified form's sections, none of the full form's (no plan of activities, no V.B shares)
    assert "poz. 2055" in page.text and 'name="cost_summary.grant"' in page.text
    # V: the annex's wording beside each declaration (7: "w zakresie związanym z ofertą"), 3) and 4) a choice
    assert re.search(r'id="f-statements-personal_data-hint">w zakresie związanym z ofertą, w tym z gromadzeniem', page.text)
    for key in ("no_tax_arrears", "no_social_security_arrears"):
        radios = re.findall(rf'<input id="f-statements-{key}-(?:true|false)" name="statements.{key}" type="radio" '
                            rf'value="(true|false)" required', page.text)
        assert radios == ["true", "false"], key
    assert ">oferent / oferenci składający niniejszą ofertę zalega(-ją) z opłacaniem należności z tytułu " \
           "składek na ubezpieczenia społeczne</label>" in page.text
    assert 'name="task.expected_results"' in page.text and "activities" not in page.text
    # under the simplified form's own numbers and titles (Dz.U. 2018 poz. 2055 zał. 1; docs/model-forms.md)
    for legend in ("I. Podstawowe informacje o złożonej ofercie", "II. Dane oferenta(-tów)", "III. Opis zadania",
                   "IV. Szacunkowa kalkulacja kosztów realizacji zadania publicznego",
                   "IV. Suma wszystkich kosztów realizacji zadania", "V. Oświadczenia"):
        assert f"<legend>{legend}</legend>" in page.text, legend
    assert re.search(r'<label for="f-cost_estimate-0-name">Rodzaj kosztu', page.text)
    fields = flatten(sample_simplified_offer_form(KRS, **TASK))
    saved = post(c, page, fields, "save")
    assert saved.status_code == 200 and "Szkic zapisany" in saved.text
    assert "Rajd" not in c.get("/portal/oferty").text and "tryb pozakonkursowy" in c.get("/portal/oferty").text
    again = c.get(PAGE)
    assert 'value="Wakacje z nauką pływania"' in again.text  # the draft, not a new form
    intent = intent_of(again.text)
    first = post(c, again, fields, "submit", intent)
    second = post(c, again, fields, "submit", intent)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == (
        "/portal/oferty/MG/2026/001/1/pokwitowanie?wersja=1&zlozono=1")
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Case).where(Case.kind == "small_grant")).one() == 1
    receipt = c.get(first.headers["location"])
    assert "MG/2026/001/1-1" in receipt.text and "Tryb pozakonkursowy (art. 19a)" in receipt.text
    pdf = c.get("/portal/oferty/MG/2026/001/1/pokwitowanie.pdf?wersja=1")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
        text = text.decode()
        assert "UPROSZCZONA OFERTA REALIZACJI ZADANIA PUBLICZNEGO" in text and "poz. 2055" in text
        assert "Wakacje z nauką pływania" in text and "IV. Szacunkowa kalkulacja kosztów" in text
        assert "V. Oświadczenia" in text and "VII. Oświadczenia" not in text
    mine = c.get("/portal/oferty").text
    assert "MG/2026/001/1-1" in mine and "Szkice" not in mine  # filing discarded the draft


def test_a_limit_of_art_19a_is_refused_with_its_basis_and_everything_kept(portal):
    url, c = portal
    page = c.get(PAGE)
    fields = flatten(sample_simplified_offer_form(KRS, **{**TASK, "task_end": "2026-08-31"}))  # 123 days
    kept = ("offer_drafts", "command_log")  # the refused filing's draft is saved, by its own logged command
    before = {k: v for k, v in dump(url).items() if k not in kept}
    refused = post(c, page, fields, "submit")
    assert refused.status_code == 422 and "art. 19a ust. 1 pkt 2" in refused.text
    assert 'value="2026-08-31"' in refused.text
    assert {k: v for k, v in dump(url).items() if k not in kept} == before  # no case, no history, no version


def test_another_organisations_page_and_post_are_refused(portal):
    url, c = portal
    assert c.get(f"/portal/pozakonkursowa?organizacja={OTHER_KRS}").status_code == 403
    page = c.get(PAGE)
    before = dump(url)
    refused = c.post(f"/portal/pozakonkursowa?organizacja={OTHER_KRS}",
                     data={"csrf": csrf_of(page.text), "intent": "x" * 32, "action": "submit",
                           **flatten(sample_simplified_offer_form(OTHER_KRS, **TASK))}, follow_redirects=False)
    assert refused.status_code == 403 and dump(url) == before


def test_a_broken_sum_of_the_simplified_form_is_shown_beside_its_field_with_its_rule(portal):
    url, c = portal
    page = c.get(PAGE)
    form = sample_simplified_offer_form(KRS, **TASK)
    form["cost_estimate"][1]["total"] = "750.00"  # 350.00 × 2 is 700.00
    kept = ("offer_drafts", "command_log")
    before = {k: v for k, v in dump(url).items() if k not in kept}
    refused = post(c, page, flatten(form), "submit")
    assert refused.status_code == 422
    assert "IV: wartość 750,00" in refused.text and "700,00" in refused.text, refused.text
    assert 'value="750.00"' in refused.text  # what was typed is kept
    assert {k: v for k, v in dump(url).items() if k not in kept} == before


def test_the_full_offer_forms_fields_file_nothing(portal):
    """The open call's form posted to the small grant's page: its fields are not the simplified form's, so the
    simplified form's required fields are missing and nothing is filed."""
    url, c = portal
    page = c.get(PAGE)
    kept = ("offer_drafts", "command_log")
    before = {k: v for k, v in dump(url).items() if k not in kept}
    refused = post(c, page, flatten(sample_offer_form(KRS, **TASK)), "submit")
    assert refused.status_code == 422
    assert {k: v for k, v in dump(url).items() if k not in kept} == before


def test_the_receipt_names_who_filed_by_her_name_in_the_page_the_pdf_and_the_e_mail(portal):
    """„Złożył(a)”: the people registry's name of the representative (Anna Nowak), not her login (rowery), on the
    receipt's page, in its PDF and in the receipt e-mail alike; the row keeps the login."""
    from models.filing_tables import OfferVersion
    from models.notification_tables import Notification
    from notifications.render import render

    url, c = portal
    page = c.get(PAGE)
    done = post(c, page, flatten(sample_simplified_offer_form(KRS, **TASK)), "submit")
    assert done.status_code == 303
    receipt = c.get(done.headers["location"]).text
    stamp = receipt.split("Złożył(a)</dt>", 1)[1].split("</dd>", 1)[0]
    assert "Anna Nowak" in stamp and "rowery" not in stamp
    pdf = c.get("/portal/oferty/MG/2026/001/1/pokwitowanie.pdf?wersja=1")
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True,
                                   check=True).stdout.decode().split())
    assert "Złożył(a) Anna Nowak" in text and "rowery" not in text
    with session(url) as s:
        assert s.exec(select(OfferVersion)).one().filed_by == "rowery"
        mails = s.exec(select(Notification).where(Notification.template == "small_grant_offer_receipt")).all()
    assert mails
    for mail in mails:
        assert "Złożona przez: Anna Nowak" in render(mail.template, mail.data, "pl").text
        assert "Filed by: Anna Nowak" in render(mail.template, mail.data, "en").text
