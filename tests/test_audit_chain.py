"""The hash-chained history (invariant 8): a clean run verifies; an edited, deleted or reordered record is
found and named, by ``states.queries.verify_cases`` and by ``coop audit verify`` (exit 1)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import select
from typer.testing import CliRunner

import coop.audit_cli  # noqa: F401  (registers `coop audit verify`)
import coop.core_cli  # noqa: F401
from coop.cli import app
from coop.demo import run_open_call
from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case
from states import audit
from states.engine import Actor, execute
from states.procedures.open_call import handlers as open_call_handlers
from states.queries import verify_cases
from tests.conftest import history_unlocked
from tests.test_open_call_guards import announcement, create, do, session

AUDITOR = Actor("audytor", "auditor")
LOG = AuditRecord.__table__


def verify(url: str, code: str | None = None) -> dict:
    return execute(verify_cases, code, actor=AUDITOR, url=url, readonly=True)


def tamper(url: str, statement, **params) -> None:
    """Change the log behind the engine's back, as someone who can get past the database's refusal could (a
    superuser, or the tables' owner; migration 0008): the verifier must find it all the same."""
    with get_engine(normalise_url(url)).begin() as conn, history_unlocked(conn):
        conn.execute(sa.text(statement) if isinstance(statement, str) else statement, params)


def case_id(url: str, code: str) -> int:
    with session(url) as s:
        return s.exec(select(Case.id).where(Case.code == code)).one()


def record_seq(url: str, code: str, event: str, subject: str = "case") -> int:
    with session(url) as s:
        return s.exec(select(AuditRecord.seq).where(AuditRecord.case_id == case_id(url, code),
                                                    AuditRecord.event == event, AuditRecord.subject == subject)).one()


def last_seq(url: str, code: str) -> int:
    with session(url) as s:
        return s.exec(select(sa.func.max(AuditRecord.seq)).where(AuditRecord.case_id == case_id(url, code))).one()


def test_a_clean_run_verifies(db_url):
    code = run_open_call(db_url).code
    result = verify(db_url)
    assert result == {"verified": 1, "broken": []}
    assert last_seq(db_url, code) > 50  # a whole call: every step of the case and its six offers


def test_an_edited_payload_is_found(db_url):
    code = run_open_call(db_url).code
    seq = record_seq(db_url, code, "select_offers")
    with session(db_url) as s:
        payload = s.exec(select(AuditRecord.payload).where(AuditRecord.case_id == case_id(db_url, code),
                                                           AuditRecord.seq == seq)).one()
    number = sorted(payload["grants"])[0]
    payload["grants"][number] = "99999.00"  # a bigger grant than the Mayor decided
    tamper(db_url, sa.update(LOG).where(LOG.c.case_id == case_id(db_url, code), LOG.c.seq == seq)
           .values(payload=payload))
    assert verify(db_url) == {"verified": 0, "broken": [
        {"case": code, "record": seq, "reason": "content does not match its hash: the record was edited"}]}


def test_an_edited_actor_is_found(db_url):
    code = run_open_call(db_url).code
    seq = record_seq(db_url, code, "announce")
    tamper(db_url, "UPDATE audit_log SET actor = :actor WHERE case_id = :case AND seq = :seq",
           actor="Ktoś Inny", case=case_id(db_url, code), seq=seq)
    [broken] = verify(db_url, code)["broken"]
    assert broken["record"] == seq and "edited" in broken["reason"]


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(db_url):
    code = run_open_call(db_url).code
    seq = record_seq(db_url, code, "announce")
    cid = case_id(db_url, code)
    with session(db_url) as s:
        row = s.exec(select(AuditRecord).where(AuditRecord.case_id == cid, AuditRecord.seq == seq)).one()
        forged = {**row.model_dump(), "case_code": code, "basis": "art. 13 ust. 1 (zmienione)"}
    tamper(db_url, sa.update(LOG).where(LOG.c.case_id == cid, LOG.c.seq == seq)
           .values(basis=forged["basis"], hash=audit.chain_hash(forged["prev_hash"], forged)))
    [broken] = verify(db_url, code)["broken"]
    assert broken["record"] == seq + 1 and "prev_hash" in broken["reason"]


def test_a_record_deleted_from_the_middle_is_found(db_url):
    code = run_open_call(db_url).code
    seq = record_seq(db_url, code, "finish_formal_review")
    tamper(db_url, "DELETE FROM audit_log WHERE case_id = :case AND seq = :seq", case=case_id(db_url, code), seq=seq)
    [broken] = verify(db_url, code)["broken"]
    # the first record out of place is the one after the gap; the reason names the missing one
    assert broken["record"] == seq + 1 and f"expected record #{seq}" in broken["reason"]


def test_the_last_record_deleted_is_found(db_url):
    code = run_open_call(db_url).code
    seq = last_seq(db_url, code)
    tamper(db_url, "DELETE FROM audit_log WHERE case_id = :case AND seq = :seq", case=case_id(db_url, code), seq=seq)
    [broken] = verify(db_url, code)["broken"]
    assert broken["record"] == seq  # the deleted record is the one named
    assert broken["reason"] == f"missing: {seq} records expected, {seq - 1} found: records were deleted from the end"


def test_two_swapped_records_are_found(db_url):
    code = run_open_call(db_url).code
    seq = record_seq(db_url, code, "close_offers")
    cid = case_id(db_url, code)
    # three steps: (case_id, seq) is unique
    for old, new in ((seq, -1), (seq + 1, seq), (-1, seq + 1)):
        tamper(db_url, "UPDATE audit_log SET seq = :new WHERE case_id = :case AND seq = :old", new=new, old=old,
               case=cid)
    [broken] = verify(db_url, code)["broken"]
    assert broken["record"] == seq and "reordered" in broken["reason"]


def test_only_the_tampered_case_is_reported(db_url):
    first = run_open_call(db_url, offers=2).code
    second = create(db_url)
    do(db_url, open_call_handlers.announce_call, announcement(second), "2026-01-02T12:00+01:00")
    assert first != second
    tamper(db_url, "UPDATE audit_log SET actor = :actor WHERE case_id = :case AND seq = 2", actor="X",
           case=case_id(db_url, second))
    result = verify(db_url)
    assert result["verified"] == 1 and [(b["case"], b["record"]) for b in result["broken"]] == [(second, 2)]
    assert verify(db_url, first) == {"verified": 1, "broken": []}


def test_coop_audit_verify_exits_1_on_a_broken_chain_and_0_on_a_clean_one(db_url, monkeypatch):
    code = run_open_call(db_url, offers=3).code
    runner = CliRunner()
    env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "audytor", "COOP_ROLE": "auditor", "COOP_LANG": "pl"}
    clean = runner.invoke(app, ["audit", "verify", "--json"], env=env)
    assert clean.exit_code == 0, clean.output
    assert '"broken": []' in clean.stdout
    seq = record_seq(db_url, code, "announce")
    tamper(db_url, "UPDATE audit_log SET event = 'create' WHERE case_id = :case AND seq = :seq",
           case=case_id(db_url, code), seq=seq)
    broken = runner.invoke(app, ["audit", "verify", code], env=env)
    assert broken.exit_code == 1
    assert code in broken.stdout and str(seq) in broken.stdout and "edited" in broken.stdout
    assert "Traceback" not in broken.output


