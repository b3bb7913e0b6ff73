"""Notifications of the consultation, the local initiative, regranting and the small grant's report corrections:
each procedure's realistic scenario on SQLite and PostgreSQL (``db_url``), its outbox rows (recipients,
templates, statuses) and their Polish text after rendering; a refused step writes none."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Publication
from notifications.dispatcher import dispatch
from notifications.render import render, template_names
from notifications.routing import KO, LI, MG, RULES, TEMPLATES, UNRULED_TEMPLATES
from states import inputs
from states.cases import register_organisation
from states.engine import Actor, execute
from states.errors import DomainError
from states.procedures.consultation import handlers as consultation_handlers
from states.procedures.consultation import inputs as consultation_inputs
from states.procedures.local_initiative import handlers as local_initiative_handlers
from states.procedures.local_initiative import inputs as local_initiative_inputs
from states.procedures.regranting import handlers as regranting_handlers
from states.procedures.regranting import inputs as regranting_inputs
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.tick import tick
from tests.conftest import dump
from tests.initiative_forms import sample_initiative_form
from tests.notification_helpers import (
    CYCLISTS,
    OFFICERS,
    SmtpServer,
    configure,
    free_port,
    outbox,
    small_grant_case,
)
from tests.regranting_fixtures import IMPLEMENTERS, selection_published
from tests.regranting_fixtures import micro as add_micro

OFFICER = Actor("Anna Urzędniczka", "officer")
RDPP = "rdpp@leszno.example"
POLISH_DATE = re.compile(r"\d{1,2} (stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|"
                         r"października|listopada|grudnia) \d{4} r\.")
NGOS = (("Stowarzyszenie Przyjaciół Leszna", "0000600001", "przyjaciele@leszno.example"),
        ("Fundacja Zielone Leszno", "0000600002", "zielone@leszno.example"))
REPRESENTATIVE = "krystyna.nowak@example.org"
PORTAL_REPRESENTATIVE = "krysia.portal@example.org"  # the address the named representative proved on the portal
OPERATOR = "cil@example.org"
COMMENTER = "maria.kowalska@example.org"


@pytest.fixture
def smtp(monkeypatch, db_url):
    server = SmtpServer(free_port()).start()
    configure(monkeypatch, server.port, db_url, rdpp_email=RDPP)
    yield server
    server.stop()


def do(url, handler, command, at, actor=OFFICER):
    return execute(handler, command, actor=actor, at=at, url=url)


def register(url, name, krs, email):
    do(url, register_organisation, inputs.RegisterOrganisation(name=name, legal_form="stowarzyszenie", krs=krs,
                                                          address="Leszno", email=email, contact_person="Prezes"),
       "2026-01-02T08:00+01:00")


def polish(row) -> str:
    """The row as its recipient reads it: rendered in Polish, naming its case, with a Polish date."""
    out = render(row.template, row.data, "pl")
    case_code = row.key.split("#", 1)[0]
    assert case_code in out.subject and case_code in out.text and POLISH_DATE.search(out.text), row.template
    return out.subject + "\n" + out.text


def rows_of(rows, template):
    return [r for r in rows if r.template == template]


# --- scenarios ------------------------------------------------------------------------------------------------

CHANNELS = ("consultations_portal", "ngo_portal", "bip", "board")


def consultation(url) -> str:
    """Leszno's cooperation programme for 2027: draft published 30 Oct, RDPP silent, two comments answered."""
    for ngo in NGOS:
        register(url, *ngo)
    code = do(url, consultation_handlers.create, consultation_inputs.CreateConsultation(
        title="Program współpracy Miasta Leszna z organizacjami pozarządowymi na 2027 rok",
        field="współpraca z organizacjami pozarządowymi", act_kind="programme", programme_year=2027,
        council_session="2026-11-26"), "2026-10-29T10:00+01:00")["code"]
    do(url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={ch: "2026-10-30T09:00+01:00" for ch in CHANNELS}, rdpp_delivered="2026-10-30T10:00+01:00"),
       "2026-10-30T10:30+01:00")
    for author, kind, text, at, email in (
            ("Stowarzyszenie Przyjaciół Leszna", "ngo", "Proszę dodać priorytet: seniorzy.", "2026-11-02T12:00+01:00",
             None),
            ("Maria Kowalska", "resident", "Więcej konsultacji online.", "2026-11-06T15:29+01:00", COMMENTER)):
        do(url, consultation_handlers.add_comment, consultation_inputs.ConsultationCommentInput(code=code, author=author, author_kind=kind, text=text,
                                                            provision="§ 5 ust. 2", email=email), at,
           Actor(author, "public"))
    tick("2026-11-06T15:31+01:00", url=url)  # the period closes
    tick("2026-11-14T00:00+01:00", url=url)  # the RDPP's 14 days passed in silence
    return code


