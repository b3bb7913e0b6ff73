"""``coop serve`` run as a person runs it, in a process of its own on a free port, for the tests that need the
whole thing (tests/test_serve.py, tests/test_prefect_quiet.py): started with no Prefect variables of the
caller's, waited for until its API answers, stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
# What a test's own environment may hold (the session's Prefect harness) and `coop serve` must not inherit: it
# makes its own server, auth string and Prefect database.
CALLERS_PREFECT = ("PREFECT_API_URL", "PREFECT_UI_API_URL", "PREFECT_API_AUTH_STRING", "PREFECT_SERVER_API_AUTH_STRING",
                   "PREFECT_API_DATABASE_CONNECTION_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment of a person's shell: the engine's database, a Prefect home and a user data directory (where
    the auth string is kept) under ``tmp_path``, none of the caller's Prefect settings."""
    env = {**os.environ, "COOP_DATABASE_URL": database_url, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "XDG_DATA_HOME": str(tmp_path / "data")}
    for name in CALLERS_PREFECT:
        env.pop(name, None)
    return env


def start_serve(port: int, env: dict[str, str], *options: str) -> subprocess.Popen:
    """``coop serve --port PORT OPTIONS…``, its output (stdout and stderr) in one text pipe, answering once its
    Prefect API's health check does (up to two minutes, however loaded the machine). The desk gets a free port
    too: its default, 4210, is taken when two tests (or two worktrees) serve at once."""
    if "--desk-port" not in options:
        options = (*options, "--desk-port", str(free_port()))
    serve = subprocess.Popen([sys.executable, "-m", "coop", "serve", "--port", str(port), *options], cwd=ROOT,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    try:
        until = time.monotonic() + 120
        while time.monotonic() < until:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json() is True:
                    return serve
            except (httpx.HTTPError, ValueError):
                pass
            assert serve.poll() is None, serve.stdout.read()
            time.sleep(0.2)
        raise AssertionError(f"coop serve did not answer on port {port} within two minutes")
    except BaseException:
        stop_serve(serve)
        raise


def stop_serve(serve: subprocess.Popen, timeout: float = 180) -> str:
    """Ctrl-C (SIGINT) and its output once it has exited; killed whole (and the error raised) if it does not stop
    within ``timeout``: a clean stop, however loaded the machine, not a timing."""
    if serve.poll() is None:
        serve.send_signal(signal.SIGINT)
    try:
        output, _ = serve.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(serve.pid, signal.SIGKILL)
        serve.communicate()
        raise
    return output
