"""Database faults done for real. On PostgreSQL the engine's connection is terminated mid-transaction
(``pg_terminate_backend`` from a second connection): the command succeeds on its automatic retry or fails
with a clear, retryable error, never half-written; a tick killed mid-batch retries and fires every due
deadline exactly once. On SQLite the CLI and a tick write the same file at once: no "database is locked".
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import select
from typer.testing import CliRunner

import coop.core_cli  # noqa: F401
import states.procedures
from coop.cli import app
from models.db import RetryableDatabaseError, get_engine, normalise_url
from models.tables import AuditRecord, Case, Deadline
from states.engine import Actor, execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.queries import verify_cases
from states.tick import tick
from tests.conftest import dump, empty_tables
from tests.test_open_call_guards import (
    KRS,
    OFFICER,
    announced_call,
    announcement,
    create,
    do,
    file,
    register,
    session,
)

ROOT = Path(__file__).resolve().parents[1]
COOP = Path(sys.executable).with_name("coop")
AUDITOR = Actor("audytor", "auditor")


def backend_pid(ctx) -> int:
    return ctx.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()


def terminate(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


def killed_mid_transaction(handler, url: str, kill_attempts: int):
    """``handler``, but on its first ``kill_attempts`` attempts it does its reads, then its own connection is
    terminated from a second connection (synchronised by an Event) before it writes."""
    attempts = []

    @functools.wraps(handler)  # the authorization matrix knows it as the handler it wraps
    def wrapped(ctx, cmd):
        attempts.append(backend_pid(ctx))
        if len(attempts) <= kill_attempts:
            ready, done = threading.Event(), threading.Event()
            killer = threading.Thread(target=lambda: (ready.wait(10), terminate(url, attempts[-1]), done.set()))
            killer.start()
            ready.set()
            assert done.wait(10)
            killer.join()
        return handler(ctx, cmd)

    wrapped.attempts = attempts
    return wrapped


def test_a_command_whose_connection_is_killed_succeeds_on_its_automatic_retry(postgresql_url):
    empty_tables(postgresql_url)
    code = announced_call(postgresql_url)
    handler = killed_mid_transaction(open_call_handlers.appoint_member, postgresql_url, kill_attempts=1)
    result = execute(handler, open_call_inputs.AppointMember(code=code, name="Jan Kowalski"), actor=OFFICER,
                     at="2026-01-05T09:00+01:00", url=postgresql_url)
    assert result["member"] == "Jan Kowalski"
    assert len(handler.attempts) == 2 and handler.attempts[0] != handler.attempts[1]  # a fresh connection
    with session(postgresql_url) as s:
        events = Counter(r.event for r in s.exec(select(AuditRecord)))
    assert events["appoint_member"] == 1  # written once, not twice
    assert execute(verify_cases, actor=AUDITOR, url=postgresql_url, readonly=True)["broken"] == []


def test_a_pooled_connection_that_died_while_idle_is_replaced_by_the_retry(postgresql_url):
    """A connection the server dropped while it sat in the pool never fails the next command."""
    @functools.wraps(verify_cases)  # a reader's command, as far as the authorization matrix is concerned
    def pid(ctx, _cmd):
        return backend_pid(ctx)

    get_engine(normalise_url(postgresql_url)).dispose()  # the pool then holds one connection: the one killed
    first = execute(pid, {}, actor=AUDITOR, url=postgresql_url, readonly=True)
    terminate(postgresql_url, first)  # while the connection sits idle in the engine's pool
    second = execute(pid, {}, actor=AUDITOR, url=postgresql_url, readonly=True)
    assert second != first
    empty_tables(postgresql_url)  # and a use of the engine outside the commands' retries is not hurt either


def test_a_command_whose_connection_keeps_dying_fails_retryably_with_nothing_written(postgresql_url):
    empty_tables(postgresql_url)
    code = announced_call(postgresql_url)
    before = dump(postgresql_url)
    handler = killed_mid_transaction(open_call_handlers.appoint_member, postgresql_url, kill_attempts=99)
    with pytest.raises(RetryableDatabaseError) as info:
        execute(handler, open_call_inputs.AppointMember(code=code, name="Jan Kowalski"), actor=OFFICER,
                at="2026-01-05T09:00+01:00", url=postgresql_url)
    assert info.value.exit_code == 75 and "nic nie zostało zapisane" in info.value.message()
    assert len(handler.attempts) == 5
    assert dump(postgresql_url) == before


def test_a_tick_whose_connection_is_killed_mid_batch_retries_and_fires_each_deadline_once(postgresql_url, monkeypatch):
    empty_tables(postgresql_url)
    register(postgresql_url)
    codes = []
    for _ in range(6):
        code = create(postgresql_url)
        do(postgresql_url, open_call_handlers.announce_call, announcement(code), "2026-01-02T12:00+01:00")
        file(postgresql_url, code, len(codes) % 6, at="2026-01-12T10:00+01:00")
        codes.append(code)
    real = states.procedures.deadline_handlers
    fired_calls = []

    def handlers():
        table = dict(real())
        close = table["offers_close"]

        def dying(ctx, case, deadline):
            fired_calls.append(case.code)
            if len(fired_calls) == 4:  # the second batch, after one deadline fired in it: kill our connection
                terminate(postgresql_url, backend_pid(ctx))
            return close(ctx, case, deadline)

        table["offers_close"] = dying
        return table

    monkeypatch.setattr(states.procedures, "deadline_handlers", handlers)
    report = tick("2026-01-24T08:00+01:00", url=postgresql_url, batch_size=3)
    assert report.fired == 6 and report.skipped == 0
    assert len(fired_calls) > 6  # the killed batch really ran again
    with session(postgresql_url) as s:
        per_case = Counter(s.exec(select(Case.code).join(AuditRecord, AuditRecord.case_id == Case.id)
                                  .where(AuditRecord.event == "close_offers")))
        unfired = s.exec(select(Deadline).where(Deadline.fired_at.is_(None), Deadline.kind == "offers_close")).all()
    assert per_case == Counter(dict.fromkeys(codes, 1)) and unfired == []
    assert execute(verify_cases, actor=AUDITOR, url=postgresql_url, readonly=True)["broken"] == []


def test_the_cli_with_the_database_down_exits_75_without_a_traceback(tmp_path):
    result = CliRunner().invoke(app, ["list"], env={
        "COOP_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing_here", "COOP_ACTOR": "Anna Urzędniczka"})
    assert result.exit_code == 75, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "Baza danych chwilowo niedostępna" in result.stderr


# --- SQLite: the CLI and a tick writing the same file at once ---------------------------------------------------

TICK = """
import sys
from notifications.bootstrap import bootstrap
bootstrap()  # an entry point: the domain's events reach the outbox
from states.tick import tick
report = tick("2026-01-24T08:00+01:00", url=sys.argv[1], batch_size=2)
print("FIRED", report.fired)
"""


def test_sqlite_cli_and_tick_writing_at_once_never_report_database_is_locked(tmp_path):
    url = f"sqlite:///{tmp_path / 'coop.db'}"
    empty_tables(url)
    register(url, 9)
    codes = []
    for index in range(12):
        code = create(url)
        do(url, open_call_handlers.announce_call, announcement(code), "2026-01-02T12:00+01:00")
        file(url, code, index % 6, at="2026-01-12T10:00+01:00")
        codes.append(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(COOP_DATABASE_URL=url, COOP_ACTOR="Anna Urzędniczka", COOP_NOW="2026-01-24T08:00+01:00",
               PYTHONPATH=str(ROOT))
    ticker = subprocess.Popen([sys.executable, "-c", TICK, url], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    officers = [subprocess.Popen([str(COOP), "org", "add", "--name", f"Fundacja {i}", "--legal-form", "fundacja",
                                  "--address", "Leszno", "--email", f"f{i}@example.org", "--contact", "Prezes",
                                  "--krs", f"00002000{i:02d}"], env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(4)]
    outputs = [(p, *p.communicate(timeout=120)) for p in (ticker, *officers)]
    for process, out, err in outputs:
        assert process.returncode == 0, err[-2000:]
        assert "locked" not in (out + err).lower()
    assert "FIRED 12" in outputs[0][1]
    with session(url) as s:
        per_case = Counter(s.exec(select(Case.code).join(AuditRecord, AuditRecord.case_id == Case.id)
                                  .where(AuditRecord.event == "close_offers")))
        krs = set(s.exec(sa.select(sa.literal_column("krs")).select_from(sa.table("organisations"))).scalars())
    assert per_case == Counter(dict.fromkeys(codes, 1))
    assert {f"00002000{i:02d}" for i in range(4)} <= krs and set(KRS[:9]) <= krs