REPORT_ANSWERS = (consultation_inputs.CommentAnswer(number=1, answer="partly_accepted", reason="Seniorzy dopisani do priorytetów 2027."),
                  consultation_inputs.CommentAnswer(number=2, answer="rejected", reason="Konsultacje online już prowadzone na portalu."))

POINTS = {"social_work": Decimal(9), "public_benefit": Decimal(8), "feasibility": Decimal(7),
          "own_contribution": Decimal(6)}
COSTS = (local_initiative_inputs.CostLine(party="city", description="Ziemia, nasadzenia i ławki", amount=Decimal("18000.00")),
         local_initiative_inputs.CostLine(party="work", description="Sadzenie i malowanie przez mieszkańców", hours=Decimal("240")),
         local_initiative_inputs.CostLine(party="cash", description="Zbiórka mieszkańców na tablicę", amount=Decimal("1500.00")),
         local_initiative_inputs.CostLine(party="goods", description="Narzędzia od Rady Osiedla", amount=Decimal("800.00")))


def initiative(url, reviewed: bool = False, named: bool = False) -> str:
    """Residents' neighbourhood garden: checked, accepted, planned, contracted; the report comes late; ``reviewed``:
    corrections called for, the corrected report, accepted; ``named``: once contracted, the officer names the
    residents' representative on the portal (a registered person with a confirmed portal address)."""
    code = do(url, local_initiative_handlers.file, local_initiative_inputs.FileInitiative(
        title="Ogród sąsiedzki przy ul. Kurpińskiego", applicant_kind="residents", representative="Krystyna Nowak",
        representative_email=REPRESENTATIVE, residents=("Krystyna Nowak", "Adam Lis", "Ewa Maj"), sphere="greenery",
        location="działka 123/4, obręb Leszno", property_owner="Miasto Leszno",
        description="Zagospodarowanie zieleńca na ogród sąsiedzki."), "2026-03-02T10:00+01:00")["code"]
    do(url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=code, passed=True), "2026-03-05T10:00+01:00")
    do(url, local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative(code=code, points=POINTS), "2026-03-10T10:00+01:00")
    do(url, local_initiative_handlers.decide, local_initiative_inputs.DecideInitiative(code=code, accept=True, decision_ref="Zarządzenie 55/2026"),
       "2026-03-12T10:00+01:00")
    do(url, local_initiative_handlers.plan, local_initiative_inputs.PlanInitiative(code=code, task_start="2026-04-20", task_end="2026-06-04", costs=COSTS),
       "2026-03-20T10:00+01:00")
    do(url, local_initiative_handlers.sign_contract, local_initiative_inputs.SignInitiative(code=code, contract_number="WSO.IL.1.2026"), "2026-03-25T10:00+01:00")
    if named:
        from tests.people_fixtures import person
        from tests.test_report_receipt_email import portal_account

        person(url, "krysia", "Krystyna Nowak")
        portal_account(url, "krysia", PORTAL_REPRESENTATIVE)
        do(url, local_initiative_handlers.name_representative, local_initiative_inputs.NameRepresentative(
            code=code, account="krysia"), "2026-03-26T10:00+01:00")
    tick("2026-06-05T00:00+02:00", url=url)  # the task ended
    tick("2026-07-07T00:00+02:00", url=url)  # the report (due Mon 6 July) is overdue
    do(url, local_initiative_handlers.submit_report, local_initiative_inputs.InitiativeReport(code=code, work_hours=Decimal("260"), summary="Ogród otwarty."),
       "2026-07-10T10:00+02:00")
    if not reviewed:
        return code
    # the report's review: corrections called for, the corrected report, accepted (each tells the initiator)
    do(url, local_initiative_handlers.review_report, local_initiative_inputs.ReviewInitiativeReport(
        code=code, accept=False, reason="Brak liczby osób pracujących społecznie."), "2026-07-13T10:00+02:00")
    do(url, local_initiative_handlers.submit_report, local_initiative_inputs.InitiativeReport(
        code=code, work_hours=Decimal("260"), summary="Ogród otwarty; pracowało 14 osób."), "2026-07-15T10:00+02:00")
    do(url, local_initiative_handlers.review_report, local_initiative_inputs.ReviewInitiativeReport(
        code=code, accept=True), "2026-07-16T10:00+02:00")
    return code


