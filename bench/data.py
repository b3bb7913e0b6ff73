"""Seeded, reproducible benchmark data: databases to build once and copy, and bulk-inserted live cases.

Live cases are a seeded mix of every procedure. Each kind of case is built ONCE through the real domain
(the same handlers the CLI calls, as the tests drive them) up to a state in which one deadline waits: an
open call announced with its offers, small grants before publication, in their comment period, in execution
and past their task, consultations open and waiting for the RDPP, local initiatives in execution and past
their task, and a regranting operator with a micro-grant whose transfer is due. These templates are then
bulk-copied with every row that belongs to them (the domain would take hours for 100,000 cases): each copy
gets fresh ids, its own codes, and an empty audit chain, so whatever the tick records is the copy's first,
verifiable record. The history (audit records and the messages they produced) is not copied.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from models.db import get_engine, normalise_url
from models.settings import SIMULATION, initialise_clock

SEED = 20260116
CHUNK = 10000  # copies per transaction and per executemany
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
WORKDIR = Path(tempfile.mkdtemp(prefix="coop-bench-"))
TEMPLATE_CODE_NUMBER = 100000
# The tick fires on a late-November night, when every template's deadline has passed in its own timeline;
# due deadlines fall due the day before, the rest later (up to a year).
TICK_AT = datetime(2026, 12, 1, tzinfo=UTC)
DUE_AT = datetime(2026, 11, 30, tzinfo=UTC)
# A copy's other pending deadlines keep their distance from its own one, but never fall due with it.
MIN_GAP = timedelta(days=2)
# The history of a case is not copied: each copy starts an empty chain (and the outbox derives from it).
HISTORY = ("audit_log", "notifications")


@dataclass(frozen=True)
class Template:
    name: str
    weight: float  # share of the copies
    due_kind: str  # the deadline each copy falls due with


# Mostly open calls and small grants, some of every other procedure (weights sum to 1).
TEMPLATES = (
    Template("open_call.announced", 0.40, "offers_close"),
    Template("small_grant.checked", 0.07, "small_grant.publish_due"),
    Template("small_grant.comment_period", 0.15, "small_grant.comments_end"),
    Template("small_grant.executing", 0.10, "small_grant.task_end"),
    Template("small_grant.task_ended", 0.04, "small_grant.report_due"),
    Template("consultation.open", 0.05, "consultation.comments_end"),
    Template("consultation.comments_closed", 0.03, "consultation.rdpp_due"),
    Template("local_initiative.executing", 0.06, "local_initiative.task_end"),
    Template("local_initiative.task_ended", 0.03, "local_initiative.report_due"),
    Template("regranting.micro_grant", 0.07, "regranting.transfer_due"),
)


class Databases:
    """Fresh databases of one backend: SQLite files in a temp dir, or PostgreSQL databases beside ``base_url``."""

    def __init__(self, base_url: str | None):
        self.base_url = base_url
        self.postgres = bool(base_url and base_url.startswith(("postgresql", "postgres")))
        self.created: list[str] = []
        self.scratch: list[Path] = []  # SQLite files of our own making (SpiffWorkflow's), removed with the rest

    @property
    def backend(self) -> str:
        return "postgresql" if self.postgres else "sqlite"

    def fresh(self, label: str) -> str:
        name = f"coop_bench_{label}_{uuid.uuid4().hex[:6]}"
        if self.postgres:
            self._admin(f'CREATE DATABASE "{name}"')
            url = self._pg_url(name)
        else:
            url = f"sqlite:///{WORKDIR / name}.db"
        self.created.append(url)
        # Every step here claims a moment of 2026 (--at): only a simulation database takes them (invariant 3).
        initialise_clock(get_engine(url), SIMULATION)
        return url

    def blank(self, label: str) -> str:
        """A new database with no schema yet: for another tree (``bench/ab.py``) to make at its own revision, which
        an older tree could not open once a newer one had migrated it."""
        name = f"coop_bench_{label}_{uuid.uuid4().hex[:6]}"
        if self.postgres:
            self._admin(f'CREATE DATABASE "{name}"')
            url = self._pg_url(name)
        else:
            url = f"sqlite:///{WORKDIR / name}.db"
        self.created.append(url)
        return url

    def copy(self, url: str, label: str, opened: bool = True) -> str:
        """A copy of ``url`` (which nobody may use while it is copied; ``opened``: this process's engine of it is
        closed first, else it is never opened here: opening migrates it to this tree's revision)."""
        if opened:
            get_engine(url).dispose()
        name = f"coop_bench_{label}_{uuid.uuid4().hex[:6]}"
        if self.postgres:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
            copy = self._pg_url(name)
        else:
            raw = raw_connection(url)
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.close()
            source = Path(url.removeprefix("sqlite:///"))
            target = WORKDIR / f"{name}.db"
            shutil.copyfile(source, target)
            # On disk before anyone times it: else the first checkpoint's fsync writes the whole copy.
            with open(target, "rb+") as written:
                os.fsync(written.fileno())
            copy = f"sqlite:///{target}"
        self.created.append(copy)
        return copy

    def scratch_file(self, name: str) -> Path:
        """A path for a SQLite file outside the engine, removed by ``drop_all``."""
        path = WORKDIR / name
        self.scratch.append(path)
        return path

    def drop_all(self) -> None:
        files = list(self.scratch)
        for url in self.created:
            if self.postgres:
                self._admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            else:
                files.append(Path(url.removeprefix("sqlite:///")))
        for path in files:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.created.clear()
        self.scratch.clear()

    def _pg_url(self, name: str) -> str:
        return self.base_url.rsplit("/", 1)[0] + f"/{name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        admin = self.base_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)


def raw_connection(url: str):
    """A plain DB-API connection (sqlite3 or psycopg), outside SQLAlchemy."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # what the engine uses
        conn.execute("PRAGMA foreign_keys=ON")
        return conn
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def build_live_cases(url: str, live: int, due: int, *, seed: int = SEED) -> dict:
    """``live`` cases, a seeded mix of the TEMPLATES, each template's copies with one deadline of its
    ``due_kind``; ``due`` of those deadlines are due at DUE_AT, the rest later (seeded). Returns a description:
    copies per template, due deadlines per kind, rows per table."""
    if due > live:
        raise ValueError("due deadlines cannot outnumber live cases")
    roots = build_templates(url)
    engine = get_engine(normalise_url(url))
    meta = sa.MetaData()
    meta.reflect(engine)
    engine.dispose()
    conn = raw_connection(url)
    postgres = not url.startswith("sqlite")
    try:
        if not postgres:  # nobody reads this file while it is built: no fsync, a large page cache
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA cache_size=-262144")
            conn.execute("PRAGMA temp_store=MEMORY")
        blueprints = {t.name: _Blueprint.read(conn, meta, t, roots[t.name], postgres) for t in TEMPLATES}
        # The templates are real cases with a history; only their copies are benchmarked, so their own
        # pending deadlines (all due by TICK_AT) go.
        marks = "%s" if postgres else "?"
        conn.execute(f"DELETE FROM deadlines WHERE fired_at IS NULL AND case_id IN "
                     f"(SELECT id FROM cases WHERE code IN ({', '.join([marks] * len(roots))}) OR parent_id IN "
                     f"(SELECT id FROM cases WHERE code IN ({', '.join([marks] * len(roots))})))",
                     (*roots.values(), *roots.values()))
        if postgres:
            conn.commit()
        rng = random.Random(seed)
        plan = _plan(rng, live, blueprints)
        due_flags = [True] * due + [False] * (len(plan) - due)
        if due > len(plan):
            raise ValueError(f"{due} due deadlines need {due} copies; {live} cases make {len(plan)}")
        rng.shuffle(due_flags)  # due cases spread among the others, as on a real morning
        tables = [t for t in meta.sorted_tables if any(t.name in b.rows for b in blueprints.values())]
        next_id = {t.name: _max_id(conn, t.name) + 1 for t in tables}
        rows_written: Counter[str] = Counter()
        for start in range(0, len(plan), CHUNK):
            batch: dict[str, list[tuple]] = {t.name: [] for t in tables}
            for number, (name, is_due) in enumerate(zip(plan[start:start + CHUNK], due_flags[start:start + CHUNK],
                                                        strict=True), start=TEMPLATE_CODE_NUMBER + start):
                when = DUE_AT if is_due else DUE_AT + timedelta(days=rng.randint(7, 330), hours=rng.randint(0, 23))
                blueprints[name].copy(number, when, next_id, batch)
            _insert(conn, meta, tables, batch, postgres)
            for table, rows in batch.items():
                rows_written[table] += len(rows)
        if postgres:  # the ids were given explicitly: the sequences go past them
            for table in tables:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                             f"(SELECT MAX(id) FROM {table.name}))")
        conn.execute("ANALYZE")
        if postgres:
            conn.commit()
    finally:
        conn.close()
    copies = Counter(plan)
    due_kinds = Counter(blueprints[name].template.due_kind for name, is_due in zip(plan, due_flags, strict=True)
                        if is_due)
    return {"live": rows_written["cases"], "copies": len(plan), "due": due, "templates": dict(copies),
            "due_kinds": dict(due_kinds), "rows": dict(rows_written), "offers": rows_written["offers"],
            "roots": roots}


def _plan(rng: random.Random, live: int, blueprints: dict[str, _Blueprint]) -> list[str]:
    """Which template each copy is, seeded by the weights, until the copies hold ``live`` cases."""
    names, weights = [t.name for t in TEMPLATES], [t.weight for t in TEMPLATES]
    single = [t.name for t in TEMPLATES if blueprints[t.name].cases == 1]
    plan, cases = [], 0
    if live >= sum(b.cases for b in blueprints.values()):  # some of each, however few the cases
        plan = rng.sample(names, len(names))
        cases = sum(blueprints[name].cases for name in plan)
    while cases < live:
        name = rng.choices(names, weights)[0]
        if cases + blueprints[name].cases > live:
            name = rng.choice(single)  # the last case: one that fits
        plan.append(name)
        cases += blueprints[name].cases
    return plan


def _max_id(conn, table: str) -> int:
    return conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]


def _insert(conn, meta: sa.MetaData, tables: list[sa.Table], batch: dict[str, list[tuple]], postgres: bool) -> None:
    """One transaction per chunk of copies: COPY on PostgreSQL, executemany on SQLite, parents first."""
    if not postgres:
        conn.execute("BEGIN")
    for table in tables:
        rows = batch[table.name]
        if not rows:
            continue
        columns = ", ".join(c.name for c in table.columns)
        if postgres:
            with conn.cursor().copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(table.columns))
            conn.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
    if postgres:
        conn.commit()
    else:
        conn.execute("COMMIT")


class _Blueprint:
    """A template's rows as stored (every table that belongs to its cases), and what changes per copy: ids and
    the references to them, the codes, the audit chain's head, the due moments of its pending deadlines."""

    def __init__(self, template: Template):
        self.template = template
        self.rows: dict[str, list[list]] = {}  # table -> rows as stored, in id order
        self.patches: dict[str, list[list[tuple[int, str, object]]]] = {}  # table -> per row: (column, how, arg)
        self.index: dict[str, dict[int, int]] = {}  # table -> template id -> position among the template's rows
        self.cases = 0
        self.postgres = False

    @classmethod
    def read(cls, conn, meta: sa.MetaData, template: Template, root_code: str, postgres: bool) -> _Blueprint:
        self = cls(template)
        self.postgres = postgres
        mark = "%s" if postgres else "?"
        ids = [conn.execute(f"SELECT id FROM cases WHERE code = {mark}", (root_code,)).fetchone()[0]]
        while True:  # nested cases (a regranting operator's micro-grants) belong to the template too
            marks = ",".join(str(i) for i in ids)
            more = [r[0] for r in conn.execute(f"SELECT id FROM cases WHERE parent_id IN ({marks}) AND id NOT IN ({marks})")]
            if not more:
                break
            ids += more
        owned: dict[str, set[int]] = {"cases": set(ids)}
        for table in meta.sorted_tables:
            if table.name in HISTORY or "id" not in table.c:
                continue
            refs = [(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys
                    if fk.column.table.name in owned and fk.column.name == "id"]
            if table.name != "cases" and not refs:
                continue
            columns = [c.name for c in table.columns]
            if table.name == "cases":
                where = f"id IN ({','.join(str(i) for i in ids)})"
            else:
                where = " OR ".join(f"{col} IN ({','.join(str(i) for i in owned[target]) or 'NULL'})"
                                    for col, target in refs)
            rows = [list(r) for r in conn.execute(f"SELECT {', '.join(columns)} FROM {table.name} WHERE {where} "
                                                  "ORDER BY id")]
            if not rows:
                continue
            owned[table.name] = {r[0] for r in rows}
            self.rows[table.name] = rows
            self.index[table.name] = {r[0]: i for i, r in enumerate(rows)}
            self.patches[table.name] = [[] for _ in rows]
            for position, column in enumerate(columns):
                target = next((t for c, t in refs if c == column), None)
                if column == "id":
                    for patch in self.patches[table.name]:
                        patch.append((position, "id", table.name))
                elif target is not None:
                    for row, patch in zip(rows, self.patches[table.name], strict=True):
                        if row[position] is not None:
                            patch.append((position, "ref", (target, row[position])))
        self.cases = len(ids)
        self._codes(meta, postgres)
        self._clock(meta, conn, postgres)
        return self

    def _codes(self, meta: sa.MetaData, postgres: bool) -> None:
        """Every stored value naming one of the template's codes names the copy's instead (codes are unique)."""
        cols = [c.name for c in meta.tables["cases"].columns]
        code_at = cols.index("code")
        codes = [row[code_at] for row in self.rows["cases"]]
        pattern = re.compile("|".join(re.escape(code) for code in sorted(codes, key=len, reverse=True)))
        for name, rows in self.rows.items():
            for row, patch in zip(rows, self.patches[name], strict=True):
                for position, value in enumerate(row):
                    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
                    if isinstance(text, str) and pattern.search(text):
                        # the stem is kept ("OK/2026/"), the number is the copy's
                        parts = pattern.split(text)
                        stems = [m.rsplit("/", 1)[0] + "/" for m in pattern.findall(text)]
                        patch.append((position, "code", (parts, stems, not isinstance(value, str))))
        self.rows["cases"] = [self._fresh_chain(meta, row) for row in self.rows["cases"]]

    @staticmethod
    def _fresh_chain(meta: sa.MetaData, row: list) -> list:
        cols = [c.name for c in meta.tables["cases"].columns]
        row = list(row)
        row[cols.index("audit_seq")], row[cols.index("audit_head")], row[cols.index("row_version")] = 0, "0" * 64, 1
        row[cols.index("waiting_seen")] = 0  # never derived: the copy's waiting steps are derived by the first reader
        return row

    def _clock(self, meta: sa.MetaData, conn, postgres: bool) -> None:
        """The copy's own deadline falls due when the copy says; its other pending ones keep their distance."""
        cols = [c.name for c in meta.tables["deadlines"].columns]
        at = {name: cols.index(name) for name in ("kind", "due_at", "fired_at")}
        pending = [(row, patch) for row, patch in zip(self.rows["deadlines"], self.patches["deadlines"], strict=True)
                   if row[at["fired_at"]] is None]
        own = [row for row, _ in pending if row[at["kind"]] == self.template.due_kind]
        if len(own) != 1:
            raise AssertionError(f"{self.template.name}: {len(own)} pending {self.template.due_kind} deadlines")
        own_due = _moment(own[0][at["due_at"]])
        for row, patch in pending:
            gap = timedelta(0) if row is own[0] else max(_moment(row[at["due_at"]]) - own_due, MIN_GAP)
            patch.append((at["due_at"], "due", gap))
        if self.template.due_kind == "offers_close":  # the call's offer deadline is the deadline's moment
            case_cols = [c.name for c in meta.tables["cases"].columns]
            case_at = self.index["cases"][own[0][cols.index("case_id")]]
            self.patches["cases"][case_at].append((case_cols.index("offer_deadline"), "due", timedelta(0)))

    def copy(self, number: int, when: datetime, next_id: dict[str, int], batch: dict[str, list[tuple]]) -> None:
        """Append one copy's rows to ``batch``, numbered ``number``, its own deadline due ``when``."""
        base = {}
        for name, rows in self.rows.items():
            base[name] = next_id[name]
            next_id[name] += len(rows)
        suffix = str(number)
        for name, rows in self.rows.items():
            out = batch[name]
            index = self.index
            for position, (row, patch) in enumerate(zip(rows, self.patches[name], strict=True)):
                values = list(row)
                for column, how, arg in patch:
                    if how == "id":
                        values[column] = base[name] + position
                    elif how == "ref":
                        target, old = arg
                        values[column] = base[target] + index[target][old]
                    elif how == "code":
                        parts, stems, is_json = arg
                        text = parts[0] + "".join(stem + suffix + part for stem, part in zip(stems, parts[1:], strict=True))
                        values[column] = json.loads(text) if is_json else text
                    else:  # due
                        values[column] = _stored(when + arg, self.postgres)
                out.append(tuple(_adapt(v) for v in values) if self.postgres else tuple(values))


def _moment(value) -> datetime:
    """A stored moment (SQLite: naive UTC text; PostgreSQL: aware) as an aware datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _stored(moment: datetime, postgres: bool):
    """A moment as the engine stores it (SQLAlchemy's SQLite format: naive UTC with microseconds)."""
    if postgres:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _adapt(value):
    if isinstance(value, dict | list):
        from psycopg.types.json import Json

        return Json(value)
    return value


# --- the templates, built through the domain --------------------------------------------------------------------
#
# Every tick a builder runs fires whatever is due in the whole database, so the builders' ticks all happen before
# 11 November and every template's waiting deadline falls after that (in its own timeline, before TICK_AT).


def build_templates(url: str) -> dict[str, str]:
    """Each template built once through the domain; returns template name -> its root case's code."""
    from coop.demo import OFFICER
    from states.engine import execute
    from states.procedures.small_grant import handlers as small_grant_handlers
    from states.procedures.small_grant import inputs as small_grant_inputs
    from tests.prefect_fixtures import register_organisations

    register_organisations(url)
    execute(small_grant_handlers.record_budget, small_grant_inputs.RecordGrantBudget(year=2026, planned=Decimal("1500000.00")), actor=OFFICER,
            at="2026-01-02T09:00+01:00", url=url)
    # The regranting operator's open call runs from January, so it goes first: its tick fires nothing else.
    builders = {"regranting.micro_grant": _regranting, "open_call.announced": _open_call}
    codes = {name: build(url) for name, build in builders.items()}
    for stage in ("checked", "comment_period", "executing", "task_ended"):
        codes[f"small_grant.{stage}"] = _small_grant(url, stage)
    for stage in ("executing", "task_ended"):
        codes[f"local_initiative.{stage}"] = _local_initiative(url, stage)
    for stage in ("open", "comments_closed"):
        codes[f"consultation.{stage}"] = _consultation(url, stage)
    assert set(codes) == {t.name for t in TEMPLATES}
    return codes


def _do(url, handler, command, at, actor=None):
    from coop.demo import OFFICER
    from states.engine import execute

    return execute(handler, command, actor=actor or OFFICER, at=at, url=url)


def _open_call(url: str) -> str:
    """An open call for 2027 announced in October 2026; three offers filed, three members appointed."""
    from coop.demo import MEMBERS, OFFERS, ORGANISATIONS
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs

    code = _do(url, open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Wspieranie aktywności lokalnej 2027", task_area="pożytek publiczny",
                                                     budget=Decimal("100000.00")), "2026-10-01T08:30+02:00")["code"]
    _do(url, open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline="2026-11-27", selection_date="2026-12-18", execution_start="2027-01-04",
        execution_end="2027-12-15", published={"bip": "2026-10-01T09:00+02:00", "board": "2026-10-01T10:00+02:00",
                                               "website": "2026-10-01T11:00+02:00"}), "2026-10-01T12:00+02:00")
    for member in MEMBERS:
        _do(url, open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=member), "2026-10-05T09:00+02:00")
    for index, (title, grant, _) in enumerate(OFFERS[:3]):
        _do(url, open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=ORGANISATIONS[index][2], title=title,
                                            requested_grant=grant, task_start="2027-02-01", task_end="2027-06-30"),
            f"2026-11-{2 + index:02d}T10:00+01:00")
    return code


