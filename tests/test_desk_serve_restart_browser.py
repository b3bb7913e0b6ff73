"""A real ``coop serve`` restarted between a form's opening and its answer (issue 21, "What must be shown"): the
officer opens the waiting formal-review form on the desk in Chromium, ``coop serve`` is stopped with Ctrl-C and
started again on the same data directory and ports, and the answer she then submits from the same page is handed
to the same suspended Prefect run, recorded once under her name, and the run goes on to its next form; the same
page sent again records nothing more. tests/test_desk_evaluation_browser.py walks the whole call with the desk and
the flows' runner restarted inside the Prefect test harness; this is the served stack itself.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest
import sqlalchemy as sa

from models.db import get_engine, normalise_url
from models.tables import AuditRecord
from states.tick import tick
from tests.browser import assert_accessible
from tests.prefect_fixtures import announced_call, register_organisations
from tests.serving import free_port, serve_env, start_serve, stop_serve
from tests.test_desk import PASSWORD, desk_key, with_password  # noqa: F401  (desk_key: autouse)

pytestmark = pytest.mark.browser
NOW = "2026-01-26T10:00+01:00"  # the simulation's moment for the desk, the tick and the flows of `coop serve`
FLOW_MS = 150_000  # the answer waits for the restarted runner to start the run's process (the desk: 20 s, then "pending")


def waiting_run(api: str, auth: tuple[str, str], code: str, timeout: float = 120) -> tuple[str, str]:
    """(id, form key) of the run of ``code`` suspended on a form, once there is one."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        runs = httpx.post(f"{api}/flow_runs/filter", json={}, auth=auth, timeout=10).json()
        for run in runs:
            state = run["state"] or {}
            details = state.get("state_details") or {}
            if run["parameters"].get("code") == code and state.get("type") == "PAUSED" and details.get("run_input_keyset"):
                return run["id"], details["pause_key"]
        time.sleep(0.5)
    seen = [(r["name"], r["parameters"], (r["state"] or {}).get("name"), (r["state"] or {}).get("message")) for r in runs]
    raise AssertionError(f"no run of {code} waited on a form within {timeout} s: {seen}")


def open_formal_review(api: str, auth: tuple[str, str], url: str, timeout: float = 120) -> None:
    """The formal-review run the served tick opens for the call (flows/opening.py), requested as it requests it,
    under the same idempotency key, as soon as `coop serve` has registered the deployment: the tick's own request
    then returns this run, and the test need not wait for the tick's schedule."""
    from flows.opening import entered_form_states, form_requests
    from states.engine import SCHEDULER, execute

    [(deployment, code, key)] = form_requests(execute(entered_form_states, 0, actor=SCHEDULER, url=url,
                                                      readonly=True)[0])
    until = time.monotonic() + timeout
    while (found := httpx.get(f"{api}/deployments/name/{deployment}", auth=auth, timeout=10)).status_code == 404:
        assert time.monotonic() < until, f"{deployment} never registered"
        time.sleep(0.3)
    # Prefect answers 503 to a write its SQLite could not take at once (the runner registering beside it): its own
    # client sends such a request again, and so does this (the idempotency key makes that safe).
    while (made := httpx.post(f"{api}/deployments/{found.json()['id']}/create_flow_run", auth=auth, timeout=10,
                              json={"parameters": {"code": code}, "idempotency_key": key})).status_code == 503:
        assert time.monotonic() < until, made.text
        time.sleep(0.5)
    assert made.status_code in (200, 201), made.text