def regranting(url) -> str:
    """The operator chosen in an open call, its sub-call, two micro-grants (one transfer late), reports."""
    code = selection_published(url)  # the operator (e-mail OPERATOR) chosen, contracted, its sub-call decided
    micro = [add_micro(url, code, 0, "2026-04-02T10:00+02:00")["code"],
             add_micro(url, code, 1, "2026-04-17T10:00+02:00")["code"]]
    do(url, regranting_handlers.transfer, regranting_inputs.TransferMicroGrant(code=micro[0], amount=Decimal("5000.00"), on="2026-04-10"),
       "2026-04-10T12:00+02:00")
    tick("2026-05-05T00:00+02:00", url=url)  # the second transfer (due Mon 4 May) is overdue
    do(url, regranting_handlers.transfer, regranting_inputs.TransferMicroGrant(code=micro[1], amount=Decimal("4000.00"), on="2026-05-06"),
       "2026-05-06T12:00+02:00")
    do(url, regranting_handlers.micro_report, regranting_inputs.MicroGrantReport(code=micro[0], funds_used=Decimal("4800.00"),
                                                 delivered="6 warsztatów, 48 uczestników"), "2026-10-10T10:00+02:00")
    do(url, regranting_handlers.micro_report, regranting_inputs.MicroGrantReport(code=micro[1], funds_used=Decimal("4000.00"),
                                                 delivered="Turniej, 16 drużyn"), "2026-10-12T10:00+02:00")
    tick("2026-11-26T00:00+01:00", url=url)  # the operator's task ended
    do(url, regranting_handlers.operator_report, regranting_inputs.OperatorReport(code=code, own_costs=Decimal("40000.00"), summary="Dwa mikrogranty"),
       "2026-12-10T10:00+01:00")
    return code


def small_grant_report_sent_back(url) -> str:
    code, _ = small_grant_case(url)
    do(url, small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport(code=code, funds_used="9000.00"), "2026-08-12T10:00+02:00")
    do(url, small_grant_handlers.review_report, small_grant_inputs.ReviewSmallGrantReport(code=code, accept=False,
                                                        reason="brak zestawienia faktur"), "2026-08-20T10:00+02:00")
    return code


def small_grant_settled(url, returned_on: str, code: str | None = None) -> str:
    """The small grant's report (9 000 zł granted, 8 500 zł used) accepted; 500 zł returned on ``returned_on``."""
    code = code or small_grant_case(url)[0]
    do(url, small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport(code=code, funds_used="8500.00"), "2026-08-24T10:00+02:00")
    do(url, small_grant_handlers.review_report, small_grant_inputs.ReviewSmallGrantReport(code=code, accept=True), "2026-08-25T09:00+02:00")
    do(url, small_grant_handlers.settle, small_grant_inputs.SettleSmallGrant(code=code, returned_amount="500.00", returned_on=returned_on),
       "2026-08-25T10:00+02:00")
    return code


# --- tests ------------------------------------------------------------------------------------------------------


