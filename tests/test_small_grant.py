"""The small grant outside competition (art. 19a), received to settled, refusals, deadlines and the ceiling
under two concurrent decisions; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.procedures.small_grant import SmallGrantOffer, SmallGrantYear
from models.tables import AuditRecord, Case, Deadline
from states import inputs
from states.cases import register_organisation
from states.engine import Actor, execute
from states.errors import DomainError, RuleViolation
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.queries import verify_cases
from states.rule_sets import LESZNO_2026, SmallGrantRules
from states.rulebook import store_rule_set
from states.tick import tick
from tests.conftest import dump

OFFICER = Actor("Anna Urzędniczka", "officer")
RESIDENT = Actor("Jan Mieszkaniec", "public")
KRS = "0000200001"
OTHER_KRS = "0000200002"


def do(url, handler, command, at, actor=OFFICER):
    return execute(handler, command, actor=actor, at=at, url=url)


def setup_registry(url, planned="1500000.00"):
    for name, krs in (("Stowarzyszenie Leszczyńskie Rowery", KRS), ("Fundacja Zielone Podwórko", OTHER_KRS)):
        do(url, register_organisation, inputs.RegisterOrganisation(name=name, legal_form="stowarzyszenie", krs=krs,
                                                              address="ul. Słowiańska 1, 64-100 Leszno",
                                                              email=f"biuro{krs[-1]}@example.org",
                                                              contact_person="Prezes"), "2026-01-02T08:00+01:00")
    do(url, small_grant_handlers.record_budget, small_grant_inputs.RecordGrantBudget(year=2026, planned=Decimal(planned)), "2026-01-02T09:00+01:00")


def file(url, at="2026-04-01T10:00+02:00", grant="9500.00", start="2026-05-01", end="2026-07-16", krs=KRS, **extra):
    return do(url, small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(organisation_krs=krs, title="Rajd rowerowy „Poznaj Leszno”",
                                                    requested_grant=Decimal(grant), task_start=start, task_end=end,
                                                    **extra), at)


ALL_CHANNELS = {"bip": "2026-04-08T09:00+02:00", "board": "2026-04-08T09:30+02:00", "website": "2026-04-08T10:00+02:00"}


def grant_through(url, code, amount="9000.00", at="2026-04-16T10:00+02:00"):
    """Publish, let the comment period close, decide."""
    do(url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published=ALL_CHANNELS), "2026-04-08T10:05+02:00")
    tick("2026-04-16T00:30+02:00", url=url)
    return do(url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, grant=Decimal(amount), decision_ref="Zarządzenie 101/2026"), at)


def refused(url, handler, command, at, *needles, actor=OFFICER):
    before = dump(url)
    with pytest.raises(DomainError) as error:
        do(url, handler, command, at, actor)
    message = str(error.value)
    for needle in needles:
        assert needle in message, message
    assert dump(url) == before
    return message


def test_small_grant_received_to_settled(db_url):
    setup_registry(db_url)
    filed = file(db_url)
    code = filed["code"]
    assert code == "MG/2026/001" and filed["state"] == "checked"
    # art. 19a ust. 3: 7 working days from Wed 1 April; Easter Monday 6 April is a holiday -> Mon 13 April
    assert str(filed["publish_by"]) == "2026-04-13"
    assert filed["days"] == 77

    partial = do(db_url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published={"bip": ALL_CHANNELS["bip"]}),
                 "2026-04-08T09:05+02:00")
    assert partial["missing"] == ["board", "website"]
    published = do(db_url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(
        code=code, published={k: v for k, v in ALL_CHANNELS.items() if k != "bip"}), "2026-04-08T10:05+02:00")
    assert published["state"] == "comment_period" and published["late"] is False
    assert published["comments_until"].isoformat() == "2026-04-15T23:59:59+02:00"

    do(db_url, small_grant_handlers.add_comment, small_grant_inputs.AddComment(code=code, author="Jan Mieszkaniec",
                                             text="Trasa powinna omijać ul. Grunwaldzką."),
       "2026-04-10T18:00+02:00", actor=RESIDENT)
    do(db_url, small_grant_handlers.add_comment, small_grant_inputs.AddComment(code=code, author="Rada Osiedla Zatorze", text="Popieramy."),
       "2026-04-15T23:00+02:00")
    assert tick("2026-04-16T00:30+02:00", url=db_url).fired == 1  # the comment period closes
    do(db_url, small_grant_handlers.consider_comment, small_grant_inputs.ConsiderComment(code=code, number=1, consideration="Uwzględniono: trasa zmieniona."),
       "2026-04-16T09:00+02:00")
    do(db_url, small_grant_handlers.consider_comment, small_grant_inputs.ConsiderComment(code=code, number=2, consideration="Przyjęto do wiadomości."),
       "2026-04-16T09:05+02:00")
    decided = do(db_url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, grant=Decimal("9000.00"),
                                                        decision_ref="Zarządzenie 101/2026"), "2026-04-16T10:00+02:00")
    assert decided["state"] == "granted"
    signed = do(db_url, small_grant_handlers.sign_contract, small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.526.1.2026"),
                "2026-04-17T10:00+02:00")
    # 30 days after 16 July is Sat 15 August (Assumption): moved to Mon 17 August (KC art. 115)
    assert str(signed["report_due"]) == "2026-08-17"
    assert tick("2026-07-17T00:10+02:00", url=db_url).fired == 1  # the task ended
    do(db_url, small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport(code=code, funds_used=Decimal("8800.00"), summary="Rajd: 140 osób"),
       "2026-08-10T10:00+02:00")
    do(db_url, small_grant_handlers.review_report, small_grant_inputs.ReviewSmallGrantReport(code=code, accept=True), "2026-08-20T10:00+02:00")
    settled = do(db_url, small_grant_handlers.settle, small_grant_inputs.SettleSmallGrant(code=code, returned_amount=Decimal("200.00"),
                                                         returned_on="2026-08-25"), "2026-08-26T10:00+02:00")
    assert settled["state"] == "settled"

    with Session(get_engine(normalise_url(db_url))) as session:
        ledger = session.get(SmallGrantYear, 2026)
        assert ledger.committed == Decimal("9000.00")
        case = session.exec(select(Case).where(Case.code == code)).one()
        assert case.rule_set_version == LESZNO_2026.version
        rows = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq)).all()
        transitions = [(r.event, r.to_state, r.basis) for r in rows if r.from_state != r.to_state]
        assert [t[0] for t in transitions] == ["pass_check", "publish", "close_comments", "decide", "sign_contract",
                                               "task_ended", "submit_report", "accept_report", "settle"]
        assert all(t[2] for t in transitions)
        assert [r.payload["author"] for r in rows if r.event == "comment"] == ["Jan Mieszkaniec", "Rada Osiedla Zatorze"]
        pending = session.exec(select(Deadline).where(Deadline.case_id == case.id, Deadline.fired_at.is_(None))).all()
        assert pending == []
    assert execute(verify_cases, code, actor=Actor("audytor", "auditor"), url=db_url, readonly=True)["broken"] == []


def test_statutory_conditions_refused_with_figure(db_url):
    setup_registry(db_url)
    message = refused(db_url, small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs=KRS, title="Za duża", requested_grant=Decimal("10500.00"), task_start="2026-05-01",
        task_end="2026-05-30"), "2026-04-01T10:00+02:00", "art. 19a ust. 1 pkt 1")
    assert "10 500,00 PLN > 10 000,00 PLN" in message
    # 1 May - 30 July counts 91 days with both ends
    refused(db_url, small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs=KRS, title="Za długa", requested_grant=Decimal("5000.00"), task_start="2026-05-01",
        task_end="2026-07-30"), "2026-04-01T10:00+02:00", "trwa 91 dni", "limit w dniach: 90", "art. 19a ust. 1 pkt 2")
    # exactly 90 days passes
    assert file(db_url, end="2026-07-29")["days"] == 90


def test_no_planned_funds_refused(db_url):
    setup_registry(db_url)
    refused(db_url, small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs=KRS, title="Rok bez budżetu", requested_grant=Decimal("5000.00"), task_start="2027-01-10",
        task_end="2027-02-10"), "2026-12-01T10:00+01:00", "2027", "art. 19a ust. 7")


def test_yearly_ceiling_refused_at_check_and_at_decision(db_url):
    setup_registry(db_url, planned="80000.00")  # ceiling: 20 % = 16 000,00 PLN
    first = file(db_url, grant="9000.00")["code"]
    second = file(db_url, grant="8000.00", krs=OTHER_KRS, at="2026-04-01T11:00+02:00")["code"]  # 9000 + 8000 checked apart
    do(db_url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=second, published=ALL_CHANNELS), "2026-04-08T10:05+02:00")
    grant_through(db_url, first, "9000.00")
    message = refused(db_url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=second, grant=Decimal("8000.00"),
                                                             decision_ref="Zarządzenie 102/2026"),
                      "2026-04-16T11:00+02:00", "art. 19a ust. 7")
    assert "9 000,00 PLN + 8 000,00 PLN = 17 000,00 PLN > 16 000,00 PLN" in message
    refused(db_url, small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs=OTHER_KRS, title="Trzecia", requested_grant=Decimal("7001.00"), task_start="2026-06-01",
        task_end="2026-06-30"), "2026-04-20T10:00+02:00", "16 000,00 PLN", "art. 19a ust. 7")
    # a smaller grant still fits
    assert do(db_url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=second, grant=Decimal("7000.00"), decision_ref="Z 103/2026"),
              "2026-04-16T12:00+02:00")["state"] == "granted"


def test_the_cap_per_organisation_is_statutory(db_url):
    """art. 19a ust. 6: at most 20 000 PLN a year to one organisation in this mode; a council may set less,
    never more, and cannot switch it off."""
    setup_registry(db_url)
    for day, amount in (("01", "10000.00"), ("02", "9000.00")):
        code = file(db_url, grant=amount, at=f"2026-04-{day}T10:00+02:00")["code"]
        grant_through(db_url, code, amount, at=f"2026-04-16T1{day[-1]}:00+02:00")
    refused(db_url, small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs=KRS, title="Trzecia", requested_grant=Decimal("1000.01"), task_start="2026-09-01",
        task_end="2026-09-30"), "2026-04-20T10:00+02:00", "19 000,00 PLN + 1 000,01 PLN", "20 000,00 PLN",
        "art. 19a ust. 6")
    with pytest.raises(ValidationError):
        SmallGrantRules(organisation_cap=Decimal("20000.01"))
    # a council's lower cap refuses earlier
    lower = LESZNO_2026.model_copy(update={"version": "nizszy-limit-2026",
                                           "small_grant": SmallGrantRules(organisation_cap=Decimal("19500.00"))})
    execute(lambda ctx: store_rule_set(ctx.session, lower, ctx.now), actor=OFFICER, at="2026-04-20T09:00+02:00",
            url=db_url)
    refused(db_url, small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs=KRS, title="Trzecia", requested_grant=Decimal("500.01"), task_start="2026-09-01",
        task_end="2026-09-30", rule_set="nizszy-limit-2026"), "2026-04-20T10:00+02:00", "19 500,00 PLN",
        "art. 19a ust. 6")
    assert file(db_url, grant="500.00", start="2026-09-01", end="2026-09-30", at="2026-04-20T10:00+02:00",
                rule_set="nizszy-limit-2026")["state"] == "checked"


def test_comment_and_decision_refusals(db_url):
    setup_registry(db_url)
    code = file(db_url)["code"]
    refused(db_url, small_grant_handlers.add_comment, small_grant_inputs.AddComment(code=code, author="Ktoś", text="Za wcześnie"),
            "2026-04-02T10:00+02:00", "art. 19a ust. 4", actor=RESIDENT)
    refused(db_url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published={"facebook": "2026-04-08T09:00+02:00"}),
            "2026-04-08T10:00+02:00", "art. 19a ust. 3")
    do(db_url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published=ALL_CHANNELS), "2026-04-08T10:05+02:00")
    do(db_url, small_grant_handlers.add_comment, small_grant_inputs.AddComment(code=code, author="Ewa", text="Uwaga"), "2026-04-09T10:00+02:00", actor=RESIDENT)
    refused(db_url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, grant=Decimal("9000.00"), decision_ref="Z"),
            "2026-04-10T10:00+02:00", "„uwagi rozpatrywane”", "art. 19a ust. 4-5")  # the comment period still runs
    tick("2026-04-16T00:30+02:00", url=db_url)
    refused(db_url, small_grant_handlers.add_comment, small_grant_inputs.AddComment(code=code, author="Spóźniony", text="Po terminie"),
            "2026-04-16T08:00+02:00", "art. 19a ust. 4", actor=RESIDENT)
    refused(db_url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, grant=Decimal("9000.00"), decision_ref="Z"),
            "2026-04-16T10:00+02:00", "nie rozpatrzono uwagi nr 1", "art. 19a ust. 5")
    refused(db_url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, grant=Decimal("9600.00"), decision_ref="Z"),
            "2026-04-16T10:00+02:00", "9 600,00 PLN", "art. 19a ust. 5")
    do(db_url, small_grant_handlers.consider_comment, small_grant_inputs.ConsiderComment(code=code, number=1, consideration="Nieuwzględniona"),
       "2026-04-16T09:00+02:00")
    rejected = do(db_url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, decision_ref="Z 104/2026", reason="Brak środków"),
                  "2026-04-16T10:00+02:00")
    assert rejected["state"] == "rejected"
    refused(db_url, small_grant_handlers.sign_contract, small_grant_inputs.SignSmallGrant(code=code, contract_number="X"), "2026-04-17T10:00+02:00",
            "„odmowa”", "art. 19a ust. 5")


def test_report_and_settlement_refusals(db_url):
    setup_registry(db_url)
    code = file(db_url)["code"]
    grant_through(db_url, code)
    do(db_url, small_grant_handlers.sign_contract, small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.1"), "2026-04-17T10:00+02:00")
    refused(db_url, small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport(code=code, funds_used=Decimal("9000.01")),
            "2026-07-20T10:00+02:00", "9 000,01 PLN > kwota dotacji 9 000,00 PLN", "art. 18 ust. 1")
    do(db_url, small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport(code=code, funds_used=Decimal("8000.00")), "2026-07-20T10:00+02:00")
    do(db_url, small_grant_handlers.review_report, small_grant_inputs.ReviewSmallGrantReport(code=code, accept=True), "2026-07-21T10:00+02:00")
    refused(db_url, small_grant_handlers.settle, small_grant_inputs.SettleSmallGrant(code=code), "2026-07-22T10:00+02:00", "1 000,00 PLN",
            "ufp art. 251")


def test_deadlines_publication_overdue_and_report_overdue(db_url):
    setup_registry(db_url)
    code = file(db_url)["code"]
    assert tick("2026-04-13T23:00+02:00", url=db_url).fired == 0  # the 13th is still in time
    report = tick("2026-04-14T00:00+02:00", url=db_url)
    assert report.fired == 1
    # published late: recorded as such, the comment period still runs its 7 days
    late = do(db_url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published={
        "bip": "2026-04-14T09:00+02:00", "board": "2026-04-14T09:00+02:00", "website": "2026-04-14T09:00+02:00"}),
        "2026-04-14T10:00+02:00")
    assert late["late"] is True
    # 14 April + 7 days = Tue 21 April
    assert late["comments_until"].isoformat() == "2026-04-21T23:59:59+02:00"
    tick("2026-04-22T00:00+02:00", url=db_url)
    do(db_url, small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, grant=Decimal("9000.00"), decision_ref="Z"), "2026-04-22T10:00+02:00")
    do(db_url, small_grant_handlers.sign_contract, small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.2"), "2026-04-23T10:00+02:00")
    tick("2026-07-17T00:10+02:00", url=db_url)
    assert tick("2026-08-17T23:59+02:00", url=db_url).fired == 0  # Mon 17 August is the last day
    assert tick("2026-08-18T00:00+02:00", url=db_url).fired == 1
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        assert case.state == "report_overdue"
        events = [r.event for r in session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id))]
        assert "publication_overdue" in events and "report_overdue" in events
    # a late report is still received, and marked late
    assert do(db_url, small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport(code=code, funds_used=Decimal("9000.00")),
              "2026-08-20T10:00+02:00")["late"] is True


def test_ceiling_holds_under_two_concurrent_decisions(db_url):
    """Two offers, each within the ceiling alone, decided at the same moment: exactly one is granted."""
    setup_registry(db_url, planned="80000.00")  # ceiling 16 000,00 PLN
    codes = [file(db_url, grant="9000.00", krs=krs, at=f"2026-04-01T1{i}:00+02:00")["code"]
             for i, krs in enumerate((KRS, OTHER_KRS))]
    for code in codes:
        do(db_url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published=ALL_CHANNELS), "2026-04-08T10:05+02:00")
    tick("2026-04-16T00:30+02:00", url=db_url)

    barrier = threading.Barrier(2, timeout=30)

    def racing(ctx, cmd):
        barrier.wait()  # both transactions start their decision together
        return small_grant_handlers.decide(ctx, cmd)

    racing.__wrapped__ = small_grant_handlers.decide  # the authorization matrix knows it as the handler it wraps
    outcomes: dict[str, object] = {}

    def run(code):
        try:
            outcomes[code] = execute(racing, small_grant_inputs.DecideSmallGrant(code=code, grant=Decimal("9000.00"), decision_ref="Z"),
                                     actor=OFFICER, at="2026-04-16T10:00+02:00", url=db_url)
        except DomainError as error:
            outcomes[code] = error

    threads = [threading.Thread(target=run, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    granted = [v for v in outcomes.values() if isinstance(v, dict)]
    refusals = [v for v in outcomes.values() if isinstance(v, RuleViolation)]
    assert len(granted) == 1 and len(refusals) == 1, outcomes
    assert refusals[0].rule == "small_grant_ceiling" and "16 000,00 PLN" in str(refusals[0])
    with Session(get_engine(normalise_url(db_url))) as session:
        assert session.get(SmallGrantYear, 2026).committed == Decimal("9000.00")
        total = sum(o.granted_amount or 0 for o in session.exec(select(SmallGrantOffer)))
        assert total == Decimal("9000.00")
