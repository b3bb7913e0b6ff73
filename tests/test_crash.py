"""A process killed with SIGKILL in the middle of its work, then started again: nothing lost, nothing doubled.

- The tick: a child process fires a few hundred due deadlines in batches; one handler blocks in the middle of
  a batch (after earlier batches committed) and the test kills the child there. A new process finishes the
  tick. Every deadline fired exactly once, every audit chain verifies, every transition has its outbox rows
  and every outbox row its transition.
- The dispatcher: a child process sends e-mail to a real SMTP server (aiosmtpd) and is killed right after
  the server accepted a message but before the row was marked sent. Nothing is marked sent that the server
  did not receive; once the lease (real seconds) has expired a new dispatcher sends the in-flight message
  again with the same Message-ID, and everything else exactly once.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from coop.demo import OFFICER
from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from models.tables import AuditRecord, Case, Deadline
from states.clock import resolve_now
from states.engine import Actor, execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.queries import verify_cases
from tests.notification_helpers import OFFICERS, SmtpServer, configure, free_port

ROOT = Path(__file__).resolve().parent.parent
LEASE = 10  # seconds: the dispatcher's lease in the kill test
CALLS = 200  # due deadlines, one per call
BATCH = 20
BLOCK_AT = 3 * BATCH + 10  # the 10th deadline of the 4th batch: three batches committed, one half done
TICK_AT = "2026-01-24T08:05+01:00"

# The child blocks (on purpose, forever) at a chosen point and writes a marker file so the test knows it is
# there; without a block it just finishes. The test then SIGKILLs it: no cleanup, no rollback by the client.
TICK_CHILD = """
import sys, time
from pathlib import Path
from notifications.bootstrap import bootstrap
bootstrap()  # an entry point: the domain's events reach the outbox
from states.procedures import deadline_handlers
from states.tick import tick

url, at, batch, block_at, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])
handlers = deadline_handlers()
original = handlers["offers_close"]
calls = 0

def blocking(ctx, case, deadline):
    global calls
    calls += 1
    original(ctx, case, deadline)
    if calls == block_at:
        marker.write_text(case.code)
        time.sleep(3600)

handlers["offers_close"] = blocking
report = tick(at, url=url, batch_size=batch)
print(report.fired, report.skipped, report.batches)
"""

DISPATCH_CHILD = """
import sys, time
from pathlib import Path
from notifications import dispatcher

url, at, batch, block_at, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])
if sys.argv[6:] == ["--on-go"]:  # started ahead (imports done), it dispatches when the test says go
    print("ready", flush=True)
    sys.stdin.readline()
original = dispatcher.SmtpChannel.send
sent = 0

def send(self, msg, deadline=None):
    global sent
    original(self, msg, deadline)  # the server has accepted the message when this returns
    sent += 1
    if sent == block_at:
        marker.write_text(msg["Message-ID"])
        time.sleep(3600)