def _plain_reference(value):
    """The canonical form as docs/audit.md states it, written the plain way: what the fast path must equal."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain_reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain_reference(v) for v in value]
    return value


@pytest.mark.fast
def test_the_canonical_form_is_the_same_for_subclasses_and_odd_keys():
    import enum
    from collections import OrderedDict
    from datetime import UTC, date, datetime, timedelta, timezone
    from decimal import Decimal

    from states import audit

    class Colour(enum.StrEnum):
        RED = "red"

    class Count(int):
        pass

    value = {"at": datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2))), "day": date(2026, 2, 28),
             1: Decimal("10.50"), False: None, None: [1, (2, 3), {"x"}], Colour.RED: Colour.RED, "n": Count(7),
             "nested": OrderedDict(b=datetime(2026, 1, 1, tzinfo=UTC), a=[{"k": Decimal("1")}]), 2.5: 1.5}
    assert audit._plain(value) == _plain_reference(value)
    assert audit.canonical_json(value) == audit.canonical_json(_plain_reference(value))
    # stored as it is ready, it reads back as jsonable gives it, and hashes the same before and after
    ready = audit.json_ready(value)
    assert json.loads(json.dumps(ready)) == audit.jsonable(value)
    assert audit.canonical_json(ready) == audit.canonical_json(audit.jsonable(value))


@pytest.mark.fast
def test_a_new_record_hashes_as_it_is_verified():
    """append_audit hashes fields made ready once (chain_hash_of_ready); verify_chain hashes what it reads
    back (chain_hash): the same digest for every kind of value a payload may hold."""
    from datetime import UTC, date, datetime, timedelta, timezone
    from decimal import Decimal

    at = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    fields = {"case_code": "OK/2026/001", "seq": 3, "at": at, "recorded_at": at, "actor": "urzędnik",
              "role": "officer", "event": "score", "subject": "offer:1", "from_state": None, "to_state": None,
              "basis": "art. 15 ust. 2a", "payload": {"points": {"costs": Decimal("7.50")}, "day": date(2026, 2, 1),
                                                     "due_at": datetime(2026, 1, 23, 23, tzinfo=UTC), "list": (1, "a")}}
    ready = audit.json_ready(fields)
    assert audit.chain_hash_of_ready(audit.GENESIS, ready) == audit.chain_hash(audit.GENESIS, fields)
    stored = json.loads(json.dumps(ready))  # as a JSON column gives it back
    assert audit.chain_hash(audit.GENESIS, {**stored, "at": at, "recorded_at": at}) == \
        audit.chain_hash_of_ready(audit.GENESIS, ready)
    assert audit.chain_hash_of_ready(audit.GENESIS, {**ready, "seq": 4}) != audit.chain_hash(audit.GENESIS, fields)
