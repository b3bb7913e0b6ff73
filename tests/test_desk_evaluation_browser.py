"""An open call taken from formal review to its published results through the desk, in Chromium: an officer and
two committee members, each in a browser context of their own. The evaluations are collected by the Prefect
flows as deployed (each run SUSPENDS between forms and a served runner's new process records each answer); the
desk and the flows' runner are restarted between a form's opening and its answer, and nothing is lost. A score
above a criterion's maximum is refused beside its field. Every page is checked with axe-core and photographed
(tests/output/screenshots/).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case
from states import inputs
from states.engine import execute
from states.procedures.open_call import handlers as oc
from states.procedures.open_call import inputs as oc_inputs
from states.tick import tick
from tests.browser import assert_accessible
from tests.prefect_fixtures import OFFICER, announced_call, prefect_api, register_organisations  # noqa: F401
from tests.test_desk import PASSWORD, desk_key, with_password  # noqa: F401  (desk_key: autouse)
from web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("prefect_api")]
ROOT = Path(__file__).resolve().parents[1]
# A form's answer waits for the flows' runner to start the run's process and record it (the desk watches for up to
# outcome_wait): the click that submits it, and the page it leads to, are given as long, not the context's 15 s.
FLOW_MS = 150_000
RUNNER = """
import asyncio
from prefect.runner import Runner
from flows.doors import close_doors
from flows.launcher import deployments
runner = Runner(query_seconds=1)
for deployment in deployments(3600):
    if deployment.name in ("formal-review", "committee-scoring"):
        runner.add_deployment(deployment)
