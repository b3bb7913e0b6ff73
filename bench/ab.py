"""Two commits, one run: B1's domain tick and B2's steps measured on this tree and on another, interleaved.

    .venv/bin/python -m bench.ab --before /path/to/a/worktree/of/main [--cases 20000 --due 2000]
        [--calls 20] [--rounds 5] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

A goal stated as "at most x % slower than before" (issue 19) can only be judged on one machine at one time:
this host's speed moves by ±15 % from one minute to the next. The data is built once, by the ``--before``
tree's ``bench.data`` in a child process (at its schema revision: a newer tree migrates a copy before timing,
an older one could not open a newer schema); each round then runs every side in a child process of its own
(its tree first on ``sys.path``), in an order that turns from round to round, each on a fresh copy of the same
database; every database a side opens first is made by that side (its warm-up database, B2's).

- **B1**: ``states.tick.tick`` firing the due deadlines, in a process set up as the tick's flow run sets up
  its own (Prefect and the tick flow imported, ``flows.process.settle_after_imports`` where the tree has it);
  wall time and the child's CPU time (``time.process_time``: the
  database server's own work is not in it on PostgreSQL).
- **B2**: the open-call lifecycles of ``bench.b2_lifecycle`` (each side's own copy of it), every command timed
  as it goes through ``states.engine.execute``: a step's median, beside the median of the smallest command
  (``bench.b2_lifecycle.smallest_commands``) in the same child. Goal: a step's median ≤ 3 × the smallest's.
  Where the tree has it, also the median of the smallest lawful step (``bench.b2_lifecycle.lawful_steps``: the
  smallest command plus one hash-chained audit record), and the step's ratio to it: a report, not the goal.

Prints the medians of the rounds per side (and the ratio of the least figures, which a busy host's contention
only ever raises), and each round's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parents[1]

_TICK_CHILD = """
import json, sys, time
sys.path.insert(0, {tree!r})
import flows.tick  # noqa: F401  (Prefect's heap, as in the tick's flow run)
try:
    from flows.process import settle_after_imports  # what the tick's flow run does at its start
except ImportError:  # a tree from before it: its first command froze the imports itself
    settle_after_imports = lambda: None
settle_after_imports()
from bench.data import TICK_AT
from models.db import get_engine
from models.settings import SIMULATION, initialise_clock
from states.tick import tick
initialise_clock(get_engine({warm!r}), SIMULATION)  # this side's own warm-up database
tick(TICK_AT, url={warm!r})  # imports, first connection
get_engine({url!r}).dispose()  # the copy at this tree's schema revision (a newer tree migrates it), untimed
if {url!r}.startswith("sqlite"):  # the migration's pages out of the WAL, as a copy's are: not the tick's to write
    import sqlite3
    raw = sqlite3.connect({url!r}.removeprefix("sqlite:///"))
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
wall, cpu = time.perf_counter(), time.process_time()
report = tick(TICK_AT, url={url!r})
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
assert report.fired == {due}, (report.fired, {due})
print(json.dumps({{"wall": wall, "cpu": cpu}}))
"""

_B2_CHILD = """
import json, sys, time
sys.path.insert(0, {tree!r})
import states.engine
from bench import b2_lifecycle
timed, cpu, plain = [], [], states.engine.execute

def execute(*args, **kwargs):  # every command of the lifecycles and of the ceiling, one by one
    wall, used = time.perf_counter(), time.process_time()
    try:
        return plain(*args, **kwargs)
    finally:
        timed.append(time.perf_counter() - wall)
        cpu.append(time.process_time() - used)