def _small_grant(url: str, stage: str) -> str:
    """A small grant waiting for its publication, its comment period's end, its task's end or its report."""
    from coop.demo import ORGANISATIONS
    from states.procedures.small_grant import handlers as small_grant_handlers
    from states.procedures.small_grant import inputs as small_grant_inputs
    from states.tick import tick

    filed, task = {"checked": ("2026-11-16", ("2026-12-01", "2026-12-20")),
                   "comment_period": ("2026-11-12", ("2026-12-01", "2026-12-20")),
                   "executing": ("2026-09-01", ("2026-10-01", "2026-11-27")),
                   "task_ended": ("2026-06-01", ("2026-07-20", "2026-10-15"))}[stage]
    day = datetime.fromisoformat(filed).date()
    at = lambda days, hour="10:00": f"{day + timedelta(days=days)}T{hour}+01:00"  # noqa: E731
    code = _do(url, small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs=ORGANISATIONS[3][2], title="Rajd rowerowy „Poznaj Leszno”", requested_grant=Decimal("9500.00"),
        task_start=task[0], task_end=task[1]), at(0))["code"]
    if stage == "checked":
        return code
    _do(url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published={
        "bip": at(4, "09:00"), "board": at(4, "09:30"), "website": at(4, "10:00")}), at(4, "10:05"))
    if stage == "comment_period":
        return code
    tick(at(16, "00:30"), url=url)  # the comment period closes (a Saturday end moves to Monday)
    _do(url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, grant=Decimal("9000.00"), decision_ref="Zarządzenie 101/2026"),
        at(16))
    _do(url, small_grant_handlers.sign_contract, small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.526.1.2026"), at(17))
    if stage == "task_ended":
        tick(f"{datetime.fromisoformat(task[1]).date() + timedelta(days=1)}T00:30+02:00", url=url)
    return code


def _local_initiative(url: str, stage: str) -> str:
    """Residents' initiative in execution (its task ends in November) or past its task (its report is due)."""
    from states.procedures.local_initiative import handlers as local_initiative_handlers
    from states.procedures.local_initiative import inputs as local_initiative_inputs
    from states.tick import tick

    month, task = {"executing": ("09", ("2026-10-01", "2026-11-27")),
                   "task_ended": ("06", ("2026-07-01", "2026-10-15"))}[stage]
    code = _do(url, local_initiative_handlers.file, local_initiative_inputs.FileInitiative(
        title="Ogród sąsiedzki przy ul. Kurpińskiego", applicant_kind="residents", representative="Krystyna Nowak",
        residents=("Krystyna Nowak", "Adam Lis", "Ewa Maj"), sphere="greenery", location="działka 123/4, obręb Leszno",
        property_owner="Miasto Leszno", description="Zagospodarowanie zieleńca na ogród sąsiedzki."),
        f"2026-{month}-01T10:00+02:00")["code"]
    _do(url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=code, passed=True), f"2026-{month}-03T10:00+02:00")
    points = {"social_work": Decimal(9), "public_benefit": Decimal(8), "feasibility": Decimal(7),
              "own_contribution": Decimal(6)}
    _do(url, local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative(code=code, points=points), f"2026-{month}-08T10:00+02:00")
    _do(url, local_initiative_handlers.decide, local_initiative_inputs.DecideInitiative(code=code, accept=True, decision_ref="Zarządzenie 55/2026"),
        f"2026-{month}-10T10:00+02:00")
    costs = (local_initiative_inputs.CostLine(party="city", description="Ziemia, nasadzenia i ławki (zakup miasta)", amount=Decimal("18000.00")),
             local_initiative_inputs.CostLine(party="work", description="Sadzenie i malowanie przez mieszkańców", hours=Decimal("240")),
             local_initiative_inputs.CostLine(party="cash", description="Zbiórka mieszkańców na tablicę", amount=Decimal("1500.00")),
             local_initiative_inputs.CostLine(party="goods", description="Narzędzia od Rady Osiedla", amount=Decimal("800.00")))
    _do(url, local_initiative_handlers.plan, local_initiative_inputs.PlanInitiative(code=code, task_start=task[0], task_end=task[1], costs=costs),
        f"2026-{month}-15T10:00+02:00")
    _do(url, local_initiative_handlers.sign_contract, local_initiative_inputs.SignInitiative(code=code, contract_number="WSO.IL.1.2026"), f"2026-{month}-20T10:00+02:00")
    _do(url, local_initiative_handlers.record_purchase, local_initiative_inputs.RecordPurchase(code=code, description="Ziemia i sadzonki", supplier="Szkółka Leszno",
                                                   amount=Decimal("11000.00")), f"2026-{int(month) + 1:02d}-02T10:00+02:00")
    if stage == "task_ended":
        tick(f"{datetime.fromisoformat(task[1]).date() + timedelta(days=1)}T00:30+02:00", url=url)
    return code


