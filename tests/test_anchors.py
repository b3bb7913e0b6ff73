"""Daily anchors (states/anchors.py): the tick signs every case's chain head once a day with a key the database
never holds; a rewrite that recomputed the chain and the case's head is caught against the anchors published
before it, by `coop audit verify --anchors` and by tools/verify_chain.py --anchors; a forged anchor is caught
too, and only a pinned public key counts."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from coop import audit_cli  # noqa: F401  (registers the auditor's commands)
from coop.cli import app
from coop.demo import run_open_call
from models.anchor_tables import AuditAnchor
from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case
from states import anchors, audit
from states.auditing.history import export_history
from states.engine import SCHEDULER, Actor, execute
from tests.cli_runner import CliRunner
from tests.conftest import history_unlocked

AUDITOR = Actor("Rewident RIO", "auditor")
TOOL = Path(__file__).resolve().parents[1] / "tools" / "verify_chain.py"
DAY = "2026-12-06T10:00+01:00"


@pytest.fixture
def key(tmp_path) -> dict[str, str]:
    return anchors.init_key(tmp_path / "keys" / "anchor-key.pem")


def _anchor_rows(url: str) -> list:
    with get_engine(normalise_url(url)).connect() as conn:
        return conn.execute(sa.select(AuditAnchor.__table__).order_by(AuditAnchor.__table__.c.day)).all()


def _cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env={"COOP_LANG": "en", **(env or {})})


# --- the key -----------------------------------------------------------------------------------------------------


def test_the_key_is_made_once_0600_and_never_shown(tmp_path):
    path = tmp_path / "secret" / "anchor-key.pem"
    result = _cli("audit", "anchor-key", "init", "--key-file", str(path), "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["key_file"] == str(path) and len(shown["fingerprint"]) == 64
    private = path.read_text()
    assert "PRIVATE KEY" in private and "PRIVATE" not in result.output
    assert private.splitlines()[1] not in result.output  # not a line of the key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "PUBLIC KEY" in Path(shown["public_key_file"]).read_text()

    again = _cli("audit", "anchor-key", "init", "--key-file", str(path))
    assert again.exit_code == 2 and "is never replaced" in again.output
    assert path.read_text() == private


def test_a_key_others_may_read_is_refused(tmp_path, key, db_url):
    os.chmod(key["key_file"], 0o640)
    outcome = _anchor(db_url, key, tmp_path / "a")
    assert outcome["status"] == "failed" and "chmod 600" in outcome["message"]
    assert _anchor_rows(db_url) == []


# --- the day's anchor -----------------------------------------------------------------------------------------------


def _anchor(url: str, key: dict, directory: Path, at: str = DAY) -> dict:
    from states.clock import claimed_moment

    return anchors.daily_anchor(claimed_moment(at), url=url, key_file=Path(key["key_file"]), directory=directory)


def test_the_day_is_anchored_once_and_its_file_is_the_signed_row(db_url, key, tmp_path):
    code = run_open_call(db_url).code
    folder = tmp_path / "anchors"
    first = _anchor(db_url, key, folder)
    document = json.loads((folder / "2026-12-06.json").read_text(encoding="utf-8"))
    assert first == {"status": "made", "date": "2026-12-06", "file": str(folder / "2026-12-06.json"),
                     "digest": document["digest"]}  # the tick logs it: one more copy outside the database
    with get_engine(normalise_url(db_url)).connect() as conn:
        head = conn.execute(sa.select(Case.audit_seq, Case.audit_head).where(Case.code == code)).one()
    assert document["cases"] == [{"id": document["cases"][0]["id"], "code": code, "seq": head.audit_seq,
                                  "head": head.audit_head}]
    assert document["fingerprint"] == key["fingerprint"] and document["count"] == 1
    assert document["moment"] == "2026-12-06T09:00:00Z"

    # a second tick the same day (later, on this worker): the file is there, nothing else is read
    assert _anchor(db_url, key, folder, "2026-12-06T23:59+01:00")["status"] == "published"
    # another worker's folder (or the file lost): written again from the row, byte for byte, not signed again
    other = tmp_path / "other"
    assert _anchor(db_url, key, other, "2026-12-06T12:00+01:00") == {
        "status": "published", "date": "2026-12-06", "file": str(other / "2026-12-06.json")}
    assert (other / "2026-12-06.json").read_bytes() == (folder / "2026-12-06.json").read_bytes()
    [row] = _anchor_rows(db_url)
    assert row.document == (folder / "2026-12-06.json").read_text(encoding="utf-8")
    # the next day (Warsaw's date: 00:30 on 7 December is still 6 December in UTC) gets its own
    assert _anchor(db_url, key, folder, "2026-12-07T00:30+01:00")["date"] == "2026-12-07"
    assert [str(r.day) for r in _anchor_rows(db_url)] == ["2026-12-06", "2026-12-07"]


def test_concurrent_ticks_make_one_anchor(db_url, key, tmp_path):
    run_open_call(db_url)
    from states.clock import claimed_moment

    private = anchors.load_key(Path(key["key_file"]))
    results, errors = [], []
    barrier = threading.Barrier(4)

    def one() -> None:
        try:
            barrier.wait()
            results.append(execute(anchors.make_anchor, private, actor=SCHEDULER, at=claimed_moment(DAY), url=db_url,
                                   retry_conflicts=True, reason="", keyed=False))
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.made for r in results) == 1
    assert len({r.document for r in results}) == 1
    assert len(_anchor_rows(db_url)) == 1


def test_no_key_no_anchor_and_the_tick_says_so(db_url, tmp_path):
    outcome = anchors.daily_anchor(None, url=db_url, key_file=tmp_path / "none.pem", directory=tmp_path / "a")
    assert outcome["status"] == "no_key" and "coop audit anchor-key init" in outcome["message"]
    assert _anchor_rows(db_url) == []


def test_the_anchor_reads_every_head_in_one_query(db_url, key, tmp_path):
    """1,000 cases: one query reads their heads (no ORM load per case)."""
    engine = get_engine(normalise_url(db_url))
    with engine.begin() as conn:
        conn.execute(sa.insert(Case.__table__), [
            {"code": f"OK/2026/{n:04d}", "kind": "open_call", "title": "t", "task_area": "", "budget": Decimal("0"),
             "state": "announced", "mode": "support", "receipt_rule": "received", "settings": {}, "data": {},
             "audit_seq": 1, "audit_head": f"{n:064x}", "row_version": 1, "created_at": datetime(2026, 1, 2, tzinfo=UTC)}
            for n in range(1, 1001)])
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        outcome = _anchor(db_url, key, tmp_path / "a")
        seconds = time.perf_counter() - started
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert outcome["status"] == "made"
    assert len([s for s in statements if "FROM cases" in s]) == 1, statements
    assert json.loads((tmp_path / "a" / "2026-12-06.json").read_text())["count"] == 1000
    assert seconds < 5, seconds  # measured ~0.05 s (docs/trust-model.md); generous for a loaded machine


# --- the rewrite-and-recompute attack ----------------------------------------------------------------------------


def rewrite_and_recompute(url: str, code: str, seq: int) -> None:
    """What docs/trust-model.md says a database writer can do: edit a record, recompute every later hash and the
    case's head, so that the chain verifies again. Done as a superuser, past the insert-only triggers."""
    engine = get_engine(normalise_url(url))
    log, cases = AuditRecord.__table__, Case.__table__
    with engine.begin() as conn, history_unlocked(conn):
        case_id = conn.execute(sa.select(cases.c.id).where(cases.c.code == code)).scalar_one()
        records = [dict(r._mapping) for r in conn.execute(sa.select(log).where(log.c.case_id == case_id)
                                                          .order_by(log.c.seq))]
        prev = records[seq - 2]["hash"]
        records[seq - 1]["actor"] = "Fałszerz"
        for record in records[seq - 1:]:
            digest = audit.chain_hash(prev, {**record, "case_code": code})
            conn.execute(sa.update(log).where(log.c.id == record["id"])
                         .values(actor=record["actor"], prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(sa.update(cases).where(cases.c.id == case_id).values(audit_head=prev))


def _tool(export: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", str(TOOL), str(export), *extra], capture_output=True, text=True,
                          cwd=export.parent, check=False)


def test_a_rewrite_after_an_anchor_is_found_naming_the_case_and_the_anchor(db_url, key, tmp_path, monkeypatch):
    code = run_open_call(db_url).code
    folder = tmp_path / "anchors"
    assert _anchor(db_url, key, folder, "2026-12-05T10:00+01:00")["status"] == "made"
    assert _anchor(db_url, key, folder)["status"] == "made"
    rewrite_and_recompute(db_url, code, 12)
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)

    plain = _cli("audit", "verify", "--json")
    assert plain.exit_code == 0, plain.output  # the chain alone verifies: that is the attack
    anchored = _cli("audit", "verify", "--anchors", str(folder), "--public-key", key["public_key_file"], "--json")
    assert anchored.exit_code == 1, anchored.output
    result = json.loads(anchored.stdout)
    assert result["broken"] == [{
        "case": code, "record": result["broken"][0]["record"], "anchor": "2026-12-05",
        "reason": f"record #{result['broken'][0]['record']} does not match the head anchored on 2026-12-05: the "
                  "history was rewritten after it was anchored"}]
    assert result["anchors"] == {"verified": 2, "first": "2026-12-05", "last": "2026-12-06", "missing_days": []}
    by_fingerprint = _cli("audit", "verify", code, "--anchors", str(folder), "--fingerprint", key["fingerprint"])
    assert by_fingerprint.exit_code == 1 and "2026-12-05" in by_fingerprint.output

    # outside the engine: the export verifies alone, not against the anchors
    export = tmp_path / "export.json"
    export.write_text(json.dumps(execute(export_history, code, actor=AUDITOR, url=db_url, readonly=True)), "utf-8")
    assert _tool(export).returncode == 0
    outside = _tool(export, "--anchors", str(folder), "--public-key", key["public_key_file"])
    assert outside.returncode == 1, outside.stdout + outside.stderr
    assert f"BROKEN {code}: record #" in outside.stdout and "anchored on 2026-12-05" in outside.stdout
    assert "anchors: 2 verified, 2026-12-05 to 2026-12-06" in outside.stdout


def test_an_untouched_history_verifies_against_its_anchors(db_url, key, tmp_path, monkeypatch):
    code = run_open_call(db_url).code
    folder = tmp_path / "anchors"
    for day in ("03", "04", "06"):
        _anchor(db_url, key, folder, f"2026-12-{day}T10:00+01:00")
    (folder / "2026-12-04.json").unlink()  # a file taken away: said, not a break
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)
    result = _cli("audit", "verify", "--anchors", str(folder), "--public-key", key["public_key_file"], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["broken"] == []
    assert json.loads(result.stdout)["anchors"]["missing_days"] == ["2026-12-04", "2026-12-05"]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(execute(export_history, code, actor=AUDITOR, url=db_url, readonly=True)), "utf-8")
    outside = _tool(export, "--anchors", str(folder), "--fingerprint", key["fingerprint"])
    assert outside.returncode == 0 and f"OK     {code}" in outside.stdout
    assert "anchors: none for 2026-12-04, 2026-12-05" in outside.stdout