def test_consultation_invites_ngos_asks_the_rdpp_publishes_and_tells_officers(db_url, smtp):
    code = consultation(db_url)
    do(db_url, consultation_handlers.publish_report, consultation_inputs.ConsultationReport(
        code=code, answers=REPORT_ANSWERS, published={ch: "2026-11-16T09:00+01:00" for ch in CHANNELS}),
       "2026-11-16T10:00+01:00")
    rows = [r for r in outbox(db_url) if r.key.startswith(code)]
    # every registered organisation is invited (the registry records no field of activity to match)
    invitations = rows_of(rows, "consultation_invitation")
    assert sorted(r.recipient for r in invitations) == sorted(n[2] for n in NGOS)
    text = polish(invitations[0])
    assert "zaproszenie do konsultacji" in text and "projekt programu współpracy" in text
    assert "6 listopada 2026 r., godz. 15:30" in text  # 7 days closing at the resolution's hour
    [request] = rows_of(rows, "rdpp_opinion_request")
    assert request.recipient == RDPP and request.category == "legal"
    text = polish(request)
    assert "13 listopada 2026 r., godz. 23:59" in text and "art. 41i ust. 2" in text  # 14 days from delivery
    # officers: the RDPP's silence (art. 41i ust. 2) and the end of the period
    [waived] = rows_of(rows, "officer_rdpp_waived")
    [closed] = rows_of(rows, "officer_consultation_closed")
    assert waived.recipient == closed.recipient == OFFICERS
    assert "rezygnację z prawa do wyrażenia opinii" in polish(waived)
    assert "Zgłoszono uwag: 2" in polish(closed)
    assert {r.template for r in rows} == {"consultation_invitation", "rdpp_opinion_request", "officer_rdpp_waived",
                                          "officer_consultation_closed", "comment_considered"}  # notices as text

    # public notices: the draft and the report, rendered into each channel's publication record
    with Session(get_engine(normalise_url(db_url))) as session:
        publications = session.exec(select(Publication).order_by(Publication.id)).all()
    drafts = [p for p in publications if p.subject == "draft"]
    reports = [p for p in publications if p.subject == "report"]
    assert {p.channel for p in drafts} == {p.channel for p in reports} == set(CHANNELS)
    assert all("OGŁOSZENIE O KONSULTACJACH " + code in p.text and "portal konsultacji społecznych" in p.text
               and "do 6 listopada 2026 r., godz. 15:30" in p.text for p in drafts)
    for p in reports:
        assert "1. Stowarzyszenie Przyjaciół Leszna (§ 5 ust. 2): Proszę dodać priorytet: seniorzy. — " \
               "uwzględniona częściowo: Seniorzy dopisani do priorytetów 2027." in p.text
        assert "2. Maria Kowalska" in p.text and "nieuwzględniona: Konsultacje online" in p.text
        assert "nie wyraziła opinii w terminie (art. 41i ust. 2)" in p.text

    # delivered over SMTP, in Polish, once
    report = dispatch("2026-11-17T10:00+01:00", url=db_url)
    assert report.failed == []
    assert [m["Subject"] for m in smtp.inbox.to(RDPP)] == [f"{code}: projekt do zaopiniowania przez Radę"]
    assert all(len(smtp.inbox.to(n[2])) == 1 for n in NGOS)


def test_consultation_without_delivery_to_the_rdpp_asks_no_opinion(db_url, smtp):
    register(db_url, *NGOS[0])
    code = do(db_url, consultation_handlers.create, consultation_inputs.CreateConsultation(title="Uchwała w sprawie zasad wynajmu lokali", field="kultura"),
              "2027-05-04T10:00+02:00")["code"]
    do(db_url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(code=code, published={
        ch: "2027-05-05T09:00+02:00" for ch in CHANNELS}), "2027-05-05T10:00+02:00")
    rows = outbox(db_url)
    assert [r.template for r in rows] == ["consultation_invitation"]
    assert "projekt uchwały" in polish(rows[0])


