"""The desk's case page and its direct steps (web/cases.py): what the page shows, a step taken, a step refused
inline with nothing changed and nothing typed lost. FastAPI's TestClient; SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from tests.conftest import dump
from tests.test_desk import client, csrf_of, desk_key, log_in, with_password  # noqa: F401  (desk_key: autouse)
from tests.test_todo import in_formal_review

NOW = "2026-01-26T12:00+01:00"


@pytest.fixture
def officer_on_case(db_url, monkeypatch):
    code = in_formal_review(db_url)
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    monkeypatch.setenv("COOP_NOW", NOW)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    c = client(db_url)
    log_in(c, "anna")
    return db_url, code, c


def form_of(page: str, step: str) -> str:
    return page.split(f'id="step-{step}"')[1].split("</details>")[0]


def test_the_case_page_shows_stage_offers_deadlines_history_and_the_officers_steps(officer_on_case):
    url, code, c = officer_on_case
    before = dump(url)
    page = c.get(f"/sprawy/{code}")
    assert page.status_code == 200 and dump(url) == before  # read-only
    text = page.text
    # the stage among the procedure's stages, said in text (not by colour alone)
    current = re.search(r'<li aria-current="step"[^>]*>(.*?)</li>', text).group(1)
    assert "ocena formalna" in current and "obecny etap" in current
    stages = text.split('id="stages-heading"')[1].split("</nav>")[0]
    assert stages.index("projekt") < stages.index("ocena formalna") < stages.index("ocena merytoryczna")
    # the offers with their content
    assert "Organizacja 1" in text and "Zadanie 1" in text and "30 000,00 zł" in text
    assert "brak podpisu" in text and "wezwana do uzupełnienia" in text and "2026-04-01" in text
    # the deadlines with their basis, in Warsaw time
    deadlines = text.split('id="deadlines-heading"')[1].split("</section>")[0]
    assert "KC art. 115" in deadlines and "(+01:00)" in deadlines and "<td>" in deadlines
    # the history: the newest first, who did it, in Warsaw time, in Polish
    history = text.split('id="history-heading"')[1].split("</section>")[0]
    assert "urzędnik" in history and "(+01:00)" in history and "art. 13 ust. 1-3" in history
    # her steps in this stage, each with its basis; a member's own evaluation is not hers
    for step in ("finish_formal_review", "review_offer", "appoint_member"):
        assert f'id="step-{step}"' in text
    assert 'id="step-declare_conflicts"' not in text and 'id="step-score_offer"' not in text
    assert "art. 15 ust. 2a-2f" in form_of(text, "finish_formal_review")
    english = c.get(f"/sprawy/{code}?lang=en").text
    assert '<html lang="en">' in english and "Stages of the procedure" in english and "(current stage)" in english


def test_a_step_refused_by_the_domain_is_shown_on_the_page_and_nothing_changes(officer_on_case):
    url, code, c = officer_on_case
    page = c.get(f"/sprawy/{code}")
    before = dump(url)
    refused = c.post(f"/sprawy/{code}/krok/finish_formal_review", data={"csrf": csrf_of(page.text), "intent": "x1"})
    assert refused.status_code == 422
    assert dump(url) == before
    form = form_of(refused.text, "finish_formal_review")
    assert 'role="alert"' in form and "Traceback" not in refused.text
    assert "oferta" in form.lower() or "ofert" in form  # the domain's reason, in Polish


def test_a_field_refused_is_shown_beside_it_and_what_was_typed_is_kept(officer_on_case):
    url, code, c = officer_on_case
    page = c.get(f"/sprawy/{code}")
    before = dump(url)
    refused = c.post(f"/sprawy/{code}/krok/appoint_member", data={
        "csrf": csrf_of(page.text), "intent": "x2", "name": "Maria Zielińska", "email": "nie-adres",
        "affiliation": "ngo", "organisation_krs": ""})
    assert refused.status_code == 422 and dump(url) == before
    form = form_of(refused.text, "appoint_member")
    assert 'id="appoint_member-email-error"' in form
    assert re.search(r'id="appoint_member-email"[^>]*value="nie-adres"[^>]*aria-describedby="appoint_member-email-error"'
                     r' aria-invalid="true"', form)
    assert 'value="Maria Zielińska"' in form and '<option value="ngo" selected>' in form
    assert "<details" in refused.text and 'id="step-appoint_member" open' in refused.text


def test_a_direct_step_is_recorded_as_the_logged_in_person_once(officer_on_case):
    url, code, c = officer_on_case
    page = c.get(f"/sprawy/{code}")
    data = {"csrf": csrf_of(page.text), "intent": "a" * 32, "name": "Maria Zielińska", "email": "",
            "affiliation": "city", "organisation_krs": ""}
    done = c.post(f"/sprawy/{code}/krok/appoint_member", data=data, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/sprawy/{code}?zrobione=done")
    shown = c.get(done.headers["location"])
    assert "Zrobione" in shown.text or "zapisany" in shown.text
    history = shown.text.split('id="history-heading"')[1]
    assert "Anna Urzędniczka" in history and "Maria Zielińska" in history
    after = dump(url)
    again = c.post(f"/sprawy/{code}/krok/appoint_member", data=data, follow_redirects=False)  # pressed twice
    assert again.status_code == 303 and dump(url) == after  # the form's intent: nothing written twice


def test_an_evaluation_is_checked_by_the_domain_first_and_without_prefect_nothing_is_sent(officer_on_case):
    url, code, c = officer_on_case
    page = c.get(f"/sprawy/{code}")
    before = dump(url)
    wrong = c.post(f"/sprawy/{code}/krok/review_offer", data={
        "csrf": csrf_of(page.text), "intent": "x3", "number": "9", "decision": "accept", "defects": ""})
    assert wrong.status_code == 422 and dump(url) == before  # no offer 9: refused before any flow is asked
    assert 'role="alert"' in form_of(wrong.text, "review_offer") and "9" in form_of(wrong.text, "review_offer")
    valid = c.post(f"/sprawy/{code}/krok/review_offer", data={
        "csrf": csrf_of(page.text), "intent": "x4", "number": "2", "decision": "correct", "defects": "brak statutu"})
    assert valid.status_code == 503 and dump(url) == before
    form = form_of(valid.text, "review_offer")
    assert "Prefect" in form and "Nic nie zostało wysłane" in form
    assert "brak statutu" in form and '<option value="correct" selected>' in form


def test_someone_elses_step_or_case_is_refused(officer_on_case, db_url):
    url, code, c = officer_on_case
    page = c.get(f"/sprawy/{code}")
    refused = c.post(f"/sprawy/{code}/krok/score_offer", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 403
    assert c.post("/sprawy/NIE/2026/999/krok/publish", data={"csrf": csrf_of(page.text)}).status_code == 404