def _forge(path: Path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


def test_a_forged_anchor_is_found_and_only_a_pinned_key_counts(db_url, key, tmp_path, monkeypatch):
    code = run_open_call(db_url).code
    folder = tmp_path / "anchors"
    _anchor(db_url, key, folder)
    # The forger rewrites the history, then makes the anchor match it: altered in place, ...
    rewrite_and_recompute(db_url, code, 12)
    with get_engine(normalise_url(db_url)).connect() as conn:
        forged_head = conn.execute(sa.select(Case.audit_head).where(Case.code == code)).scalar_one()
    altered = folder / "2026-12-06.json"

    def new_head(document: dict) -> None:
        document["cases"][0]["head"] = forged_head
        document["digest"] = __import__("hashlib").sha256(anchors.canonical(document["cases"])).hexdigest()

    _forge(altered, new_head)
    # ... or signed again with a key of the forger's own (it carries that key and its fingerprint)
    theirs = anchors.load_key(Path(anchors.init_key(tmp_path / "forger" / "k.pem")["key_file"]))
    _anchor(db_url, {"key_file": str(tmp_path / "forger" / "k.pem")}, tmp_path / "forger-dir", "2026-12-07T10:00+01:00")
    (folder / "2026-12-07.json").write_bytes((tmp_path / "forger-dir" / "2026-12-07.json").read_bytes())
    assert theirs is not None
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)

    result = _cli("audit", "verify", "--anchors", str(folder), "--public-key", key["public_key_file"], "--json")
    assert result.exit_code == 1
    shown = json.loads(result.stdout)
    assert shown["bad_anchors"] == [
        {"file": "2026-12-06.json", "reason": "the signature does not verify: the anchor was forged or altered"},
        {"file": "2026-12-07.json", "reason": f"signed by a key that is not pinned (fingerprint "
                                              f"{json.loads((folder / '2026-12-07.json').read_text())['fingerprint']})"}]
    assert shown["anchors"]["verified"] == 0

    export = tmp_path / "export.json"
    export.write_text(json.dumps(execute(export_history, code, actor=AUDITOR, url=db_url, readonly=True)), "utf-8")
    outside = _tool(export, "--anchors", str(folder), "--public-key", key["public_key_file"])
    assert outside.returncode == 1
    assert "FORGED anchor 2026-12-06.json: the signature does not verify" in outside.stdout
    assert "FORGED anchor 2026-12-07.json: signed by a key that is not pinned" in outside.stdout


