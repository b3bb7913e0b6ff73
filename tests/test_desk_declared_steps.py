"""The case page offers the steps each procedure declares (states/procedures/descriptor.py ``events``), not only
those named as their machine's events: a small grant's ``publish_offer`` (the machine's ``publish``) is shown to
the officer in its state and taken from the page. FastAPI's TestClient; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from models.db import get_engine
from models.tables import Case
from states import inputs
from states.cases import register_organisation
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from tests.notification_helpers import CYCLISTS, CYCLISTS_KRS, do
from tests.test_desk import client, csrf_of, desk_key, log_in, with_password  # noqa: F401  (desk_key: autouse)

NOW = "2026-04-08T10:05+02:00"


@pytest.fixture
def officer_on_small_grant(db_url, monkeypatch):
    """A small grant filed on 1 April 2026, checked and waiting for its publication (art. 19a ust. 3)."""
    do(register_organisation, inputs.RegisterOrganisation(
        name="Stowarzyszenie Leszczyńskie Rowery", legal_form="stowarzyszenie", krs=CYCLISTS_KRS, address="Leszno",
        email=CYCLISTS, contact_person="Prezes"), "2026-01-02T08:00+01:00", db_url)
    do(small_grant_handlers.record_budget, small_grant_inputs.RecordGrantBudget(year=2026, planned="1500000.00"),
       "2026-01-02T09:00+01:00", db_url)
    code = do(small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs=CYCLISTS_KRS, title="Rajd rowerowy „Poznaj Leszno”", requested_grant="9500.00",
        task_start="2026-05-01", task_end="2026-07-16"), "2026-04-01T10:00+02:00", db_url)["code"]
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    monkeypatch.setenv("COOP_NOW", NOW)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    c = client(db_url)
    log_in(c, "anna")
    return db_url, code, c


def _state(url: str, code: str) -> str:
    with Session(get_engine(url)) as session:
        return session.exec(select(Case).where(Case.code == code)).one().state


def test_a_small_grants_publication_is_offered_on_its_page_and_taken_there(officer_on_small_grant):
    url, code, c = officer_on_small_grant
    assert _state(url, code) == "checked"
    page = c.get(f"/sprawy/{code}")
    assert page.status_code == 200
    # the step main's page never showed (its command is not named as its machine's event), with its basis
    assert 'id="step-publish_offer"' in page.text
    form = page.text.split('id="step-publish_offer"')[1].split("</details>")[0]
    assert "art. 19a ust. 3" in form and 'name="published.bip"' in form  # the rule set's channels
    assert 'id="step-show"' not in page.text and 'id="step-record_budget"' not in page.text  # reads, no case
    done = c.post(f"/sprawy/{code}/krok/publish_offer", data={
        "csrf": csrf_of(page.text), "intent": "p" * 32, "published.bip": "2026-04-08T09:00",
        "published.board": "2026-04-08T09:30", "published.website": "2026-04-08T10:00"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert _state(url, code) == "comment_period"  # published in all three channels: the comments run
    shown = c.get(done.headers["location"]).text
    assert 'id="step-publish_offer"' not in shown  # taken: the machine allows it no more
    assert 'id="step-add_comment"' in shown and "Anna Urzędniczka" in shown.split('id="history-heading"')[1]