def median(values):
    return sorted(values)[len(values) // 2]

from models.db import get_engine
from models.settings import SIMULATION, initialise_clock
initialise_clock(get_engine({url!r}), SIMULATION)  # made by this side, at its schema revision
states.engine.execute = execute
b2_lifecycle.domain_lifecycles({url!r}, {calls})
per_lifecycle = len(timed) // ({calls} + 1)
steps, steps_cpu = timed[per_lifecycle:], cpu[per_lifecycle:]  # the first lifecycle is the warm-up
del timed[:], cpu[:]
b2_lifecycle.smallest_commands({url!r}, {smallest})
smallest, smallest_cpu = timed[1:], cpu[1:]  # the first is the warm-up
out = {{"step": median(steps), "smallest": median(smallest), "steps": len(steps),
       "step_cpu": median(steps_cpu), "smallest_cpu": median(smallest_cpu)}}
if hasattr(b2_lifecycle, "lawful_steps"):  # a tree from before it has only the smallest command
    del timed[:], cpu[:]
    b2_lifecycle.lawful_steps({url!r}, {smallest})
    out.update(lawful=median(timed[2:]), lawful_cpu=median(cpu[2:]))  # its look-up and warm-up
print(json.dumps(out))
"""


_BUILD_CHILD = """
import json, sys
sys.path.insert(0, {tree!r})
from bench.data import build_live_cases
from models.db import get_engine
from models.settings import SIMULATION, initialise_clock
initialise_clock(get_engine({url!r}), SIMULATION)
build_live_cases({url!r}, {cases}, {due})
print(json.dumps({{}}))
"""


def _child(code: str, cwd: str) -> dict:
    env = {**os.environ, "COOP_SIMULATION": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"child in {cwd} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the other tree (e.g. a git worktree of main)")
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--due", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=20, help="B2 lifecycles per child (0: no B2)")
    parser.add_argument("--smallest", type=int, default=300, help="B2: smallest commands per child")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--only", choices=("b1", "b2"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from bench.data import Databases

    sides = {"before": str(Path(args.before).resolve()), "after": str(HERE)}
    dbs = Databases(args.database_url)
    results: dict[str, dict[str, list]] = {side: {} for side in sides}
    try:
        template, warm = None, {}
        if args.only != "b2":
            template = dbs.blank("ab_b1")
            _child(_BUILD_CHILD.format(tree=sides["before"], url=template, cases=args.cases, due=args.due),
                   sides["before"])
            warm = {side: dbs.blank(f"ab_warm_{side}") for side in sides}
        order = list(sides)
        for round_number in range(args.rounds):
            for side in order:
                line = []
                if template is not None:
                    copy = dbs.copy(template, "ab_tick", opened=False)
                    os.sync()
                    tick = _child(_TICK_CHILD.format(tree=sides[side], warm=warm[side], url=copy, due=args.due),
                                  sides[side])
                    for name, value in tick.items():
                        results[side].setdefault(f"b1 {name}", []).append(value)
                    line.append(f"tick {tick['wall']:.3f} s wall, {tick['cpu']:.3f} s CPU")
                if args.calls and args.only != "b1":
                    url = dbs.blank("ab_b2")
                    b2 = _child(_B2_CHILD.format(tree=sides[side], url=url, calls=args.calls,
                                                 smallest=args.smallest), sides[side])
                    for name in ("step", "smallest", "step_cpu", "smallest_cpu", "lawful", "lawful_cpu"):
                        if name in b2:
                            results[side].setdefault(f"b2 {name}", []).append(b2[name])
                    line.append(f"B2 step median {1000 * b2['step']:.2f} ms, smallest {1000 * b2['smallest']:.2f} ms"
                                f" ({b2['step'] / b2['smallest']:.2f}×); CPU {1000 * b2['step_cpu']:.2f} / "
                                f"{1000 * b2['smallest_cpu']:.2f} ms")
                    if "lawful" in b2:
                        line.append(f"smallest lawful step {1000 * b2['lawful']:.2f} ms ({b2['step'] / b2['lawful']:.2f}×),"
                                    f" CPU {1000 * b2['lawful_cpu']:.2f} ms ({b2['step_cpu'] / b2['lawful_cpu']:.2f}×)")
                print(f"round {round_number + 1} {side:>6}: " + "; ".join(line), flush=True)
            order = order[1:] + order[:1]
    finally:
        dbs.drop_all()
    print(f"\nmedians of {args.rounds} rounds [{dbs.backend}], {args.cases:,} live / {args.due:,} due, "
          f"{args.calls} lifecycles a child:")
    for name in results["after"]:
        if name not in results["before"]:  # the lawful step: only a tree that has it
            print(f"  {name:<16} after {1000 * median(results['after'][name]):8.3f} ms (least of the rounds "
                  f"{1000 * min(results['after'][name]):.3f} ms)")
            continue
        before, after = median(results["before"][name]), median(results["after"][name])
        scale, unit = (1000, "ms") if name.startswith("b2") else (1, "s")
        low_before, low_after = min(results["before"][name]), min(results["after"][name])
        print(f"  {name:<16} before {scale * before:8.3f} {unit}   after {scale * after:8.3f} {unit}   "
              f"after/before {after / before:.3f}   (least of the rounds: {low_after / low_before:.3f})")
    for side in sides:
        if "b2 step" in results[side]:
            ratios = [s / m for s, m in zip(results[side]["b2 step"], results[side]["b2 smallest"], strict=True)]
            print(f"  B2 step median / smallest command median, {side}: {median(ratios):.2f}× (goal ≤ 3×), "
                  f"rounds " + " / ".join(f"{r:.2f}" for r in ratios))
            cpu = [s / m for s, m in zip(results[side]["b2 step_cpu"], results[side]["b2 smallest_cpu"], strict=True)]
            print(f"    the same in CPU time: {median(cpu):.2f}×, rounds " + " / ".join(f"{r:.2f}" for r in cpu))
        if "b2 lawful" in results[side]:
            for unit, step_name, floor_name in (("wall", "b2 step", "b2 lawful"), ("CPU", "b2 step_cpu", "b2 lawful_cpu")):
                ratios = [s / m for s, m in zip(results[side][step_name], results[side][floor_name], strict=True)]
                floors = [s / m for s, m in zip(results[side][floor_name],
                                                results[side][floor_name.replace("lawful", "smallest")], strict=True)]
                print(f"  B2 step median / smallest lawful step median ({unit}), {side}: {median(ratios):.2f}×, rounds "
                      + " / ".join(f"{r:.2f}" for r in ratios) + f"; the lawful step / the smallest command: "
                      f"{median(floors):.2f}×")


if __name__ == "__main__":
    main()
