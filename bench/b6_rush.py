"""B6, the deadline-eve rush (issue 22): organisations file their offers through the JSON door over HTTP in the
last minutes before an open call's offer deadline, most of them at the end; beside it in the same run, a bare
endpoint that inserts one row, hit with the same schedule.

    python -m bench b6 --database-url postgresql://postgres@127.0.0.1:5432/postgres              # 120 s window
    python -m bench b6 --window 600 --database-url postgresql://postgres@127.0.0.1:5432/postgres # the issue's
    python -m bench b6 --group-commit --database-url …  # the door's group commit on (COOP_GROUP_COMMIT=1)

**Set-up** (not measured), on a fresh *real* PostgreSQL database (not a simulation: the database's clock decides
the moment of receipt): the first administrator (``bootstrap_administrator``) with a token, also an officer; an
open call created and announced through the domain; N organisations (default 1,000) and L more (default N / 20)
that will be late, each with a representative (a person with an ``applicant`` grant for it) and a personal token,
made in two batch transactions by the engine's own handlers (``register_organisation``; ``add_person``,
``grant_role``, ``issue_token``: the people chain records each); then the call's offer deadline T (the case's
``offer_deadline`` and its ``offers_close`` row) set directly to the moment the window ends, as
bench/production.py sets deadlines. No tick runs: after T the call stays announced and ``file_offer``'s own rule
(``offer_late``, art. 13 ust. 2 pkt 5) refuses what comes late.

**Served** by uvicorn on 127.0.0.1 with ``--workers`` processes (default: the cores, at least 2), each the desk's
whole application (web/app.py ``create_app``, bench/b6_apps.py ``desk``) on that database; the bare application
(bench/b6_apps.py ``bare``) the same way on a database of its own on the same server.

**Clients**: one asyncio loop with httpx, every request on a connection of its own (as 1,000 organisations have);
the schedule, seeded: N - K requests spread uniformly over the window before its last second, K (default N / 5:
200 of 1,000) in its last second, L in the second after T. Each request carries the organisation's token, the
offer on the 2018 model form (tests/offer_forms.py ``sample_offer_form``) and an idempotency key made once for it
and kept through its retries: on a timeout (``--timeout``, default 1 s: short, so that retries happen under the
rush), a connection error, a 5xx, and a 409 ``concurrent_change`` (the door's answer says "check it and retry"),
after a short backoff, until a final answer (or 120 s). Latency is the organisation's: first send to final answer.
Before the window, a few warm-up filings (organisations of their own, not counted) reach every worker.

**Checked from the database** afterwards: each organisation's offers in the call (exactly one for every request sent
before T, none for every request sent after it), each answer against the database (a 201's offer number is the
organisation's offer), every accepted offer's moment of receipt at or before T, the case's audit chain and the
people chain verified. A request sent before T and refused as late is lost; the answer's ``X-B6-Arrived`` header
(bench/b6_apps.py) tells whether it reached the application before T (the server was too slow to stamp it in
time) or after (it was sent in the last moments and reached the server late). How the engine stamps receipt: the
database's time at the start of the filing's transaction (``at_written_time``: PostgreSQL's
``CURRENT_TIMESTAMP``), so a request whose transaction began before T but committed after T (it waited for the
call's row, or for the commit) is received before T and accepted; B6 counts them.

Goals (issue 22): the door's p99 ≤ 3 × the bare endpoint's p99 in the same run; no offer lost, none doubled;
none accepted after T.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.b6_apps import ARRIVED, BARE_TABLE, bare_table_sql
from bench.report import Row

PATH = "/api/v1/oferty"
ISSUE_WINDOW = 600.0  # the issue's ten minutes
GOAL_RATIO = 3.0
GIVE_UP = 120.0  # seconds a client keeps retrying one offer
LEAD = 1.0  # seconds between setting the deadline and the window's first moment
SEED = 20261206
SERIAL_FILINGS = 30  # filed one after another in-process before the rush, for the serial floor (their own organisations)


@dataclass(frozen=True)
class Plan:
    organisations: int = 1000  # filing before the deadline
    window: float = 120.0  # seconds of the rush (the issue's is 600)
    last_second: int | None = None  # of them in the last second (default organisations // 5)
    late: int | None = None  # more organisations filing in the second after the deadline (default organisations // 20)
    workers: int | None = None  # uvicorn worker processes (default: the cores, at least 2)
    timeout: float = 5.0  # a client's timeout before it retries with the same key
    seed: int = SEED
    # Seconds kept clear on each side of T (the tests: no request sent in the last moments, which may reach the
    # server after T however fast it is); the benchmark's 0 sends up to T itself.
    margin: float = 0.0
    warmup_per_worker: int = 3  # warm-up filings before the window (not counted), a worker's worth each
    group_commit: bool = False  # the door's group commit (COOP_GROUP_COMMIT=1, states/batched_filing.py)

    @property
    def burst(self) -> int:
        return min(self.organisations, self.organisations // 5 if self.last_second is None else self.last_second)

    @property
    def after(self) -> int:
        return max(1, self.organisations // 20) if self.late is None else self.late

    @property
    def processes(self) -> int:
        return self.workers or max(2, os.cpu_count() or 2)


@dataclass
class Request:
    """One organisation's submission and what became of it."""

    krs: str
    offset: float  # planned: seconds after T (negative: before)
    body: bytes
    headers: dict[str, str]
    planned: float | None = None  # when the schedule wanted it sent, epoch seconds
    sent: float | None = None  # first send, epoch seconds (the client's clock, the server's machine)
    answered: float | None = None
    status: int | None = None
    answer: dict = field(default_factory=dict)
    attempts: int = 0
    timeouts: int = 0
    connection_errors: int = 0
    server_errors: int = 0
    conflicts: int = 0
    rate_limited: int = 0
    arrived: list[float] = field(default_factory=list)  # when each answered attempt reached the application

    @property
    def latency(self) -> float | None:
        return None if self.answered is None or self.status is None else self.answered - self.sent

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)

    @property
    def rule(self) -> str | None:
        return self.answer.get("rule") if self.status is not None and self.status >= 400 else None


