"""The portal's local-initiative pages (web/portal_initiative.py) through FastAPI's TestClient, on SQLite and
PostgreSQL: a resident with no organisation files for a group of residents (a wrong sum refused beside its field
with everything kept; filed once however often the button is pressed), reads the receipt, its PDF and the content
whose SHA-256 it is; another resident is refused them; a representative applies for their organisation."""

from __future__ import annotations

import hashlib

import pytest

from tests.initiative_forms import sample_initiative_form, sample_ngo_initiative_form
from tests.portal_pages import flatten, portal_environment
from tests.test_desk import with_password
from tests.test_open_call_guards import KRS, register
from tests.test_portal_offers import csrf_of, intent_of, log_in

AT = "2026-03-02T10:00+01:00"


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    portal_environment(monkeypatch, tmp_path, AT)


@pytest.fixture
def portal(db_url):
    register(db_url, 2)
    with_password(db_url, "krysia", "Krystyna Nowak")
    with_password(db_url, "adam", "Adam Lis")
    with_password(db_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    return db_url


def file(c, fields: dict[str, str], page=None, path="/portal/inicjatywa/nowa"):
    page = page or c.get(path)
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(page.text), "intent": intent_of(page.text), "action": "submit", **fields}
    return c.post(path, data=data, follow_redirects=False)


def test_a_resident_files_for_a_group_of_residents_and_reads_the_receipt(portal):
    c = log_in(portal, "krysia")
    listed = c.get("/portal/inicjatywa")
    assert listed.status_code == 200 and "Złóż wniosek jako grupa mieszkańców" in listed.text
    page = c.get("/portal/inicjatywa/nowa")
    assert 'name="applicant.members.0.name"' in page.text and 'value="Krystyna Nowak"' in page.text
    assert 'name="work.hour_value"' in page.text and 'value="35.00"' in page.text  # the rule set's rate
    assert '<option value="greenery"' in page.text

    wrong = flatten(sample_initiative_form(**{"budget.total": "28000.00"}))
    refused = file(c, wrong, page)
    assert refused.status_code == 422
    assert "Wniosek nie został jeszcze złożony" in refused.text and "art. 19e" in refused.text
    assert 'value="28000.00"' in refused.text  # nothing typed cleared
    assert c.get("/portal/inicjatywa").text.count("/pokwitowanie") == 0

    fields = flatten(sample_initiative_form())
    done = file(c, fields, page)
    assert done.status_code == 303, done.text
    again = file(c, fields, page)  # the same page's button pressed twice: filed once
    assert again.headers["location"] == done.headers["location"]
    receipt = c.get(done.headers["location"])
    assert receipt.status_code == 200 and "Wniosek został złożony" in receipt.text
    assert "Mieszkańcy ul. Kurpińskiego" in receipt.text  # what was filed, shown back
    code = done.headers["location"].split("/portal/inicjatywa/")[1].split("/pokwitowanie")[0]
    sha = receipt.text.split('class="hash">')[1].split("<")[0]
    content = c.get(f"/portal/inicjatywa/{code}/tresc.json")
    assert hashlib.sha256(content.content).hexdigest() == sha
    pdf = c.get(f"/portal/inicjatywa/{code}/pokwitowanie.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert c.get("/portal/inicjatywa").text.count(f"{code}-1") == 1

    other = log_in(portal, "adam")
    for path in ("pokwitowanie", "pokwitowanie.pdf", "tresc.json"):
        assert other.get(f"/portal/inicjatywa/{code}/{path}").status_code == 403
    assert f"{code}-1" not in other.get("/portal/inicjatywa").text


def test_a_representative_applies_for_the_organisation_and_not_for_another(portal):
    c = log_in(portal, "delfin")
    assert f"/portal/inicjatywa/nowa?organizacja={KRS[0]}" in c.get("/portal/inicjatywa").text
    path = f"/portal/inicjatywa/nowa?organizacja={KRS[0]}"
    page = c.get(path)
    assert f'value="{KRS[0]}"' in page.text
    done = file(c, flatten(sample_ngo_initiative_form(KRS[0])), page, path)
    assert done.status_code == 303, done.text
    assert c.get(f"/portal/inicjatywa/nowa?organizacja={KRS[1]}").status_code == 403
    refused = file(c, flatten(sample_ngo_initiative_form(KRS[1], name="Organizacja 2")))
    assert refused.status_code == 422 and "KRS" in refused.text


def test_the_pages_in_english_and_logged_out(portal):
    anonymous = log_in(portal, "krysia")
    assert "Apply as a group of residents" in anonymous.get("/portal/inicjatywa?lang=en").text
    from fastapi.testclient import TestClient

    from web.app import create_app

    stranger = TestClient(create_app(portal), base_url="http://testserver")
    answer = stranger.get("/portal/inicjatywa/nowa", follow_redirects=False)
    assert answer.status_code in (302, 303) and "/portal/logowanie" in answer.headers["location"]