def test_a_refused_consultation_report_writes_no_notification(db_url, smtp):
    code = do(db_url, consultation_handlers.create, consultation_inputs.CreateConsultation(
        title="Program współpracy na 2027 rok", field="współpraca", act_kind="programme", programme_year=2027),
        "2026-10-29T10:00+01:00")["code"]
    do(db_url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={ch: "2026-10-30T09:00+01:00" for ch in CHANNELS}, rdpp_delivered="2026-10-30T10:00+01:00"),
       "2026-10-30T10:30+01:00")
    tick("2026-11-06T15:31+01:00", url=db_url)
    before, rows_before = dump(db_url), len(outbox(db_url))
    with pytest.raises(DomainError, match="art. 41i"):  # the RDPP still has until 13 November
        do(db_url, consultation_handlers.publish_report, consultation_inputs.ConsultationReport(
            code=code, published={ch: "2026-11-09T09:00+01:00" for ch in CHANNELS}), "2026-11-09T10:00+01:00")
    assert dump(db_url) == before and len(outbox(db_url)) == rows_before


def test_local_initiative_tells_the_representative_each_step_and_reminds_of_the_report(db_url, smtp):
    initiative(db_url)
    rows = [r for r in outbox(db_url) if r.audience != "officers"]  # officers' tasks: tested below
    assert {r.recipient for r in rows} == {REPRESENTATIVE}
    assert {r.recipient_name for r in rows} == {"Krystyna Nowak"}
    assert [r.template for r in rows if r.status != "cancelled"] == [
        "initiative_formal_check", "initiative_decision", "initiative_plan", "initiative_contract",
        "initiative_report_overdue"]
    formal, decision, plan, contract, overdue = (polish(r) for r in rows if r.status != "cancelled")
    assert "wniosek przeszedł ocenę formalną" in formal
    assert "uzyskał w ocenie 78,00% maksymalnej liczby punktów" in decision and "Zarządzenie 55/2026" in decision
    assert "praca społeczna mieszkańców: 8 400,00 zł" in plan and "zakupy miasta: 18 000,00 zł" in plan
    assert "od 20 kwietnia 2026 r. do 4 czerwca 2026 r." in plan
    assert "WSO.IL.1.2026" in contract and "do 6 lipca 2026 r." in contract  # 4 July is a Saturday (KC art. 115)
    assert "sprawozdanie z inicjatywy zaległe" in overdue and "dotac" not in overdue.split("\n-- \n")[0]
    # the two reminders (29 June, 6 July) were not dispatched here, so filing the report cancelled them
    reminders = rows_of(rows, "initiative_report_reminder")
    assert [(r.status, r.data["days_left"], r.not_before.date().isoformat()) for r in reminders] == [
        ("cancelled", 7, "2026-06-29"), ("cancelled", 0, "2026-07-06")]
    assert "za 7 dni, 6 lipca 2026 r." in polish(reminders[0])


def test_an_ngos_initiative_rejected_on_formal_grounds_tells_the_ngo(db_url, smtp):
    register(db_url, "Stowarzyszenie Zatorze", "0000400001", "zatorze@example.org")
    code = do(db_url, local_initiative_handlers.file, local_initiative_inputs.FileInitiative(
        title="Plac zabaw na Zatorzu", applicant_kind="ngo", representative="Jan Lis", organisation_krs="0000400001",
        sphere="greenery", location="ul. Zatorze", property_owner="Miasto Leszno", description="Plac zabaw."),
        "2026-03-02T10:00+01:00")["code"]
    before, rows_before = dump(db_url), outbox(db_url)
    with pytest.raises(DomainError):  # no defects named: refused, nothing written
        do(db_url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=code, passed=False), "2026-03-05T10:00+01:00")
    assert dump(db_url) == before and outbox(db_url) == rows_before
    assert [r.template for r in rows_before] == ["officer_initiative_filed"]
    do(db_url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=code, passed=False, defects=("brak zgody właściciela terenu",)),
       "2026-03-05T10:00+01:00")
    [row] = [r for r in outbox(db_url) if r.audience != "officers"]
    assert (row.recipient, row.recipient_name) == ("zatorze@example.org", "Stowarzyszenie Zatorze")
    text = polish(row)
    assert "wniosek odrzucony z przyczyn formalnych" in text and "- brak zgody właściciela terenu" in text