dispatcher.SmtpChannel.send = send
report = dispatcher.dispatch(at, url=url, batch_size=batch)
print(report.sent, report.claimed, len(report.failed))
"""


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_child_left():
    yield
    while STARTED:  # a failed assertion between start and kill must not leave a blocked child behind
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


def child(script: str, *args: object) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    STARTED.append(subprocess.Popen([sys.executable, "-c", script, *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return STARTED[-1]


def wait_for(marker: Path, process: subprocess.Popen) -> None:
    for _ in range(1200):  # up to two minutes on a loaded machine; the usual wait is a second or two
        if marker.exists():
            return
        if process.poll() is not None:
            raise AssertionError(f"the child ended before blocking: {process.communicate()}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the child never reached the point where it blocks")


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


def finish(script: str, *args: object) -> str:
    process = child(script, *args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out


def ready(script: str, *args: object) -> subprocess.Popen:
    """A child started ahead with ``--on-go``: its imports done, it waits for ``go`` before doing its work (so a
    real-time window measures the work, not a Python process starting on a loaded machine)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    STARTED.append(subprocess.Popen([sys.executable, "-c", script, *map(str, args), "--on-go"], cwd=ROOT, env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    line = STARTED[-1].stdout.readline()
    assert line == "ready\n", (line, STARTED[-1].communicate())
    return STARTED[-1]


def go(process: subprocess.Popen) -> str:
    """What the child printed after ``go``, once it has finished."""
    out, err = process.communicate("go\n", timeout=300)
    assert process.returncode == 0, err
    return out


def session(url: str) -> Session:
    # Read-only: on SQLite a plain BEGIN, so reading never waits for the blocked child's write lock.
    return Session(get_engine(normalise_url(url)).execution_options(coop_readonly=True))


def announced_calls(url: str, count: int) -> list[str]:
    """``count`` announced calls, none with an offer: each has one ``offers_close`` deadline on 23 January."""
    codes = []
    for n in range(count):
        code = execute(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title=f"Konkurs {n + 1}/2026", task_area="kultura",
                                                        budget=Decimal("10000.00")),
                       actor=OFFICER, at="2026-01-02T08:30+01:00", url=url)["code"]
        execute(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
            code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
            execution_end="2026-11-30", published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00",
                                                   "website": "2026-01-02T11:00+01:00"}),
            actor=OFFICER, at="2026-01-02T12:00+01:00", url=url)
        codes.append(code)
    return codes


def fired_count(url: str) -> int:
    with session(url) as s:
        return s.exec(select(sa.func.count()).select_from(Deadline).where(Deadline.fired_at.is_not(None))).one()


def verified(url: str) -> dict:
    return execute(verify_cases, actor=Actor("Kontrola", "auditor"), url=url, readonly=True)


def outbox_matches_transitions(url: str, event: str) -> None:
    """Every outbox row points at an audit record that exists; every ``event`` record has the same messages."""
    with session(url) as s:
        records = {(r.case_id, r.seq): r for r in s.exec(select(AuditRecord))}
        rows = list(s.exec(select(Notification)))
        cases = {case.id: case for case in s.exec(select(Case))}
    assert rows
    orphans = [(n.key, n.case_id, n.audit_seq) for n in rows if (n.case_id, n.audit_seq) not in records]
    assert orphans == []
    by_record = Counter()
    for n in rows:
        by_record[(n.case_id, n.audit_seq)] += 1
    # Each case went through the same steps, so each transition must have produced the same outbox rows.
    per_event = {}
    for (case_id, seq), record in records.items():
        if record.event == event:
            signature = sorted((n.template, n.audience, n.channel, n.recipient) for n in rows
                               if n.case_id == case_id and n.audit_seq == seq)
            per_event[cases[case_id].code] = tuple(signature)
    assert len(per_event) == len(cases)
    signatures = Counter(per_event.values())
    assert len(signatures) == 1, signatures
    assert next(iter(signatures))  # not empty: the step has someone to tell
    assert len({n.key for n in rows}) == len(rows)


def test_a_tick_killed_mid_batch_and_restarted_fires_everything_once(db_url, monkeypatch, tmp_path):
    configure(monkeypatch, free_port(), db_url)  # the officers' address: each closed call tells them
    codes = announced_calls(db_url, CALLS)
    with session(db_url) as s:
        assert s.exec(select(sa.func.count()).select_from(Deadline).where(Deadline.kind == "offers_close")).one() == CALLS
    marker = tmp_path / "blocked"
    process = child(TICK_CHILD, db_url, TICK_AT, BATCH, BLOCK_AT, marker)
    wait_for(marker, process)
    # Blocked inside the 4th batch: the three before it committed, its own work is not visible.
    assert fired_count(db_url) == 3 * BATCH
    kill(process)
    assert fired_count(db_url) == 3 * BATCH  # the killed batch left nothing behind

    fired, skipped, _ = map(int, finish(TICK_CHILD, db_url, TICK_AT, BATCH, 0, marker).split())
    assert (fired, skipped) == (CALLS - 3 * BATCH, 0)

    with session(db_url) as s:
        deadlines = list(s.exec(select(Deadline)))
        closes = Counter(s.exec(select(Case.code).join(AuditRecord, AuditRecord.case_id == Case.id)
                                .where(AuditRecord.event == "close_offers")).all())
        states = Counter(s.exec(select(Case.state)).all())
    assert all(d.fired_at is not None for d in deadlines if d.kind == "offers_close")
    assert Counter(d.outcome for d in deadlines if d.kind == "offers_close") == {"fired": CALLS}
    assert closes == dict.fromkeys(codes, 1)  # every call closed exactly once
    assert sum(states.values()) == CALLS and len(states) == 1
    assert verified(db_url) == {"verified": CALLS, "broken": []}
    outbox_matches_transitions(db_url, "close_offers")
    assert marker.read_text() in codes  # the kill landed on one of these calls, which closed once all the same


