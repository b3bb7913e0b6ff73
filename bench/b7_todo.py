"""B7: "Na dziś", what waits for one officer, at N live cases (issue 21): the bare SQL of the same list beside
``states.todo.waiting_for`` in-process, p50/p95 over repeated interleaved runs, and their ratio.

    python -m bench b7 --cases 100000 --database-url postgresql://postgres@127.0.0.1:5432/postgres

The data is B1's (bench/data.py: the ten templates built through the domain, bulk-copied), which holds live cases
of every procedure in states an officer acts in (small grants to publish, consultations whose Council opinion
is pending, micro-grants whose transfer is due) and many in which nothing waits on her (calls taking offers,
comment periods, tasks in execution); a tenth of the copies' deadlines fell due the day before the officer
looks (so are overdue), and every open call carries committee seats under the same three members' names.

The bare SQL is one statement written out in SQL from the same declarations (each procedure's ``waiting.py``):
its rows are checked equal to ``waiting_for``'s items (code, offer, due moment) before anything is timed.

Each is measured twice: the whole list (every step, 23,313 at 100,000 live cases) and its first page (the first
``PAGE`` steps in the list's order, ``Query(limit=PAGE)``, the bare SQL with ``LIMIT``).

A further measurement plugs in through ``PAGES``: a factory ``(url, now) -> (figure, callable)`` whose callable
does one request (the desk's "Na dziś" page through an HTTP client) and returns the number of rows it shows;
each is timed in the same interleaved rounds and reported against the bare SQL of the whole list (the page shows
every step). ``desk_page`` is the desk's (web/today.py), logged in as the officer with a password.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date, datetime

from bench.data import TICK_AT, build_live_cases, raw_connection
from bench.report import Row

ROUNDS = 30
PAGE = 50  # the steps a page of the desk shows first
WARMUP = 3
GOAL_RATIO = 3.0
GOAL_MS = 100.0
# (database url, the officer's moment) -> (figure's name, one run returning the number of rows shown)
PAGES: list[Callable[[str, datetime], tuple[str, Callable[[], int]]]] = []  # desk_page appended below


def desk_page(url: str, now: datetime) -> tuple[str, Callable[[], int]]:
    """The desk's "Na dziś" page (web/today.py) for the officer, logged in with a password, each call one HTTP GET
    through FastAPI's TestClient (in-process ASGI: the page's server time, no network); returns its rows."""
    import os
    import re

    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from bench.data import WORKDIR
    from states.credentials import SetPassword, set_password
    from states.engine import execute
    from tests.people_fixtures import administrator, person
    from web.app import create_app

    # the desk's sealing key and the people's data in the benchmark's own directory; the page's moment
    os.environ["COOP_DESK_KEY_FILE"] = str(WORKDIR / "desk-key")
    os.environ["XDG_DATA_HOME"] = str(WORKDIR / "data")
    os.environ["COOP_NOW"] = now.isoformat()
    os.environ.pop("COOP_TOKEN", None)
    person(url, "anna", "Anna Urzędniczka", "officer")
    admin, _ = administrator(url)
    password = "correct horse battery"
    execute(set_password, SetPassword(login="anna", password=SecretStr(password)), actor=admin, url=url, keyed=False)
    client = TestClient(create_app(url), base_url="http://testserver")
    form = client.get("/logowanie").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    logged = client.post("/logowanie", data={"csrf": csrf, "login": "anna", "password": password, "code": "",
                                             "next": "/na-dzis"}, follow_redirects=False)
    assert logged.status_code in (302, 303), logged.status_code

    def get() -> int:
        page = client.get("/na-dzis")
        assert page.status_code == 200, page.status_code
        return page.text.count("<tr") - 1  # the header's row
    return f"the desk's page GET /na-dzis (its first {PAGE} steps, the total, the next page's link)", get


def bare_sql(postgres: bool = True) -> tuple[str, list]:
    """The officer's list as one SQL statement: every officer step of every procedure (a UNION ALL of one
    SELECT a step), its due moment from its deadline rows (a LATERAL subquery on PostgreSQL), overdue first."""
    from states.procedures import PROCEDURES

    parts, params = [], []
    mark = "%s" if postgres else "?"

    def values(items) -> str:
        params.extend(str(i) for i in items)
        return ", ".join([mark] * len(items))

    steps = [(p, s) for p in PROCEDURES for s in p.waiting_steps() if s.role == "officer"]
    sub = "(c.data -> 'sub_call' ->> 'state')" if postgres else "json_extract(c.data, '$.sub_call.state')"
    sub_calls: dict[tuple[str, tuple], list[int]] = {}
    null_day = "CAST(NULL AS DATE)" if postgres else "NULL"
    for number, (procedure, step) in enumerate(steps):
        if step.track == "sub_call" and not step.deadline:  # read the sub-call's state once a row, below
            sub_calls.setdefault((step.kind, tuple(step.during)), []).append(number)
            continue
        offer = step.kind == "offer"
        # the parameters in the order the statement names them: the due moment's (in the SELECT list) first
        due = "CAST(NULL AS TIMESTAMP WITH TIME ZONE)" if postgres else "NULL"
        if step.deadline:
            own = "d.case_id = c.id" + (" AND d.offer_id = o.id" if offer else "")
            column = "CASE WHEN d.fired_at IS NULL THEN d.due_at END" if step.pending else "d.due_at"
            due = (f"(SELECT MAX({column}) FROM deadlines d WHERE {own} AND d.kind = {values([step.deadline])} "
                   f"AND (d.outcome IS NULL OR d.outcome <> 'cancelled'))")
        where = []
        if step.track == "sub_call":  # a dated step of the sub-call: its state read from the case's data
            source = "cases c"
            where.append(f"c.kind = {values([step.kind])}")
            where.append(f"COALESCE({sub}, '') = {values([step.state])}")
        elif offer:
            source = "offers o JOIN cases c ON c.id = o.case_id"
            where.append(f"o.state = {values([step.state])}")
            where.append(f"c.kind = {values([procedure.slug])}")
        else:
            source = "cases c"
            where.append(f"c.kind = {values([step.kind])}")
            where.append(f"c.state = {values([step.state])}")
        if step.during:
            where.append(f"c.state IN ({values(step.during)})")
        if step.no_offer_in:  # the selection: once no offer of the call waits for scores
            where.append(f"NOT EXISTS (SELECT 1 FROM offers x WHERE x.case_id = c.id AND x.state IN "
                         f"({values(step.no_offer_in)}))")
        if step.no_committee:
            where.append("NOT EXISTS (SELECT 1 FROM committee_members m WHERE m.case_id = c.id)")
        # a step dated by a day of the case: the day, its end in Warsaw time taken by the reader (``due_of``)
        day = f"c.{step.due_day}" if step.due_day else null_day
        parts.append(f"SELECT c.code, {'o.number' if offer else 'CAST(NULL AS INTEGER)'} AS number, {number} AS step, {due} AS due, "
                     f"{day} AS day FROM {source} WHERE {' AND '.join(where)}")
    for (kind, during), numbers in sub_calls.items():
        which = {("" if steps[n][1].state is None else str(steps[n][1].state)): n for n in numbers}
        cases = " ".join(f"WHEN {values([state])} THEN {n}" for state, n in which.items())
        null_due = "CAST(NULL AS TIMESTAMP WITH TIME ZONE)" if postgres else "NULL"
        where = [f"c.kind = {values([kind])}"] + ([f"c.state IN ({values(during)})"] if during else [])
        where.append(f"COALESCE({sub}, '') IN ({values(list(which))})")
        parts.append(f"SELECT c.code, CAST(NULL AS INTEGER), CASE COALESCE({sub}, '') {cases} END, {null_due}, "
                     f"{null_day} FROM cases c WHERE {' AND '.join(where)}")
    pending = {number for number, (_, step) in enumerate(steps) if step.pending}
    keep = f"WHERE NOT (step IN ({', '.join(map(str, sorted(pending)))}) AND due IS NULL)" if pending else ""
    now = mark
    params.insert(0, TICK_AT if postgres else TICK_AT.strftime("%Y-%m-%d %H:%M:%S.%f"))  # named first
    sql = (f"SELECT code, number, step, due, due <= {now} AS overdue, day FROM ({' UNION ALL '.join(parts)}) AS waiting "
           f"{keep} ORDER BY overdue DESC NULLS LAST, due IS NULL, due, code, number")
    return sql, params


def same_rows(rows, items) -> bool:
    """The bare SQL's rows and ``waiting_for``'s items name the same steps: (code, offer, due moment) each."""
    from kernel.local_time import as_moment
    from states.todo import due_of

    def key(row):
        code, number, due = row
        return code, number or 0, due.timestamp() if due is not None else 0.0

    def day_of(day):  # SQLite gives a day as its text
        return date.fromisoformat(day) if isinstance(day, str) else day

    expected = sorted(((code, number, due_of(as_moment(due) if due is not None else None, day_of(day)))
                       for code, number, _, due, _, day in rows), key=key)
    return expected == sorted(((i.code, i.offer, i.due) for i in items), key=key)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


PROJECTION_PAGE = ("SELECT step, code, offer_number, due_at, basis FROM waiting_steps WHERE audience = 'officer' "
                   "ORDER BY undated, due_at, code, offer_number, step LIMIT {limit}")
PROJECTION_COUNT = "SELECT count(*) FROM waiting_steps WHERE audience = 'officer'"
REFRESH_ROUNDS = {1: 10, 1000: 5}  # stale cases -> rounds: a step's one case, a tick batch's thousand


def run(dbs, cases: int, rounds: int = ROUNDS) -> list[Row]:
    import random

    from sqlmodel import Session

    from models.db import get_engine, normalise_url
    from states.actors import Actor
    from states.engine import execute
    from states.todo import Query, page_of, refresh_waiting, waiting_for

    backend = dbs.backend
    url = dbs.fresh("b7")
    started = time.perf_counter()
    info = build_live_cases(url, cases, cases // 10)
    print(f"B7 [{backend}]: {info['live']:,} live cases built in {time.perf_counter() - started:.0f} s", flush=True)
    officer = Actor("Anna Urzędniczka", "officer")
    now = TICK_AT
    engine = get_engine(normalise_url(url))
    sql, params = bare_sql(dbs.postgres)
    raw = raw_connection(url)

    def end_read() -> None:
        if dbs.postgres:
            raw.rollback()  # end the read's transaction, as the session does

    def bare(limit: int | None = None) -> Callable[[], list]:
        statement = sql + (f" LIMIT {limit}" if limit else "")

        def run_bare() -> list:
            rows = raw.execute(statement, params).fetchall()
            end_read()
            return rows
        return run_bare

    def bare_projection() -> list:
        rows = raw.execute(PROJECTION_PAGE.format(limit=PAGE)).fetchall()
        raw.execute(PROJECTION_COUNT).fetchone()
        end_read()
        return rows

    def in_process(limit: int | None = None) -> Callable[[], list]:
        def run_in_process() -> list:
            with Session(engine) as session:
                return waiting_for(session, officer, now, Query(limit=limit))
        return run_in_process

    def paged() -> list:  # what the desk does: read the page (a case changed since derived: derive, read again)
        return page_of(officer, Query(limit=PAGE), url=url, at=now).items

    # the projection derived for every case (the migration's backfill marks them all stale): the first reader's cost
    t = time.perf_counter()
    derived = execute(refresh_waiting, actor=officer, url=url, keyed=False, at=now)
    backfill_ms = (time.perf_counter() - t) * 1000
    print(f"B7 [{backend}]: the projection derived for {derived:,} cases in {backfill_ms / 1000:.1f} s", flush=True)
    # what autovacuum does after that many changed rows (within a minute of the backfill): the planner's
    # statistics of the new table and of the cases, whose every row was just cleared; bench.data analyses its
    # copies the same way
    if dbs.postgres:
        raw.commit()
        raw.autocommit = True
        raw.execute("VACUUM ANALYZE cases")
        raw.execute("VACUUM ANALYZE waiting_steps")
        raw.autocommit = False
    else:
        raw.execute("ANALYZE")
        raw.commit()

    # the same rows first (code, offer, due moment), the whole list and its first page
    items = in_process()()
    if not same_rows(bare()(), items) or not same_rows(bare(PAGE)(), in_process(PAGE)()):
        raise AssertionError("B7: the bare SQL and waiting_for list different steps")
    page_items = paged()
    if [(i.code, i.offer, i.due) for i in page_items] != [(i.code, i.offer, i.due) for i in items_in_order(items)][:PAGE]:
        raise AssertionError("B7: the projection's first page is not the list's")
    if len(bare_projection()) != len(page_items):
        raise AssertionError("B7: the bare SELECT on the projection lists another page")
    overdue = sum(1 for i in items if i.overdue)
    print(f"B7 [{backend}]: {len(items):,} steps wait on the officer ({overdue:,} overdue)", flush=True)

    whole, page = "bare SQL, the whole list", f"bare SQL, the first {PAGE}"
    projection = f"bare SELECT on the projection, the first {PAGE} and the count"
    measures: list[tuple[str, Callable[[], object]]] = [
        (whole, bare()), ("waiting_for, the whole list", in_process()),
        (page, bare(PAGE)), (f"waiting_for, the first {PAGE} (Query.limit)", in_process(PAGE)),
        (projection, bare_projection),
        (f"page_of, the first {PAGE} (the projection, nothing stale)", paged)]
    baseline = {whole: None, page: None, projection: None, measures[1][0]: whole, measures[3][0]: page,
                measures[5][0]: page}
    for factory in PAGES:  # the desk's page shows the first PAGE steps: against the bare SQL of the same page
        measures.append(factory(url, now))
        baseline[measures[-1][0]] = page
        shown = measures[-1][1]()
        print(f"B7 [{backend}]: {measures[-1][0]} shows {shown:,} rows", flush=True)
    times: dict[str, list[float]] = {name: [] for name, _ in measures}
    for round_ in range(WARMUP + rounds):
        order = measures[round_ % len(measures):] + measures[:round_ % len(measures)]  # turn the order each round
        for name, call in order:
            t = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - t) * 1000
            if round_ >= WARMUP:
                times[name].append(elapsed)

    # the refresh's cost after a step (its case's row version moves, as any step's UPDATE moves it) and after a
    # tick's batch (a thousand cases): the case rows bumped directly, then the next reader's refresh timed
    ids = [row[0] for row in raw.execute("SELECT id FROM cases").fetchall()]
    end_read()
    chooser = random.Random(7)
    refresh_times: dict[int, list[float]] = {}
    mark = "%s" if dbs.postgres else "?"
    for stale, runs in REFRESH_ROUNDS.items():
        for _ in range(runs):
            chosen = chooser.sample(ids, stale)
            raw.cursor().executemany(f"UPDATE cases SET row_version = row_version + 1 WHERE id = {mark}",
                            [(i,) for i in chosen])
            raw.commit()
            t = time.perf_counter()
            cleared = execute(refresh_waiting, actor=officer, url=url, keyed=False, at=now)
            refresh_times.setdefault(stale, []).append((time.perf_counter() - t) * 1000)
            if cleared != stale:
                raise AssertionError(f"B7: {cleared} of {stale} stale cases derived again")
    if not same_rows(bare()(), [i for i in in_process()()]) or paged() != page_items:
        raise AssertionError("B7: the list changed with the row versions alone")
    raw.close()
    engine.dispose()

    label = f"[{backend}] {info['live']:,} live cases, {len(items):,} steps"
    rows = [Row(f"B7 the projection derived for every case (the backfill's first reader) {label}", backfill_ms,
                "ms", note=f"{derived:,} cases")]
    for name, _ in measures:
        p50, p95 = statistics.median(times[name]), _percentile(times[name], 0.95)
        base = baseline[name]
        if base is None:
            rows.append(Row(f"B7 {name} p50 {label}", p50, "ms"))
            rows.append(Row(f"B7 {name} p95 {label}", p95, "ms"))
            continue
        base50, base95 = statistics.median(times[base]), _percentile(times[base], 0.95)
        rows.append(Row(f"B7 {name} p50 {label}", p50, "ms", baseline=base50))
        rows.append(Row(f"B7 {name} p95 {label}", p95, "ms", baseline=base95,
                        goal=f"≤ {GOAL_RATIO:.0f}× {base} p95 and ≤ {GOAL_MS:.0f} ms",
                        passed=p95 <= GOAL_RATIO * base95 and p95 <= GOAL_MS,
                        note=f"{rounds} interleaved rounds after {WARMUP} warm-up"))
    proj50 = statistics.median(times[projection])
    for name in (measures[5][0], *(name for name, _ in measures[6:])):
        rows.append(Row(f"B7 {name} p50 against the bare SELECT on the projection {label}",
                        statistics.median(times[name]), "ms", baseline=proj50))
    for stale, values in refresh_times.items():
        rows.append(Row(f"B7 refresh_waiting after {stale:,} stale case(s), median of {len(values)} {label}",
                        statistics.median(values), "ms", note=f"max {max(values):.1f} ms"))
    return rows


def items_in_order(items: list) -> list:
    """``waiting_for``'s items in the projection's order: dated first by due moment, then case, offer, step."""
    from states.todo import _item_order

    return sorted(items, key=_item_order)


PAGES.append(desk_page)
