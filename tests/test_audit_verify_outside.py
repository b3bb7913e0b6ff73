"""Verification outside the engine: an export checked by tools/verify_chain.py, standard library only."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from coop import audit_cli  # noqa: F401  (registers the auditor's commands)
from coop.cli import app
from coop.demo import run_open_call
from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case, RuleSetVersion
from states import audit
from states.auditing.history import HistoryQuery, case_history_tree, export_history
from states.engine import Actor, execute
from tests.cli_runner import CliRunner
from tests.conftest import history_unlocked
from tests.test_compliance import Builder, cli_db  # noqa: F401  (cli_db is a fixture)

TOOL = Path(__file__).resolve().parents[1] / "tools" / "verify_chain.py"
# ``coop audit export`` of the demo open call (2 offers), made by the engine as it was before moments were shown
# in Warsaw time (commit f4c692e): what is hashed and exported must not have changed since.
BEFORE = Path(__file__).resolve().parent / "data" / "audit_export_before_warsaw_time.json"
AUDITOR = Actor("Rewident RIO", "auditor")


def _load_tool():
    spec = importlib.util.spec_from_file_location("verify_chain_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verify(path: Path, *extra: str) -> subprocess.CompletedProcess:
    # -I: isolated mode, no project on sys.path; run from an empty directory: the engine cannot be imported.
    return subprocess.run([sys.executable, "-I", str(TOOL), str(path), *extra], capture_output=True, text=True,
                          cwd=path.parent, check=False)


@pytest.fixture
def exported(db_url, tmp_path):
    code = run_open_call(db_url).code
    nested = Builder(db_url, code="RG/2026/001", kind="regranting_sub_call", parent=code, created="2026-03-10T08:00+01:00")
    nested.add("2026-03-10T09:00+01:00", "create", payload={"operator": "Stowarzyszenie Przyjaciół Leszna", "kwota": "5000.00"})
    export = execute(export_history, code, actor=AUDITOR, url=db_url, readonly=True)
    return code, export, tmp_path


def write(tmp_path: Path, export: dict, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _imports(tree) -> set[str]:
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return imported | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


# Checking the signature of a daily anchor (--anchors) needs Ed25519, which the standard library lacks: those two
# functions alone import ``cryptography``.
ANCHOR_FUNCTIONS = {"pinned_fingerprints", "check_anchor"}


def test_the_tool_uses_the_standard_library_only():
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    assert _imports(tree) - {"cryptography"} <= set(sys.stdlib_module_names), _imports(tree)
    outside = [node for node in tree.body if not (isinstance(node, ast.FunctionDef) and node.name in ANCHOR_FUNCTIONS)]
    assert _imports(ast.Module(body=outside, type_ignores=[])) <= set(sys.stdlib_module_names)


def test_the_tool_verifies_without_any_package(exported):
    """-S: no site-packages at all (no cryptography): a chain still verifies; --anchors says what it needs."""
    code, export, tmp_path = exported
    path = write(tmp_path, export)
    plain = subprocess.run([sys.executable, "-I", "-S", str(TOOL), str(path)], capture_output=True, text=True,
                           cwd=tmp_path, check=False)
    assert plain.returncode == 0 and f"OK     {code}" in plain.stdout, plain.stderr
    (tmp_path / "anchors").mkdir()
    anchored = subprocess.run([sys.executable, "-I", "-S", str(TOOL), str(path), "--anchors", str(tmp_path / "anchors"),
                               "--fingerprint", "ab" * 32], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert anchored.returncode == 2 and "needs the cryptography package" in anchored.stderr


def test_an_untouched_export_verifies(exported):
    code, export, tmp_path = exported
    assert [chain["case_code"] for chain in export["chains"]] == [code, "RG/2026/001"]
    result = verify(write(tmp_path, export))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK     {code}: 79 records" in result.stdout and "OK     RG/2026/001: 1 records" in result.stdout
    head = export["chains"][0]["head"]
    assert verify(write(tmp_path, export), "--head", f"{code}={head}").returncode == 0


@pytest.mark.usefixtures("cli_db")
def test_cli_export_file_verifies(exported, db_url, monkeypatch):
    code, _, tmp_path = exported
    monkeypatch.setenv("COOP_ROLE", "auditor")
    path = tmp_path / "cli.json"
    result = CliRunner().invoke(app, ["audit", "export", code, "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert verify(path).returncode == 0


def _tampered(export: dict, change) -> dict:
    copy = json.loads(json.dumps(export))
    change(copy["chains"][0]["records"], copy["chains"][0])
    return copy


@pytest.mark.parametrize(("change", "expected"), [
    (lambda records, chain: records[9]["payload"].update(note="dopisane"), "record #10: content does not match"),
    (lambda records, chain: records[19].update(actor="Ktoś Inny"), "record #20: content does not match"),
    (lambda records, chain: records[29].update(at="2026-01-01T00:00:00Z"), "record #30: content does not match"),
    (lambda records, chain: records.pop(40), "record #42: expected record #41"),
    (lambda records, chain: records.insert(5, records.pop(6)), "record #7: expected record #6"),
    (lambda records, chain: records.pop(), "end of chain: 79 records stated, 78 found"),
])
def test_a_tampered_export_names_the_first_broken_record(exported, change, expected):
    code, export, tmp_path = exported
    result = verify(write(tmp_path, _tampered(export, change)))
    assert result.returncode == 1
    assert f"BROKEN {code}: {expected}" in result.stdout
    assert "OK     RG/2026/001" in result.stdout


def test_a_rehashed_forgery_is_caught_by_the_published_head(exported):
    """Whoever rewrites a record and recomputes every later hash must also change the head: compare it with
    the head obtained from the city."""
    code, export, tmp_path = exported
    tool = _load_tool()
    published = export["chains"][0]["head"]
    forged = json.loads(json.dumps(export))
    chain = forged["chains"][0]
    chain["records"][60]["payload"]["returned_on"] = "2026-07-20"
    prev = chain["records"][59]["hash"]
    for record in chain["records"][60:]:
        record["prev_hash"] = prev
        record["hash"] = prev = tool.record_hash(prev, code, record)
    chain["head"] = prev
    path = write(tmp_path, forged)
    assert verify(path).returncode == 0  # self-consistent...
    result = verify(path, "--head", f"{code}={published}")
    assert result.returncode == 1 and "does not match the published head" in result.stdout


def test_an_unreadable_file_exits_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    assert verify(path).returncode == 2


@pytest.mark.usefixtures("cli_db")
def test_coop_audit_verify_finds_an_edit_in_the_database(exported, db_url, monkeypatch):
    code, _, _ = exported
    with get_engine(normalise_url(db_url)).begin() as conn, history_unlocked(conn):  # as a superuser could
        conn.execute(sa.update(AuditRecord.__table__).where(AuditRecord.__table__.c.seq == 12)
                     .where(AuditRecord.__table__.c.event != "create").values(actor="Fałszerz"))
    monkeypatch.setenv("COOP_ROLE", "auditor")
    result = CliRunner().invoke(app, ["audit", "verify", code, "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["broken"] == [
        {"case": code, "record": 12, "reason": "content does not match its hash: the record was edited"}]


_json = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(actor=st.text(max_size=20), basis=st.text(max_size=20), payload=st.dictionaries(st.text(max_size=8), _json, max_size=4),
       seq=st.integers(1, 10**6))
def test_the_two_implementations_agree(actor, basis, payload, seq):
    """The stand-alone tool and states/audit.py hash any record (Polish letters, nesting, odd keys) alike."""
    tool = _load_tool()
    fields = {"case_code": "OK/2026/001", "seq": seq, "at": "2026-01-02T11:00:00Z", "recorded_at": "2026-01-02T11:00:00Z",
              "actor": actor, "role": "officer", "event": "score", "subject": "offer:1", "from_state": None,
              "to_state": "scored", "basis": basis, "payload": audit.jsonable(payload)}
    prev = "ab" * 32
    assert tool.record_hash(prev, "OK/2026/001", fields) == audit.chain_hash(prev, fields)


# --- histories written before moments were shown in Warsaw time --------------------------------------------------


def test_an_export_written_before_still_verifies_outside_the_engine():
    result = verify(BEFORE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK     OK/2026/001: 43 records" in result.stdout


def _restore(url: str, export: dict) -> None:
    """Put an exported history back into a database, row for row, as the engine had written it."""
    from sqlmodel import Session

    with Session(get_engine(normalise_url(url))) as session:
        for chain in export["chains"]:
            records = chain["records"]
            if chain["rule_set"] and session.get(RuleSetVersion, chain["rule_set"]) is None:
                session.add(RuleSetVersion(version=chain["rule_set"], body={},
                                           created_at=audit_moment(records[0]["recorded_at"])))
                session.flush()  # before the case that refers to it
            case = Case(code=chain["case_code"], kind=chain["kind"], title="Przywrócona historia",
                        state=records[-1]["to_state"], rule_set_version=chain["rule_set"],
                        audit_seq=chain["length"], audit_head=chain["head"],
                        created_at=audit_moment(records[0]["at"]), last_event_at=audit_moment(records[-1]["at"]))
            session.add(case)
            session.flush()
            session.add_all(AuditRecord(case_id=case.id, **{**r, "at": audit_moment(r["at"]),
                                                            "recorded_at": audit_moment(r["recorded_at"])})
                            for r in records)
        session.commit()


def audit_moment(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_history_written_before_verifies_and_exports_bit_identically(db_url, tmp_path):
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    _restore(db_url, before)
    from states.queries import verify_cases

    assert execute(verify_cases, "OK/2026/001", actor=AUDITOR, url=db_url, readonly=True)["broken"] == []
    now = execute(export_history, "OK/2026/001", actor=AUDITOR, url=db_url, readonly=True, at="2026-12-01T10:00+01:00")
    # everything hashed, and the whole export, exactly as before: moments stay UTC "Z" text in an export; the one
    # key added since is the database's clock mode (this one is a simulation: the tests' databases are)
    assert now.pop("clock") == "simulation"
    assert json.dumps(now, ensure_ascii=False, indent=1) == json.dumps(before, ensure_ascii=False, indent=1)
    assert verify(write(tmp_path, now)).returncode == 0

    # what a person reads of the same records is Warsaw time, winter and summer, each with its offset
    rows = execute(case_history_tree, HistoryQuery(code="OK/2026/001"), actor=AUDITOR, url=db_url, readonly=True)
    stored = {r["seq"]: r["at"] for r in before["chains"][0]["records"]}
    assert stored[1] == "2026-01-02T07:30:00Z" and rows[0]["at"].isoformat() == "2026-01-02T08:30:00+01:00"
    summer = [r for r in rows if r["at"].month == 7]
    assert summer and all(r["at"].utcoffset().total_seconds() == 7200 for r in summer)
