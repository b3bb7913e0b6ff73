"""B5: deadline latency under ``coop serve``: deadlines fall due at known moments; latency is the audit record's
time (the firing tick's moment) minus the due moment. Goal: p95 ≤ the tick interval + 5 s."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from bench.data import WORKDIR, Databases
from bench.report import Row
from models.db import get_engine, normalise_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(deadlines: int, tick_seconds: int) -> list[Row]:
    from bench.run import ROOT
    from tests.prefect_fixtures import clone_due_calls, empty_template, register_organisations

    dbs = Databases(None)
    url = dbs.fresh("b5")
    register_organisations(url)
    template = empty_template(url)
    far = datetime.now(UTC) + timedelta(days=365)
    codes = clone_due_calls(url, template, deadlines, far)
    engine = get_engine(normalise_url(url))
    port = _free_port()
    env = {**os.environ, "COOP_DATABASE_URL": url, "PREFECT_HOME": str(WORKDIR / "prefect-b5"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    serve = subprocess.Popen([sys.executable, "-m", "coop", "serve", "--port", str(port), "--tick-seconds",
                              str(tick_seconds), "--poll-seconds", "1", "--no-demo"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(360):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json() is True:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if serve.poll() is not None:
                raise RuntimeError("coop serve exited")
            time.sleep(0.5)
        time.sleep(2 * tick_seconds)  # deployments registered and the first scheduled tick behind us
        # Due moments spread over three tick intervals, at known moments from now.
        start = datetime.now(UTC) + timedelta(seconds=5)
        step = 3 * tick_seconds / deadlines
        due = {}
        with engine.begin() as conn:
            ids = conn.execute(sa.text("SELECT d.id, c.code FROM deadlines d JOIN cases c ON c.id = d.case_id "
                                       "WHERE d.fired_at IS NULL AND c.code IN :codes").bindparams(
                sa.bindparam("codes", expanding=True)), {"codes": codes}).all()
            for index, (deadline_id, code) in enumerate(ids):
                moment = start + timedelta(seconds=index * step)
                due[code] = moment
                conn.execute(sa.text("UPDATE deadlines SET due_at = :m WHERE id = :i"),
                             {"m": moment.replace(tzinfo=None), "i": deadline_id})
        end = start + timedelta(seconds=3 * tick_seconds + 4 * tick_seconds + 30)
        recorded: dict[str, datetime] = {}
        while datetime.now(UTC) < end and len(recorded) < len(due):
            time.sleep(1)
            with engine.connect() as conn:
                recorded = {code: at.replace(tzinfo=UTC) if at.tzinfo is None else at for code, at in conn.execute(sa.text(
                    "SELECT c.code, a.recorded_at FROM audit_log a JOIN cases c ON c.id = a.case_id "
                    "WHERE a.event = 'close_offers'")).all() if code in due}
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        engine.dispose()
        dbs.drop_all()
    latencies = sorted((recorded[code] - due[code]).total_seconds() for code in recorded)
    missing = len(due) - len(latencies)
    p95 = latencies[max(0, int(0.95 * len(latencies)) - 1)] if latencies else float("inf")
    p95 = float("inf") if missing else p95
    return [Row(f"B5 deadline latency p95 under coop serve, {len(due)} deadlines", p95, "s", float(tick_seconds),
                f"≤ {tick_seconds + 5} s (interval + 5 s)", p95 <= tick_seconds + 5,
                note=f"baseline column: the tick interval; fired {len(latencies)}/{len(due)}; "
                     f"max {max(latencies, default=float('nan')):.1f} s")]
