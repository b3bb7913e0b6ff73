"""End to end: ``coop serve`` as a subprocess on free ports; the API refuses a call without the auth string and
answers with it, the UI calls the served port, the scheduled tick fires a deadline that falls due a few seconds
later, and Ctrl-C stops everything cleanly (one server start)."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case, Deadline
from tests.prefect_fixtures import announced_call, register_organisations, unauthenticated_sweep
from tests.serving import free_port, serve_env, start_serve, stop_serve

ROOT = Path(__file__).resolve().parents[1]


def test_coop_serve_answers_fires_a_scheduled_deadline_and_stops_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'engine.db'}"
    register_organisations(url)
    code = announced_call(url, offers=1, members=False)
    engine = get_engine(normalise_url(url))
    with engine.begin() as conn:  # not due yet when the server starts
        conn.execute(sa.update(Deadline).values(due_at=datetime.now(UTC) + timedelta(hours=1)))

    port = free_port()
    env = serve_env(tmp_path, url)
    auth_path = tmp_path / "data" / "coop-engine" / "prefect-auth-string"
    api = f"http://127.0.0.1:{port}/api"
    serve = start_serve(port, env, "--tick-seconds", "3", "--poll-seconds", "1", "--no-demo")
    try:
        ui = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert ui.status_code == 200 and "<html" in ui.text.lower()
        # the UI calls the API it is served beside (not 4200) and asks for the auth string
        ui_settings = httpx.get(f"http://127.0.0.1:{port}/ui-settings", timeout=10).json()
        assert ui_settings["api_url"] == api and ui_settings["auth"] == "BASIC"

        # the door is locked: no credentials, or wrong ones, get 401; the string from the 0600 file opens it
        assert stat.S_IMODE(auth_path.stat().st_mode) == 0o600
        secret = auth_path.read_text().strip()
        assert len(secret) > 30
        for path in ("/deployments/filter", "/flow_runs/filter"):
            assert httpx.post(f"{api}{path}", json={}, timeout=10).status_code == 401
        assert httpx.post(f"{api}/flow_runs/filter", json={}, auth=("coop", "guess"), timeout=10).status_code == 401
        user, password = secret.split(":", 1)
        client = httpx.Client(auth=(user, password), timeout=10)
        assert client.post(f"{api}/flow_runs/filter", json={}).status_code == 200
        deployments = client.post(f"{api}/deployments/filter", json={})
        for _ in range(60):
            names = {d["name"] for d in deployments.json()}
            closed = all(d["parameter_openapi_schema"].get("additionalProperties") is False for d in deployments.json())
            if closed and {"tick", "formal-review", "committee-scoring", "case-step", "notifications-dispatch", "annual-report", "case-summaries"} <= names:
                break
            time.sleep(0.5)
            deployments = client.post(f"{api}/deployments/filter", json={})
        assert {"tick", "formal-review", "committee-scoring", "case-step", "notifications-dispatch", "annual-report", "case-summaries"} <= names
        # the tick knows its interval (its watchdog's measure), and dead runs will be marked Crashed
        assert [d["parameters"] for d in deployments.json() if d["name"] == "tick"] == [{"interval_seconds": 3}]
        # Every route of the API refuses a caller without the string (only the health probes answer anyone).
        statuses = unauthenticated_sweep(api, (user, password))
        assert len(statuses) > 100
        assert {route: code for route, code in statuses.items() if code != 401} == {
            "GET /health": 200, "GET /ready": 200}
        # No deployment takes a database or an identity; this simulation database's still take a moment.
        for deployment in deployments.json():
            schema = deployment["parameter_openapi_schema"]
            assert schema["additionalProperties"] is False and deployment["enforce_parameter_schema"]
            assert not {"database_url", "officer", "member"} & schema["properties"].keys(), deployment["name"]
        [tick] = [d for d in deployments.json() if d["name"] == "tick"]
        assert "at" in tick["parameter_openapi_schema"]["properties"]
        refused = client.post(f"{api}/deployments/{tick['id']}/create_flow_run",
                              json={"parameters": {"database_url": f"sqlite:///{tmp_path / 'elsewhere.db'}"}})
        assert refused.status_code == 409 and not (tmp_path / "elsewhere.db").exists()
        automations = client.post(f"{api}/automations/filter", json={}).json()
        assert "coop-crash-dead-flow-runs" in {a["name"] for a in automations}

        with engine.begin() as conn:  # now due a few seconds from now: only the scheduled tick can fire it
            conn.execute(sa.update(Deadline).values(due_at=datetime.now(UTC) + timedelta(seconds=3)))
        state = None
        for _ in range(240):
            with engine.connect() as conn:
                state = conn.execute(sa.select(Case.state).where(Case.code == code)).scalar_one()
            if state == "formal_review":
                break
            assert serve.poll() is None
            time.sleep(0.5)
        assert state == "formal_review"
        with engine.connect() as conn:
            actors = conn.execute(sa.select(AuditRecord.actor).where(AuditRecord.event == "close_offers")).scalars().all()
        assert actors == ["scheduler"]
    finally:
        output = stop_serve(serve)  # what Ctrl-C sends
    assert serve.returncode == 0, output[-3000:]
    assert "Zatrzymano." in output
    assert str(auth_path) in output and secret not in output  # where the string is, never the string
    with socket.socket() as probe:  # the Prefect server is gone too
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_coop_serve_refuses_an_auth_string_file_others_may_read(tmp_path):
    data = tmp_path / "data"
    auth_path = data / "coop-engine" / "prefect-auth-string"
    auth_path.parent.mkdir(parents=True)
    auth_path.write_text("coop:kept-secret\n")
    auth_path.chmod(0o640)
    env = serve_env(tmp_path, f"sqlite:///{tmp_path / 'engine.db'}")
    result = subprocess.run([sys.executable, "-m", "coop", "serve", "--port", str(free_port()), "--no-demo"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert str(auth_path) in result.stderr and f"chmod 600 {auth_path}" in result.stderr
    assert "Traceback" not in result.stderr and "kept-secret" not in result.stdout + result.stderr
    assert not (tmp_path / "prefect").exists()  # refused before anything started
    assert auth_path.read_text() == "coop:kept-secret\n" and stat.S_IMODE(auth_path.stat().st_mode) == 0o640


def test_the_cli_help_and_domain_commands_do_not_import_prefect():
    probe = ("import sys\nsys.argv = ['coop', '--help']\nfrom coop import cli\n"
             "try:\n    cli.main()\nexcept SystemExit:\n    pass\nprint('PREFECT' if 'prefect' in sys.modules else 'CLEAN')")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    assert "serve" in out and out.strip().endswith("CLEAN")
