"""B1: one tick through the real Prefect flow against the same rows written with plain executemany.

For each number of due deadlines the same seeded database is copied three times: the domain tick
(``states.tick.tick``) fires on one copy, the Prefect flow (``flows.tick.tick_flow``) on another, and the
baseline writes, on the third, exactly the rows the domain wrote (state updates, audit rows whose sha256
chain it computes itself, outbox rows, fired and next deadlines) with plain ``executemany`` in transactions
of 500 claimed deadlines. The baseline's rows are then compared with the domain's, column by column.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median

import sqlalchemy as sa

from bench.data import DUE_AT, TICK_AT, Databases, build_live_cases, raw_connection
from bench.report import Row
from models.db import get_engine
from states.tick import DEFAULT_BATCH

BATCH = 500
HASHED = ("case_code", "seq", "at", "recorded_at", "actor", "role", "event", "subject", "from_state", "to_state",
          "basis", "payload")


def _iso(value) -> str:
    if isinstance(value, str):  # SQLite stores naive UTC text
        value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ChangeSet:
    """What a tick wrote, read back from the database it ran on: per due case, its updates and inserts."""

    def __init__(self, template_url: str, ticked_url: str, due_case_ids: list[int]):
        meta = sa.MetaData()
        meta.reflect(get_engine(template_url))
        self.order = [t.name for t in meta.sorted_tables]
        self.columns = {t.name: [c.name for c in t.columns] for t in meta.sorted_tables}
        self.updates: dict[int, list[tuple[str, dict]]] = defaultdict(list)  # case id -> (table, row with id)
        self.inserts: dict[int, list[tuple[str, dict]]] = defaultdict(list)
        self.audit: dict[int, list[dict]] = defaultdict(list)  # case id -> hashed fields, for the chain
        self.expected_hash: dict[int, str] = {}
        due = set(due_case_ids)
        before, after = raw_connection(template_url), raw_connection(ticked_url)
        try:
            codes = {}
            for name in self.order:
                cols = self.columns[name]
                if "id" not in cols:
                    continue
                keyed = "case_id" in cols or name == "cases"
                max_old = self._max_id(before, name)
                old = self._rows(before, name, cols, keyed, due, max_old)
                new = self._rows(after, name, cols, keyed, due, max_old)
                if self._count(before, name) + sum(1 for i in new if i > max_old) != self._count(after, name):
                    raise AssertionError(f"{name}: rows were deleted or changed outside the due cases")
                for row_id, row in new.items():
                    owner = row["id"] if name == "cases" else row.get("case_id")
                    if name == "cases":
                        codes[row_id] = row["code"]
                    if row_id in old:
                        changed = {k: v for k, v in row.items() if old[row_id][k] != v}
                        if changed:
                            self.updates[owner].append((name, {**changed, "id": row_id}))
                    elif row_id > max_old:
                        if owner is None:
                            raise AssertionError(f"{name}: a new row that belongs to no case")
                        if name == "audit_log":
                            self.audit[owner].append({k: row[k] for k in HASHED if k in row} | {
                                "case_code": codes[owner], "at": _iso(row["at"]),
                                "recorded_at": _iso(row["recorded_at"]), "payload": _json(row["payload"]),
                                "_row": row})
                            self.expected_hash[row_id] = row["hash"]
                        else:
                            self.inserts[owner].append((name, row))
        finally:
            before.close()
            after.close()

    @staticmethod
    def _rows(conn, name, cols, keyed, due, max_old) -> dict[int, dict]:
        """The due cases' rows of a table that names its case; the new rows of any other table."""
        if not keyed:
            cur = conn.execute(f"SELECT {', '.join(cols)} FROM {name} WHERE id > {int(max_old)}")
            return {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}
        key = "id" if name == "cases" else "case_id"
        rows = {}
        ids = sorted(due)
        for start in range(0, len(ids), 900):
            marks = ",".join(str(int(i)) for i in ids[start:start + 900])
            cur = conn.execute(f"SELECT {', '.join(cols)} FROM {name} WHERE {key} IN ({marks})")
            rows.update({r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()})
        return rows

    @staticmethod
    def _max_id(conn, name) -> int:
        return conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {name}").fetchone()[0]

    @staticmethod
    def _count(conn, name) -> int:
        return conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]

    def rows_written(self) -> int:
        return sum(len(v) for v in self.updates.values()) + sum(len(v) for v in self.inserts.values()) + \
            sum(len(v) for v in self.audit.values())


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def baseline(url: str, changes: ChangeSet, postgres: bool, batch: int = BATCH) -> tuple[float, int]:
    """Plain DB-API: claim ``batch`` due deadlines (the issue's 500), hash their audit records, write every row
    with executemany."""
    mark = "%s" if postgres else "?"
    claim = ("SELECT d.id, d.case_id, c.audit_head FROM deadlines d JOIN cases c ON c.id = d.case_id "
             f"WHERE d.fired_at IS NULL AND d.due_at <= {mark} ORDER BY d.due_at, d.id LIMIT {int(batch)}")
    claim += " FOR UPDATE OF d SKIP LOCKED" if postgres else ""
    moment = TICK_AT if postgres else TICK_AT.replace(tzinfo=None).isoformat(sep=" ")
    conn = raw_connection(url)
    mismatched = 0
    started = time.perf_counter()
    while True:
        if not postgres:
            conn.execute("BEGIN IMMEDIATE")
        cur = conn.cursor()
        cur.execute(claim, (moment,))
        claimed = cur.fetchall()
        if not claimed:
            conn.execute("COMMIT") if not postgres else conn.commit()
            break
        updates: dict[tuple[str, tuple[str, ...]], list[tuple]] = defaultdict(list)
        inserts: dict[str, list[tuple]] = defaultdict(list)
        for _deadline_id, case_id, head in claimed:
            for fields in changes.audit.get(case_id, []):
                content = json.dumps({k: fields[k] for k in HASHED}, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False)
                digest = hashlib.sha256((head + "\n" + content).encode()).hexdigest()
                row = dict(fields["_row"], prev_hash=head, hash=digest)
                mismatched += digest != changes.expected_hash[row["id"]]
                head = digest
                inserts["audit_log"].append(tuple(row[c] for c in changes.columns["audit_log"]))
            for table, row in changes.updates.get(case_id, []):
                cols = tuple(k for k in row if k != "id")
                updates[(table, cols)].append((*(row[c] for c in cols), row["id"]))
            for table, row in changes.inserts.get(case_id, []):
                inserts[table].append(tuple(row[c] for c in changes.columns[table]))
        for (table, cols), params in updates.items():
            sets = ", ".join(f"{c} = {mark}" for c in cols)
            cur.executemany(f"UPDATE {table} SET {sets} WHERE id = {mark}", [_adapt(p, postgres) for p in params])
        for table in changes.order:
            if inserts.get(table):
                cols = changes.columns[table]
                cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})",
                                [_adapt(v, postgres) for v in inserts[table]])
        conn.execute("COMMIT") if not postgres else conn.commit()
        if len(claimed) < batch:
            break
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, mismatched


