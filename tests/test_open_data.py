"""Open data: results of calls and small grants as CSV and JSON in the documented, stable format."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from coop import audit_cli  # noqa: F401  (registers the auditor's commands)
from coop.cli import app
from coop.demo import run_open_call
from models.db import get_engine, normalise_url
from models.procedures.small_grant import SmallGrantOffer
from models.tables import Case, Offer, Organisation, Publication
from states.auditing.open_data import COLUMNS, FORMAT, results, to_csv
from states.clock import parse_moment
from states.engine import Actor, execute
from tests.test_compliance import Builder, cli_db  # noqa: F401  (cli_db is a fixture)

PUBLIC = Actor("mieszkaniec", "public")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "audit.md"
NAMES = [name for name, _, _ in COLUMNS]


def add_small_grant(url: str, code: str = "MG/2026/001", granted: str | None = "8000.00") -> None:
    b = Builder(url, code=code, kind="small_grant", created="2026-04-01T10:00+02:00")
    b.add("2026-04-01T10:00+02:00", "file_offer")
    b.add("2026-04-13T10:00+02:00", "decide", to_state="granted" if granted else "rejected")
    if granted:
        b.add("2026-04-14T10:00+02:00", "sign_contract", to_state="contracted")
    with Session(get_engine(normalise_url(url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        case.title, case.task_area = "Mały grant: Dzień Dziecka na Zatorzu", "wypoczynek dzieci i młodzieży"
        org = session.exec(select(Organisation).where(Organisation.krs == "0000100005")).one()
        session.add(SmallGrantOffer(case_id=case.id, organisation_id=org.id, title="Dzień Dziecka — „Zatorze się bawi”",
                                    requested_grant=Decimal("8000.00"), task_start=date(2026, 5, 20),
                                    task_end=date(2026, 6, 10), received_at=parse_moment("2026-04-01T10:00+02:00"),
                                    budget_year=2026, granted_amount=Decimal(granted) if granted else None))
        for n, channel in enumerate(("bip", "board", "website")):
            session.add(Publication(case_id=case.id, subject="offer", channel=channel,
                                    published_at=parse_moment(f"2026-04-0{2 + n}T09:00+02:00")))
        session.add(case)
        session.commit()


@pytest.fixture
def published(db_url):
    code = run_open_call(db_url).code
    add_small_grant(db_url)
    add_small_grant(db_url, "MG/2026/002", granted=None)
    return code


def test_csv_is_the_documented_stable_format(db_url, published):
    data = execute(results, None, actor=PUBLIC, url=db_url, readonly=True)
    text = to_csv(data)
    assert text.splitlines()[0] == ",".join(NAMES)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["procedure"], r["task"]) for r in rows] == [
        ("open_call", "Festyn rodzinny na Zatorzu"), ("open_call", "Aktywny senior 2026"),
        ("open_call", "Liga orlika dla dzieci"), ("open_call", "Sprzątanie lasu komunalnego"),
        ("small_grant", "Dzień Dziecka — „Zatorze się bawi”")]
    assert all(re.fullmatch(r"\d+\.\d\d", r["amount"]) for r in rows)
    assert sum(Decimal(r["amount"]) for r in rows if r["procedure"] == "open_call") == Decimal("100000.00")
    first = rows[0]
    assert first == {"procedure": "open_call", "case_code": published, "call_title": "Wspieranie aktywności lokalnej 2026",
                     "task_area": "działalność na rzecz organizacji pozarządowych",
                     "organisation": "Stowarzyszenie Przyjaciół Leszna", "krs": "0000100001",
                     "task": "Festyn rodzinny na Zatorzu", "amount": "30000.00", "decided_on": "2026-02-13",
                     "published_on": "2026-02-16", "contract_signed_on": "2026-03-02", "task_start": "2026-04-01",
                     "task_end": "2026-06-30"}
    small = rows[-1]
    assert (small["krs"], small["amount"], small["decided_on"], small["published_on"], small["contract_signed_on"]) == (
        "0000100005", "8000.00", "2026-04-13", "2026-04-04", "2026-04-14")


def test_json_carries_the_same_rows(db_url, published):
    data = json.loads(json.dumps(execute(results, 2026, actor=PUBLIC, url=db_url, readonly=True), ensure_ascii=False))
    assert data["format"] == FORMAT and data["columns"] == NAMES and data["year"] == 2026
    assert all(list(row) == NAMES for row in data["rows"])
    from_csv = list(csv.DictReader(io.StringIO(to_csv(data))))
    assert [{k: v or None for k, v in row.items()} for row in from_csv] == data["rows"]


def test_year_filter_and_unpublished_calls_stay_out(db_url, published):
    assert execute(results, 2025, actor=PUBLIC, url=db_url, readonly=True)["rows"] == []
    with Session(get_engine(normalise_url(db_url))) as session:  # a call chosen but not yet published
        org = session.exec(select(Organisation)).first()
        case = Case(code="OK/2026/002", kind="open_call", title="Nieogłoszone wyniki", state="selected",
                    created_at=parse_moment("2026-05-01T10:00+02:00"))
        session.add(case)
        session.flush()
        session.add(Offer(case_id=case.id, number=1, organisation_id=org.id, title="Tajne", state="selected",
                          received_at=parse_moment("2026-05-02T10:00+02:00"), granted_amount=Decimal("1000.00")))
        session.commit()
    rows = execute(results, 2026, actor=PUBLIC, url=db_url, readonly=True)["rows"]
    assert len(rows) == 5 and "OK/2026/002" not in {r["case_code"] for r in rows}


@pytest.mark.usefixtures("cli_db")
def test_cli_writes_utf8_files_and_refuses_an_unknown_format(db_url, published, monkeypatch, tmp_path):
    monkeypatch.setenv("COOP_ROLE", "public")
    runner = CliRunner()
    target = tmp_path / "wyniki.csv"
    assert runner.invoke(app, ["open-data", "results", "--year", "2026", "-o", str(target)]).exit_code == 0
    raw = target.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and "Zatorze się bawi".encode() in raw
    as_json = runner.invoke(app, ["open-data", "results", "--format", "json"])
    assert json.loads(as_json.stdout)["rows"][0]["amount"] == "30000.00"
    bad = runner.invoke(app, ["open-data", "results", "--format", "xml"])
    assert bad.exit_code == 2 and "csv" in bad.output and "Traceback" not in bad.output


def test_docs_describe_every_column_in_order():
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Open data"):text.index("## The annual report")]
    documented = re.findall(r"^\| \d+ \| `(\w+)` \| ([^|]+) \|", section, flags=re.M)
    assert [name for name, _ in documented] == NAMES
    for (name, kind, _), (_, doc_kind) in zip(COLUMNS, documented, strict=True):
        assert kind.split("|")[0] in doc_kind, name