def _consultation(url: str, stage: str) -> str:
    """A draft resolution in consultation (comments open) or past its comments, waiting for the RDPP's opinion."""
    from states.engine import Actor
    from states.procedures.consultation import handlers as consultation_handlers
    from states.procedures.consultation import inputs as consultation_inputs
    from states.tick import tick

    day = {"open": "2026-11-17", "comments_closed": "2026-11-02"}[stage]
    code = _do(url, consultation_handlers.create, consultation_inputs.CreateConsultation(
        title="Uchwała w sprawie zasad wspierania sportu", field="kultura fizyczna", act_kind="resolution"),
        f"{day}T08:00+01:00")["code"]
    channels = ("consultations_portal", "ngo_portal", "bip", "board")
    _do(url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(code=code, published={c: f"{day}T09:00+01:00" for c in channels},
                                                      rdpp_delivered=f"{day}T10:00+01:00"), f"{day}T10:30+01:00")
    author = "Stowarzyszenie Przyjaciół Leszna"
    _do(url, consultation_handlers.add_comment, consultation_inputs.ConsultationCommentInput(code=code, author=author, author_kind="ngo", provision="§ 5 ust. 2",
                                                         text="Proszę dodać priorytet: seniorzy."),
        f"{day}T12:00+01:00", actor=Actor(author, "public"))
    if stage == "comments_closed":
        tick("2026-11-10T00:30+01:00", url=url)
    return code


def _regranting(url: str) -> str:
    """An operator selected by an open call (January-February), its sub-call, and one micro-grant whose
    transfer is due; the micro-grant is a case nested under the operator's."""
    from states.procedures.regranting import handlers as regranting_handlers
    from states.procedures.regranting import inputs as regranting_inputs
    from tests.regranting_fixtures import IMPLEMENTERS, selection_published

    code = selection_published(url)
    implementer, address, scope, amount = IMPLEMENTERS[0]
    _do(url, regranting_handlers.add_micro_grant, regranting_inputs.AddMicroGrant(
        code=code, implementer=implementer, address=address, scope=scope, amount=amount,
        contract_number="CIL/1/2026", task_start="2026-11-20", task_end="2026-11-25"), "2026-11-16T10:00+01:00")
    return code
