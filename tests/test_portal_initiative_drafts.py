"""The local initiative's drafts, JSON door and named representative through FastAPI's TestClient, on SQLite and
PostgreSQL (web/portal_initiative.py, web/portal_initiative_api.py, the desk's case page).

- A resident saves an unfinished application, finds it under "Local initiative", resumes it with everything typed,
  discards it; saves again and files it: the draft is gone, the receipt shown. Another resident never sees it; an
  organisation's draft is its representatives'.
- The JSON door files with a personal token and an idempotency key: the receipt with its links; the same key again
  the same receipt, one case; the same key with another body 409; a broken form 422 naming its rule; no token 401,
  no key 400, another organisation 403.
- An application typed in from paper: the officer names the residents' representative on the case page (a step);
  a person with no portal account is refused beside the form; the named person then finds the case under "Local
  initiative" and files the report through the portal."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from models.tables import AuditRecord, Case
from states.tick import tick
from tests.conftest import dump
from tests.initiative_forms import (
    sample_initiative_form,
    sample_initiative_report,
    sample_ngo_initiative_form,
)
from tests.people_fixtures import person
from tests.portal_pages import flatten, portal_environment
from tests.test_desk import with_password
from tests.test_local_initiative import to_execution
from tests.test_open_call_guards import KRS, register, session
from tests.test_portal_reports import csrf_of, intent_of, log_in
from tests.test_report_receipt_email import portal_account

AT = "2026-03-02T10:00+01:00"
NEW = "/portal/inicjatywa/nowa"


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


def post(c, path, page, fields, action):
    return c.post(path, data={"csrf": csrf_of(page.text), "intent": intent_of(page.text), "action": action, **fields},
                  follow_redirects=False)


# --- drafts -------------------------------------------------------------------------------------------------------


def test_a_resident_saves_resumes_discards_and_files_a_draft(portal):
    c = log_in(portal, "krysia")
    page = c.get(NEW)
    assert 'value="save"' in page.text and 'value="discard"' not in page.text  # nothing to discard yet
    half = flatten(sample_initiative_form())
    half = {k: v for k, v in half.items() if not k.startswith(("budget.", "declarations."))}
    half["task.title"] = "Ogród do dokończenia"
    saved = post(c, NEW, page, half, "save")
    assert saved.status_code == 200 and "Szkic zapisany" in saved.text and 'value="discard"' in saved.text
    listed = c.get("/portal/inicjatywa").text
    assert "Ogród do dokończenia" in listed and f'href="{NEW}"' in listed and "grupa mieszkańców" in listed
    resumed = c.get(NEW)
    assert "Twój szkic z" in resumed.text and 'value="Ogród do dokończenia"' in resumed.text
    assert "Ogród do dokończenia" not in log_in(portal, "adam").get(NEW).text  # another resident: not his
    assert "Ogród do dokończenia" not in log_in(portal, "adam").get("/portal/inicjatywa").text

    gone = post(c, NEW, resumed, {}, "discard")
    assert gone.status_code == 303 and gone.headers["location"] == "/portal/inicjatywa?odrzucono=1"
    assert "Szkic został usunięty" in c.get(gone.headers["location"]).text
    assert "Twój szkic z" not in c.get(NEW).text

    post(c, NEW, c.get(NEW), half, "save")
    resumed = c.get(NEW)
    refused = post(c, NEW, resumed, half, "submit")  # unfinished: refused, the draft kept
    assert refused.status_code == 422 and "Wniosek nie został jeszcze złożony" in refused.text
    whole = {**flatten(sample_initiative_form()), "task.title": "Ogród do dokończenia"}
    filed = post(c, NEW, resumed, whole, "submit")
    assert filed.status_code == 303, filed.text
    receipt = c.get(filed.headers["location"])
    assert receipt.status_code == 200 and "Ogród do dokończenia" in receipt.text
    listed = c.get("/portal/inicjatywa").text
    assert "/pokwitowanie" in listed and "Usuń szkic" not in listed  # filed: the draft is the application now
    assert "Twój szkic z" not in c.get(NEW).text


def test_an_organisations_draft_is_its_representatives(portal):
    path = f"{NEW}?organizacja={KRS[0]}"
    rep = log_in(portal, "delfin")
    page = rep.get(path)
    saved = post(rep, path, page, {**flatten(sample_ngo_initiative_form(KRS[0])), "task.title": "Festyn"}, "save")
    assert saved.status_code == 200 and "Szkic zapisany" in saved.text
    assert 'value="Festyn"' in rep.get(path).text and "Twój szkic z" not in rep.get(NEW).text  # the group's is another
    assert "Festyn" in rep.get("/portal/inicjatywa").text
    before = dump(portal)["offer_drafts"]
    stranger = log_in(portal, "adam")
    assert stranger.get(path).status_code == 403
    forged = stranger.post(path, data={"csrf": csrf_of(stranger.get(NEW).text), "action": "save",
                                       "task.title": "Cudzy"}, follow_redirects=False)
    assert forged.status_code == 403 and dump(portal)["offer_drafts"] == before


# --- the JSON door ------------------------------------------------------------------------------------------------


@pytest.fixture
def door(portal):
    from web.app import create_app

    _, token = person(portal, "ewa", "Ewa Maj")
    _, rep_token = person(portal, "rep", "Reprezentant", ("applicant", KRS[0]))
    _, other_token = person(portal, "rep2", "Inny", ("applicant", KRS[1]))
    client = TestClient(create_app(portal), base_url="https://testserver")
    return client, portal, {"resident": token, "rep": rep_token, "other": other_token}


def submit(client, body, token, key="il-1", raw=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/inicjatywy", content=raw if raw is not None else json.dumps(body), headers=headers)


def test_the_json_door_files_once_per_key_and_answers_the_receipt(door):
    client, url, tokens = door
    body = {"form": sample_initiative_form()}
    first = submit(client, body, tokens["resident"])
    assert first.status_code == 201, first.text
    receipt = first.json()
    code = receipt["code"]
    assert receipt["receipt"] == f"{code}-1" and re.fullmatch(r"[0-9a-f]{64}", receipt["sha256"])
    assert receipt["received_at"] and receipt["state"] == "filed"
    assert receipt["links"]["portal_receipt"] == f"/portal/inicjatywa/{code}/pokwitowanie?wersja=1"
    assert first.headers["location"] == receipt["links"]["receipt"]
    again = submit(client, body, tokens["resident"])
    assert again.status_code == 201 and again.json() == receipt
    other = submit(client, {"form": sample_initiative_form(**{"task.title": "Inny"})}, tokens["resident"])
    assert other.status_code == 409 and other.json()["rule"] == "idempotency_key_reused"
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Case).where(Case.kind == "local_initiative")).one() == 1
    auth = {"Authorization": f"Bearer {tokens['resident']}"}
    fetched = client.get(receipt["links"]["receipt"], headers=auth)
    assert fetched.status_code == 200 and fetched.json()["sha256"] == receipt["sha256"]
    pdf = client.get(receipt["links"]["pdf"], headers=auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(receipt["links"]["receipt"],
                      headers={"Authorization": f"Bearer {tokens['other']}"}).status_code == 403


def test_the_json_door_refuses_with_the_rule_named_and_writes_nothing(door):
    client, url, tokens = door
    before = dump(url)
    wrong = submit(client, {"form": sample_initiative_form(**{"budget.total": "28000.00"})}, tokens["resident"],
                   key="il-2")
    assert wrong.status_code == 422 and wrong.json()["rule"] == "budget_total"
    assert "art. 19e" in wrong.json()["message"] + (wrong.json()["basis"] or "")
    assert submit(client, {"form": sample_initiative_form()}, None).status_code == 401
    assert submit(client, {"form": sample_initiative_form()}, tokens["resident"], key=None).json()["rule"] == (
        "idempotency_key_required")
    assert submit(client, None, tokens["resident"], key="il-3", raw=b"{not json").status_code == 400
    assert submit(client, {"form": "x", "extra": 1}, tokens["resident"], key="il-4").status_code == 422
    stranger = submit(client, {"form": sample_ngo_initiative_form(KRS[0]), "organisation_krs": KRS[0]},
                      tokens["other"], key="il-5")
    assert stranger.status_code == 403 and stranger.json()["rule"] == "not_your_organisation"
    assert dump(url) == {**before, "submission_attempts": dump(url)["submission_attempts"],
                         "intent_arrivals": dump(url)["intent_arrivals"]}
    mine = submit(client, {"form": sample_ngo_initiative_form(KRS[0]), "organisation_krs": KRS[0]}, tokens["rep"],
                  key="il-6")
    assert mine.status_code == 201, mine.text


def test_the_json_door_keeps_the_rate_limit(door, monkeypatch):
    client, _, tokens = door
    monkeypatch.setenv("COOP_PORTAL_SUBMISSIONS", "1")
    assert submit(client, {"form": sample_initiative_form()}, tokens["resident"], key="r-1").status_code == 201
    limited = submit(client, {"form": sample_initiative_form(**{"task.title": "Drugi"})}, tokens["resident"],
                     key="r-2")
    assert limited.status_code == 429 and limited.json()["rule"] == "submission_rate_limited"
    assert limited.headers["retry-after"] == "60"


# --- the representative of a paper application --------------------------------------------------------------------


def test_the_officer_names_the_representative_on_the_case_page_who_then_files_the_report(portal, monkeypatch):
    url = portal
    code = to_execution(url)
    monkeypatch.setenv("COOP_NOW", "2026-04-01T10:00+02:00")  # the initiative runs
    portal_account(url, "krysia", "krystyna@example.org")
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = log_in(url, "anna", "/logowanie")
    assert "Nie wskazano jeszcze przedstawiciela mieszkańców" in desk.get(f"/sprawy/{code}/wniosek").text
    case_page = desk.get(f"/sprawy/{code}")
    assert "Wskaż przedstawiciela mieszkańców w portalu" in case_page.text
    step = f"/sprawy/{code}/krok/name_representative"
    assert f'action="{step}"' in case_page.text
    before = dump(url)
    nobody = desk.post(step, data={"csrf": csrf_of(case_page.text), "intent": "n-1", "account": "adam"},
                       follow_redirects=False)
    assert nobody.status_code == 422 and "nie ma loginu ani adresu e-mail adam" in nobody.text
    assert dump(url) == before
    done = desk.post(step, data={"csrf": csrf_of(case_page.text), "intent": "n-2", "account": "krystyna@example.org"},
                     follow_redirects=False)
    assert done.status_code == 303, done.text
    history = desk.get(f"/sprawy/{code}").text
    assert "wskazano przedstawiciela mieszkańców w portalu" in history
    assert "Przedstawiciel mieszkańców w portalu: krysia" in desk.get(f"/sprawy/{code}/wniosek").text
    with session(url) as s:
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "name_representative")).one()
        assert record.actor == "Anna Urzędniczka" and record.payload["account"] == "krysia"
    # a portal person cannot take the step
    resident = log_in(url, "krysia")
    assert resident.post(step, data={"csrf": csrf_of(resident.get("/portal/inicjatywa").text), "account": "adam"},
                         follow_redirects=False).status_code in (303, 403)
    with session(url) as s:
        assert len(s.exec(select(AuditRecord).where(AuditRecord.event == "name_representative")).all()) == 1

    assert tick("2026-06-05T00:00+02:00", url=url).fired == 1  # the task's end: the report is due
    monkeypatch.setenv("COOP_NOW", "2026-06-20T10:00+02:00")
    listed = resident.get("/portal/inicjatywa").text
    new = f"/portal/inicjatywa/sprawozdanie/{code}/nowe"
    assert code in listed and "złożony na papierze" in listed and f'href="{new}"' in listed
    page = resident.get(new)
    assert page.status_code == 200, page.text
    filed = post(resident, new, page, flatten(sample_initiative_report()), "submit")
    assert filed.status_code == 303, filed.text
    assert f"{code}-S1" in resident.get(filed.headers["location"]).text
    assert log_in(url, "adam").get(new).status_code == 403  # another resident still not
