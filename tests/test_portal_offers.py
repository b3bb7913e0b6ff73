"""The portal's offer pages (web/portal_offers.py) through FastAPI's TestClient, on SQLite and PostgreSQL: the open
calls, a draft on the model form (saved, a row added, another organisation refused), filing it (the receipt; a
double submit files once; after the deadline refused with the rule), the receipt's PDF and content, "My offers",
and a correction answered on the same form."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from states.engine import execute
from tests.conftest import dump
from tests.offer_forms import sample_joint_offer_form, sample_offer_form
from tests.portal_pages import flatten, portal_environment
from tests.test_desk import PASSWORD, with_password
from tests.test_open_call_guards import KRS, announced_call, close_offers, do
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
AT = "2026-01-12T10:00+01:00"  # the call takes offers until 23 January 2026


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    portal_environment(monkeypatch, tmp_path, AT)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def intent_of(page: str) -> str:
    return re.search(r'name="intent" value="([^"]+)"', page).group(1)


def log_in(url: str, login: str) -> TestClient:
    c = TestClient(create_app(url), base_url="http://testserver")
    form = c.get("/portal/logowanie")
    done = c.post("/portal/logowanie", data={"csrf": csrf_of(form.text), "login": login, "password": PASSWORD,
                                             "next": "/portal/oferty"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return c


def org_id(url: str, krs: str) -> int:
    from tests.test_offer_drafts import org_id as find

    return find(url, krs)


@pytest.fixture
def portal(db_url):
    """An announced call, two organisations' representatives with passwords, logged in."""
    code = announced_call(db_url, orgs=3)
    with_password(db_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    with_password(db_url, "inna", "Ewa Inna", ("applicant", KRS[1]))
    return db_url, code, log_in(db_url, "delfin"), KRS[0]


def new_offer_page(c: TestClient, code: str, org: int):
    page = c.get(f"/portal/oferty/nowa/{code}?organizacja={org}")
    assert page.status_code == 200, page.text
    return page


def post(c: TestClient, code: str, org: int, page, fields: dict[str, str], action: str, intent: str | None = None):
    data = {"csrf": csrf_of(page.text), "intent": intent or intent_of(page.text), "action": action, **fields}
    return c.post(f"/portal/oferty/nowa/{code}?organizacja={org}", data=data, follow_redirects=False)


def test_the_open_calls_are_listed_with_a_link_to_start_an_offer(portal):
    url, code, c, org = portal
    page = c.get("/portal/nabory")
    assert page.status_code == 200
    assert code in page.text and "Aktywność lokalna 2026" in page.text
    assert "2026-01-23 23:59:59 (+01:00)" in page.text  # the deadline in Warsaw time
    assert f'href="/portal/oferty/nowa/{code}?organizacja={org}"' in page.text
    public = TestClient(create_app(url)).get("/portal/nabory")  # not logged in: the list, and a login link
    assert code in public.text and "/portal/oferty/nowa/" not in public.text and "/portal/logowanie" in public.text


def test_the_form_carries_the_models_constraints_and_starts_from_the_registry(portal):
    _, code, c, org = portal
    page = new_offer_page(c, code, org).text
    assert 'name="offerors.0.name"' in page and 'value="Organizacja 1"' in page  # the lead offeror prefilled
    assert re.search(r'name="offerors\.0\.krs" type="text" value="0000100001" pattern="\[0-9\]\{10\}"', page)
    unit_cost = re.search(r'<input id="f-costs-0-unit_cost"[^>]*>', page).group(0)
    assert 'type="number"' in unit_cost and 'step="0.01"' in unit_cost and 'min="0"' in unit_cost
    assert "required" in unit_cost
    grant = re.search(r'<input id="f-sources-grant"[^>]*>', page).group(0)
    assert 'min="0.01"' in grant  # a grant must be positive: "above 0" as the browser's minimum
    assert re.search(r'<input id="f-task-task_start"[^>]*type="date"', page)
    # the sections under the model form's own numbers and titles (Dz.U. 2018 poz. 2057 zał. 1; docs/model-forms.md)
    for legend in ("I. Podstawowe informacje o złożonej ofercie", "II. Dane oferenta(-tów)",
                   "II.2 Dane osoby upoważnionej do składania wyjaśnień dotyczących oferty", "III. Opis zadania",
                   "IV. Charakterystyka oferenta", "V.A Zestawienie kosztów realizacji zadania",
                   "V.B Źródła finansowania kosztów realizacji zadania",
                   "V.C Podział kosztów realizacji zadania pomiędzy oferentów", "VI. Inne informacje",
                   "VII. Oświadczenia"):
        assert f"<legend>{legend}</legend>" in page, legend
    assert re.search(r'<label for="f-task-title">Tytuł zadania publicznego', page)
    assert re.search(r'<label for="f-costs-0-name">Rodzaj kosztu', page)
    assert 'value="add:offerors"' in page and 'value="add:task.activities"' in page  # rows without JavaScript
    assert re.search(r'<input id="f-declarations-public_benefit_scope" name="declarations.public_benefit_scope" '
                     r'type="checkbox" value="1" required', page)  # a declaration of VII must be ticked
    # beside it the annex's full wording, which the box describes itself by
    assert re.search(r'<p class="hint declaration-text" id="f-declarations-public_benefit_scope-hint">proponowane '
                     r'zadanie publiczne będzie realizowane wyłącznie w zakresie działalności pożytku publicznego '
                     r'oferenta\(-tów\)</p>', page)
    assert 'aria-describedby="f-declarations-public_benefit_scope-hint"' in page
    # 3) and 4): a choice between the annex's two wordings, required, none chosen in advance
    for key, what in (("no_tax_arrears", "zobowiązań podatkowych"),
                      ("no_social_security_arrears", "składek na ubezpieczenia społeczne")):
        radios = re.findall(rf'<input id="f-declarations-{key}-(true|false)" name="declarations.{key}" type="radio" '
                            rf'value="(?:true|false)"( checked)? required>', page)
        assert [value for value, _ in radios] == ["true", "false"] and not any(c for _, c in radios), key
        for value, word in (("true", "nie zalega(-ją)"), ("false", "zalega(-ją)")):
            assert re.search(rf'<label for="f-declarations-{key}-{value}">oferent / oferenci składający niniejszą '
                             rf'ofertę {re.escape(word)} z opłacaniem należności z tytułu {what}</label>', page), key
    assert "<legend>Oświadczenie 3 (zobowiązania podatkowe) <span" in page
    assert "Oświadczam(-my), że:" in page
    # the annex's headings over parts the model does not group
    for legend in ("III.3 Syntetyczny opis zadania", "III.5 Opis zakładanych rezultatów realizacji zadania publicznego",
                   "V. Kalkulacja przewidywanych kosztów realizacji zadania publicznego"):
        assert f'<legend>{legend}</legend>' in page, legend
    heading_v = page.index("<legend>V. Kalkulacja")
    assert heading_v < page.index("<legend>V.A Zestawienie") < page.index("<legend>V.C Podział")
    assert page.index("<legend>III.3 Syntetyczny") < page.index('id="f-task-place"') < page.index("<legend>III.5")
    # the spare row below the lead offeror (a joint offer's partner) stops nothing when left empty
    partner = re.search(r'<input id="f-offerors-1-name"[^>]*>', page).group(0)
    assert "required" not in partner and "required" in re.search(r'<input id="f-offerors-0-name"[^>]*>', page).group(0)


def test_a_draft_is_saved_a_row_added_and_another_organisation_refused(portal):
    url, code, c, org = portal
    page = new_offer_page(c, code, org)
    fields = {"task.title": "Wakacje na basenie", "costs.0.name": "Instruktor", "costs.0.unit_cost": "abc"}
    saved = post(c, code, org, page, fields, "save")
    assert saved.status_code == 200 and "Szkic zapisany" in saved.text
    assert 'value="Wakacje na basenie"' in saved.text and 'value="abc"' in saved.text  # kept as typed
    again = new_offer_page(c, code, org)
    assert 'value="Wakacje na basenie"' in again.text and "Twój szkic z" in again.text
    added = post(c, code, org, again, {**fields, "task.activities.0.name": "Zajęcia"}, "add:task.activities")
    assert 'name="task.activities.1.name"' in added.text and 'name="task.activities.2.name"' not in added.text
    assert 'value="Zajęcia"' in added.text
    # another organisation's representative: neither the page nor a save
    other = log_in(url, "inna")
    before = dump(url)
    refused = other.get(f"/portal/oferty/nowa/{code}?organizacja={org}")
    assert refused.status_code == 403 and "Wakacje na basenie" not in refused.text
    forged = other.post(f"/portal/oferty/nowa/{code}?organizacja={org}",
                        data={"csrf": csrf_of(other.get("/portal/nabory").text), "action": "save",
                              "task.title": "Cudza"})
    assert forged.status_code == 403 and "Nie reprezentujesz tej organizacji" in forged.text
    assert dump(url) == before
    assert 'value="Wakacje na basenie"' in new_offer_page(c, code, org).text


def test_filing_gives_the_receipt_once_and_its_pdf_and_content(portal, tmp_path):
    url, code, c, org = portal
    page = new_offer_page(c, code, org)
    fields = flatten(sample_offer_form(KRS[0]))
    filed = post(c, code, org, page, fields, "submit")
    assert filed.status_code == 303, filed.text
    location = filed.headers["location"]
    assert location.startswith(f"/portal/oferty/{code}/1/pokwitowanie?wersja=1")
    twice = post(c, code, org, page, fields, "submit")  # the same page's button again: filed once
    assert twice.status_code == 303 and twice.headers["location"] == location
    from sqlmodel import select

    from models.tables import Offer
    from tests.test_open_call_guards import session

    with session(url) as s:
        assert len(s.exec(select(Offer)).all()) == 1
    receipt = c.get(location)
    assert receipt.status_code == 200
    number = f"{code}/1-1"
    assert number in receipt.text and "2026-01-12 10:00 (+01:00)" in receipt.text
    sha = re.search(r'<dd class="hash">([0-9a-f]{64})</dd>', receipt.text).group(1)
    content = c.get(f"/portal/oferty/{code}/1/tresc.json?wersja=1")
    assert hashlib.sha256(content.content).hexdigest() == sha  # what the hash is of, byte for byte
    saved = tmp_path / "oferta.json"
    saved.write_bytes(content.content)
    check = subprocess.run([sys.executable, str(ROOT / "tools" / "verify_receipt.py"), str(saved), "--sha256", sha],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr  # as the receipt page tells the reader to check it
    pdf = c.get(f"/portal/oferty/{code}/1/pokwitowanie.pdf?wersja=1")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # the draft is gone once filed; "My offers" lists the offer and its version
    mine = c.get("/portal/oferty")
    assert number in mine.text and "Szkice" not in mine.text
    # another organisation's representative gets neither the receipt nor the PDF
    other = log_in(url, "inna")
    assert other.get(location).status_code == 403
    assert other.get(f"/portal/oferty/{code}/1/pokwitowanie.pdf?wersja=1").status_code == 403


def test_a_refused_form_shows_the_rule_beside_the_field_and_keeps_everything_typed(portal):
    url, code, c, org = portal
    page = new_offer_page(c, code, org)
    form = sample_offer_form(KRS[0])
    form["costs"][0]["total"] = "1.00"  # not unit cost × units
    fields = flatten(form)
    before = dump(url)
    refused = post(c, code, org, page, fields, "submit")
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    # beside the cost line it concerns (the row's fieldset describes itself by it), the rule named
    assert re.search(r'<fieldset class="row invalid" id="f-costs-0" aria-describedby="f-costs-0-error">', refused.text)
    assert re.search(r'<p class="field-error" id="f-costs-0-error">V\.A: wartość 1,00 PLN nie jest', refused.text)
    assert 'value="1.00"' in refused.text and f'value="{form["task"]["title"]}"' in refused.text
    after = dump(url)
    assert after.get("offers") == before.get("offers")  # nothing filed (the draft keeps what was typed)


def test_after_the_deadline_the_engine_refuses_with_the_rule(portal, monkeypatch):
    url, code, c, org = portal
    page = new_offer_page(c, code, org)
    monkeypatch.setenv("COOP_NOW", "2026-01-24T08:00+01:00")
    refused = post(c, code, org, page, flatten(sample_offer_form(KRS[0])), "submit")
    assert refused.status_code == 422
    assert "art. 13" in refused.text or "KPA art. 57" in refused.text
    assert 'value="Wakacje z nauką pływania"' in refused.text


def test_a_joint_offer_is_filed_with_two_offerors(portal):
    url, code, c, org = portal
    page = new_offer_page(c, code, org)
    filed = post(c, code, org, page, flatten(sample_joint_offer_form(KRS[0], KRS[1])), "submit")
    assert filed.status_code == 303, filed.text
    receipt = c.get(filed.headers["location"])
    assert receipt.status_code == 200


def test_a_correction_asked_is_answered_on_the_same_form_as_a_new_version(portal):
    from states.procedures.open_call import handlers as oc
    from states.procedures.open_call import inputs as oc_inputs

    url, code, c, org = portal
    page = new_offer_page(c, code, org)
    form = sample_offer_form(KRS[0])
    assert post(c, code, org, page, flatten(form), "submit").status_code == 303
    close_offers(url)
    do(url, oc.review_offer, oc_inputs.ReviewOffer(code=code, number=1, decision="correct",
                                                   defects=("brak opisu rezultatów",)), "2026-01-26T10:00+01:00")
    mine = c.get("/portal/oferty")
    assert "brak opisu rezultatów" in mine.text and f"/portal/oferty/{code}/1/korekta" in mine.text
    correction = c.get(f"/portal/oferty/{code}/1/korekta")
    assert correction.status_code == 200 and f'value="{form["task"]["title"]}"' in correction.text  # prefilled
    form["task"]["title"] = "Wakacje z nauką pływania — poprawiona"
    data = {"csrf": csrf_of(correction.text), "intent": intent_of(correction.text), "action": "submit",
            **flatten(form)}
    import os

    os.environ["COOP_NOW"] = "2026-01-28T10:00+01:00"
    done = c.post(f"/portal/oferty/{code}/1/korekta", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(f"/portal/oferty/{code}/1/pokwitowanie?wersja=2")
    receipt = c.get(done.headers["location"])
    assert f"{code}/1-2" in receipt.text
    listed = c.get("/portal/oferty").text
    assert f"{code}/1-1" in listed and f"{code}/1-2" in listed and "brak opisu rezultatów" not in listed
    assert execute is not None


def test_the_pages_read_in_english_too_and_a_correction_not_asked_is_refused(portal):
    url, code, c, org = portal
    listed = c.get("/portal/nabory?lang=en")
    assert "Open calls accepting offers" in listed.text and "Start an offer" in listed.text
    form = c.get(f"/portal/oferty/nowa/{code}?organizacja={org}")
    assert "File the offer" in form.text and "Save draft" in form.text  # the language kept by its cookie
    page = c.get(f"/portal/oferty/nowa/{code}?organizacja={org}&lang=pl")
    assert post(c, code, org, page, flatten(sample_offer_form(KRS[0])), "submit").status_code == 303
    before = dump(url)
    refused = c.get(f"/portal/oferty/{code}/1/korekta")  # filed, in time: nothing to correct
    assert refused.status_code == 403 and "Urząd nie wezwał do poprawienia tej oferty" in refused.text
    assert c.post(f"/portal/oferty/{code}/1/korekta", data={"csrf": csrf_of(page.text), "action": "submit",
                                                           **flatten(sample_offer_form(KRS[0]))}).status_code == 403
    assert dump(url) == before


def test_a_double_click_sent_at_once_files_once(portal):
    """Two presses of the same page's button racing each other (two connections, one session): one offer."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import select

    from models.tables import Offer
    from tests.test_open_call_guards import session

    url, code, c, org = portal
    page = new_offer_page(c, code, org)
    data = {"csrf": csrf_of(page.text), "intent": intent_of(page.text), "action": "submit",
            **flatten(sample_offer_form(KRS[0]))}
    clients = []
    for _ in range(2):
        twin = TestClient(create_app(url), base_url="http://testserver")
        twin.cookies.update(c.cookies)
        clients.append(twin)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda t: t.post(f"/portal/oferty/nowa/{code}?organizacja={org}", data=data,
                                                 follow_redirects=False), clients))
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    with session(url) as s:
        assert len(s.exec(select(Offer)).all()) == 1


def test_arrears_stated_on_the_page_are_filed_printed_and_offered_again_for_a_correction(portal, tmp_path):
    """Declaration 3) answered „zalega(-ją)” (the radio's "false"): filed as ``false``, the PDF prints that wording,
    and the correction's form starts from it (chosen, not left blank); none chosen is refused beside the choice,
    naming the rule, with nothing filed."""
    from states.procedures.open_call import handlers as oc
    from states.procedures.open_call import inputs as oc_inputs

    url, code, c, org = portal
    page = new_offer_page(c, code, org)
    fields = flatten(sample_offer_form(KRS[0]))
    assert fields["declarations.no_tax_arrears"] == "true"
    unchosen = {k: v for k, v in fields.items() if k != "declarations.no_social_security_arrears"}
    before = dump(url)
    refused = post(c, code, org, page, unchosen, "submit")
    assert refused.status_code == 422
    assert re.search(r'<p class="field-error" id="f-declarations-no_social_security_arrears-error">wybierz jedno: '
                     r'oferent\(-ci\) nie zalega\(-ją\) albo zalega\(-ją\)', refused.text), refused.text
    assert 'aria-describedby="f-declarations-no_social_security_arrears-error"' in refused.text
    assert dump(url).get("offers") == before.get("offers")
    fields["declarations.no_tax_arrears"] = "false"
    filed = post(c, code, org, page, fields, "submit")
    assert filed.status_code == 303, filed.text
    content = json.loads(c.get(f"/portal/oferty/{code}/1/tresc.json?wersja=1").content)
    assert content["declarations"]["no_tax_arrears"] is False
    assert content["declarations"]["no_social_security_arrears"] is True
    pdf = tmp_path / "oferta.pdf"
    pdf.write_bytes(c.get(f"/portal/oferty/{code}/1/pokwitowanie.pdf?wersja=1").content)
    if shutil.which("pdftotext"):
        text = " ".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split())
        assert ("3) oferent / oferenci składający niniejszą ofertę zalega(-ją) z opłacaniem należności z tytułu "
                "zobowiązań podatkowych") in text
    close_offers(url)
    do(url, oc.review_offer, oc_inputs.ReviewOffer(code=code, number=1, decision="correct",
                                                   defects=("brak opisu rezultatów",)), "2026-01-26T10:00+01:00")
    correction = c.get(f"/portal/oferty/{code}/1/korekta").text
    assert re.search(r'id="f-declarations-no_tax_arrears-false" name="declarations.no_tax_arrears" type="radio" '
                     r'value="false" checked', correction)
    assert re.search(r'id="f-declarations-no_social_security_arrears-true" [^>]*value="true" checked', correction)
    assert not re.search(r'id="f-declarations-no_tax_arrears-true" [^>]*checked', correction)
