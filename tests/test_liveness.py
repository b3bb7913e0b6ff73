"""Dead runs marked Crashed (issue 23): the automation of deploy/automations/ set up on a Prefect server, a served
run killed with its runner (SIGKILL, as a reboot or the out-of-memory killer does) and found Crashed by the
automation alone, while a live run beside it, heartbeating, is left to complete."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.automations import HEARTBEAT_SECONDS, load_automations
from tests.prefect_fixtures import RetryingApi, prefect_api  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "tests" / "liveness_probe.py"
CRASH = "coop-crash-dead-flow-runs"
# The test's window: longer than one heartbeat (a live run must survive it), far shorter than the file's 90 s.
TEST_WINDOW = 45
api_http = RetryingApi()  # the test server's SQLite may answer 503 under load; Prefect's client retries it too


def crash_automation(within: int | None = None) -> dict:
    (found,) = [a for a in load_automations() if a["name"] == CRASH]
    found = copy.deepcopy(found)
    if within is not None:
        found["trigger"]["within"] = within
    return found


def test_the_shipped_window_holds_three_heartbeats():
    automation = crash_automation()
    trigger = automation["trigger"]
    assert trigger["posture"] == "Proactive" and trigger["for_each"] == ["prefect.resource.id"]
    assert trigger["within"] >= 3 * HEARTBEAT_SECONDS
    # a form waiting for its answer (Suspended: its process exits on purpose) is not a dead run
    assert {"prefect.flow-run.Suspended", "prefect.flow-run.Completed"} <= set(trigger["expect"])
    assert automation["actions"] == [{"type": "change-flow-run-state", "state": "CRASHED",
                                      "message": automation["actions"][0]["message"]}]


def test_equal_automations_compare_equal_whatever_the_order_of_their_sets():
    """The server returns a trigger's sets (expected events) in any order: that is no change to make."""
    from flows.automations import _comparable

    shipped = crash_automation()
    reordered = copy.deepcopy(shipped)
    reordered["trigger"]["expect"].reverse()
    assert _comparable(shipped) == _comparable(reordered)
    reordered["trigger"]["expect"].pop()
    assert _comparable(shipped) != _comparable(reordered)


def _automations(api: str, name: str) -> list[dict]:
    response = api_http.post(f"{api}/automations/filter", json={"automations": {"name": {"any_": [name]}}}, timeout=10)
    response.raise_for_status()
    return response.json()


def test_setup_creates_then_leaves_then_updates_the_automation_by_name(prefect_api, monkeypatch):  # noqa: F811
    from flows.automations import ensure_automations

    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    try:
        assert [row["action"] for row in ensure_automations()] == ["created"]
        assert [row["action"] for row in ensure_automations()] == ["unchanged"]
        (stored,) = _automations(prefect_api, CRASH)
        assert stored["trigger"]["within"] == 90.0 and stored["actions"][0]["state"] == "CRASHED"
        assert [row["action"] for row in ensure_automations([crash_automation(within=120)])] == ["updated"]
        (stored,) = _automations(prefect_api, CRASH)
        assert stored["trigger"]["within"] == 120.0
        # a copy made by hand under the same name is folded into one
        api_http.post(f"{prefect_api}/automations/", json={**crash_automation(), "enabled": False}, timeout=10
                   ).raise_for_status()
        assert len(_automations(prefect_api, CRASH)) == 2
        assert [row["action"] for row in ensure_automations()] == ["updated"]
        assert len(_automations(prefect_api, CRASH)) == 1
    finally:
        for automation in _automations(prefect_api, CRASH):
            api_http.delete(f"{prefect_api}/automations/{automation['id']}", timeout=10)


