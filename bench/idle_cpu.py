"""Idle cost of a served engine: CPU seconds per hour used by ``coop serve`` with nothing to do.

Starts ``coop serve --no-demo`` on a fresh SQLite engine database, with Prefect's home in a temporary directory
and a free port, lets it settle, then measures the CPU time of its whole process tree (the launcher, the runner,
the Prefect server and every flow-run process it started, including those that exited) over ``--minutes``, and
counts the flow runs made in that window, per flow and final state.

    .venv/bin/python bench/idle_cpu.py --minutes 5

CPU seconds are meaningful on a loaded machine (they count work done, not waiting); wall times are not.
How the tree's time is read: for every live process of the tree, ``utime + stime`` (its own) plus ``cutime +
cstime`` (its children that exited and were reaped); this script is made a child subreaper, so an orphaned
grandchild is reparented here and its time, once reaped, counts in this process's RUSAGE_CHILDREN. The sum is a
running total for the tree; the figure is its difference over the window.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, own + reaped children's CPU seconds) of a process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) ": state is fields[0]
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return ppid, (utime + stime + cutime + cstime) / TICKS


def tree_cpu(root: int) -> tuple[float, dict[int, float]]:
    """CPU seconds of the live tree under ``root`` (root included), and per direct child of root (its subtree)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found:
                parents[int(entry)], cpu[int(entry)] = found
    per_child: dict[int, float] = Counter()
    total = 0.0
    for pid, seconds in cpu.items():
        chain, node = [], pid
        while node in parents and node != root and node > 1:
            chain.append(node)
            node = parents[node]
        if node != root:
            continue
        total += seconds
        per_child[chain[-1] if chain else root] += seconds
    return total, dict(per_child)


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:70]
    except OSError:
        return str(pid)


def reaped_cpu() -> float:
    """Orphans of the tree reparented to this subreaper and reaped: their CPU seconds (and their children's)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def flow_runs(api: str, since: datetime, until: datetime) -> Counter:
    """Flow runs expected to start in the window, by (flow name, state)."""
    window = {"flow_runs": {"expected_start_time": {"after_": since.isoformat(), "before_": until.isoformat()}}}
    runs, offset = [], 0
    while True:
        page = httpx.post(f"{api}/flow_runs/filter", json={**window, "limit": 200, "offset": offset}, timeout=30).json()
        runs += page
        if len(page) < 200:
            break
        offset += 200
    names = {f["id"]: f["name"] for f in httpx.post(f"{api}/flows/filter", json={}, timeout=30).json()}
    return Counter((names.get(r["flow_id"], r["flow_id"]), r["state_type"]) for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the measured window (default 5)")
    parser.add_argument("--settle", type=float, default=90.0,
                        help="seconds after the API answers before measuring: deployments registered, first runs done")
    parser.add_argument("--tick-seconds", type=int, default=60)
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="the checkout to serve (e.g. an export of another commit, to compare)")
    args = parser.parse_args()

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)
    work = Path(tempfile.mkdtemp(prefix="coop-idle-"))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "COOP_DATABASE_URL": f"sqlite:///{work / 'engine.db'}", "PREFECT_HOME": str(work / "prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(args.project)}
    for name in ("PREFECT_API_URL", "COOP_NOW", "COOP_SIMULATION"):
        env.pop(name, None)
    log = work / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen([sys.executable, "-m", "coop", "serve", "--no-demo", "--port", str(port),
                                  "--tick-seconds", str(args.tick_seconds)],
                                 cwd=args.project, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(600):
            if serve.poll() is not None:
                raise SystemExit(f"coop serve exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{api}/health", timeout=2).json() is True:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        time.sleep(args.settle)
        start_wall, start_at = time.monotonic(), datetime.now(UTC)
        start_tree, start_children = tree_cpu(serve.pid)
        start_reaped = reaped_cpu()
        time.sleep(args.minutes * 60)
        end_tree, end_children = tree_cpu(serve.pid)
        end_reaped = reaped_cpu()
        seconds, end_at = time.monotonic() - start_wall, datetime.now(UTC)
        commands = {pid: _command(pid) for pid in end_children}
        runs = flow_runs(api, start_at, end_at)
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
    used = (end_tree - start_tree) + (end_reaped - start_reaped)
    print(f"project: {args.project}")
    print(f"window: {seconds:.0f} s; CPU used by coop serve's process tree: {used:.1f} s "
          f"= {used / seconds * 3600:.0f} CPU-s per hour ({used / seconds * 100:.1f} % of one core)")
    for pid, cpu in sorted(end_children.items()):
        what = "coop serve itself (launcher, runner, flow-run processes it reaped)" if pid == serve.pid else \
            f"subtree {commands[pid]}"
        print(f"  of which {what}: {cpu - start_children.get(pid, 0.0):.1f} s")
    total = sum(runs.values())
    print(f"flow runs expected to start in the window: {total} ({total / seconds * 3600:.0f} per hour)")
    for (flow, state), count in sorted(runs.items()):
        print(f"  {flow} {state}: {count}")
    print(f"coop serve's output: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
