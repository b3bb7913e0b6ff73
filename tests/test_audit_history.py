"""`coop audit history`: nested cases, filters, table/CSV/JSON; and the audit tools only read."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from coop import audit_cli  # noqa: F401  (registers the auditor's commands)
from coop.cli import app
from coop.demo import run_open_call
from states.auditing.annual_report import annual_report
from states.auditing.compliance import check_case, check_year
from states.auditing.history import HistoryQuery, case_history_tree, export_history
from states.auditing.open_data import results
from states.authorization import MATRIX, command_name
from states.engine import Actor, execute
from states.errors import InvalidInput, NotPermitted
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.queries import verify_cases
from tests.conftest import dump
from tests.test_compliance import Builder, cli_db  # noqa: F401  (cli_db is a fixture)

AUDITOR = Actor("Rewident RIO", "auditor")


@pytest.fixture
def demo(db_url):
    code = run_open_call(db_url).code
    child = Builder(db_url, code="RG/2026/001", kind="regranting_sub_call", parent=code,
                    created="2026-03-10T08:00+01:00")
    child.add("2026-03-10T09:00+01:00", "create", payload={"operator": "0000100001"}, actor="Operator")
    child.add("2026-03-20T09:00+01:00", "announce", payload={"published": {}}, actor="Operator")
    grandchild = Builder(db_url, code="MG/2026/001", kind="micro_grant", parent="RG/2026/001",
                         created="2026-04-01T08:00+01:00")
    grandchild.add("2026-04-01T09:00+01:00", "sign_contract", actor="Operator")
    return code


def history(url, **query):
    return execute(case_history_tree, HistoryQuery(**query), actor=AUDITOR, url=url, readonly=True)


def test_history_includes_nested_cases_in_time_order(db_url, demo):
    rows = history(db_url, code=demo)
    cases = [r["case"] for r in rows]
    assert cases.count("RG/2026/001") == 2 and cases.count("MG/2026/001") == 1
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    own = [r["seq"] for r in rows if r["case"] == demo]
    assert own == list(range(1, len(own) + 1))
    nested = next(r for r in rows if r["case"] == "RG/2026/001")
    assert nested["event"] == "create" and nested["actor"] == "Operator"
    assert {r["case"] for r in history(db_url, code="RG/2026/001")} == {"RG/2026/001", "MG/2026/001"}


def test_history_filters(db_url, demo):
    scores = history(db_url, code=demo, event="score")
    assert scores and {r["event"] for r in scores} == {"score"}
    assert all(r["at"].date().isoformat() == "2026-02-05" for r in scores)
    ewa = history(db_url, code=demo, actor="Ewa Nowak")
    assert ewa and {r["actor"] for r in ewa} == {"Ewa Nowak"}
    assert {r["event"] for r in ewa} == {"declare_conflicts", "score"}
    window = history(db_url, code=demo, since="2026-03-05", until="2026-04-01")
    assert {r["case"] for r in window} == {demo, "RG/2026/001", "MG/2026/001"}
    assert all("2026-03-05" <= r["at"].date().isoformat() <= "2026-04-01" for r in window)
    exact = history(db_url, code=demo, since="2026-03-10T09:00+01:00", until="2026-03-10T09:00+01:00")
    assert [(r["case"], r["seq"]) for r in exact] == [("RG/2026/001", 1)]
    with pytest.raises(InvalidInput):
        history(db_url, code=demo, since="2026-04-02", until="2026-04-01")


@pytest.mark.usefixtures("cli_db")
def test_cli_table_csv_and_json(db_url, demo, monkeypatch):
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_ACTOR", "rewident")
    runner = CliRunner()
    table = runner.invoke(app, ["audit", "history", demo, "--event", "select_offers"])
    assert table.exit_code == 0, table.output
    assert "select_offers" in table.output and "art. 15 ust. 1, ust. 2g" in table.output
    as_csv = runner.invoke(app, ["audit", "history", demo, "--csv", "--by", "Operator"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["case"], r["event"]) for r in rows] == [("RG/2026/001", "create"), ("RG/2026/001", "announce"),
                                                       ("MG/2026/001", "sign_contract")]
    assert json.loads(rows[0]["payload"]) == {"operator": "0000100001"}
    as_json = runner.invoke(app, ["audit", "history", demo, "--json", "--event", "settle"])
    settled = json.loads(as_json.stdout)
    assert [r["subject"] for r in settled] == ["offer:1", "offer:2", "offer:3", "offer:6", "case"]
    bad = runner.invoke(app, ["audit", "history", demo, "--since", "jutro"])
    assert bad.exit_code == 2 and "--since" in bad.output and "Traceback" not in bad.output


def test_auditor_cannot_run_a_mutating_command(db_url, demo):
    before = dump(db_url)
    assert "auditor" not in MATRIX["open_call.create_call"]
    with pytest.raises(NotPermitted):
        execute(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Nowy konkurs", task_area="sport", budget=Decimal("1000.00")),
                actor=AUDITOR, url=db_url, at="2026-09-01T10:00+02:00")
    with pytest.raises(NotPermitted):
        execute(open_call_handlers.settle_offer, open_call_inputs.Settle(code=demo, number=1), actor=AUDITOR, url=db_url, at="2026-09-01T10:00+02:00")
    assert dump(db_url) == before


@pytest.mark.usefixtures("cli_db")
def test_every_audit_tool_only_reads(db_url, demo, monkeypatch, tmp_path):
    for handler in (case_history_tree, export_history, check_case, check_year, results, annual_report, verify_cases):
        assert MATRIX[command_name(handler)].get("auditor") == "any"
    before = dump(db_url)
    for handler, argument in ((case_history_tree, HistoryQuery(code=demo)), (export_history, demo),
                              (check_case, demo), (check_year, 2026), (results, None), (annual_report, 2026),
                              (verify_cases, None)):
        execute(handler, argument, actor=AUDITOR, url=db_url, readonly=True)
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_ACTOR", "rewident")
    runner = CliRunner()
    for args in (["audit", "history", demo, "--csv"], ["audit", "export", demo, "-o", str(tmp_path / "e.json")],
                 ["audit", "check", demo], ["audit", "check", "--year", "2026"], ["audit", "verify"],
                 ["open-data", "results", "--format", "json"], ["report", "annual", "2026"]):
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), (args, result.output)
    assert dump(db_url) == before