def test_coop_prefect_setup_says_what_it_did_and_refuses_without_a_server(prefect_api, monkeypatch, tmp_path):  # noqa: F811
    from typer.testing import CliRunner

    import coop.serve  # noqa: F401  (registers `coop prefect`)
    from coop.cli import app

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    # The doors of engine deployments other tests left on the session's server are closed for this database.
    monkeypatch.setenv("COOP_DATABASE_URL", f"sqlite:///{tmp_path / 'engine.db'}")
    try:
        first = CliRunner().invoke(app, ["prefect", "setup"], env={"PREFECT_API_URL": prefect_api})
        assert first.exit_code == 0, first.output
        assert first.output.splitlines()[0] == f"Utworzono automatyzację {CRASH} na serwerze Prefect"
        again = CliRunner().invoke(app, ["prefect", "setup", "--json"], env={"PREFECT_API_URL": prefect_api})
        assert again.exit_code == 0
        assert [row["action"] for row in json.loads(again.output) if row["name"] == CRASH] == ["unchanged"]
        assert {row["action"] for row in json.loads(again.output)} == {"unchanged"}  # the doors too: nothing to do
        missing = CliRunner().invoke(app, ["prefect", "setup"], env={"PREFECT_API_URL": ""})
        assert missing.exit_code == 2 and "PREFECT_API_URL" in missing.output and "Traceback" not in missing.output
        # a process of its own: Prefect reads PREFECT_API_URL when imported (here the harness's settings rule)
        down = subprocess.run([sys.executable, "-m", "coop", "prefect", "setup"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"})
        assert down.returncode == 75 and "nie odpowiada" in down.stderr and "Traceback" not in down.stderr
    finally:
        for automation in _automations(prefect_api, CRASH):
            api_http.delete(f"{prefect_api}/automations/{automation['id']}", timeout=10)


def test_setup_refuses_without_a_prefect_server(monkeypatch):
    from flows.automations import ensure_automations
    from states.errors import InvalidInput

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(InvalidInput, match="PREFECT_API_URL"):
        ensure_automations()


def _state(api: str, run_id: str) -> str:
    return api_http.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]["type"]


def _heartbeats(api: str, run_id: str) -> int:
    response = api_http.post(f"{api}/events/filter", json={"filter": {
        "event": {"name": ["prefect.flow-run.heartbeat"]},
        "any_resource": {"id": [f"prefect.flow-run.{run_id}"]}}, "limit": 10}, timeout=10)
    response.raise_for_status()
    return len(response.json()["events"])


def _wait(what, condition, seconds: float, processes=()):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for process in processes:
            assert process.poll() is None, f"{what}: {process.args} exited {process.returncode}"
        time.sleep(1)
    raise AssertionError(f"{what}: not within {seconds} s")


def test_a_run_killed_with_its_runner_is_marked_crashed_and_a_live_one_is_not(prefect_api, monkeypatch, tmp_path):  # noqa: F811
    from flows.automations import ensure_automations

    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    ensure_automations([crash_automation(within=TEST_WINDOW)])
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)}
    log = (tmp_path / "probe.log").open("wb")
    served = subprocess.Popen([sys.executable, str(PROBE), "serve"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    # beside it, a live run in a process of its own (as a worker's flow run is), longer than the window
    live = subprocess.Popen([sys.executable, str(PROBE), "run", str(TEST_WINDOW + 25)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def deployment_id():
            found = api_http.post(f"{prefect_api}/deployments/filter", json={"deployments": {"name": {"any_": ["probe"]}}},
                               timeout=10).json()
            return found[0]["id"] if found else None

        deployment = _wait("probe deployment", deployment_id, 90, [served])
        made = api_http.post(f"{prefect_api}/deployments/{deployment}/create_flow_run", json={}, timeout=10)
        assert made.status_code == 201, made.text
        doomed = made.json()["id"]
        _wait("the served run is running", lambda: _state(prefect_api, doomed) == "RUNNING", 90, [served])
        _wait("its first heartbeat", lambda: _heartbeats(prefect_api, doomed), 30, [served])

        os.killpg(served.pid, signal.SIGKILL)  # the runner and the run's process, at once
        served.wait()
        killed_at = time.monotonic()
        assert _state(prefect_api, doomed) == "RUNNING"  # nothing else will tell Prefect it died

        def live_run():
            runs = api_http.post(f"{prefect_api}/flow_runs/filter", json={
                "flows": {"name": {"any_": ["coop-liveness-probe"]}},
                "flow_runs": {"deployment_id": {"is_null_": True}}}, timeout=10).json()
            return runs[0]["id"] if runs else None

        survivor = _wait("the live run", live_run, 60)
        _wait("the killed run marked Crashed", lambda: _state(prefect_api, doomed) == "CRASHED", TEST_WINDOW + 60)
        print(f"crashed {time.monotonic() - killed_at:.1f} s after the kill (window {TEST_WINDOW} s)")
        states = api_http.get(f"{prefect_api}/flow_run_states/", params={"flow_run_id": doomed}, timeout=10).json()
        assert "heartbeat" in states[-1]["message"] or "znaku życia" in states[-1]["message"]

        assert live.wait(timeout=TEST_WINDOW + 60) == 0
        assert _state(prefect_api, survivor) == "COMPLETED"
        history = api_http.get(f"{prefect_api}/flow_run_states/", params={"flow_run_id": survivor}, timeout=10).json()
        assert "CRASHED" not in [state["type"] for state in history]
        assert _heartbeats(prefect_api, survivor) >= 2  # it lived past a window on its heartbeats
    finally:
        for process in (served, live):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        for automation in _automations(prefect_api, CRASH):
            api_http.delete(f"{prefect_api}/automations/{automation['id']}", timeout=10)