def test_regranting_tells_the_operator_of_its_micro_grant_dates_and_reminds_of_reports(db_url, smtp):
    code = regranting(db_url)
    rows = outbox(db_url)
    micro = [r for r in rows if r.key.startswith("MR/") and r.audience != "officers"]  # officers: tested below
    assert {r.recipient for r in micro} == {OPERATOR}
    contracted = rows_of(micro, "micro_grant_contracted")
    assert [r.key.split("#")[0] for r in contracted] == ["MR/2026/001", "MR/2026/002"]
    first, second = (polish(r) for r in contracted)
    assert "środki dla realizatora do 16 kwietnia 2026 r." in first
    assert "do 4 maja 2026 r." in second  # 1 and 3 May are holidays, 2 May a Saturday
    assert "sprawozdanie realizatora: do 30 października 2026 r." in first
    [overdue] = rows_of(micro, "micro_grant_transfer_overdue")
    assert overdue.key.startswith("MR/2026/002") and "Grupa nieformalna Młodzi Leszno" in polish(overdue)
    # the implementers reported before their reminders: all four were cancelled by the reports
    reminders = rows_of(micro, "micro_grant_report_reminder")
    assert Counter(r.status for r in reminders) == {"cancelled": 4}
    assert "sprawozdanie realizatora za 7 dni" in polish(reminders[0])
    # the operator's own open call: told of the decision, the results, its contract, and its report reminders
    operator = [r for r in rows if r.key.startswith(code) and r.recipient == OPERATOR]
    assert {"offer_decision", "results_published", "contract_signed"} <= {r.template for r in operator}
    report_reminders = rows_of(operator, "report_due_reminder")
    assert [(r.status, r.data["report_due"]) for r in report_reminders] == [("cancelled", "2026-12-28")] * 2
    assert "28 grudnia 2026 r." in polish(report_reminders[0])
    assert rows_of([r for r in rows if r.key.startswith(code)], "officer_report_submitted")


def test_small_grant_report_sent_back_names_the_date_to_correct_by(db_url, smtp):
    code = small_grant_report_sent_back(db_url)
    [row] = rows_of(outbox(db_url), "report_corrections_requested")
    assert row.recipient == CYCLISTS
    text = polish(row)
    assert f"{code}: wezwanie do poprawienia sprawozdania" in text and "brak zestawienia faktur" in text
    assert "do 27 sierpnia 2026 r., godz. 23:59" in text  # 7 days of the contract's written call


def test_every_procedure_template_renders_with_realistic_data_in_both_languages(db_url, smtp, monkeypatch):
    monkeypatch.setenv("COOP_WEBHOOK_URL", "http://127.0.0.1:9/hook")  # public notices become rows too
    code = consultation(db_url)
    do(db_url, consultation_handlers.publish_report, consultation_inputs.ConsultationReport(
        code=code, answers=REPORT_ANSWERS, published={ch: "2026-11-16T09:00+01:00" for ch in CHANNELS}),
       "2026-11-16T10:00+01:00")
    initiative(db_url, reviewed=True, named=True)
    # an application filed through the portal: its receipt (the paper one above gets none)
    do(db_url, local_initiative_handlers.file_residents_application, local_initiative_inputs.FileApplication.parse(
        form=sample_initiative_form()), "2026-03-02T10:00+01:00", actor=Actor("Krystyna Nowak", "public"))
    regranting(db_url)
    small_grant_settled(db_url, "2026-08-20", small_grant_report_sent_back(db_url))
    rows = outbox(db_url)
    produced = {r.template for r in rows}
    # every template of these procedures' rules is produced here (the receipt of an initiative's report filed on its
    # form in tests/test_report_receipt_email.py); every template has a rule and a file
    assert produced >= {rule.template for rule in RULES if rule.kind in (KO, LI, MG) and rule.template} - {
        "initiative_report_receipt"}
    assert produced >= {"small_grant_settled", "sub_call_notice", "sub_selection_notice"}
    assert {rule.template for rule in RULES if rule.template} | UNRULED_TEMPLATES == set(TEMPLATES) == set(template_names())
    for row in rows:
        for lang in ("pl", "en"):
            out = render(row.template, row.data, lang)
            assert out.subject and row.key.split("#", 1)[0] in out.text and "{{" not in out.text
            assert "<html" in out.html and str(escape(out.subject)) in out.html
            if lang == "pl":
                assert POLISH_DATE.search(out.text), row.template


