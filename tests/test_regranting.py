"""Regranting (art. 16a): an open call selects the operator, the operator's sub-call, two nested micro-grants,
the operator's report built from them, settlement; refusals and deadlines; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case, Contract, Report
from states import inputs
from states.engine import Actor, execute
from states.errors import DomainError
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.regranting import handlers as regranting_handlers
from states.procedures.regranting import inputs as regranting_inputs
from states.queries import verify_cases
from states.tick import tick
from tests.conftest import dump
from tests.regranting_fixtures import (
    IMPLEMENTERS,
    OPERATOR_CHANNELS,
    do,
    micro,
    operator_selected,
    selection_published,
)


def refused(url, handler, command, at, *needles):
    before = dump(url)
    with pytest.raises(DomainError) as error:
        do(url, handler, command, at)
    for needle in needles:
        assert needle in str(error.value), str(error.value)
    assert dump(url) == before


def test_regranting_operator_to_settled_with_nested_micro_grants(db_url):
    code = selection_published(db_url)
    assert code == "RG/2026/001"
    first = micro(db_url, code, 0, "2026-04-02T10:00+02:00")
    assert first["code"] == "MR/2026/001" and str(first["transfer_due"]) == "2026-04-16"
    # 17 April + 14 days = Fri 1 May (holiday), Sat 2, Sun 3 May (holiday) -> Mon 4 May
    second = micro(db_url, code, 1, "2026-04-17T10:00+02:00")
    assert str(second["transfer_due"]) == "2026-05-04"
    do(db_url, regranting_handlers.transfer, regranting_inputs.TransferMicroGrant(code=first["code"], amount=Decimal("5000.00"), on="2026-04-10"),
       "2026-04-10T12:00+02:00")
    assert tick("2026-05-04T23:00+02:00", url=db_url).fired == 0
    assert tick("2026-05-05T00:00+02:00", url=db_url).fired == 1  # the second transfer is overdue
    late = do(db_url, regranting_handlers.transfer, regranting_inputs.TransferMicroGrant(code=second["code"], amount=Decimal("4000.00"), on="2026-05-06"),
              "2026-05-06T12:00+02:00")
    assert late["late"] is True
    do(db_url, regranting_handlers.micro_report, regranting_inputs.MicroGrantReport(code=first["code"], funds_used=Decimal("4800.00"),
                                                    delivered="6 warsztatów, 48 uczestników"), "2026-10-10T10:00+02:00")
    do(db_url, regranting_handlers.micro_report, regranting_inputs.MicroGrantReport(code=second["code"], funds_used=Decimal("4000.00"),
                                                    delivered="Turniej, 16 drużyn"), "2026-10-12T10:00+02:00")
    do(db_url, regranting_handlers.settle_micro, regranting_inputs.SettleMicroGrant(code=first["code"], returned_amount=Decimal("200.00")),
       "2026-10-20T10:00+02:00")
    do(db_url, regranting_handlers.settle_micro, regranting_inputs.SettleMicroGrant(code=second["code"]), "2026-10-20T10:05+02:00")

    with Session(get_engine(normalise_url(db_url))) as session:
        contract = session.exec(select(Contract)).one()
        # the operator's report: 30 days after Wed 25 Nov is Fri 25 Dec (Christmas), 26 Dec, Sun 27 -> Mon 28 Dec
        assert contract.report_due.isoformat() == "2026-12-28"
    assert tick("2026-11-26T00:00+01:00", url=db_url).fired == 1  # the operator's task ended
    report = do(db_url, regranting_handlers.operator_report, regranting_inputs.OperatorReport(code=code, own_costs=Decimal("40000.00"),
                                                              summary="Dwa mikrogranty, koszty operatora"),
                "2026-12-10T10:00+01:00")
    assert report["offer_state"] == "report_submitted" and report["late"] is False
    assert report["funds_used"] == Decimal("48800.00")
    listing = {row["implementer"]: row for row in report["implementers"]}
    assert listing["Koło Gospodyń Wiejskich Gronówko"]["address"] == "Gronówko 5, 64-100 Leszno"
    assert listing["Koło Gospodyń Wiejskich Gronówko"]["used"] == Decimal("4800.00")
    assert listing["Grupa nieformalna Młodzi Leszno"]["transferred_on"].isoformat() == "2026-05-06"
    do(db_url, regranting_handlers.review_operator_report, open_call_inputs.ReviewReport(code=code, number=1, accept=True), "2026-12-15T10:00+01:00")
    settled = do(db_url, regranting_handlers.settle_operator, open_call_inputs.Settle(code=code, number=1, returned_amount=Decimal("1200.00"),
                                                      returned_on="2026-12-20"), "2026-12-21T10:00+01:00")
    assert settled["case_state"] == "settled"
    # the operator's call still ranks the offer its committee scored, now settled (art. 15 ust. 1)
    ranking = execute(open_call_handlers.show_ranking, inputs.CaseRef(code=code), actor=Actor("audytor", "auditor"), url=db_url,
                      readonly=True)["ranking"]
    assert [(r["rank"], r["offer"], str(r["percent"]), r["passed"], r["state"]) for r in ranking] == [
        (1, 1, "88.89", True, "settled")]

    with Session(get_engine(normalise_url(db_url))) as session:
        parent = session.exec(select(Case).where(Case.code == code)).one()
        children = session.exec(select(Case).where(Case.parent_id == parent.id).order_by(Case.code)).all()
        assert [(ch.code, ch.kind, ch.state) for ch in children] == [("MR/2026/001", "micro_grant", "settled"),
                                                                    ("MR/2026/002", "micro_grant", "settled")]
        parent_events = session.exec(select(AuditRecord).where(AuditRecord.case_id == parent.id)).all()
        assert sorted(r.payload["micro_grant"] for r in parent_events if r.event == "micro_grant_created") == [
            "MR/2026/001", "MR/2026/002"]
        assert {r.event for r in parent_events if r.subject == "sub_call"} == {
            "announce_sub_call", "publish_selection", "start_implementing", "submit_operator_report", "accept_operator_report"}
        for child in children:
            rows = session.exec(select(AuditRecord).where(AuditRecord.case_id == child.id)).all()
            assert rows and all(r.payload["parent"] == code for r in rows)
        stored = session.exec(select(Report)).one()
        assert {i["implementer"] for i in stored.content["implementers"]} == {i[0] for i in IMPLEMENTERS}
    auditor = Actor("audytor", "auditor")
    for case_code in (code, "MR/2026/001", "MR/2026/002"):
        assert execute(verify_cases, case_code, actor=auditor, url=db_url, readonly=True)["broken"] == []


def test_sub_call_refusals(db_url):
    code = operator_selected(db_url)
    refused(db_url, regranting_handlers.announce_sub_call, regranting_inputs.AnnounceSubCall(code=code, deadline="2026-03-16", published=OPERATOR_CHANNELS),
            "2026-03-02T10:30+01:00", "art. 16a ust. 1")
    do(db_url, open_call_handlers.sign_contract, open_call_inputs.SignContract(code=code, number=1, contract_number="WSO.RG.1.2026",
                                                amount=Decimal("50000.00"), task_start="2026-03-01", task_end="2026-11-25"),
       "2026-02-27T10:00+01:00")
    refused(db_url, regranting_handlers.announce_sub_call, regranting_inputs.AnnounceSubCall(code=code, deadline="2026-03-16",
                                                             published={"bip": "2026-03-02T10:00+01:00"}),
            "2026-03-02T10:30+01:00", "brak: strona internetowa operatora", "art. 16a")
    do(db_url, regranting_handlers.announce_sub_call, regranting_inputs.AnnounceSubCall(code=code, deadline="2026-03-16", published=OPERATOR_CHANNELS),
       "2026-03-02T10:30+01:00")
    refused(db_url, regranting_handlers.add_micro_grant, regranting_inputs.AddMicroGrant(
        code=code, implementer=IMPLEMENTERS[0][0], address="x", scope="y", amount=Decimal("100.00"),
        contract_number="C", task_start="2026-05-01", task_end="2026-05-31"), "2026-03-10T10:00+01:00", "art. 16a")


def test_micro_grant_refusals(db_url):
    code = selection_published(db_url)
    refused(db_url, regranting_handlers.add_micro_grant, regranting_inputs.AddMicroGrant(
        code=code, implementer="Ktoś spoza wyboru", address="x", scope="y", amount=Decimal("100.00"),
        contract_number="C", task_start="2026-05-01", task_end="2026-05-31"), "2026-04-01T10:00+02:00",
        "Ktoś spoza wyboru", "art. 16a")
    refused(db_url, regranting_handlers.add_micro_grant, regranting_inputs.AddMicroGrant(
        code=code, implementer=IMPLEMENTERS[0][0], address="x", scope="y", amount=Decimal("50000.01"),
        contract_number="C", task_start="2026-05-01", task_end="2026-05-31"), "2026-04-01T10:00+02:00",
        "50 000,01 PLN > dotacja operatora 50 000,00 PLN", "art. 16a")
    refused(db_url, regranting_handlers.add_micro_grant, regranting_inputs.AddMicroGrant(
        code=code, implementer=IMPLEMENTERS[0][0], address="x", scope="y", amount=Decimal("100.00"),
        contract_number="C", task_start="2026-05-01", task_end="2026-12-31"), "2026-04-01T10:00+02:00",
        "2026-11-25", "art. 16a")
    first = micro(db_url, code, 0, "2026-04-02T10:00+02:00")["code"]
    refused(db_url, regranting_handlers.transfer, regranting_inputs.TransferMicroGrant(code=first, amount=Decimal("5000.01"), on="2026-04-03"),
            "2026-04-03T10:00+02:00", "5 000,01 PLN", "art. 16a")
    do(db_url, regranting_handlers.transfer, regranting_inputs.TransferMicroGrant(code=first, amount=Decimal("5000.00"), on="2026-04-03"),
       "2026-04-03T10:00+02:00")
    refused(db_url, regranting_handlers.operator_report, regranting_inputs.OperatorReport(code=code), "2026-04-04T10:00+02:00",
            IMPLEMENTERS[0][0], "art. 16a")
    refused(db_url, regranting_handlers.micro_report, regranting_inputs.MicroGrantReport(code=first, funds_used=Decimal("5000.01"), delivered="x"),
            "2026-10-01T10:00+02:00", "5 000,01 PLN > przekazano 5 000,00 PLN")
    do(db_url, regranting_handlers.micro_report, regranting_inputs.MicroGrantReport(code=first, funds_used=Decimal("4000.00"), delivered="x"),
       "2026-10-01T10:00+02:00")
    refused(db_url, regranting_handlers.settle_micro, regranting_inputs.SettleMicroGrant(code=first), "2026-10-02T10:00+02:00", "1 000,00 PLN", "art. 16a")
    refused(db_url, regranting_handlers.settle_operator, open_call_inputs.Settle(code=code, number=1), "2026-10-02T10:00+02:00", first, "art. 16a")
