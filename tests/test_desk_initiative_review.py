"""The officer's review of a local initiative's report on the desk (web/desk_initiative.py, issue 22), through
FastAPI's TestClient on SQLite and PostgreSQL: the report's page shows the buttons (accept, call for corrections
with the reason) while a report awaits its review; a call without a reason is refused on the same page with the
rule's basis and nothing written; the group sees the call on the portal and files a corrected report (S2, the
first kept); the officer accepts it and closes the case from its page. Someone the matrix does not let review gets
no buttons and cannot post."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from models.tables import AuditRecord, Case
from tests.conftest import dump
from tests.initiative_forms import sample_initiative_report
from tests.notification_helpers import outbox
from tests.portal_pages import flatten, portal_environment
from tests.test_desk import with_password
from tests.test_open_call_guards import session
from tests.test_portal_initiative_reports import AT, filed_and_agreed, post
from tests.test_portal_reports import csrf_of, log_in

REASON = "Brak opisu pracy społecznej: proszę podać, kto i ile godzin pracował."


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    portal_environment(monkeypatch, tmp_path, AT)


def decide(desk, code: str, page: str, decision: str, reason: str = ""):
    intent = re.search(rf'name="intent" value="([^"]+-{decision[0]})"', page).group(1)
    return desk.post(f"/sprawy/{code}/sprawozdanie/ocena", follow_redirects=False,
                     data={"csrf": csrf_of(page), "intent": intent, "decision": decision, "reason": reason})


def state_of(url: str, code: str) -> str:
    with session(url) as s:
        return s.exec(select(Case).where(Case.code == code)).one().state


def test_the_officer_calls_for_corrections_the_group_corrects_the_officer_accepts_and_closes(db_url, monkeypatch):
    url = db_url
    code, c = filed_and_agreed(url, monkeypatch)
    new = f"/portal/inicjatywa/sprawozdanie/{code}/nowe"
    assert post(c, new, c.get(new), flatten(sample_initiative_report())).status_code == 303  # S1

    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = log_in(url, "anna", "/logowanie")
    case_page = desk.get(f"/sprawy/{code}").text
    assert f'action="/sprawy/{code}/krok/review_report"' in case_page  # the case page's step too
    assert f'href="/sprawy/{code}/sprawozdanie"' in case_page and f"/sprawy/{code}/krok/close" not in case_page
    page = desk.get(f"/sprawy/{code}/sprawozdanie")
    assert page.status_code == 200 and 'name="decision" value="accept"' in page.text
    assert 'name="decision" value="corrections"' in page.text and 'id="review-reason"' in page.text

    before = dump(url)
    unexplained = decide(desk, code, page.text, "corrections", "   ")
    assert unexplained.status_code == 422 and 'role="alert"' in unexplained.text
    assert "art. 19e (umowa)" in unexplained.text and dump(url) == before

    called = decide(desk, code, page.text, "corrections", REASON)
    assert called.status_code == 303, called.text
    assert called.headers["location"] == f"/sprawy/{code}/sprawozdanie?oceniono=corrections#review-notice"
    assert decide(desk, code, page.text, "corrections", REASON).status_code == 303  # pressed twice: once
    assert state_of(url, code) == "report_due"
    shown = desk.get(called.headers["location"]).text
    assert 'id="review-notice"' in shown and REASON in shown and 'name="decision"' not in shown  # no buttons now
    told = [r for r in outbox(url) if r.template == "initiative_report_corrections"]
    assert told and all(r.recipient for r in told)  # the group's address, and the filer's if proved

    listed = c.get("/portal/inicjatywa").text  # the group sees the call and files the corrected report
    assert REASON in listed and f'href="{new}"' in listed
    form = c.get(new)
    assert REASON in form.text and "Narzędzia od Rady Osiedla" in form.text  # prefilled with what was filed
    filed = post(c, new, form, flatten(sample_initiative_report(**{"contribution.people": "16"})))
    assert filed.headers["location"] == f"/portal/inicjatywa/sprawozdanie/{code}/2/pokwitowanie?zlozono=1"
    assert state_of(url, code) == "report_submitted"

    page = desk.get(f"/sprawy/{code}/sprawozdanie")
    assert f"{code}-S1" in page.text and f"{code}-S2 (" in page.text  # both kept, the latest shown
    accepted = decide(desk, code, page.text, "accept")
    assert accepted.status_code == 303 and state_of(url, code) == "report_accepted"
    case_page = desk.get(f"/sprawy/{code}").text
    assert f'action="/sprawy/{code}/krok/close"' in case_page
    intent = re.search(r'id="step-close".*?name="intent" value="([^"]+)"', case_page, re.S).group(1)
    closed = desk.post(f"/sprawy/{code}/krok/close", data={"csrf": csrf_of(case_page), "intent": intent},
                       follow_redirects=False)
    assert closed.status_code == 303 and state_of(url, code) == "closed"
    with session(url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        events = [r.event for r in s.exec(select(AuditRecord).where(AuditRecord.case_id == case.id))]
        assert events.count("request_report_corrections") == 1 and events.count("accept_report") == 1


def test_who_may_not_review_gets_no_buttons_and_cannot_post(db_url, monkeypatch):
    url = db_url
    code, c = filed_and_agreed(url, monkeypatch)
    new = f"/portal/inicjatywa/sprawozdanie/{code}/nowe"
    post(c, new, c.get(new), flatten(sample_initiative_report()))
    with_password(url, "ola", "Ola Audytorka", "auditor")
    auditor = log_in(url, "ola", "/logowanie")
    page = auditor.get(f"/sprawy/{code}/sprawozdanie")
    assert page.status_code == 200 and 'name="decision"' not in page.text
    before = dump(url)
    refused = auditor.post(f"/sprawy/{code}/sprawozdanie/ocena", follow_redirects=False,
                           data={"csrf": csrf_of(page.text), "intent": "a" * 32, "decision": "accept"})
    assert refused.status_code == 422 and dump(url) == before
    assert c.post(f"/sprawy/{code}/sprawozdanie/ocena", data={"decision": "accept"},
                  follow_redirects=False).status_code in (303, 401, 403)  # the portal's session is not the desk's
    assert dump(url) == before
