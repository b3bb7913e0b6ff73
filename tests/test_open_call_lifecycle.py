"""The whole open call, draft to settled, with six offers, on SQLite and PostgreSQL."""

from decimal import Decimal

from sqlmodel import Session, func, select

from coop.demo import run_open_call
from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case, Contract, Deadline, Offer
from states.engine import Actor, execute
from states.queries import verify_cases
from states.tick import tick

AUDITOR = Actor("audytor", "auditor")


def test_whole_open_call_reaches_settled(db_url):
    result = run_open_call(db_url)

    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == result.code)).one()
        assert case.state == "settled"
        assert case.rule_set_version == "leszno-2026.1"
        states = {o.number: o.state for o in session.exec(select(Offer).where(Offer.case_id == case.id))}
        assert states == {1: "settled", 2: "settled", 3: "settled", 4: "not_selected", 5: "formally_rejected",
                          6: "settled"}
        granted = {o.number: o.granted_amount for o in session.exec(select(Offer).where(Offer.case_id == case.id))}
        assert sum(a for a in granted.values() if a) <= case.budget
        assert granted[4] is None and granted[5] is None
        # the late offer was refused, so it left no row
        assert session.exec(select(func.count()).select_from(Offer)).one() == 6
        # the scheduler fired each deadline once and nothing is left pending that should have fired
        fired = session.exec(select(Deadline).where(Deadline.outcome == "fired")).all()
        assert sorted(d.kind for d in fired) == sorted(["offers_close"] + ["task_end"] * 4 + ["report_due"])
        events = [r.event for r in session.exec(select(AuditRecord).order_by(AuditRecord.seq))]
        assert events.count("close_offers") == 1 and events.count("report_overdue") == 1
        assert events[-1] == "settle"
        late_settlement = session.exec(select(AuditRecord).where(AuditRecord.basis == "ufp art. 251 ust. 5")).one()
        assert late_settlement.payload["late"] is True and late_settlement.payload["interest_from"] == "2026-07-30"
        contracts = session.exec(select(Contract)).all()
        assert {c.report_due.isoformat() for c in contracts} == {"2026-07-30"}

    assert len(result.refusals) == 2
    assert "art. 13 ust. 2 pkt 5" in result.refusals[0]
    assert "art. 15 ust. 2d" in result.refusals[1]
    assert execute(verify_cases, result.code, actor=AUDITOR, url=db_url, readonly=True)["broken"] == []


def test_tick_twice_fires_nothing_more(db_url):
    result = run_open_call(db_url)
    again = tick("2026-12-31T12:00+01:00", url=db_url)
    assert (again.fired, again.skipped) == (0, 0)
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == result.code)).one()
        assert case.audit_seq == session.exec(select(func.count()).select_from(AuditRecord)).one()


def test_money_is_exact(db_url):
    result = run_open_call(db_url)
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == result.code)).one()
        assert case.budget == Decimal("100000.00")
        assert isinstance(case.budget, Decimal)