def test_anchors_need_a_pinned_key(db_url, key, tmp_path, monkeypatch):
    run_open_call(db_url)
    folder = tmp_path / "anchors"
    _anchor(db_url, key, folder)
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)
    result = _cli("audit", "verify", "--anchors", str(folder))
    assert result.exit_code == 2 and "--public-key" in result.output and "Traceback" not in result.output
    export = tmp_path / "e.json"
    export.write_text('{"chains": []}', "utf-8")
    outside = _tool(export, "--anchors", str(folder))
    assert outside.returncode == 2 and "--public-key FILE or --fingerprint HEX" in outside.stderr


# --- the tick -----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_api")
def test_the_tick_anchors_once_a_day(db_url, key, tmp_path, monkeypatch):
    from flows.tick import tick_flow
    from tests.prefect_fixtures import prefect_api  # noqa: F401

    run_open_call(db_url)
    monkeypatch.setenv("COOP_ANCHOR_KEY", key["key_file"])
    monkeypatch.setenv("COOP_ANCHOR_DIR", str(tmp_path / "published"))
    first = asyncio.run(tick_flow(at="2026-12-06T08:00+01:00", database_url=db_url))
    second = asyncio.run(tick_flow(at="2026-12-06T08:01+01:00", database_url=db_url))
    assert first["anchor"]["status"] == "made" and second["anchor"]["status"] == "published"
    assert sorted(p.name for p in (tmp_path / "published").iterdir()) == ["2026-12-06.json"]
    assert len(_anchor_rows(db_url)) == 1