def form_of(api: str, auth: tuple[str, str], run_id: str, timeout: float = 120) -> str | None:
    """The form the run waits on once it waits on a form after its first (None: completed)."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        run = httpx.get(f"{api}/flow_runs/{run_id}", auth=auth, timeout=10).json()
        key = run["state"]["state_details"].get("pause_key")
        if run["state"]["type"] == "COMPLETED":
            return None
        if run["state"]["type"] == "PAUSED" and key != "review-1":
            return key
        assert run["state"]["type"] not in ("CRASHED", "FAILED", "CANCELLED"), run["state"]
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not go on within {timeout} s")


def reviews(url: str) -> list[tuple]:
    with get_engine(normalise_url(url)).connect() as connection:
        return [tuple(r) for r in connection.execute(sa.select(AuditRecord.subject, AuditRecord.actor).where(
            AuditRecord.event == "accept_formally").order_by(AuditRecord.id)).all()]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_an_answer_opened_before_coop_serve_restarts_is_recorded_once_after(tmp_path, new_context, screenshot):
    url = f"sqlite:///{tmp_path / 'engine.db'}"
    register_organisations(url)
    code = announced_call(url, offers=2, members=False)
    tick("2026-01-24T08:00+01:00", url=url)  # the offers close: the call enters its formal review
    with_password(url, "urzednik", "Anna Urzędniczka", "officer")

    port, desk_port = free_port(), free_port()
    env = {**serve_env(tmp_path, url), "COOP_NOW": NOW}
    options = ("--tick-seconds", "60", "--poll-seconds", "1", "--no-demo", "--desk-port", str(desk_port))
    api, desk = f"http://127.0.0.1:{port}/api", f"http://127.0.0.1:{desk_port}"
    serve = start_serve(port, env, *options)
    try:
        user, password = (tmp_path / "data" / "coop-engine" / "prefect-auth-string").read_text().strip().split(":", 1)
        auth = (user, password)
        open_formal_review(api, auth, url)  # the run suspends on its first form
        run_id, key = waiting_run(api, auth, code)
        assert key == "review-1"

        officer = new_context().new_page()
        officer.goto(f"{desk}/logowanie?next=/sprawy/{code}")
        officer.fill("#login", "urzednik")
        officer.fill("#password", PASSWORD)
        officer.click("button[type=submit]")
        officer.wait_for_url(f"**/sprawy/{code}")
        officer.click("#step-review_offer summary")
        officer.select_option("#review_offer-number", "1")
        officer.select_option("#review_offer-decision", "accept")
        assert_accessible(officer)
        screenshot(officer, "form-open-before-restart")

        output = stop_serve(serve)  # Ctrl-C, as the officer's colleague at the server would
        assert serve.returncode == 0 and "Zatrzymano." in output, output[-3000:]
        assert not listening(port) and not listening(desk_port)
        assert reviews(url) == []

        serve = start_serve(port, env, *options)  # the same data directory, Prefect home and ports
        run = httpx.get(f"{api}/flow_runs/{run_id}", auth=auth, timeout=10).json()
        assert run["state"]["type"] == "PAUSED" and run["state"]["state_details"]["pause_key"] == "review-1"

        # the same page, typed before the restart: her session and the form's CSRF token still hold
        officer.click("#step-review_offer button[type=submit]", timeout=FLOW_MS)
        officer.wait_for_url("**zrobione=*", timeout=FLOW_MS)
        notice = officer.locator("#step-notice").inner_text()
        assert "zapisana" in notice or "zrobione=pending" in officer.url, notice
        assert form_of(api, auth, run_id) == "review-2"  # recorded in that run, which asks its next form
        assert reviews(url) == [("offer:1", "Anna Urzędniczka")]
        assert_accessible(officer)
        screenshot(officer, "answer-recorded-after-restart")

        officer.go_back()  # the page as it was, sent again: refused beside the form, nothing recorded twice
        officer.click("#step-review_offer summary")
        officer.select_option("#review_offer-number", "1")
        officer.select_option("#review_offer-decision", "accept")
        with officer.expect_response(lambda r: r.request.method == "POST") as response:
            officer.click("#step-review_offer button[type=submit]")
        assert response.value.status == 422
        assert officer.locator("[role=alert]").count() > 0
        assert reviews(url) == [("offer:1", "Anna Urzędniczka")]
        assert form_of(api, auth, run_id) == "review-2"
        runs = httpx.post(f"{api}/flow_runs/filter", json={}, auth=auth, timeout=10).json()
        assert [r["id"] for r in runs if r["parameters"].get("code") == code] == [run_id]  # the ticks' request too
        assert_accessible(officer)
        screenshot(officer, "second-submission-refused")
    finally:
        output = stop_serve(serve)
    assert serve.returncode == 0, output[-3000:]
