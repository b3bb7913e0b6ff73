"""Runs an idle `coop serve --demo` creates in N seconds, by flow and state (docs/prefect.md, "Quiet and right").

Usage: python bench/idle_runs.py CHECKOUT PORT SECONDS OUT.json  (CHECKOUT: a checkout with its .venv)
"""
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

checkout, port, seconds, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tmp = Path(tempfile.mkdtemp(prefix="idle-"))
env = {**os.environ, "COOP_DATABASE_URL": f"sqlite:///{tmp/'engine.db'}", "PREFECT_HOME": str(tmp/'prefect'),
       "XDG_DATA_HOME": str(tmp/'data'), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
for k in ("PREFECT_API_URL", "PREFECT_UI_API_URL", "PREFECT_API_AUTH_STRING", "PREFECT_SERVER_API_AUTH_STRING"):
    env.pop(k, None)
log = open(tmp/'serve.log', 'w')
p = subprocess.Popen([f"{checkout}/.venv/bin/python", "-m", "coop", "serve", "--port", str(port), "--demo"], cwd=checkout,
                     env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
api = f"http://127.0.0.1:{port}/api"
for _ in range(400):
    try:
        if httpx.get(f"{api}/health", timeout=2).json() is True:
            break
    except (httpx.HTTPError, ValueError):
        pass
    time.sleep(0.5)
start = time.time()
time.sleep(seconds)
auth = (tmp/'data'/'coop-engine'/'prefect-auth-string').read_text().strip().split(":", 1)
runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 200}, auth=tuple(auth), timeout=30).json()
flows = {f["id"]: f["name"] for f in httpx.post(f"{api}/flows/filter", json={}, auth=tuple(auth), timeout=30).json()}
tasks = httpx.post(f"{api}/task_runs/count", json={}, auth=tuple(auth), timeout=30).json()
failed_tasks = httpx.post(f"{api}/task_runs/count", json={"task_runs": {"state": {"type": {"any_": ["FAILED"]}}}}, auth=tuple(auth), timeout=30).json()
arts = httpx.post(f"{api}/artifacts/filter", json={"limit": 200}, auth=tuple(auth), timeout=30).json()
count = collections.Counter((flows.get(r["flow_id"]), r["state_type"]) for r in runs)
result = {"checkout": checkout, "seconds": seconds, "flow_runs": len(runs), "by_flow_state": {f"{k[0]} {k[1]}": v for k, v in sorted(count.items())},
          "task_runs": tasks, "failed_task_runs": failed_tasks, "artifact_versions": len(arts),
          "max_versions_per_key": max(collections.Counter(a["key"] for a in arts if a.get("key")).values() or [0]),
          "names": sorted({r["name"] for r in runs})[:40]}
Path(out).write_text(json.dumps(result, indent=1, ensure_ascii=False))
os.killpg(p.pid, signal.SIGINT)
p.wait(timeout=60)