close_doors(simulation=True)
import sys
from pathlib import Path
Path(sys.argv[1]).write_text("ready")  # its deployments registered, their doors open to `at`: runs may be made
asyncio.run(runner.start())
"""


class FlowRunner:
    """The flows' worker as ``coop serve`` runs it (a Prefect Runner of the evaluation deployments), in a process
    of its own, so a test can stop it and start it again."""

    def __init__(self, api: str, url: str, folder: Path) -> None:
        self.env = {**os.environ, "PREFECT_API_URL": api, "COOP_DATABASE_URL": url,
                    "PREFECT_HOME": str(folder / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        self.folder, self.process = folder, None

    def start(self) -> FlowRunner:
        log = open(self.folder / "runner.log", "a")  # noqa: SIM115  (kept open by the child)
        self.ready = self.folder / "runner-ready"
        self.ready.unlink(missing_ok=True)
        self.process = subprocess.Popen([sys.executable, "-c", RUNNER, str(self.ready)], cwd=ROOT, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 120) -> None:
        """Until this runner has registered its deployments and opened their doors (another test's deployments
        of the same names may be on the session's server, their doors closed for a real database)."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            assert self.process is not None and self.process.poll() is None, "the runner exited"
            if self.ready.exists():
                return
            time.sleep(0.2)
        raise AssertionError(f"the runner was not ready after {timeout} s")

    def wait_idle(self, timeout: float = 120) -> None:
        """Until no flow run's process of this runner is alive (a suspended run's process has exited)."""
        from bench.production import descendants

        until = time.monotonic() + timeout
        while time.monotonic() < until:
            assert self.process is not None and self.process.poll() is None, "the runner exited"
            if descendants(self.process.pid) == [self.process.pid]:
                return
            time.sleep(0.2)
        raise AssertionError(f"the runner still runs a flow after {timeout} s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)
            self.process = None


def deployment_ready(name: str, timeout: float = 120) -> None:
    from prefect import get_client

    until = time.monotonic() + timeout
    while time.monotonic() < until:
        try:
            with get_client(sync_client=True) as client:
                client.read_deployment_by_name(name)
                return
        except Exception:
            time.sleep(0.5)
    raise AssertionError(f"the runner never registered {name}")


def start_run(name: str, code: str, at: str) -> str:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        return str(client.create_flow_run_from_deployment(deployment.id, parameters={"code": code, "at": at}).id)


def waiting_on(run_id: str, prefix: str, timeout: float = 120) -> str:
    from prefect import get_client

    from tests.prefect_fixtures import waiting_form

    until = time.monotonic() + timeout
    while time.monotonic() < until:
        with get_client(sync_client=True) as client:
            key = waiting_form(client.read_flow_run(run_id).state)
        if key and key.startswith(prefix):
            return key
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} never waited on a {prefix} form")


def events(url: str, event: str) -> list[tuple]:
    with get_engine(normalise_url(url)).connect() as connection:
        return [tuple(r) for r in connection.execute(sa.select(AuditRecord.subject, AuditRecord.actor).where(
            AuditRecord.event == event).order_by(AuditRecord.id)).all()]


def state_of(url: str, code: str) -> str:
    with get_engine(normalise_url(url)).connect() as connection:
        return connection.execute(sa.select(Case.state).where(Case.code == code)).scalar_one()


def test_an_officer_and_two_members_take_a_call_to_its_results_through_the_desk(
        sqlite_url, prefect_api, new_context, screenshot, live_server, monkeypatch, tmp_path):  # noqa: F811
    from tests.conftest import empty_tables

    url = sqlite_url  # SQLite only: the scenario's figure is the desk and the flows, not the database
    monkeypatch.setenv("COOP_DATABASE_URL", url)
    # The runner first: its process starts (imports, deployments) while the call is made below; it reads the
    # database only for a run, and none is made before the call is ready.
    runner = FlowRunner(prefect_api, url, tmp_path).start()
    try:
        empty_tables(url)
        register_organisations(url)
        code = announced_call(url, offers=2, members=False)
        for member in ("Jan Kowalski", "Ewa Nowak"):
            execute(oc.appoint_member, oc_inputs.AppointMember(code=code, name=member), actor=OFFICER,
                    at="2026-01-20T09:00+01:00", url=url)
        tick("2026-01-24T08:00+01:00", url=url)  # the offers close: the formal review begins
        with_password(url, "urzednik", "Anna Urzędniczka", "officer")
        with_password(url, "jan", "Jan Kowalski", ("committee_member", code))
        with_password(url, "ewa", "Ewa Nowak", ("committee_member", code))
        desk_app = create_app(url, prefect_api=prefect_api, outcome_wait=90)
        desk = live_server(desk_app)
        runner.wait_ready()
        deployment_ready("coop-formal-review/formal-review")
        deployment_ready("coop-committee-scoring/committee-scoring")

        def log_in(login: str):
            page = new_context().new_page()
            page.goto(f"{desk.url}/logowanie?next=/sprawy/{code}")
            page.fill("#login", login)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"**/sprawy/{code}")
            return page

        # --- the officer's formal review -------------------------------------------------------------------------
        monkeypatch.setenv("COOP_NOW", "2026-01-26T10:00+01:00")
        review = start_run("coop-formal-review/formal-review", code, "2026-01-26T10:00+01:00")
        officer = log_in("urzednik")  # while the run's process starts (~10 s of imports on a loaded machine)
        waiting_on(review, "review-")
        assert officer.locator("li[aria-current=step]").inner_text().startswith("„ocena formalna”")
        assert_accessible(officer)
        screenshot(officer, "officer-case-formal-review")
        for number in (1, 2):
            officer.click("#step-review_offer summary")
            officer.select_option("#review_offer-number", str(number))
            officer.select_option("#review_offer-decision", "accept")
            if number == 2:  # the form open, then the desk and the flows' worker restart: nothing is lost
                assert waiting_on(review, "review-") == "review-2"
                runner.wait_idle()  # the run's process, suspended, has exited: the runner stops with nothing in flight
                runner.stop()
                desk.stop()
                desk.start()
                runner.start()
            officer.click("#step-review_offer button[type=submit]", timeout=FLOW_MS)
            officer.wait_for_url("**zrobione=*", timeout=FLOW_MS)
            assert "zapisana" in officer.locator("#step-notice").inner_text()
            if number == 1:
                waiting_on(review, "review-2")
        assert events(url, "accept_formally") == [("offer:1", "Anna Urzędniczka"), ("offer:2", "Anna Urzędniczka")]
        screenshot(officer, "officer-reviewed")
        monkeypatch.setenv("COOP_NOW", "2026-02-02T09:00+01:00")
        officer.reload()
        officer.click("#step-finish_formal_review summary")
        officer.click("#step-finish_formal_review button[type=submit]")
        officer.wait_for_url("**zrobione=done*")
        assert state_of(url, code) == "substantive_review"

        # --- the committee: declarations and scores, each member in her own browser --------------------------------
        monkeypatch.setenv("COOP_NOW", "2026-02-05T09:00+01:00")
        # Each member's run is started while the one before her still scores (the runs' processes start while the
        # browsers work): two runs wait at once, the second bound to nobody until Ewa declares.
        run = start_run("coop-committee-scoring/committee-scoring", code, "2026-02-05T09:00+01:00")
        for login, scores in (("jan", ("8", "7")), ("ewa", ("9", "6"))):
            member = log_in(login)
            waiting_on(run, "identify-")
            assert_accessible(member)
            screenshot(member, f"{login}-case")
            member.click("#step-declare_conflicts summary")
            member.fill("#declare_conflicts-note", "brak konfliktu interesów")
            member.click("#step-declare_conflicts button[type=submit]", timeout=FLOW_MS)
            member.wait_for_url("**zrobione=recorded*", timeout=FLOW_MS)
            if login == "jan":  # bound to Jan now: Ewa's run, started, waits for whoever declares next
                member_run, run = run, start_run("coop-committee-scoring/committee-scoring", code,
                                                 "2026-02-05T09:00+01:00")
            else:
                member_run = run
            for number, capacity in zip((1, 2), scores, strict=True):
                waiting_on(member_run, "score-")
                member.click("#step-score_offer summary")
                member.select_option("#score_offer-number", str(number))
                for key, points in (("capacity", capacity), ("costs", "8"), ("quality", "8"), ("own_funds", "3"),
                                    ("contribution", "4"), ("track_record", "4")):
                    member.fill(f"#score_offer-points-{key}", points)
                if login == "ewa" and number == 1:  # above the maximum: refused at once, beside its field
                    member.fill("#score_offer-points-quality", "55")
                    member.click("#step-score_offer button[type=submit]")
                    error = member.locator("#score_offer-points-quality-error")
                    assert "55" in error.inner_text()
                    assert member.locator("#score_offer-points-quality").get_attribute("aria-invalid") == "true"
                    assert member.locator("#score_offer-points-capacity").input_value() == capacity  # kept
                    assert_accessible(member)
                    screenshot(member, "ewa-refused-score")
                    member.fill("#score_offer-points-quality", "8")
                member.click("#step-score_offer button[type=submit]", timeout=FLOW_MS)
                member.wait_for_url("**zrobione=recorded*", timeout=FLOW_MS)
            assert_accessible(member)
            screenshot(member, f"{login}-scored")
        assert [actor for _, actor in events(url, "score")] == ["Jan Kowalski"] * 2 + ["Ewa Nowak"] * 2
        assert [actor for _, actor in events(url, "declare_conflicts")] == ["Jan Kowalski", "Ewa Nowak"]

        # --- the results: the officer selects and publishes ---------------------------------------------------------
        monkeypatch.setenv("COOP_NOW", "2026-02-10T12:00+01:00")
        officer.goto(f"{desk.url}/sprawy/{code}")
        officer.click("#step-select_offers summary")
        officer.fill("#select_offers-grants-1", "25000.00")
        officer.fill("#select_offers-grants-2", "20000.00")
        officer.fill("#select_offers-decision_ref", "Zarządzenie nr 12/2026")
        officer.click("#step-select_offers button[type=submit]")
        officer.wait_for_url("**zrobione=done*")
        monkeypatch.setenv("COOP_NOW", "2026-02-11T12:00+01:00")
        officer.click("#step-publish summary")
        officer.select_option("#publish-subject", "results")
        for channel, hour in (("bip", "09"), ("board", "10"), ("website", "11")):
            officer.fill(f"#publish-published-{channel}", f"2026-02-11T{hour}:00")
        officer.click("#step-publish button[type=submit]")
        officer.wait_for_url("**zrobione=done*")
        assert state_of(url, code) == "results_published"
        assert "obecny etap" in officer.locator("li[aria-current=step]").inner_text()
        assert_accessible(officer)
        screenshot(officer, "officer-results-published")
    finally:
        runner.stop()
    assert inputs  # the engine's shared input models are what the desk's forms read
