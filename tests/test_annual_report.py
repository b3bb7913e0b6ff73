"""The annual report on the programme (art. 5a ust. 3) over a year with cases of every procedure."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from coop import audit_cli  # noqa: F401  (registers the auditor's commands)
from coop.cli import app
from coop.demo import run_open_call
from models.db import get_engine, normalise_url
from models.procedures.consultation import ConsultationComment
from models.procedures.local_initiative import (
    LocalInitiativeApplication,
    LocalInitiativeCost,
    LocalInitiativePurchase,
)
from models.procedures.regranting import MicroGrant
from models.procedures.small_grant import SmallGrantYear
from models.tables import Case
from states.auditing.annual_report import annual_report
from states.clock import parse_moment
from states.engine import Actor, execute
from tests.test_compliance import cli_db  # noqa: F401  (cli_db is a fixture)
from tests.test_open_data import add_small_grant

AUDITOR = Actor("Rewident RIO", "auditor")
AT = "2027-03-01T10:00+01:00"


def _case(session: Session, code: str, kind: str, area: str, created: str, parent: Case | None = None) -> Case:
    case = Case(code=code, kind=kind, title=code, task_area=area, state="closed", created_at=parse_moment(created),
                parent_id=parent.id if parent else None)
    session.add(case)
    session.flush()
    return case


def every_procedure(url: str) -> str:
    code = run_open_call(url).code
    add_small_grant(url)  # 8 000,00 zł granted
    add_small_grant(url, "MG/2026/002", granted=None)
    with Session(get_engine(normalise_url(url))) as session:
        at = parse_moment("2026-05-01T10:00+02:00")
        session.add(SmallGrantYear(year=2026, planned_ngo_grants=Decimal("200000.00"), committed=Decimal("8000.00"),
                                   recorded_at=at))
        initiative = _case(session, "IL/2026/001", "local_initiative", "kultura", "2026-05-01T10:00+02:00")
        session.add(LocalInitiativeApplication(case_id=initiative.id, applicant_kind="residents", representative="Jan",
                                               residents=["Jan", "Ola"], sphere="greenery", location="Park", description="",
                                               property_owner="Miasto Leszno", received_at=at))
        session.add_all([
            LocalInitiativeCost(case_id=initiative.id, party="work", description="sadzenie", amount=Decimal("3000.00"),
                                hours=Decimal("120.5"), hour_value=Decimal("24.90")),
            LocalInitiativeCost(case_id=initiative.id, party="work", description="sprzątanie", amount=Decimal("500.00"),
                                hours=Decimal("20"), hour_value=Decimal("25.00")),
            LocalInitiativeCost(case_id=initiative.id, party="city", description="sadzonki", amount=Decimal("4000.00")),
            LocalInitiativePurchase(case_id=initiative.id, description="sadzonki", supplier="Szkółka",
                                    amount=Decimal("3900.00"), purchased_at=at)])
        operator = _case(session, "OK/2026/050", "open_call", "kultura", "2026-02-01T10:00+01:00")
        for n, amount in enumerate(("5000.00", "2500.50"), start=1):
            micro = _case(session, f"MK/2026/00{n}", "micro_grant", "kultura", "2026-06-01T10:00+02:00", parent=operator)
            session.add(MicroGrant(case_id=micro.id, operator_case_id=operator.id, implementer=f"Grupa {n}", address="Leszno",
                                   scope="warsztaty", amount=Decimal(amount), contract_number=f"M/{n}",
                                   signed_on=date(2026, 6, 1), task_start=date(2026, 6, 15), task_end=date(2026, 8, 31),
                                   transfer_due=date(2026, 6, 15)))
        consultation = _case(session, "KP/2026/001", "consultation", "program współpracy", "2026-09-01T10:00+02:00")
        for n, answer in enumerate(("accepted", "rejected", None), start=1):
            session.add(ConsultationComment(case_id=consultation.id, number=n, author=f"Autor {n}", author_kind="ngo",
                                            text="uwaga", submitted_at=at, answer=answer,
                                            reason="uzasadnienie" if answer else None))
        _case(session, "OK/2025/001", "open_call", "sport", "2025-03-01T10:00+01:00")  # another year: not counted
        session.commit()
    return code


def report(url: str, year: int) -> dict:
    return execute(annual_report, year, actor=AUDITOR, url=url, at=AT, readonly=True)


def test_year_with_every_procedure(db_url):
    every_procedure(db_url)
    result = report(db_url, 2026)
    f = result["figures"]
    by = f["by_procedure"]
    assert (by["open_call"]["cases"], by["open_call"]["offers"], by["open_call"]["grants"], by["open_call"]["amount"]) == (
        2, 6, 4, Decimal("100000.00"))
    assert (by["small_grant"]["cases"], by["small_grant"]["offers"], by["small_grant"]["grants"],
            by["small_grant"]["amount"]) == (2, 2, 1, Decimal("8000.00"))
    assert (by["local_initiative"]["cases"], by["local_initiative"]["grants"]) == (1, 0)
    assert (by["micro_grant"]["cases"], by["micro_grant"]["grants"], by["micro_grant"]["amount"]) == (2, 2, Decimal("7500.50"))
    assert by["consultation"]["cases"] == 1
    assert f["by_area"]["kultura"] == {"cases": 4, "offers": 1, "grants": 2, "amount": Decimal("7500.50")}
    assert f["small_grants"] == {"count": 1, "filed": 2, "amount": Decimal("8000.00"), "ceiling": Decimal("40000.00")}
    assert f["local_initiatives"]["work_hours"] == Decimal("140.50")
    assert f["local_initiatives"]["city_spent"] == Decimal("3900.00")
    assert f["regranting"] == {"operators": 1, "micro_grants": 2, "amount": Decimal("7500.50")}
    assert f["consultations"] == {"count": 1, "comments": 3, "answered": 2, "accepted": 1}
    assert f["non_financial"] == {"organisations_in_registry": 7, "ngo_committee_seats": 1, "calls_with_ngo_members": 1}
    md = result["markdown"]
    assert md.startswith("# Sprawozdanie z realizacji programu współpracy z organizacjami pozarządowymi za rok 2026")
    assert "art. 5a ust. 3" in md and "31.05.2027" in md and "01.03.2027" in md
    assert "| Otwarty konkurs ofert (art. 11–15) | 2 | 6 | 4 | 100 000,00 zł |" in md
    assert "| **Razem** | **8** | **9** | **7** | **115 500,50 zł** |" in md
    assert "| kultura | 4 | 1 | 2 | 7 500,50 zł |" in md
    assert "udział w limicie: 20.0% limitu 40 000,00 zł" in md
    assert "godziny pracy społecznej mieszkańców: 140,5" in md
    assert "mikrodotacje: 2" in md and "uwagi: 3, w tym z odpowiedzią: 2" in md
    assert "sport" not in md  # the 2025 call belongs to another year


def test_an_empty_year_says_zero_and_no_data_without_failing(db_url):
    md = report(db_url, 2030)["markdown"]
    assert "| **Razem** | **0** | **0** | **0** | **0,00 zł** |" in md
    assert "Brak postępowań w tym roku: 0." in md
    assert "udział w limicie: brak danych" in md
    assert "Konsultacje: 0; uwagi: 0" in md


@pytest.mark.usefixtures("cli_db")
def test_cli_writes_the_markdown(db_url, monkeypatch, tmp_path):
    every_procedure(db_url)
    monkeypatch.setenv("COOP_ROLE", "auditor")
    target = tmp_path / "sprawozdanie-2026.md"
    result = CliRunner().invoke(app, ["report", "annual", "2026", "--at", AT, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == report(db_url, 2026)["markdown"]
    bad = CliRunner().invoke(app, ["report", "annual", "1800"])
    assert bad.exit_code == 2 and "1800" in bad.output


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_flow_publishes_the_report_as_an_artifact(db_url, prefect_api):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.annual_report import annual_report_flow, artifact_key

    every_procedure(db_url)

    async def stored():
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[artifact_key(2026)])))

    markdown = asyncio.run(annual_report_flow(2026, at=AT, database_url=db_url))
    artifacts = asyncio.run(stored())
    assert markdown == report(db_url, 2026)["markdown"]
    assert artifacts and artifacts[0].type == "markdown" and artifacts[0].data == markdown