def _adapt(values: tuple, postgres: bool) -> tuple:
    if not postgres:
        return values
    from psycopg.types.json import Jsonb

    return tuple(Jsonb(v) if isinstance(v, dict | list) else v for v in values)


def compare(url_a: str, url_b: str, changes: ChangeSet) -> int:
    """Rows touched by the tick that differ between two databases (0: the baseline wrote the same rows)."""
    differing = 0
    a, b = raw_connection(url_a), raw_connection(url_b)
    try:
        touched: dict[str, set[int]] = defaultdict(set)
        for rows in (*changes.updates.values(), *changes.inserts.values()):
            for table, row in rows:
                touched[table].add(row["id"])
        touched["audit_log"] = set(changes.expected_hash)
        for table, ids in touched.items():
            cols = ", ".join(changes.columns[table])
            for start in range(0, len(ids), 900):
                marks = ",".join(str(i) for i in sorted(ids)[start:start + 900])
                query = f"SELECT {cols} FROM {table} WHERE id IN ({marks}) ORDER BY id"
                rows_a, rows_b = a.execute(query).fetchall(), b.execute(query).fetchall()
                differing += sum(1 for x, y in zip(rows_a, rows_b, strict=False) if tuple(x) != tuple(y))
                differing += abs(len(rows_a) - len(rows_b))
    finally:
        a.close()
        b.close()
    return differing