# --- the public-notice channel -------------------------------------------------------------------------------------


def test_the_anchor_goes_to_the_public_portal_once(db_url, key, tmp_path, monkeypatch):
    """With the city's portal configured, the day's anchor is a public notice (an outbox row of no case, in the
    anchor's transaction); the portal gets the whole signed anchor, which verifies like the file."""
    from models.notification_tables import Notification
    from notifications.dispatcher import dispatch
    from notifications.render import render
    from tests.notification_helpers import WebhookReceiver

    code = run_open_call(db_url).code
    table = Notification.__table__
    with get_engine(normalise_url(db_url)).begin() as conn:  # the call's own messages are not this test's
        conn.execute(sa.update(table).values(status="cancelled"))
    hook = WebhookReceiver().start()
    monkeypatch.setenv("COOP_WEBHOOK_URL", hook.url)
    try:
        assert _anchor(db_url, key, tmp_path / "a")["status"] == "made"
        assert _anchor(db_url, key, tmp_path / "b")["status"] == "published"  # from the row: no second notice
        with get_engine(normalise_url(db_url)).connect() as conn:
            [row] = conn.execute(sa.select(table).where(table.c.template == "audit_anchor_notice")).all()
        assert (row.case_id, row.channel, row.recipient, row.status, row.key) == (
            None, "webhook", "public-portal", "pending", "anchor/2026-12-06")
        report = dispatch("2026-12-06T10:05+01:00", url=db_url)
    finally:
        hook.stop()
    assert report.failed == [] and report.sent == 1
    [(headers, body)] = hook.posts
    assert body["case"] is None and body["template"] == "audit_anchor_notice"
    assert body["subject"] == "Dzienna kotwica historii spraw: 6 grudnia 2026 r."
    published = json.loads((tmp_path / "a" / "2026-12-06.json").read_text(encoding="utf-8"))
    assert body["data"]["anchor"] == published and published["digest"] in body["text"]
    copy = tmp_path / "portal" / "2026-12-06.json"
    copy.parent.mkdir()
    copy.write_text(json.dumps(body["data"]["anchor"]), encoding="utf-8")
    document, problem = anchors.read_anchor(copy, anchors.Pin.of([Path(key["public_key_file"])], []))
    assert problem is None and document["cases"][0]["code"] == code
    english = render("audit_anchor_notice", row.data, "en")
    assert english.subject == "Daily anchor of the case histories: 6 December 2026" and "(cases: 1)" in english.text


