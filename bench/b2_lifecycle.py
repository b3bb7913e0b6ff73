"""B2: whole open calls driven as officers drive them, against SpiffWorkflow running bench/open_call.bpmn.

Domain: one command (one transaction) per step through the handlers — create, announce, 3 members
appointed, 3 offers filed, the offer deadline fired by the tick, 3 formal reviews, the end of the formal
review, 3 conflict declarations, 9 scores (3 members × 3 offers), the ranking read, the selection, the
published results: 28 steps. SpiffWorkflow: the same steps as 26 user tasks and 2 script tasks; after each
human step the workflow is serialized to SQLite and read back before the next, as an engine whose steps
are days apart must do.

Beside them, the floor of the architecture: the smallest command a step can be (one unit of work that loads
the call by its code, moves its clock, commits), timed on the same database. No step does less, so 28 of
them bound the lifecycles per second any handler code could reach. The goal (issue 19): a step's median
≤ 3 × the smallest command's median; the lifecycles beside SpiffWorkflow's are a report, with no goal.

A second floor beside it, the smallest *lawful* step (``lawful_steps``): what no officer's step can lawfully skip
— the same unit of work plus one hash-chained audit record appended by the engine's own ``record`` (the
database's time of writing, the chain's hash, the case's sequence and head, the record published to the
notifications' subscriber, which has no rule for it) — so that a step's ratio to it says how much of a step is
the procedure's own work, and its ratio to the smallest command how much is the law's minimum. The goal keeps
its definition (the smallest ORM command); both ratios are reported.

Each side first runs one lifecycle untimed (imports, compiling each statement and template once): the figure
is the steady rate an office sees all day, not the first click after a restart.
"""

from __future__ import annotations

import json
import sqlite3
import time
from decimal import Decimal
from pathlib import Path
from statistics import median

from bench.data import Databases
from bench.report import Row

BPMN = Path(__file__).with_name("open_call.bpmn")
STEPS = 28
FLOOR_COMMANDS = 2000
KEYS = ("capacity", "costs", "quality", "own_funds", "contribution", "track_record")