def _fewer_due(url: str, keep: int) -> list[int]:
    """Move all but ``keep`` due deadlines (and their calls' offer deadlines) to later in the year."""
    engine = get_engine(url)
    later = DUE_AT + timedelta(days=200)
    with engine.begin() as conn:
        ids = conn.execute(sa.text("SELECT id, case_id, kind FROM deadlines WHERE fired_at IS NULL AND due_at <= :m "
                                   "ORDER BY due_at, id"), {"m": _bind(url, TICK_AT)}).all()
        postpone = ids[keep:]
        for start in range(0, len(postpone), 900):
            chunk = postpone[start:start + 900]
            conn.execute(sa.text(f"UPDATE deadlines SET due_at = :d WHERE id IN ({','.join(str(i) for i, _, _ in chunk)})"),
                         {"d": _bind(url, later)})
            calls = [str(case_id) for _, case_id, kind in chunk if kind == "offers_close"]  # a call's own date too
            if calls:
                conn.execute(sa.text(f"UPDATE cases SET offer_deadline = :d WHERE id IN ({','.join(calls)})"),
                             {"d": _bind(url, later)})
    return [case_id for _, case_id, _ in ids[:keep]]


def _bind(url: str, moment: datetime):
    return moment.replace(tzinfo=None).isoformat(sep=" ") if url.startswith("sqlite") else moment


def run(dbs: Databases, live: int, due: int, small_due: int = 100, repeat: int = 3) -> list[Row]:
    from flows.tick import tick_flow
    from states.tick import tick

    t0 = time.perf_counter()
    template = dbs.fresh("b1")
    data = build_live_cases(template, live, due)
    print(f"  B1 data: {data['copies']:,} live cases copied from {len(data['templates'])} templates "
          f"({data['offers']:,} offers), {due:,} due, built in {time.perf_counter() - t0:.0f} s [{dbs.backend}]",
          flush=True)
    warm = dbs.fresh("warm")
    tick(TICK_AT, url=warm)
    asyncio.run(tick_flow(at=TICK_AT.isoformat(), database_url=warm))  # imports, first flow run
    rows: list[Row] = []
    shares: list[float] = []
    for k in sorted({min(small_due, due), due}):
        source = template
        if k < due:
            source = dbs.copy(template, "b1k")
            due_ids = _fewer_due(source, k)
        else:
            with get_engine(template).connect() as conn:
                due_ids = conn.execute(sa.text("SELECT case_id FROM deadlines WHERE fired_at IS NULL AND due_at <= :m"),
                                       {"m": _bind(template, TICK_AT)}).scalars().all()
        m = _measure(dbs, source, k, due_ids, repeat)
        domain, flow, base, share = m.medians()
        spread = "; ".join(f"{name} " + " / ".join(f"{t:.2f}" for t in m.timings[name])
                           for name in ("flow", "domain", "base"))
        note = (f"median of {repeat} rounds ({spread} s); {m.changes.rows_written() // max(k, 1)} rows/deadline; "
                f"baseline rows differing from the domain's: {m.differing}, hashes differing: {m.mismatched}")
        figure = f"B1 tick flow, {k:,} due of {live:,} live [{dbs.backend}]"
        if k == due:
            rows.append(Row(figure, flow, "s", base, "≤ 3× executemany", flow <= 3 * base, note=note))
        else:  # a handful of deadlines: the flow is Prefect's fixed cost of a run, which the rows below follow
            rows.append(Row(figure, flow, "s", base, note=note + "; the goal is set at the issue's size"))
        rows.append(Row(f"B1 domain tick alone, {k:,} due [{dbs.backend}]", domain, "s", base,
                        note="states.tick.tick, no Prefect, same data"))
        if k == due:  # the goal's floor claims the 500 a transaction; the tick claims its own batch
            like = median(m.timings["base_tick_batch"])
            rows.append(Row(f"B1 tick flow vs a floor of {DEFAULT_BATCH:,} a transaction, {k:,} due [{dbs.backend}]",
                            flow, "s", like, note="the same baseline with the tick's own batch size "
                                                  "(states.tick.DEFAULT_BATCH), for comparison; rounds: "
                                                  + " / ".join(f"{t:.2f}" for t in m.timings["base_tick_batch"])))
        rows.append(Row(f"B1 Prefect's share, {k:,} due [{dbs.backend}]", share, "s",
                        note=f"flow run − time inside its batches' transactions = {100 * share / flow:.0f}% of "
                             f"the flow; {1000 * share / k:.2f} ms per deadline (flow − domain alone: "
                             f"{flow - domain:.3f} s)"))
        shares.append(share)
    if len(shares) == 2:
        small, big = sorted({min(small_due, due), due})
        rows.append(Row(f"B1 Prefect's share flat, {big:,} vs {small:,} due [{dbs.backend}]", shares[1], "s",
                        shares[0], "≤ 2× (flat)", shares[1] <= 2 * shares[0],
                        note="baseline column: Prefect's share at the small tick"))
    return rows


