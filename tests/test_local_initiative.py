"""The local initiative (art. 19b-19h): residents' playground garden from filing to closing, no grant
transferred; refusals and deadlines; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.procedures.local_initiative import LocalInitiativeCost, LocalInitiativePurchase
from models.tables import AuditRecord, Case
from states import inputs
from states.cases import register_organisation
from states.engine import Actor, execute
from states.errors import DomainError
from states.procedures.local_initiative import handlers as local_initiative_handlers
from states.procedures.local_initiative import inputs as local_initiative_inputs
from states.queries import verify_cases
from states.rule_sets import LocalInitiativeRules
from states.tick import tick
from tests.conftest import dump

OFFICER = Actor("Anna Urzędniczka", "officer")
POINTS = {"social_work": Decimal(9), "public_benefit": Decimal(8), "feasibility": Decimal(7), "own_contribution": Decimal(6)}
COSTS = (
    local_initiative_inputs.CostLine(party="city", description="Ziemia, nasadzenia i ławki (zakup miasta)", amount=Decimal("18000.00")),
    local_initiative_inputs.CostLine(party="work", description="Sadzenie i malowanie przez mieszkańców", hours=Decimal("240")),
    local_initiative_inputs.CostLine(party="cash", description="Zbiórka mieszkańców na tablicę", amount=Decimal("1500.00")),
    local_initiative_inputs.CostLine(party="goods", description="Narzędzia od Rady Osiedla", amount=Decimal("800.00")),
)


def do(url, handler, command, at, actor=OFFICER):
    return execute(handler, command, actor=actor, at=at, url=url)


def refused(url, handler, command, at, *needles):
    before = dump(url)
    with pytest.raises(DomainError) as error:
        do(url, handler, command, at)
    for needle in needles:
        assert needle in str(error.value), str(error.value)
    assert dump(url) == before


def application(**changes):
    values = dict(title="Ogród sąsiedzki przy ul. Kurpińskiego", applicant_kind="residents",
                  representative="Krystyna Nowak", residents=("Krystyna Nowak", "Adam Lis", "Ewa Maj"),
                  sphere="greenery", location="działka 123/4, obręb Leszno", property_owner="Miasto Leszno",
                  description="Zagospodarowanie zieleńca na ogród sąsiedzki.")
    values.update(changes)
    return local_initiative_inputs.FileInitiative(**values)


def to_accepted(url):
    code = do(url, local_initiative_handlers.file, application(), "2026-03-02T10:00+01:00")["code"]
    do(url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=code, passed=True), "2026-03-05T10:00+01:00")
    do(url, local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative(code=code, points=POINTS), "2026-03-10T10:00+01:00")
    do(url, local_initiative_handlers.decide, local_initiative_inputs.DecideInitiative(code=code, accept=True, decision_ref="Zarządzenie 55/2026"),
       "2026-03-12T10:00+01:00")
    return code


def to_execution(url):
    code = to_accepted(url)
    do(url, local_initiative_handlers.plan, local_initiative_inputs.PlanInitiative(code=code, task_start="2026-04-20", task_end="2026-06-04", costs=COSTS),
       "2026-03-20T10:00+01:00")
    do(url, local_initiative_handlers.sign_contract, local_initiative_inputs.SignInitiative(code=code, contract_number="WSO.IL.1.2026"), "2026-03-25T10:00+01:00")
    return code


def test_initiative_filed_to_closed_without_a_grant(db_url):
    code = to_accepted(db_url)
    assert code == "IL/2026/001"
    planned = do(db_url, local_initiative_handlers.plan, local_initiative_inputs.PlanInitiative(code=code, task_start="2026-04-20", task_end="2026-06-04", costs=COSTS),
                 "2026-03-20T10:00+01:00")
    # 240 hours x 35,00 PLN (the rule set's valuation of social work)
    assert planned["costs"]["work"] == Decimal("8400.00") and planned["costs"]["city"] == Decimal("18000.00")
    signed = do(db_url, local_initiative_handlers.sign_contract, local_initiative_inputs.SignInitiative(code=code, contract_number="WSO.IL.1.2026"),
                "2026-03-25T10:00+01:00")
    # 30 days after Corpus Christi (Thu 4 June) is Sat 4 July -> Mon 6 July
    assert str(signed["report_due"]) == "2026-07-06"
    do(db_url, local_initiative_handlers.record_purchase, local_initiative_inputs.RecordPurchase(code=code, description="Ziemia i sadzonki", supplier="Szkółka Leszno",
                                                      amount=Decimal("11000.00")), "2026-04-21T10:00+02:00")
    spent = do(db_url, local_initiative_handlers.record_purchase, local_initiative_inputs.RecordPurchase(code=code, description="4 ławki", supplier="Mała Architektura",
                                                              amount=Decimal("7000.00")), "2026-05-05T10:00+02:00")
    assert spent["spent"] == Decimal("18000.00")
    assert tick("2026-06-05T00:00+02:00", url=db_url).fired == 1
    do(db_url, local_initiative_handlers.submit_report, local_initiative_inputs.InitiativeReport(code=code, work_hours=Decimal("260"), summary="Ogród otwarty 4 czerwca."),
       "2026-06-20T10:00+02:00")
    do(db_url, local_initiative_handlers.review_report,
       local_initiative_inputs.ReviewInitiativeReport(code=code, accept=True), "2026-06-24T10:00+02:00")
    closed = do(db_url, local_initiative_handlers.close, inputs.CaseRef(code=code), "2026-06-25T10:00+02:00")
    assert closed["state"] == "closed" and closed["city_spent"] == Decimal("18000.00")

    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        rows = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq)).all()
        assert [r.event for r in rows if r.from_state != r.to_state] == [
            "pass_formal_check", "evaluate", "decide", "plan", "sign_contract", "task_ended", "submit_report", "accept_report", "close"]
        assert all(r.payload.get("grant_transferred") is False for r in rows if r.event in ("sign_contract", "close"))
        report = next(r for r in rows if r.event == "submit_report")
        assert report.payload["work_value"] == "9100.00" and report.payload["late"] is False
        assert len(session.exec(select(LocalInitiativePurchase)).all()) == 2
        assert {line.party for line in session.exec(select(LocalInitiativeCost))} == {"city", "work", "cash", "goods"}
    assert execute(verify_cases, code, actor=Actor("audytor", "auditor"), url=db_url, readonly=True)["broken"] == []


def test_ngo_application_and_rejections(db_url):
    do(db_url, register_organisation, inputs.RegisterOrganisation(name="Stowarzyszenie Zatorze", legal_form="stowarzyszenie",
                                                             krs="0000400001", address="Leszno", email="z@example.org",
                                                             contact_person="Prezes"), "2026-03-01T10:00+01:00")
    code = do(db_url, local_initiative_handlers.file, application(applicant_kind="ngo", residents=(), organisation_krs="0000400001",
                                           sphere="sport"), "2026-03-02T10:00+01:00")["code"]
    do(db_url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=code, passed=True), "2026-03-05T10:00+01:00")
    low = {"social_work": Decimal(2), "public_benefit": Decimal(3), "feasibility": Decimal(3), "own_contribution": Decimal(2)}
    assert do(db_url, local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative(code=code, points=low), "2026-03-10T10:00+01:00")["percent"] == Decimal("24.00")
    refused(db_url, local_initiative_handlers.decide, local_initiative_inputs.DecideInitiative(code=code, accept=True, decision_ref="Z"), "2026-03-12T10:00+01:00",
            "24,00% < ", "art. 19c")
    assert do(db_url, local_initiative_handlers.decide, local_initiative_inputs.DecideInitiative(code=code, accept=False, decision_ref="Z", reason="Za mało pracy społecznej"),
              "2026-03-12T10:00+01:00")["state"] == "rejected"
    other = do(db_url, local_initiative_handlers.file, application(), "2026-03-03T10:00+01:00")["code"]
    assert do(db_url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=other, passed=False, defects=("brak podpisów",)),
              "2026-03-05T10:00+01:00")["state"] == "rejected"


def test_initiative_refusals(db_url):
    refused(db_url, local_initiative_handlers.file, application(sphere="motorsport"), "2026-03-02T10:00+01:00", "motorsport", "art. 19b ust. 1")
    refused(db_url, local_initiative_handlers.file, application(residents=()), "2026-03-02T10:00+01:00", "art. 19b ust. 1")
    refused(db_url, local_initiative_handlers.file, application(applicant_kind="ngo", residents=()), "2026-03-02T10:00+01:00", "KRS")
    code = do(db_url, local_initiative_handlers.file, application(), "2026-03-02T10:00+01:00")["code"]
    do(db_url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=code, passed=True), "2026-03-05T10:00+01:00")
    refused(db_url, local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative(code=code, points={**POINTS, "social_work": Decimal(11)}),
            "2026-03-10T10:00+01:00", "11", "art. 19c")
    refused(db_url, local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative(code=code, points={"social_work": Decimal(9)}),
            "2026-03-10T10:00+01:00", "brakujące", "art. 19c")
    do(db_url, local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative(code=code, points=POINTS), "2026-03-10T10:00+01:00")
    do(db_url, local_initiative_handlers.decide, local_initiative_inputs.DecideInitiative(code=code, accept=True, decision_ref="Z"), "2026-03-12T10:00+01:00")
    refused(db_url, local_initiative_handlers.plan, local_initiative_inputs.PlanInitiative(code=code, task_start="2026-04-20", task_end="2026-06-04", costs=COSTS[:1]),
            "2026-03-20T10:00+01:00", "art. 19f")
    refused(db_url, local_initiative_handlers.plan, local_initiative_inputs.PlanInitiative(code=code, task_start="2026-04-20", task_end="2026-06-04", costs=COSTS[1:]),
            "2026-03-20T10:00+01:00", "art. 19e")
    refused(db_url, local_initiative_handlers.record_purchase, local_initiative_inputs.RecordPurchase(code=code, description="x", supplier="y", amount=Decimal("1.00")),
            "2026-03-21T10:00+01:00", "art. 19e")


def test_purchase_beyond_the_city_share_is_refused(db_url):
    code = to_execution(db_url)
    do(db_url, local_initiative_handlers.record_purchase, local_initiative_inputs.RecordPurchase(code=code, description="Ziemia", supplier="Szkółka",
                                                      amount=Decimal("17000.00")), "2026-04-21T10:00+02:00")
    refused(db_url, local_initiative_handlers.record_purchase, local_initiative_inputs.RecordPurchase(code=code, description="Ławka", supplier="Mała Architektura",
                                                           amount=Decimal("1000.01")), "2026-04-22T10:00+02:00",
            "17 000,00 PLN + 1 000,01 PLN = 18 000,01 PLN > udział miasta w kosztorysie 18 000,00 PLN", "art. 19e")


def test_report_deadline_moves_off_the_weekend_and_goes_overdue(db_url):
    code = to_execution(db_url)
    tick("2026-06-05T00:00+02:00", url=db_url)
    assert tick("2026-07-06T23:00+02:00", url=db_url).fired == 0
    assert tick("2026-07-07T00:00+02:00", url=db_url).fired == 1
    with Session(get_engine(normalise_url(db_url))) as session:
        assert session.exec(select(Case).where(Case.code == code)).one().state == "report_overdue"
    assert do(db_url, local_initiative_handlers.submit_report, local_initiative_inputs.InitiativeReport(code=code, work_hours=Decimal("100"), summary="Późno"),
              "2026-07-10T10:00+02:00")["late"] is True


@pytest.mark.fast
def test_social_work_must_weigh_most():
    with pytest.raises(ValidationError, match="art. 19c"):
        LocalInitiativeRules(weights={"social_work": Decimal("0.3"), "public_benefit": Decimal("0.3"),
                                      "feasibility": Decimal("0.4")})


def test_a_contract_before_the_plan_is_refused_not_crashed(db_url):
    code = do(db_url, local_initiative_handlers.file, application(), "2026-03-02T10:00+01:00")["code"]
    refused(db_url, local_initiative_handlers.sign_contract, local_initiative_inputs.SignInitiative(code=code, contract_number="IL/1/2026"),
            "2026-03-03T10:00+01:00", "art. 19e")


def test_a_receipt_in_the_future_is_refused(db_url):
    refused(db_url, local_initiative_handlers.file, application(received_at="2026-03-09T10:00+01:00"), "2026-03-02T10:00+01:00",
            "2026-03-09")