# --- the small grant's settlement, the sub-call's notices, officers' tasks, commenters ---------------------------


@pytest.mark.parametrize(("returned_on", "late"), [("2026-08-14", False), ("2026-08-20", True)])
def test_small_grant_settlement_tells_the_applicant_the_return_date_and_interest_when_late(db_url, smtp,
                                                                                           returned_on, late):
    code = small_grant_settled(db_url, returned_on)
    [row] = rows_of(outbox(db_url), "small_grant_settled")
    assert (row.recipient, row.category) == (CYCLISTS, "legal")
    text = polish(row)
    assert f"{code}: dotacja rozliczona" in text and "Niewykorzystana część dotacji: 500,00 zł; zwrócono: 500,00 zł" in text
    # the task ended 16 July: used until 30 July (14 days), returned by 14 August (ufp art. 251 ust. 3)
    assert "Termin wykorzystania dotacji: 30 lipca 2026 r." in text and "14 sierpnia 2026 r." in text
    assert "art. 251 ust. 3" in text
    assert ("odsetki w wysokości jak dla zaległości podatkowych od 15 sierpnia 2026 r." in text) is late


def test_regranting_sub_call_and_selection_are_public_notices_and_officers_review_implementers_reports(db_url, smtp):
    code = regranting(db_url)
    with Session(get_engine(normalise_url(db_url))) as session:
        publications = session.exec(select(Publication).where(Publication.subject.in_(("sub_call", "sub_selection")))
                                    .order_by(Publication.id)).all()
    calls = [p for p in publications if p.subject == "sub_call"]
    chosen = [p for p in publications if p.subject == "sub_selection"]
    assert {p.channel for p in calls} == {p.channel for p in chosen} == {"operator_website", "bip"}
    for p in calls:
        assert f"OGŁOSZENIE NABORU REALIZATORÓW – REGRANTING {code}" in p.text
        assert "Operator Fundacja Centrum Inicjatyw Lokalnych" in p.text and "umowa nr WSO.RG.1.2026" in p.text
        assert "Wnioski przyjmowane są do 16 marca 2026 r." in p.text
        assert "- strona internetowa operatora: 2 marca 2026 r., godz. 09:00" in p.text
    for p in chosen:
        assert "Wybrani realizatorzy (2):" in p.text
        assert "1. Koło Gospodyń Wiejskich Gronówko" in p.text and "2. Grupa nieformalna Młodzi Leszno" in p.text
        assert "- Biuletyn Informacji Publicznej: 20 marca 2026 r., godz. 10:00" in p.text
    # no webhook configured: the notices live in the publication records only
    assert not [r for r in outbox(db_url) if r.template in ("sub_call_notice", "sub_selection_notice")]
    # each implementer's report is the officers' task to review and settle
    reviews = rows_of(outbox(db_url), "officer_micro_report")
    assert [(r.key.split("#")[0], r.recipient) for r in reviews] == [("MR/2026/001", OFFICERS), ("MR/2026/002", OFFICERS)]
    text = polish(reviews[0])
    assert "Koło Gospodyń Wiejskich Gronówko" in text and "wykorzystano: 4 800,00 zł" in text
    assert "coop regrant micro-settle MR/2026/001" in text