# --- set-up ------------------------------------------------------------------------------------------------------


def krs_of(index: int) -> str:
    return f"00009{index:05d}"


def _batch(url: str, actor, body):
    """The engine's own handlers run one after another in ONE transaction (the set-up of many organisations and
    people: one commit, not thousands); a real database's moment is the database's (states/clock.py)."""
    from models.db import run_in_transaction
    from states.engine import Context

    def work(uow):
        ctx = Context(session=uow.session, actor=actor, now=datetime.now(UTC), simulation=False)
        ctx.now = ctx.written_at
        return body(ctx)
    return run_in_transaction(work, url=url)


@dataclass
class Stage:
    url: str
    code: str
    tokens: dict[str, str]  # krs -> personal token (kept in memory only, never printed: invariant 12)
    task_start: date
    task_end: date


def set_up(url: str, krs_numbers: list[str]) -> Stage:
    """A real database with an announced call and, for each KRS, an organisation, its representative and token."""
    from models.db import get_engine, normalise_url
    from models.settings import REAL, initialise_clock
    from states import calendar, people
    from states.cases import register_organisation
    from states.engine import execute
    from states.inputs import RegisterOrganisation
    from states.procedures.open_call import handlers as oc
    from states.procedures.open_call import inputs as oci

    initialise_clock(get_engine(normalise_url(url)), REAL)
    execute(people.bootstrap_administrator, people.AddPerson(login="admin", display_name="Adam Administrator"),
            actor=people.bootstrap_principal(), url=url, keyed=False)
    admin_token = execute(people.issue_token, people.IssueToken(login="admin", days=2),
                          actor=people.bootstrap_principal(), url=url, keyed=False)["token"]
    administrator = people.authenticate(admin_token, url=url, role="administrator")
    execute(people.grant_role, people.GrantRole(login="admin", role="officer"), actor=administrator, url=url)
    people.forget_verified()
    officer = people.authenticate(admin_token, url=url, role="officer")

    def organisations(ctx) -> None:
        for krs in krs_numbers:
            register_organisation(ctx, RegisterOrganisation(
                name=f"Stowarzyszenie Próbne {krs}", legal_form="stowarzyszenie", krs=krs, address="Leszno",
                email=f"biuro{krs}@example.org", contact_person="Prezes"))
    _batch(url, officer, organisations)

    def representatives(ctx) -> dict[str, str]:
        tokens = {}
        for krs in krs_numbers:
            login = f"rep{krs}"
            people.add_person(ctx, people.AddPerson(login=login, display_name=f"Przedstawiciel {krs}"))
            people.grant_role(ctx, people.GrantRole(login=login, role="applicant", organisation=krs))
            tokens[krs] = people.issue_token(ctx, people.IssueToken(login=login, days=2))["token"]
        return tokens
    tokens = _batch(url, administrator, representatives)

    today = calendar.local_date(datetime.now(UTC))
    code = execute(oc.create_call, oci.CreateOpenCall(title="Wieczór przed terminem (B6)", task_area="kultura fizyczna",
                                                      budget=Decimal("5000000.00")), actor=officer, url=url)["code"]
    published = {channel: (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
                 for channel in ("bip", "board", "website")}
    execute(oc.announce_call, oci.AnnounceCall(
        code=code, offer_deadline=today + timedelta(days=40), selection_date=today + timedelta(days=60),
        execution_start=today + timedelta(days=70), execution_end=today + timedelta(days=400), published=published),
        actor=officer, url=url)
    return Stage(url, code, tokens, today + timedelta(days=80), today + timedelta(days=200))


def set_deadline(url: str, code: str, moment: datetime) -> None:
    """The call's offer deadline moved to ``moment`` directly (a real call's is weeks away): the case's column the
    filing's rule reads and its pending ``offers_close`` row; the case's row version moves, as a step's would."""
    from bench.data import raw_connection

    with raw_connection(url) as conn:
        conn.execute("UPDATE cases SET offer_deadline = %s, row_version = row_version + 1 WHERE code = %s",
                     (moment, code))
        conn.execute("UPDATE deadlines SET due_at = %s WHERE kind = 'offers_close' AND fired_at IS NULL AND case_id = "
                     "(SELECT id FROM cases WHERE code = %s)", (moment, code))


def clock_offset(url: str) -> float:
    """The database's clock minus this process's, in seconds (the midpoint of one round trip)."""
    from bench.data import raw_connection

    with raw_connection(url) as conn:
        before = time.time()
        at = conn.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()[0]
        after = time.time()
    return float(at) - (before + after) / 2


# --- the schedule and the clients --------------------------------------------------------------------------------


def schedule(plan: Plan) -> list[float]:
    """Planned offsets from T, seconds: the spread, the last second's burst, then the late ones."""
    rng = random.Random(plan.seed)
    spread = plan.organisations - plan.burst
    offsets = [rng.uniform(-plan.window, -1.0) for _ in range(spread)]
    offsets += [rng.uniform(-1.0, -plan.margin) for _ in range(plan.burst)]
    offsets += [rng.uniform(max(0.001, plan.margin), 1.0) for _ in range(plan.after)]
    return offsets


def requests_for(stage: Stage, krs_numbers: list[str], offsets: list[float]) -> list[Request]:
    from tests.offer_forms import sample_offer_form

    made = []
    for number, (krs, offset) in enumerate(zip(krs_numbers, offsets, strict=True), start=1):
        form = sample_offer_form(krs, title=f"Zadanie {number}: pływanie dla dzieci",
                                 task_start=stage.task_start.isoformat(), task_end=stage.task_end.isoformat())
        body = json.dumps({"code": stage.code, "organisation_krs": krs, "form": form}, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {stage.tokens.get(krs, 'none')}", "Idempotency-Key": str(uuid.uuid4()),
                   "Content-Type": "application/json"}
        made.append(Request(krs, offset, body, headers))
    return made


def _retry_pause(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter: 0.1 s, 0.2 s, ... at most 2 s (± half)."""
    return min(2.0, 0.05 * 2 ** min(attempt, 6)) * (0.5 + rng.random())


async def _submit(client, request: Request, timeout: float, rng: random.Random, give_up: float) -> None:
    import httpx

    request.sent = time.time()
    while True:
        request.attempts += 1
        try:
            answer = await client.post(PATH, content=request.body, headers=request.headers, timeout=timeout)
        except httpx.TimeoutException:
            request.timeouts += 1
        except httpx.TransportError:
            request.connection_errors += 1
        else:
            if ARRIVED in answer.headers:
                request.arrived.append(float(answer.headers[ARRIVED]))
            try:
                body = answer.json()
            except ValueError:
                body = {}
            rule = body.get("rule") if isinstance(body, dict) else None
            if answer.status_code >= 500:
                request.server_errors += 1
            elif answer.status_code == 409 and rule == "concurrent_change":
                request.conflicts += 1
            elif answer.status_code == 429:
                request.rate_limited += 1
            else:
                request.status, request.answer, request.answered = answer.status_code, body, time.time()
                return
        if time.time() - request.sent > give_up:
            request.answered = time.time()
            return
        await asyncio.sleep(_retry_pause(request.attempts, rng))


async def _drive(base: str, requests: list[Request], deadline: float, timeout: float, seed: int,
                 give_up: float) -> None:
    import httpx

    rng = random.Random(seed)
    # A connection of its own for every request (no keep-alive): a thousand organisations are a thousand clients.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        tasks = []
        for request in sorted(requests, key=lambda r: r.offset):
            pause = deadline + request.offset - time.time()
            if pause > 0:
                await asyncio.sleep(pause)
            request.planned = deadline + request.offset
            tasks.append(asyncio.create_task(_submit(client, request, timeout, rng, give_up)))
        await asyncio.gather(*tasks)


def drive(base: str, requests: list[Request], deadline: float, timeout: float, seed: int = SEED,
          give_up: float = GIVE_UP) -> None:
    asyncio.run(_drive(base, requests, deadline, timeout, seed, give_up))


# --- the servers -------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """``uvicorn bench.b6_apps:<factory> --factory --workers W`` on 127.0.0.1, its output in ``log``."""

    def __init__(self, factory: str, workers: int, env: dict[str, str], log: Path) -> None:
        from bench.run import ROOT

        self.port, self.workers, self.log = _free_port(), workers, log
        command = [sys.executable, "-m", "uvicorn", f"bench.b6_apps:{factory}", "--factory", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(workers), "--log-level", "info", "--no-access-log",
                   "--no-server-header", "--timeout-graceful-shutdown", "5"]
        with log.open("w") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 180) -> None:
        """Every worker's application started (uvicorn says so once per worker)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited:\n{self.log.read_text()[-3000:]}")
            if self.log.read_text(errors="replace").count("Application startup complete") >= self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"uvicorn's {self.workers} workers not ready in {timeout:.0f} s:\n"
                           f"{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- what the database holds afterwards --------------------------------------------------------------------------


@dataclass
class Verdict:
    sent_before: int = 0
    sent_after: int = 0
    accepted_once: int = 0  # sent before T: exactly one offer of the organisation in the call
    lost: int = 0  # sent before T: no offer
    lost_reached_before: int = 0  # ... refused as late though it reached the application before T
    lost_reached_after: int = 0  # ... refused as late, reached the application after T
    lost_other: int = 0  # ... any other refusal, or no final answer
    doubled: int = 0  # organisations with more than one offer
    after_accepted: int = 0  # sent after T: an offer anyway
    after_refused_late: int = 0  # sent after T: refused by the rule offer_late
    disagreeing: int = 0  # an answer the database contradicts (201 without the offer, or another number)
    received_after_deadline: int = 0  # accepted offers stamped after T (the rule forbids it)
    answered_after_deadline: int = 0  # stamped before T, the 201 answered after T (committed after T)
    retried: int = 0  # requests with more than one attempt
    retries_by_kind: dict = field(default_factory=dict)
    refusals: dict = field(default_factory=dict)  # rule -> count, among final answers
    chains_verified: bool = False
    chain_note: str = ""


def verify(stage: Stage, requests: list[Request], deadline: datetime) -> Verdict:
    from bench.data import raw_connection

    with raw_connection(stage.url) as conn:
        rows = conn.execute(
            "SELECT org.krs, o.number, o.received_at FROM offers o JOIN cases c ON c.id = o.case_id "
            "JOIN organisations org ON org.id = o.organisation_id WHERE c.code = %s", (stage.code,)).fetchall()
    offers: dict[str, list[tuple[int, datetime]]] = {}
    for krs, number, received_at in rows:
        offers.setdefault(krs, []).append((number, received_at))
    cut = deadline.timestamp()
    verdict = Verdict()
    verdict.doubled = sum(1 for found in offers.values() if len(found) > 1)
    verdict.received_after_deadline = sum(1 for found in offers.values() for _, at in found if at > deadline)
    kinds = {"timeouts": 0, "connection_errors": 0, "server_errors": 0, "conflicts": 0, "rate_limited": 0}
    for request in requests:
        found = offers.get(request.krs, [])
        for kind in kinds:
            kinds[kind] += getattr(request, kind)
        verdict.retried += request.attempts > 1
        if request.rule:
            verdict.refusals[request.rule] = verdict.refusals.get(request.rule, 0) + 1
        if request.status == 201:
            numbers = [number for number, _ in found]
            if request.answer.get("offer") not in numbers:
                verdict.disagreeing += 1
            elif request.answered > cut:
                verdict.answered_after_deadline += 1
        elif found and request.status is not None:
            verdict.disagreeing += 1  # refused, yet the database holds its offer
        if request.sent < cut:
            verdict.sent_before += 1
            if len(found) == 1:
                verdict.accepted_once += 1
            elif not found:
                verdict.lost += 1
                if request.rule == "offer_late":
                    if request.arrived and min(request.arrived) <= cut:
                        verdict.lost_reached_before += 1
                    else:
                        verdict.lost_reached_after += 1
                else:
                    verdict.lost_other += 1
        else:
            verdict.sent_after += 1
            verdict.after_accepted += bool(found)
            verdict.after_refused_late += request.rule == "offer_late"
    verdict.retries_by_kind = kinds
    verdict.chains_verified, verdict.chain_note = _chains(stage)
    return verdict


def _chains(stage: Stage) -> tuple[bool, str]:
    """``coop audit verify``: every case's chain and the people chain."""
    from states.engine import execute
    from states.people import authenticate, forget_verified
    from states.queries import verify_cases

    forget_verified()
    token = next(iter(stage.tokens.values()))
    result = execute(verify_cases, actor=authenticate(token, url=stage.url), url=stage.url, readonly=True)
    return not result["broken"], (f"{result['verified']} case chain(s), {result.get('people_records', 0)} people "
                                  f"records; broken: {result['broken'] or 'none'}")


def verify_bare(url: str, requests: list[Request]) -> tuple[int, int]:
    """Rows the bare endpoint wrote for the run's keys, and keys it wrote more than once (none: a unique key)."""
    from bench.data import raw_connection

    keys = [r.headers["Idempotency-Key"] for r in requests]
    with raw_connection(url) as conn:
        rows, distinct = conn.execute(f"SELECT count(*), count(DISTINCT idempotency_key) FROM {BARE_TABLE} "
                                      f"WHERE idempotency_key = ANY(%s)", (keys,)).fetchone()
    return rows, rows - distinct


# --- figures -----------------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


@dataclass
class Figures:
    p50: float
    p99: float
    burst_p50: float
    burst_p99: float
    burst_throughput: float  # answers a second to the last second's requests
    answered: int
    unanswered: int
    lag_p99: float  # ms the clients sent later than planned (their own loop busy), p99 and max
    lag_max: float


def figures(requests: list[Request], deadline: float) -> Figures:
    answered = [r for r in requests if r.latency is not None]
    latencies = [r.latency * 1000 for r in answered]
    burst = [r for r in answered if deadline - 1.0 <= r.sent < deadline]
    span = (max(r.answered for r in burst) - min(r.sent for r in burst)) if burst else float("nan")
    lags = [(r.sent - r.planned) * 1000 for r in requests if r.sent is not None and r.planned is not None]
    return Figures(percentile(latencies, 0.5), percentile(latencies, 0.99),
                   percentile([r.latency * 1000 for r in burst], 0.5), percentile([r.latency * 1000 for r in burst], 0.99),
                   len(burst) / span if burst and span > 0 else float("nan"), len(answered),
                   len(requests) - len(answered), percentile(lags, 0.99), max(lags, default=float("nan")))


# --- the run -----------------------------------------------------------------------------------------------------


@dataclass
class SerialFloor:
    """Filings into one call alone, one after another, in-process (no HTTP, nothing waiting): medians, ms."""

    command: float  # the whole command: token, form, key, the transaction
    held: float  # from the call's row taken (``SELECT … FOR UPDATE``) to the command's return (its COMMIT done)
    burst: int  # the last second's filings
    cpu: float = 0.0  # this process's CPU time for the whole command (the database server's not counted)
    cores: int = 1

    @property
    def cpu_floor(self) -> float:
        """The last second's filings' own CPU spread over every core, as if nothing serialised them at all: no
        design of locks answers the last one sooner, ms."""
        return self.burst * self.cpu / self.cores

    @property
    def floor(self) -> float:
        """The last second's filings written one after another under the call's row (invariants 1 and 8: the
        next offer number and the history's head): the last one cannot be answered sooner than this, ms."""
        return self.burst * self.held


def serial_floor(stage: Stage, krs_numbers: list[str], burst: int) -> SerialFloor:
    """How long one filing holds the call's row when nothing else runs: what serialises a rush into one call
    whatever the server does around it. Filed through the door's own steps (``_prepare``, ``_file``), timed by
    the database's own events on this process's engine."""
    import statistics

    import sqlalchemy as sa

    from models.db import get_engine, normalise_url
    from web import portal_api

    engine = get_engine(normalise_url(stage.url))
    taken: list[float] = []

    def mark(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().startswith("SELECT cases.") and "FOR UPDATE" in statement:
            taken.append(time.perf_counter())

    commands, held, cpu = [], [], []
    sa.event.listen(engine, "before_cursor_execute", mark)
    try:
        for request in requests_for(stage, krs_numbers, [0.0] * len(krs_numbers)):
            body = json.loads(request.body)
            token = request.headers["Authorization"].removeprefix("Bearer ")
            taken.clear()
            started, started_cpu = time.perf_counter(), time.process_time()
            prepared = portal_api._prepare(stage.url, token, request.headers["Idempotency-Key"], body,
                                           datetime.now(UTC))
            portal_api._file(prepared, stage.url)
            ended = time.perf_counter()
            cpu.append((time.process_time() - started_cpu) * 1000)
            commands.append((ended - started) * 1000)
            held.append((ended - taken[0]) * 1000)
    finally:
        sa.event.remove(engine, "before_cursor_execute", mark)
        engine.dispose()
    return SerialFloor(statistics.median(commands), statistics.median(held), burst, statistics.median(cpu),
                       os.cpu_count() or 1)



def warm_up(base: str, requests: list[Request], timeout: float, log: Path) -> None:
    """Filings before the window (organisations of their own, not counted), each sent once the one before it is
    answered (the warm-up is no race): the workers have served some (their first request imports and connects)."""
    for request in requests:
        drive(base, [request], time.time(), max(timeout, 30.0), give_up=30.0)
    refused = [(r.status, r.answer, f"{r.server_errors} server errors, {r.conflicts} conflicts, {r.timeouts} "
                f"timeouts") for r in requests if r.status != 201]
    if refused:
        raise RuntimeError(f"B6: the warm-up's filings were not accepted (the server's log: {log}): {refused[:3]}")


@dataclass
class Outcome:
    plan: Plan
    workers: int
    rushed: Figures
    floored: Figures
    verdict: Verdict
    bare_rows: int
    bare_doubled: int
    bare_requests: int
    skew: float  # the database's clock − the clients', seconds
    log: Path
    serial: SerialFloor | None = None


def run(dbs, plan: Plan) -> list[Row]:
    if not dbs.postgres:
        return [Row("B6 the deadline-eve rush: PostgreSQL only (python -m bench b6 --database-url "
                    "postgresql://…); not run", 0, "", note="the issue asks for it on PostgreSQL over HTTP")]
    return rows(measure(dbs, plan))


def measure(dbs, plan: Plan) -> Outcome:
    """The whole run: set-up, the rush against the desk, the same schedule against the bare endpoint, the check."""
    from bench.data import WORKDIR, raw_connection

    workers = plan.processes
    warm = plan.warmup_per_worker * workers
    counted = plan.organisations + plan.after
    krs_numbers = [krs_of(i) for i in range(1, counted + warm + SERIAL_FILINGS + 1)]
    url = dbs.blank("b6")
    bare_url = dbs.blank("b6bare")
    started = time.perf_counter()
    from models.db import get_engine, normalise_url
    from models.settings import REAL, initialise_clock

    initialise_clock(get_engine(normalise_url(url)), REAL)  # the schema made and the clock set before anyone serves it
    with raw_connection(bare_url) as conn:
        conn.execute(bare_table_sql())
    base_env = {key: value for key, value in os.environ.items()
                if not key.startswith(("COOP_", "PREFECT_API_URL"))}  # nothing of the caller's engine leaks in
    desk_env = {**base_env, "COOP_DATABASE_URL": url, "COOP_DESK_KEY_FILE": str(WORKDIR / "b6-desk-key"),
                "XDG_DATA_HOME": str(WORKDIR / "b6-data"), **({"COOP_GROUP_COMMIT": "1"} if plan.group_commit else {})}
    bare_env = {**base_env, "B6_BARE_URL": bare_url}
    # Both served while the set-up goes on (their workers start in seconds that need not be waited for twice).
    desk = Served("desk", workers, desk_env, WORKDIR / "b6-desk.log")
    bare = Served("bare", workers, bare_env, WORKDIR / "b6-bare.log")
    try:
        stage = set_up(url, krs_numbers)
        print(f"B6: {len(krs_numbers):,} organisations, representatives and tokens, the call {stage.code} announced "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
        get_engine(normalise_url(url)).dispose()  # this process's connections closed: the workers hold theirs
        desk.wait_ready()
        bare.wait_ready()
        offsets = schedule(plan)
        counted_krs, warm_krs = krs_numbers[:counted], krs_numbers[counted:counted + warm]
        serial = serial_floor(stage, krs_numbers[counted + warm:], plan.burst)
        warm_offsets = [0.0] * warm
        warm_up(desk.base, requests_for(stage, warm_krs, warm_offsets), plan.timeout, desk.log)
        rush = requests_for(stage, counted_krs, offsets)
        deadline = time.time() + LEAD + plan.window
        moment = datetime.fromtimestamp(deadline, UTC)
        set_deadline(url, stage.code, moment)
        skew = clock_offset(url)
        print(f"B6: offer deadline T = {moment:%H:%M:%S.%f} UTC; the rush starts ({plan.window:.0f} s)", flush=True)
        drive(desk.base, rush, deadline, plan.timeout, plan.seed)
        rushed = figures(rush, deadline)
        verdict = verify(stage, rush, moment)

        warm_up(bare.base, requests_for(stage, warm_krs, warm_offsets), plan.timeout, bare.log)
        floor = requests_for(stage, counted_krs, offsets)
        bare_deadline = time.time() + LEAD + plan.window
        print(f"B6: the bare endpoint, the same schedule ({plan.window:.0f} s)", flush=True)
        drive(bare.base, floor, bare_deadline, plan.timeout, plan.seed)
        floored = figures(floor, bare_deadline)
        bare_rows, bare_doubled = verify_bare(bare_url, floor)
    finally:
        desk.stop()
        bare.stop()
    return Outcome(plan, workers, rushed, floored, verdict, bare_rows, bare_doubled, len(floor), skew, desk.log,
                   serial)


def rows(outcome: Outcome) -> list[Row]:
    plan, workers, rushed, floored, verdict = (outcome.plan, outcome.workers, outcome.rushed, outcome.floored,
                                               outcome.verdict)
    bare_rows, bare_doubled, bare_requests, skew, log = (outcome.bare_rows, outcome.bare_doubled,
                                                         outcome.bare_requests, outcome.skew, outcome.log)
    size = "the issue's 10 minutes" if plan.window >= ISSUE_WINDOW else f"10 minutes compressed to {plan.window:.0f} s"
    label = f"[postgresql, {plan.organisations:,} organisations, {plan.window:.0f} s]"
    setting = (f"{plan.organisations:,} organisations over {plan.window:.0f} s ({size}), {plan.burst} of them in the "
               f"last second, {plan.after} more in the second after T; uvicorn with {workers} worker processes; "
               f"group commit {'on' if plan.group_commit else 'off'}")
    kinds = verdict.retries_by_kind
    retries = ", ".join(f"{kind.replace('_', ' ')} {count}" for kind, count in kinds.items() if count) or "none"
    refusals = ", ".join(f"{rule} {count}" for rule, count in sorted(verdict.refusals.items())) or "none"
    ratio_ok = rushed.p99 <= GOAL_RATIO * floored.p99 and rushed.unanswered == 0
    out = [
        Row(f"B6 POST {PATH} latency p50 (first send → final answer) {label}", rushed.p50, "ms", floored.p50,
            note=f"{setting}; baseline: the bare endpoint (one INSERT) with the same schedule; {rushed.answered:,} answered, "
                 f"{rushed.unanswered} without a final answer after {GIVE_UP:.0f} s; clients time out after "
                 f"{plan.timeout:g} s and retry with the same key; the database's clock − the clients' "
                 f"{skew * 1000:+.1f} ms; the clients sent later than planned by {rushed.lag_p99:.0f} ms at p99, "
                 f"{rushed.lag_max:.0f} ms at most (their loop busy; a request counts as sent when it was)"),
        Row(f"B6 POST {PATH} latency p99 {label}", rushed.p99, "ms", floored.p99,
            goal=f"≤ {GOAL_RATIO:.0f}× the bare endpoint's p99", passed=ratio_ok),
        Row(f"B6 the last second's {plan.burst} requests: latency p50 {label}", rushed.burst_p50, "ms", floored.burst_p50),
        Row(f"B6 the last second's {plan.burst} requests: latency p99 {label}", rushed.burst_p99, "ms", floored.burst_p99),
        Row(f"B6 the last second's requests answered a second {label}", rushed.burst_throughput, "/s",
            floored.burst_throughput, ratio=(rushed.burst_throughput / floored.burst_throughput
                                             if floored.burst_throughput else None),
            note="the last second's requests / (their last answer − their first send)"),
        Row(f"B6 sent before T and accepted exactly once {label}", verdict.accepted_once, "offers",
            verdict.sent_before, goal="all of them", passed=verdict.accepted_once == verdict.sent_before,
            note=f"baseline column: the requests sent before T (the client's clock); {verdict.answered_after_deadline} "
                 f"of them stamped before T and answered after T (their transaction began before T and committed "
                 f"after it: received in time, accepted)"),
        Row(f"B6 sent before T and lost (no offer) {label}", verdict.lost, "offers", goal="0", passed=verdict.lost == 0,
            note=f"refused as late though they reached the server before T: {verdict.lost_reached_before}; refused as "
                 f"late, reaching the server after T: {verdict.lost_reached_after}; other: {verdict.lost_other}"),
        Row(f"B6 organisations with two offers or more (doubled) {label}", verdict.doubled, "offers", goal="0",
            passed=verdict.doubled == 0,
            note=f"{verdict.retried} requests retried ({retries}), each with its own key kept"),
        Row(f"B6 sent after T and accepted anyway {label}", verdict.after_accepted, "offers", verdict.sent_after,
            goal="0", passed=verdict.after_accepted == 0 and verdict.received_after_deadline == 0,
            note=f"refused as offer_late: {verdict.after_refused_late} of {verdict.sent_after}; accepted offers "
                 f"stamped after T: {verdict.received_after_deadline}; final refusals by rule: {refusals}"),
        Row(f"B6 answers the database contradicts {label}", verdict.disagreeing, "answers", goal="0",
            passed=verdict.disagreeing == 0,
            note=f"audit chains verified: {verdict.chain_note}; the bare endpoint wrote {bare_rows} rows for "
                 f"{bare_requests} requests ({bare_doubled} doubled); the door's log: {log}"),
    ]
    if outcome.serial is not None:
        serial = outcome.serial
        out += [
            Row(f"B6 one filing alone, in-process: the command (median of {SERIAL_FILINGS})", serial.command, "ms",
                note="the door's steps (_prepare, _file) one after another before the rush, nothing else running"),
            Row("B6 one filing alone: the call's row held, from SELECT … FOR UPDATE to its COMMIT done (median)",
                serial.held, "ms", note="filings into one call take turns for it (invariants 1 and 8: the offer's "
                                        "number and the history's head in the step's transaction)"),
            Row(f"B6 the floor of the last second's {plan.burst} filings' p99 (× the row's time held) {label}",
                serial.floor, "ms", floored.p99, goal=f"≤ {GOAL_RATIO:.0f}× the bare endpoint's p99 to be reachable",
                passed=serial.floor <= GOAL_RATIO * floored.p99,
                note="the last of them is answered no sooner, however the server is built around the call's row; "
                     "baseline: the bare endpoint's p99"),
            Row(f"B6 the floor of the last second's {plan.burst} filings' p99 by CPU alone ({plan.burst} × "
                f"{serial.cpu:.1f} ms of the door's own CPU a filing ÷ {serial.cores} cores) {label}",
                serial.cpu_floor, "ms", floored.p99, goal=f"≤ {GOAL_RATIO:.0f}× the bare endpoint's p99 to be reachable",
                passed=serial.cpu_floor <= GOAL_RATIO * floored.p99,
                note="as if no row were shared at all (not even the offer's number): the door's CPU (the token, the "
                     "form's model, the canonical hash, the ORM's rows) on every core at once; the database server's "
                     "own CPU not counted"),
        ]
    if not verdict.chains_verified:
        out.append(Row(f"B6 audit chains {label}", 0, "", goal="verified", passed=False, note=verdict.chain_note))
    return out