@dataclass
class Measured:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # per round
    changes: ChangeSet | None = None
    domain_db: str = ""  # the first round's, whose rows the baseline's are compared with
    differing: int = 0
    mismatched: int = 0

    def medians(self) -> tuple[float, float, float, float]:
        """The medians of the rounds: domain, flow, baseline, Prefect's share."""
        return tuple(median(self.timings[name]) for name in ("domain", "flow", "base", "share"))


def _measure(dbs: Databases, source: str, k: int, due_ids: list[int], repeat: int) -> Measured:
    """The domain tick, the flow and the baseline, ``repeat`` rounds, each run on a fresh copy of ``source``.

    Within a round they run one after another, in an order that turns from round to round, and B1 reports
    the medians: this shared machine runs the same loop in 1.0 s one minute and 1.7 s the next, and a slow
    spell must not fall on one side only."""
    from flows.tick import tick_flow
    from states.tick import tick

    m = Measured()

    def domain_run(url: str) -> None:
        started = time.perf_counter()
        report = tick(TICK_AT, url=url)
        m.timings["domain"].append(time.perf_counter() - started)
        assert report.fired == k, (report.fired, k)
        if m.changes is None:  # what the baseline must write, read back once: every copy ticks the same
            m.changes = ChangeSet(source, url, due_ids)
            m.domain_db = url

    def flow_run(url: str) -> None:
        started = time.perf_counter()
        result = asyncio.run(tick_flow(at=TICK_AT.isoformat(), database_url=url))
        flow = time.perf_counter() - started
        assert result["fired"] == k, result
        m.timings["flow"].append(flow)
        # Measured inside the same flow run: its wall time minus the time its batches spent in their
        # transactions (two separate runs, flow − domain, differ by the machine's noise as much as by Prefect).
        m.timings["share"].append(flow - result["seconds_in_transactions"])

    def base_run(url: str) -> None:
        base, mismatched = baseline(url, m.changes, dbs.postgres)
        m.timings["base"].append(base)
        if len(m.timings["base"]) == 1:
            m.mismatched, m.differing = mismatched, compare(m.domain_db, url, m.changes)

    def base_at_tick_batch_run(url: str) -> None:
        base, mismatched = baseline(url, m.changes, dbs.postgres, batch=DEFAULT_BATCH)
        m.timings["base_tick_batch"].append(base)
        m.mismatched = max(m.mismatched, mismatched)  # 0 unless its chain differs too

    runs = {"domain": domain_run, "flow": flow_run, "base": base_run, "base_tick_batch": base_at_tick_batch_run}
    order = list(runs)  # the first round fills the change set the baseline needs
    for _ in range(repeat):
        copies = {name: dbs.copy(source, name) for name in order}
        for url in copies.values():
            with get_engine(url).connect() as conn:  # schema check and pool warm-up, outside the timings
                conn.execute(sa.text("SELECT 1"))
        for name in order:
            os.sync()  # no write-back of the copies (or of the last run) falls inside the next timing
            runs[name](copies[name])
        for url in copies.values():
            get_engine(url).dispose()
        order = order[1:] + order[:1]
    return m