def test_a_dispatcher_killed_mid_send_marks_nothing_unsent_and_resends_with_the_same_message_id(
        db_url, monkeypatch, tmp_path):
    server = SmtpServer(free_port()).start()
    try:
        # The lease runs on the real clock (the database's on PostgreSQL), whatever the dispatch's `now`: long
        # enough for the second child (started ahead) to do its work inside it on a loaded machine, short enough
        # to wait out.
        configure(monkeypatch, server.port, db_url, lease_seconds=str(LEASE))
        announced_calls(db_url, 12)
        from states.tick import tick

        tick(TICK_AT, url=db_url)  # 12 calls closed without offers: a message to the officers for each
        rows = outbox_rows(db_url)
        pending = [n for n in rows if n.status == "pending" and n.recipient == OFFICERS]
        assert len(pending) >= 12
        now = resolve_now("2026-01-24T09:00+01:00")
        marker = tmp_path / "blocked"
        second = ready(DISPATCH_CHILD, db_url, now.isoformat(), 5, 0, marker)
        process = child(DISPATCH_CHILD, db_url, now.isoformat(), 5, 7, marker)  # 7th: mid-way in the 2nd batch
        wait_for(marker, process)
        in_flight = marker.read_text()
        kill(process)

        received = Counter(server.inbox.message_ids())
        assert received[in_flight] == 1 and sum(received.values()) == 7
        after_crash = outbox_rows(db_url)
        sent = {n.message_id for n in after_crash if n.status == "sent"}
        assert len(sent) == 6 and sent <= set(received)  # nothing marked sent that the server did not get
        stuck = {n.message_id for n in after_crash if n.status == "pending" and n.claimed_by}
        assert in_flight in stuck and len(stuck) == 4  # the rest of the killed batch stays leased

        # Before the lease expires nobody takes the leased rows; after it, a new dispatcher does.
        lease_ends = max(n.claimed_until for n in after_crash if n.message_id in stuck)
        out = go(second)
        assert datetime.now(UTC) < lease_ends, "the machine was too slow: the second child outlived the lease"
        assert Counter(server.inbox.message_ids())[in_flight] == 1 and int(out.split()[1]) == len(pending) - 10
        third = ready(DISPATCH_CHILD, db_url, now.isoformat(), 5, 0, marker)
        time.sleep(max(0.0, (lease_ends - datetime.now(UTC)).total_seconds()) + 0.5)
        go(third)

        final = outbox_rows(db_url)
        assert all(n.status == "sent" for n in final if n.recipient == OFFICERS)
        received = Counter(server.inbox.message_ids())
        assert set(received) == {n.message_id for n in final if n.status == "sent"}
        assert {mid: count for mid, count in received.items() if count > 1} == {in_flight: 2}
        copies = [m for m in server.inbox.to(OFFICERS) if m["Message-ID"] == in_flight]
        assert len(copies) == 2 and copies[0]["X-Coop-Key"] == copies[1]["X-Coop-Key"]
    finally:
        server.stop()


def outbox_rows(url: str) -> list[Notification]:
    with session(url) as s:
        return list(s.exec(select(Notification).order_by(Notification.id)))