def domain_lifecycles(url: str, calls: int, step_times: list[float] | None = None) -> float:
    """Seconds for ``calls`` lifecycles after one untimed; each timed step's own seconds go to ``step_times``."""
    from coop.demo import MEMBERS, OFFERS, OFFICER, ORGANISATIONS
    from states import inputs
    from states.engine import Actor, execute
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from states.tick import tick
    from tests.prefect_fixtures import register_organisations

    register_organisations(url)

    timing = [False]  # the warm-up lifecycle's steps are not kept

    def timed(run, *args, **kwargs):
        started = time.perf_counter()
        result = run(*args, **kwargs)
        if timing[0] and step_times is not None:
            step_times.append(time.perf_counter() - started)
        return result

    def do(handler, command, when, actor=OFFICER, readonly=False):
        return timed(execute, handler, command, actor=actor, at=when, url=url, readonly=readonly)

    def lifecycle():
        code = do(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Wspieranie aktywności lokalnej 2026", task_area="pożytek "
                  "publiczny", budget=Decimal("100000.00")), "2026-01-02T08:30+01:00")["code"]
        do(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
            code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
            execution_end="2026-11-30", published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00",
                                                   "website": "2026-01-02T11:00+01:00"}), "2026-01-02T12:00+01:00")
        for member in MEMBERS:
            do(open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=member), "2026-01-05T09:00+01:00")
        for index, (title, grant, _) in enumerate(OFFERS[:3]):
            do(open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=ORGANISATIONS[index][2], title=title,
                                          requested_grant=grant, task_start="2026-04-01", task_end="2026-06-30"),
               f"2026-01-{12 + index:02d}T10:00+01:00")
        report = timed(tick, "2026-01-24T08:00+01:00", url=url)  # this call's offer deadline: the only one due
        assert report.fired == 1, report
        for number in (1, 2, 3):
            do(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="accept"), "2026-01-26T10:00+01:00")
        do(open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
        for member in MEMBERS:
            do(open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts(code=code, member=member, conflicts=()),
               "2026-02-03T09:00+01:00", Actor(member, "committee_member"))
        for number, (_, _, points) in enumerate(OFFERS[:3], start=1):
            for member in MEMBERS:
                do(open_call_handlers.score_offer, open_call_inputs.ScoreOffer(code=code, number=number, member=member,
                                                points=dict(zip(KEYS, map(Decimal, points), strict=True))),
                   "2026-02-05T09:00+01:00", Actor(member, "committee_member"))
        proposal = do(open_call_handlers.show_ranking, inputs.CaseRef(code=code), "2026-02-10T09:00+01:00", readonly=True)["proposal"]
        do(open_call_handlers.select_offers, open_call_inputs.SelectOffers(code=code, grants=proposal, decision_ref="Zarządzenie nr 45/2026"),
           "2026-02-13T12:00+01:00")
        return do(open_call_handlers.publish, open_call_inputs.Publish(code=code, subject="results", published={
            "bip": "2026-02-16T09:00+01:00", "board": "2026-02-16T09:30+01:00", "website": "2026-02-16T10:00+01:00"}),
            "2026-02-16T10:30+01:00")

    lifecycle()  # warm-up, untimed
    timing[0] = True
    started = time.perf_counter()
    for _ in range(calls):
        result = lifecycle()
    elapsed = time.perf_counter() - started
    print(f"  B2 domain: {calls} calls in {elapsed:.1f} s, last ended {result}", flush=True)
    return elapsed


def smallest_commands(url: str, count: int, times: list[float] | None = None) -> float:
    """Seconds for ``count`` of the smallest write command, on the calls the lifecycles left in ``url``; each
    command's own seconds go to ``times``."""
    from sqlmodel import select

    from coop.demo import OFFICER
    from models.tables import Case
    from states.cases import load_case
    from states.engine import advance_clock, execute
    from states.procedures.open_call.handlers import KIND

    def touch_call(ctx, code: str) -> None:
        advance_clock(load_case(ctx.session, code), ctx.now)  # one changed column: an UPDATE and its commit

    def some_calls(ctx) -> list[str]:
        return list(ctx.session.exec(select(Case.code).where(Case.kind == KIND).order_by(Case.id).limit(10)))

    codes = execute(some_calls, actor=OFFICER, url=url, readonly=True)
    execute(touch_call, codes[0], actor=OFFICER, at="2026-12-01T09:00+01:00", url=url)  # warm-up, untimed
    started = time.perf_counter()
    for index in range(count):
        one = time.perf_counter()
        execute(touch_call, codes[index % len(codes)], actor=OFFICER, at="2026-12-01T09:00+01:00", url=url)
        if times is not None:
            times.append(time.perf_counter() - one)
    return time.perf_counter() - started


LAWFUL_EVENT = "bench_lawful_floor"  # an event no notification rule names: the outbox's look-up finds nothing


def lawful_steps(url: str, count: int, times: list[float] | None = None) -> float:
    """Seconds for ``count`` of the smallest lawful step, on the calls the lifecycles left in ``url``: through
    ``execute`` (the proven actor and the authorization matrix, the command-log row under its idempotency key),
    load the call by its code, append one hash-chained audit record with ``record`` (which moves the case's
    clock, its audit sequence and head: the case's row update), commit. Each step's own seconds go to ``times``."""
    from sqlmodel import select

    from coop.demo import OFFICER
    from models.tables import Case
    from states.cases import load_case
    from states.engine import execute, record
    from states.procedures.open_call.handlers import KIND

    def lawful_step(ctx, code: str) -> None:
        case = load_case(ctx.session, code)
        record(ctx, case, LAWFUL_EVENT, basis="bench", state=case.state)

    def some_calls(ctx) -> list[str]:
        return list(ctx.session.exec(select(Case.code).where(Case.kind == KIND).order_by(Case.id).limit(10)))

    codes = execute(some_calls, actor=OFFICER, url=url, readonly=True)
    execute(lawful_step, codes[0], actor=OFFICER, at="2026-12-01T09:00+01:00", url=url)  # warm-up, untimed
    started = time.perf_counter()
    for index in range(count):
        one = time.perf_counter()
        execute(lawful_step, codes[index % len(codes)], actor=OFFICER, at="2026-12-01T09:00+01:00", url=url)
        if times is not None:
            times.append(time.perf_counter() - one)
    return time.perf_counter() - started


def spiff_lifecycles(path: Path, calls: int) -> float:
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from coop.demo import MEMBERS, OFFERS

    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("open_call")
    serializer = BpmnWorkflowSerializer()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")

    def inputs():
        yield "create_call", {"title": "Wspieranie aktywności lokalnej 2026", "budget": "100000.00"}
        yield "announce_call", {"offer_deadline": "2026-01-23", "selection_date": "2026-02-13"}
        for member in MEMBERS:
            yield "appoint_member", {"member": member}
        for title, grant, _ in OFFERS[:3]:
            yield "file_offer", {"offer": {"title": title, "grant": str(grant)}}
        for number in (1, 2, 3):
            yield "review_offer", {"review": {"offer": number, "decision": "accept"}}
        yield "finish_formal_review", {}
        for member in MEMBERS:
            yield "declare_conflicts", {"declaration": {"member": member, "conflicts": []}}
        for number, (_, _, points) in enumerate(OFFERS[:3], start=1):
            for member in MEMBERS:
                yield "score_offer", {"score": {"offer": number, "member": member, "points": sum(points)}}
        yield "select_offers", {"decision_ref": "Zarządzenie nr 45/2026"}
        yield "publish_results", {"published": "2026-02-16"}

    lists = {"member": "members", "offer": "offers", "review": "reviews", "declaration": "declarations",
             "score": "scores"}

    def lifecycle():
        workflow = BpmnWorkflow(spec)
        workflow.data.update({name: [] for name in lists.values()})
        workflow.do_engine_steps()
        workflow.get_tasks(state=TaskState.READY)  # noqa: B018 (start state reached)
        db.execute("BEGIN IMMEDIATE")
        wid = db.execute("INSERT INTO workflows (state) VALUES (?)", (serializer.serialize_json(workflow),)).lastrowid
        db.execute("COMMIT")
        for step, data in inputs():
            db.execute("BEGIN IMMEDIATE")  # one transaction per human step: load, complete, save
            workflow = serializer.deserialize_json(db.execute("SELECT state FROM workflows WHERE id = ?",
                                                              (wid,)).fetchone()[0])
            (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
            assert task.task_spec.name == step, (task.task_spec.name, step)
            for key, value in data.items():
                if key in lists:
                    task.data[lists[key]] = [*task.data.get(lists[key], []), value]
                else:
                    task.data[key] = value
            task.run()
            workflow.do_engine_steps()
            db.execute("UPDATE workflows SET state = ? WHERE id = ?", (serializer.serialize_json(workflow), wid))
            db.execute("COMMIT")
        assert workflow.is_completed(), "the BPMN process did not reach its end"
        return wid

    lifecycle()  # warm-up, untimed
    started = time.perf_counter()
    for _ in range(calls):
        wid = lifecycle()
    elapsed = time.perf_counter() - started
    last = json.loads(db.execute("SELECT state FROM workflows WHERE id = ?", (wid,)).fetchone()[0])
    print(f"  B2 SpiffWorkflow: {calls} processes in {elapsed:.1f} s, last workflow {len(json.dumps(last)):,} bytes "
          f"as JSON", flush=True)
    db.close()
    return elapsed


def run(dbs: Databases, calls: int, spiff_calls: int) -> list[Row]:
    url = dbs.fresh("b2")
    steps: list[float] = []
    commands: list[float] = []
    domain = domain_lifecycles(url, calls, steps)
    floor = smallest_commands(url, FLOOR_COMMANDS, commands) / FLOOR_COMMANDS
    lawful: list[float] = []
    lawful_steps(url, FLOOR_COMMANDS, lawful)
    spiff = spiff_lifecycles(dbs.scratch_file("spiff.db"), spiff_calls)
    ours, theirs = calls / domain, spiff_calls / spiff
    ceiling = 1 / (STEPS * floor)
    step, smallest = median(steps), median(commands)
    # Issue 19: the goal of 10× SpiffWorkflow's lifecycles is withdrawn (out of reach of an ORM unit of work, and
    # no officer waits on it); the lifecycles stay as a report, the goal is a step against the smallest command.
    return [Row(f"B2 open-call lifecycles per second, {calls} calls × 28 steps [{dbs.backend}]", ours, "/s", theirs,
                note=f"baseline: SpiffWorkflow {spiff_calls} processes, state in SQLite between steps; "
                     f"{1000 * domain / calls / STEPS:.1f} ms vs {1000 * spiff / spiff_calls / 26:.1f} ms per step"),
            Row(f"B2 ceiling: {STEPS} of the smallest command a second, SQLAlchemy ORM [{dbs.backend}]", ceiling, "/s",
                theirs, note=f"one unit of work that loads a call, changes one column and commits: {1000 * floor:.2f} ms, "
                f"{FLOOR_COMMANDS:,} in a row; every step does at least that"),
            Row(f"B2 a step's median vs the smallest command's, {len(steps):,} steps [{dbs.backend}]", 1000 * step,
                "ms", 1000 * smallest, "≤ 3× the smallest command", step <= 3 * smallest,
                note=f"medians of {len(steps):,} timed steps (the tick's included) and of {len(commands):,} smallest "
                     f"commands, in one process"),
            Row(f"B2 a step's median vs the smallest lawful step's (+ one audit record), {len(steps):,} steps "
                f"[{dbs.backend}]", 1000 * step, "ms", 1000 * median(lawful),
                note=f"the second floor: the smallest command plus one hash-chained audit record appended by the "
                     f"engine's record(), {len(lawful):,} in a row, itself {median(lawful) / smallest:.2f}× the smallest "
                     f"command; a report, no goal")]
