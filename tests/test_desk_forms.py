"""The desk answers the evaluation forms the Prefect flows wait on (web/prefect_forms.py): a committee member's
declaration and score, given on the case page, reach her waiting scoring run with her proof and are recorded as
her; a score the domain refuses (points above the criterion's maximum) is shown beside its field at once and the
run is not resumed. One Prefect test harness for the session (tests/prefect_fixtures.py); SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextvars
import re
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from models.db import get_engine, normalise_url
from models.tables import AuditRecord, ConflictDeclaration, Score
from tests.prefect_fixtures import (  # noqa: F401  (prefect_api is a fixture)
    call_in_scoring,
    prefect_api,
    register_organisations,
    waiting_form,
)
from tests.test_desk import csrf_of, desk_key, log_in, with_password  # noqa: F401  (desk_key: autouse)
from web.app import create_app

pytestmark = pytest.mark.usefixtures("prefect_api")
AT = "2026-02-05T09:00+01:00"
POINTS = {"capacity": "8", "costs": "8", "quality": "8", "own_funds": "3", "contribution": "4", "track_record": "4"}


def rows(url: str, query) -> list[tuple]:
    with get_engine(normalise_url(url)).connect() as connection:
        return [tuple(r) for r in connection.execute(query).all()]


def run_state(run_id):
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def wait_paused_on(run_id, prefix: str, timeout: float = 60):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        key = waiting_form(run_state(run_id).state)
        if key and key.startswith(prefix):
            return key
        time.sleep(0.3)
    raise AssertionError(f"the run never waited on a {prefix} form (now {run_state(run_id).state})")


def scoring_run(code: str, url: str, results: dict):
    """The committee's scoring flow for ``code``, unbound to anyone (its first form asks whose it is), paused in
    a thread of this process as tests run it (a served deployment suspends instead: tests/test_forms_suspended.py)."""
    from flows.evaluation import scoring_flow

    started = datetime.now(UTC) - timedelta(seconds=1)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(lambda: results.update(value=scoring_flow(
        code=code, at=AT, poll_interval=1, database_url=url)),), daemon=True)
    thread.start()
    from tests.test_flows import _find_run

    return thread, _find_run(f"{code} · ocena komisji", started)


@contextmanager
def member_facing_her_waiting_run(url: str, code: str, api, monkeypatch):
    """Ewa, a member of ``code``'s committee, logged in to the desk (on the Prefect API ``api``) while the
    committee's scoring run waits, unbound, on its first form (whose run it is); yields her desk client, the case
    page she sees (both her steps on it) and the run. The run is cancelled after the block."""
    with_password(url, "ewa", "Ewa Nowak", ("committee_member", code))
    monkeypatch.setenv("COOP_DATABASE_URL", url)  # the flow reads who a proof names in the engine's registry
    monkeypatch.setenv("COOP_NOW", AT)
    thread, run = scoring_run(code, url, {})
    try:
        assert wait_paused_on(run.id, "identify-") == "identify-1"
        desk = TestClient(create_app(url, prefect_api=api), base_url="http://testserver")
        log_in(desk, "ewa")
        page = desk.get(f"/sprawy/{code}")
        assert 'id="step-declare_conflicts"' in page.text and 'id="step-score_offer"' in page.text
        yield desk, page, run
    finally:
        from prefect import get_client
        from prefect.states import Cancelled

        with get_client(sync_client=True) as client:
            client.set_flow_run_state(run.id, Cancelled(), force=True)
        # Not waited for: a run paused in this process polls until it is Running again or its pause times out
        # (prefect/flow_runs.py), never on Cancelled; waiting 30 s here ended nothing. The thread is a daemon.
        thread.join(timeout=1)


def test_a_members_declaration_and_scores_reach_her_waiting_run_and_a_refused_score_is_shown_inline(
        db_url, prefect_api, monkeypatch):  # noqa: F811  (the fixture imported above)
    register_organisations(db_url)
    code = call_in_scoring(db_url, offers=3)
    with member_facing_her_waiting_run(db_url, code, prefect_api, monkeypatch) as (desk, page, run):
        assert 'id="step-finish_formal_review"' not in page.text  # not a member's step

        # The declarations: the desk binds the unbound run to her (its identify form, with her proof), then
        # answers the declaration form; the flow records it as her.
        done = desk.post(f"/sprawy/{code}/krok/declare_conflicts", data={
            "csrf": csrf_of(page.text), "intent": "d1", "conflicts": ["3"], "note": "członek zarządu oferenta"},
            follow_redirects=False)
        assert done.status_code == 303, re.findall(r"role=\"alert\"[^>]*><p>([^<]*)", done.text)
        assert done.headers["location"].startswith(f"/sprawy/{code}?zrobione=recorded")
        declared = rows(db_url, sa.select(AuditRecord.event, AuditRecord.actor, AuditRecord.role).where(
            AuditRecord.event == "declare_conflicts"))
        assert declared == [("declare_conflicts", "Ewa Nowak", "committee_member")]
        assert len(rows(db_url, sa.select(ConflictDeclaration.id))) == 3

        # A score above a criterion's maximum: refused by the domain beside its field; the run is not resumed.
        key = wait_paused_on(run.id, "score-")
        page = desk.get(f"/sprawy/{code}")
        assert "Twoje oświadczenia są zapisane" in page.text and "Konflikt interesów: oferty 3" in page.text
        data = {"csrf": csrf_of(page.text), "intent": "s1", "number": "1",
                **{f"points.{k}": v for k, v in POINTS.items()}, "points.capacity": "99"}
        refused = desk.post(f"/sprawy/{code}/krok/score_offer", data=data)
        assert refused.status_code == 422
        form = refused.text.split('id="step-score_offer"')[1].split("</details>")[0]
        assert re.search(r'<p class="field-error" id="score_offer-points-capacity-error">[^<]*99[^<]*</p>', form)
        assert 'id="score_offer-points-capacity"' in form and 'value="99"' in form and 'value="3"' in form
        assert "art. 15 ust. 1" in form or "maksimum" in form
        assert rows(db_url, sa.select(Score.id)) == []
        assert waiting_form(run_state(run.id).state) == key  # still waiting on the same form: nothing resumed
        from prefect.input import read_flow_run_input

        assert read_flow_run_input(f"form-{key.split('-')[1]}-outcome", run.id) is None

        # The corrected score is recorded as her.
        data["points.capacity"] = "7"
        done = desk.post(f"/sprawy/{code}/krok/score_offer", data=data, follow_redirects=False)
        assert done.status_code == 303 and "zrobione=recorded" in done.headers["location"]
        scored = rows(db_url, sa.select(AuditRecord.subject, AuditRecord.actor).where(AuditRecord.event == "score"))
        assert scored == [("offer:1", "Ewa Nowak")]
        shown = desk.get(done.headers["location"])
        assert "zapisana przez przepływ oceny" in shown.text and "Oceniono przez Ciebie oferty: 1" in shown.text

        # Another member logged in finds no form of hers: said plainly, nothing sent.
        with_password(db_url, "jan", "Jan Kowalski", ("committee_member", code))
        other = TestClient(create_app(db_url, prefect_api=prefect_api), base_url="http://testserver")
        log_in(other, "jan")
        page = other.get(f"/sprawy/{code}")
        absent = other.post(f"/sprawy/{code}/krok/declare_conflicts", data={
            "csrf": csrf_of(page.text), "intent": "j1", "note": ""})
        assert absent.status_code == 503 and "nie czeka teraz na Ciebie" in absent.text
        assert len(rows(db_url, sa.select(ConflictDeclaration.id))) == 3


def test_a_regranting_operators_committee_declares_and_scores_through_its_waiting_run(
        db_url, prefect_api, monkeypatch):  # noqa: F811  (the fixture imported above)
    """The operator's call (art. 16a ust. 1) is scored by the same flow and the same desk forms as an open call:
    the member's declaration and score on the regranting case's page reach her waiting run and are recorded as
    her."""
    from tests.test_desk_regranting import _scoring

    code = _scoring(db_url, declared=False)
    assert code.startswith("RG/")
    with member_facing_her_waiting_run(db_url, code, prefect_api, monkeypatch) as (desk, page, run):
        done = desk.post(f"/sprawy/{code}/krok/declare_conflicts", data={
            "csrf": csrf_of(page.text), "intent": "r1", "note": ""}, follow_redirects=False)
        assert done.status_code == 303, re.findall(r"role=\"alert\"[^>]*><p>([^<]*)", done.text)
        wait_paused_on(run.id, "score-")
        page = desk.get(f"/sprawy/{code}")
        done = desk.post(f"/sprawy/{code}/krok/score_offer", data={
            "csrf": csrf_of(page.text), "intent": "r2", "number": "1",
            **{f"points.{k}": v for k, v in POINTS.items()}}, follow_redirects=False)
        assert done.status_code == 303 and "zrobione=recorded" in done.headers["location"], done.text
        recorded = rows(db_url, sa.select(AuditRecord.event, AuditRecord.subject, AuditRecord.actor).where(
            AuditRecord.event.in_(("declare_conflicts", "score"))).order_by(AuditRecord.id))
        assert recorded == [("declare_conflicts", "member:Ewa Nowak", "Ewa Nowak"), ("score", "offer:1", "Ewa Nowak")]