def test_regranting_sub_call_notices_reach_the_portal_once(db_url, smtp, monkeypatch):
    monkeypatch.setenv("COOP_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    code = regranting(db_url)
    public = [r for r in outbox(db_url) if r.audience == "public" and r.template in ("sub_call_notice",
                                                                                     "sub_selection_notice")]
    assert [(r.template, r.channel, r.key.split("#")[0]) for r in public] == [
        ("sub_call_notice", "webhook", code), ("sub_selection_notice", "webhook", code)]
    assert public[1].data["sub_call"]["chosen"] == [i[0] for i in IMPLEMENTERS]


def test_local_initiative_tells_officers_to_check_plan_and_review(db_url, smtp):
    code = initiative(db_url)
    tasks = [r for r in outbox(db_url) if r.audience == "officers"]
    assert [(r.template, r.recipient, r.category) for r in tasks] == [
        ("officer_initiative_filed", OFFICERS, "task"), ("officer_initiative_plan", OFFICERS, "task"),
        ("officer_initiative_report", OFFICERS, "task")]
    filed, plan, report = (polish(r) for r in tasks)
    assert "grupa mieszkańców, reprezentant: Krystyna Nowak" in filed and f"coop initiative check {code}" in filed
    assert "78,00% maksymalnej liczby punktów" in plan and "Zarządzenie 55/2026" in plan
    assert f"coop initiative plan {code}" in plan
    assert "po terminie (6 lipca 2026 r.)" in report and "Praca społeczna: 260" in report
    assert "Zakupy miasta: 0,00 zł z 18 000,00 zł" in report


def test_a_rejected_initiative_gives_officers_no_plan_to_agree(db_url, smtp):
    code = do(db_url, local_initiative_handlers.file, local_initiative_inputs.FileInitiative(
        title="Mural na Zatorzu", applicant_kind="residents", representative="Jan Lis", residents=("Jan Lis",),
        sphere="culture", location="ul. Zatorze", property_owner="Miasto Leszno", description="Mural."),
        "2026-03-02T10:00+01:00")["code"]
    do(db_url, local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck(code=code, passed=True), "2026-03-05T10:00+01:00")
    do(db_url, local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative(code=code, points=POINTS), "2026-03-10T10:00+01:00")
    do(db_url, local_initiative_handlers.decide, local_initiative_inputs.DecideInitiative(code=code, accept=False, decision_ref="Zarządzenie 56/2026",
                                              reason="brak środków w budżecie"), "2026-03-12T10:00+01:00")
    assert [r.template for r in outbox(db_url) if r.audience == "officers"] == ["officer_initiative_filed"]


def test_consultation_commenters_with_an_address_are_told_how_their_comment_was_considered(db_url, smtp):
    code = consultation(db_url)
    do(db_url, consultation_handlers.publish_report, consultation_inputs.ConsultationReport(
        code=code, answers=REPORT_ANSWERS, published={ch: "2026-11-16T09:00+01:00" for ch in CHANNELS}),
       "2026-11-16T10:00+01:00")
    # only the second commenter gave an address; it is kept in the comment's audit record, not in a new column
    [row] = rows_of(outbox(db_url), "comment_considered")
    assert (row.recipient, row.recipient_name, row.audience) == (COMMENTER, "Maria Kowalska", "commenter")
    with Session(get_engine(normalise_url(db_url))) as session:
        records = session.exec(select(AuditRecord).where(AuditRecord.event == "comment").order_by(AuditRecord.seq)).all()
    assert [r.payload.get("email") for r in records] == [None, COMMENTER]
    text = polish(row)
    assert f"{code}: rozpatrzenie uwagi nr 2 – nieuwzględniona" in text
    assert "6 listopada 2026 r., godz. 15:29" in text and "Więcej konsultacji online." in text
    assert "Uzasadnienie: Konsultacje online już prowadzone na portalu." in text
    report = dispatch("2026-11-17T10:00+01:00", url=db_url)
    assert report.failed == []
    [mail] = smtp.inbox.to(COMMENTER)
    assert mail["Subject"] == f"{code}: rozpatrzenie uwagi nr 2 – nieuwzględniona"


def test_a_comment_with_a_malformed_address_is_refused_and_changes_nothing(db_url, smtp):
    code = do(db_url, consultation_handlers.create, consultation_inputs.CreateConsultation(title="Uchwała w sprawie zasad wynajmu lokali", field="kultura"),
              "2027-05-04T10:00+02:00")["code"]
    do(db_url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(code=code, published={
        ch: "2027-05-05T09:00+02:00" for ch in CHANNELS}), "2027-05-05T10:00+02:00")
    before = dump(db_url)
    with pytest.raises(DomainError, match="adres e-mail: niepoprawny adres e-mail"):
        consultation_inputs.ConsultationCommentInput.parse(code=code, author="Jan Lis", author_kind="resident", text="Uwaga.",
                                          email="jan.lis-at-example.org")
    assert dump(db_url) == before