def test_without_a_portal_no_notice(db_url, key, tmp_path, monkeypatch):
    from models.notification_tables import Notification

    monkeypatch.delenv("COOP_WEBHOOK_URL", raising=False)
    run_open_call(db_url)
    _anchor(db_url, key, tmp_path / "a")
    with get_engine(normalise_url(db_url)).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Notification.__table__)
                            .where(Notification.__table__.c.case_id.is_(None))).scalar_one() == 0


# --- RFC 3161 timestamps (optional) --------------------------------------------------------------------------------

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
serial = {folder}/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@pytest.fixture
def tsa(tmp_path):
    """A timestamping authority on 127.0.0.1: OpenSSL's `ts -reply` behind a plain HTTP server, with a self-signed
    certificate for timeStamping."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    folder = tmp_path / "tsa"
    folder.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(folder / "tsa.key"),
                    "-out", str(folder / "tsa.pem"), "-days", "2", "-subj", "/CN=coop test TSA",
                    "-addext", "extendedKeyUsage=critical,timeStamping"], check=True, capture_output=True)
    (folder / "serial").write_text("01\n")
    (folder / "ts.cnf").write_text(TSA_CONFIG.format(folder=folder))
    asked: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            query = self.rfile.read(int(self.headers["Content-Length"]))
            asked.append(query)
            (folder / "q.tsq").write_bytes(query)
            subprocess.run(["openssl", "ts", "-reply", "-config", str(folder / "ts.cnf"), "-queryfile",
                            str(folder / "q.tsq"), "-signer", str(folder / "tsa.pem"), "-inkey", str(folder / "tsa.key"),
                            "-out", str(folder / "r.tsr")], check=True, capture_output=True)
            body = (folder / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", folder / "tsa.pem", asked
    finally:
        server.shutdown()
        server.server_close()


def test_the_anchor_is_timestamped_by_the_authority_once(db_url, key, tmp_path, tsa, monkeypatch):
    url, certificate, asked = tsa
    run_open_call(db_url)
    folder = tmp_path / "anchors"
    monkeypatch.setenv("COOP_TSA_URL", url)
    made = _anchor(db_url, key, folder)
    assert made["status"] == "made" and made["timestamp"] == str(folder / "2026-12-06.tsr")
    assert _anchor(db_url, key, folder) == {"status": "published", "date": "2026-12-06"}  # asked once
    assert len(asked) == 1
    verified = subprocess.run(["openssl", "ts", "-verify", "-data", str(folder / "2026-12-06.json"), "-in",
                               str(folder / "2026-12-06.tsr"), "-CAfile", str(certificate)],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0 and "Verification: OK" in verified.stdout, verified.stdout + verified.stderr
    forged = tmp_path / "forged.json"
    forged.write_bytes((folder / "2026-12-06.json").read_bytes().replace(b'"count": 1', b'"count": 2'))
    refused = subprocess.run(["openssl", "ts", "-verify", "-data", str(forged), "-in", str(folder / "2026-12-06.tsr"),
                              "-CAfile", str(certificate)], capture_output=True, text=True, check=False)
    assert refused.returncode != 0


def test_an_authority_out_of_reach_leaves_the_anchor_and_is_asked_again(db_url, key, tmp_path, tsa, monkeypatch):
    from tests.notification_helpers import free_port

    url, _, asked = tsa
    run_open_call(db_url)
    folder = tmp_path / "anchors"
    monkeypatch.setenv("COOP_TSA_URL", f"http://127.0.0.1:{free_port()}/tsa")
    down = _anchor(db_url, key, folder)
    assert (down["status"], down["timestamp"]) == ("made", "failed")
    assert down["message"] == "Brak znacznika czasu dziennej kotwicy: timestamping authority: ConnectError"
    assert (folder / "2026-12-06.json").exists() and not (folder / "2026-12-06.tsr").exists()
    monkeypatch.setenv("COOP_TSA_URL", url)
    assert _anchor(db_url, key, folder)["timestamp"] == str(folder / "2026-12-06.tsr")  # the next tick
    assert len(asked) == 1


# --- the people chain's head ---------------------------------------------------------------------------------------


def rewrite_people_and_recompute(url: str, seq: int) -> None:
    """The same attack on the people chain: a grant's record edited (to whom it was given), every later hash and
    the chain's head in engine_settings recomputed, so that the people chain verifies again."""
    from models.people_tables import PeopleRecord
    from models.settings import EngineSetting
    from states.people import HEAD_KEY, PEOPLE_CHAIN

    log, settings = PeopleRecord.__table__, EngineSetting.__table__
    with get_engine(normalise_url(url)).begin() as conn, history_unlocked(conn):
        records = [dict(r._mapping) for r in conn.execute(sa.select(log).order_by(log.c.seq))]
        prev = records[seq - 2]["hash"]
        records[seq - 1]["actor"] = "Fałszerz"
        for record in records[seq - 1:]:
            digest = audit.chain_hash(prev, {**record, "case_code": PEOPLE_CHAIN})
            conn.execute(sa.update(log).where(log.c.id == record["id"])
                         .values(actor=record["actor"], prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(sa.update(settings).where(settings.c.key == HEAD_KEY).values(value=f"{len(records)}:{prev}"))


def _people_head(url: str) -> dict:
    with get_engine(normalise_url(url)).connect() as conn:
        from models.settings import EngineSetting
        from states.people import HEAD_KEY

        value = conn.execute(sa.select(EngineSetting.value).where(EngineSetting.key == HEAD_KEY)).scalar_one()
    return {"seq": int(value.split(":")[0]), "head": value.split(":")[1]}


def test_a_rewrite_of_the_people_chain_after_an_anchor_is_found_by_both_verifiers(db_url, key, tmp_path,
                                                                                    monkeypatch):
    from states.people import export_people_chain
    from tests.people_fixtures import person

    person(db_url, "anna", "Anna Urzędniczka", "officer")
    folder = tmp_path / "anchors"
    assert _anchor(db_url, key, folder, "2026-12-05T10:00+01:00")["status"] == "made"
    anchored = json.loads((folder / "2026-12-05.json").read_text(encoding="utf-8"))
    assert anchored["format"] == "coop-anchor/2" and anchored["people"] == _people_head(db_url)
    person(db_url, "ewa", "Ewa Nowak", "auditor")
    _anchor(db_url, key, folder)
    assert json.loads((folder / "2026-12-06.json").read_text(encoding="utf-8"))["people"] == _people_head(db_url)
    rewrite_people_and_recompute(db_url, 3)  # a record anchored on 5 December
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)

    plain = _cli("audit", "verify", "--json")
    assert plain.exit_code == 0, plain.output  # the people chain alone verifies: that is the attack
    checked = _cli("audit", "verify", "--anchors", str(folder), "--public-key", key["public_key_file"], "--json")
    assert checked.exit_code == 1, checked.output
    seq = anchored["people"]["seq"]
    assert json.loads(checked.stdout)["broken"] == [{
        "case": "people", "record": seq, "anchor": "2026-12-05",
        "reason": f"record #{seq} does not match the head anchored on 2026-12-05: the history was rewritten after "
                  "it was anchored"}]

    # outside the engine: the people chain's export verifies alone, not against the anchors
    export = tmp_path / "people.json"
    exported = _cli("audit", "export-people", "--output", str(export))
    assert exported.exit_code == 0, exported.output
    assert json.loads(export.read_text("utf-8")) | {"exported_at": None} == json.loads(json.dumps(execute(
        export_people_chain, actor=AUDITOR, url=db_url, readonly=True), default=str)) | {"exported_at": None}
    assert _tool(export).returncode == 0
    outside = _tool(export, "--anchors", str(folder), "--public-key", key["public_key_file"])
    assert outside.returncode == 1, outside.stdout + outside.stderr
    assert f"BROKEN people: record #{seq}: does not match the head anchored on 2026-12-05" in outside.stdout


def test_an_anchor_without_the_people_head_still_verifies(db_url, key, tmp_path, monkeypatch):
    """An anchor published before the people head was anchored (format 1: its signature covers the seven fields
    it had) verifies in both verifiers and anchors the cases only; a people head added to it is not signed, so
    not believed."""
    import base64
    import hashlib

    from states.people import export_people_chain
    from tests.people_fixtures import person

    code = run_open_call(db_url).code
    person(db_url, "anna", "Anna Urzędniczka", "officer")
    folder = tmp_path / "anchors"
    _anchor(db_url, key, folder, "2026-12-05T10:00+01:00")
    path = folder / "2026-12-05.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["people"]
    document["format"] = "coop-anchor/1"
    signing = anchors.load_key(Path(key["key_file"]))
    document["signature"] = base64.b64encode(signing.sign(anchors.canonical(
        {k: document[k] for k in anchors.SIGNED_V1}))).decode()
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    assert hashlib.sha256(anchors.canonical(document["cases"])).hexdigest() == document["digest"]
    rewrite_people_and_recompute(db_url, 3)  # not anchored by a format-1 anchor: not found, and not claimed to be
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)
    result = _cli("audit", "verify", "--anchors", str(folder), "--public-key", key["public_key_file"], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["anchors"]["verified"] == 1
    exports = {}
    for name, handler, argument in (("case", export_history, code), ("people", export_people_chain, None)):
        exports[name] = tmp_path / f"{name}.json"
        answer = execute(handler, argument, actor=AUDITOR, url=db_url, readonly=True) if argument else execute(
            handler, actor=AUDITOR, url=db_url, readonly=True)
        exports[name].write_text(json.dumps(answer, default=str), "utf-8")
        outside = _tool(exports[name], "--anchors", str(folder), "--fingerprint", key["fingerprint"])
        assert outside.returncode == 0, outside.stdout + outside.stderr
        assert "anchors: 1 verified" in outside.stdout
    # the case's chain is still held to the old anchor
    rewrite_and_recompute(db_url, code, 12)
    assert _cli("audit", "verify", "--anchors", str(folder), "--public-key", key["public_key_file"]).exit_code == 1
    # a people head slipped into a format-1 anchor is not signed: ignored, the file still verifies
    document["people"] = {"seq": 1, "head": "0" * 64}
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    outside = _tool(exports["people"], "--anchors", str(folder), "--fingerprint", key["fingerprint"])
    assert outside.returncode == 0 and "FORGED" not in outside.stdout
