"""A report filed on its form through the portal gets its receipt by e-mail (issue 22), on SQLite and PostgreSQL: the
open call's report on the model form (Dz.U. 2018 poz. 2057 zał. 5), the small grant's on the simplified form (poz.
2055 zał. 2) and the local initiative's. The filing's audit record (``submit_report``, or the open call's
``submit_partial_report``) sends one message to the filer (the organisation's registry address, and the person who
filed it at the address they proved on the portal) with the receipt's number, the moment of receipt, the SHA-256,
how to check it, and the report's PDF made at send time from the rows; in Polish, and in English on request. The
officers' notice of a report is unchanged; a report an officer types in (not on a form) sends no receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from models.people_tables import Person
from models.portal_tables import PortalAccount
from notifications.dispatcher import dispatch
from notifications.render import render
from states.engine import execute
from states.procedures.local_initiative import handlers as li
from states.procedures.local_initiative import inputs as li_inputs
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.report_filings import FileReportForm, receipt_by_number
from states.tick import tick
from tests.notification_helpers import SmtpServer, configure, free_port, outbox
from tests.people_fixtures import person
from tests.report_forms import sample_report_form, sample_simplified_report
from tests.test_initiative_report_filing import organisations_initiative, report, to_agreement
from tests.test_offer_filing import pdf_text
from tests.test_open_call_guards import KRS, contract_cmd, do, published_results, register, session
from tests.test_small_grant import KRS as SG_KRS
from tests.test_small_grant import OFFICER as SG_OFFICER
from tests.test_small_grant_report_filings import file_report as file_simplified
from tests.test_small_grant_report_filings import granted

RECEIPTS = ("report_receipt", "small_grant_report_receipt", "initiative_report_receipt")
FILER_EMAIL = "anna.nowak@delfin.example.pl"  # the representative's own address, proved on the portal


@dataclass
class Reporting:
    url: str
    code: str
    rep: Any
    organisation_email: str
    template: str
    name: str  # the filer's name in the people registry
    moment_pl: str  # the moment of receipt as the Polish text says it (Warsaw time)
    content: str  # a phrase of the filed content, as the PDF prints it
    file: Any  # () -> the filing's answer
    typed_in: Any  # () -> None: an officer types the report in (no form)
    officers_notice: str | None  # the template the officers get for a report (unchanged), or None


def open_call(url: str) -> Reporting:
    code = published_results(url)
    do(url, open_call_handlers.sign_contract, contract_cmd(code, 1, "40000.00", "2026-07-16"), "2026-03-02T10:00+01:00")
    rep, _ = person(url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    at = "2026-07-20T10:00+02:00"
    return Reporting(
        url, code, rep, "org1@example.org", "report_receipt", "Anna Nowak", "20 lipca 2026 r., godz. 10:00", "Zajęcia pływackie dla 60 dzieci",
        lambda: execute(open_call_handlers.file_report_form, FileReportForm(code=code, number=1,
                        form=sample_report_form()), actor=rep, url=url, at=at),
        lambda: do(url, open_call_handlers.submit_report, open_call_inputs.SubmitReport(
            code=code, number=1, funds_used="40000.00", summary="Sprawozdanie z papieru."), at),
        "officer_report_submitted")


def small_grant(url: str) -> Reporting:
    code = granted(url)
    execute(small_grant_handlers.sign_contract, small_grant_inputs.SignSmallGrant(
        code=code, contract_number="WSO.526.1.2026"), actor=SG_OFFICER, url=url, at="2026-04-17T10:00+02:00")
    tick("2026-07-17T00:10+02:00", url=url)
    rep, _ = person(url, "rowery", "Piotr Rowerowy", ("applicant", SG_KRS))
    at = "2026-07-20T10:00+02:00"
    return Reporting(
        url, code, rep, f"biuro{SG_KRS[-1]}@example.org", "small_grant_report_receipt", "Piotr Rowerowy",
        "20 lipca 2026 r., godz. 10:00", "Trzy rajdy rowerowe",
        lambda: file_simplified(url, code, rep, sample_simplified_report(spent_grant="8800.00"), at=at),
        lambda: execute(small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport(
            code=code, funds_used="8800.00"), actor=SG_OFFICER, url=url, at=at),
        None)


def local_initiative(url: str) -> Reporting:
    register(url, 2)
    rep, _ = person(url, "rep", "Reprezentantka Delfina", ("applicant", KRS[0]))
    officer, _ = person(url, "olga", "Olga Urzędniczka", "officer")
    code = organisations_initiative(url, rep)
    to_agreement(url, code)
    tick("2026-06-05T00:00+02:00", url=url)
    at = "2026-06-20T10:00+02:00"
    return Reporting(
        url, code, rep, "org1@example.org", "initiative_report_receipt", "Reprezentantka Delfina",
        "20 czerwca 2026 r., godz. 10:00", "Zieleniec zamieniony w ogród",
        lambda: execute(li.file_report_form, report(code), actor=rep, url=url, at=at),
        lambda: execute(li.submit_report, li_inputs.InitiativeReport(code=code, work_hours="120",
                        summary="Sprawozdanie z papieru."), actor=officer, url=url, at=at),
        "officer_initiative_report")


KINDS = {"open_call": open_call, "small_grant": small_grant, "local_initiative": local_initiative}


def portal_account(url: str, login: str, email: str) -> None:
    """The representative registered on the portal and proved ``email`` (states/portal_accounts.py)."""
    with session(url) as s:
        found = s.exec(select(Person).where(Person.login == login)).one()
        now = datetime(2026, 1, 2, tzinfo=UTC)
        s.add(PortalAccount(person_id=found.id, email=email, email_confirmed_at=now, created_at=now))
        s.commit()


@pytest.mark.parametrize("kind", KINDS)
def test_the_filer_gets_the_receipt_of_a_report_filed_on_the_form_with_its_pdf(db_url, kind, monkeypatch, tmp_path):
    reporting = KINDS[kind](db_url)
    login = reporting.rep.person
    portal_account(db_url, login, FILER_EMAIL)
    server = SmtpServer(free_port()).start()
    try:
        configure(monkeypatch, server.port, db_url)
        answer = reporting.file()
        rows = outbox(db_url)
        receipts = [r for r in rows if r.template in RECEIPTS]
        # one message to each address of the filer: the organisation's and the person's own; nobody else
        assert sorted(r.recipient for r in receipts) == sorted([reporting.organisation_email, FILER_EMAIL])
        assert {r.template for r in receipts} == {reporting.template}
        if reporting.officers_notice:  # the officers' task is unchanged: one notice, and no receipt for them
            officers = [r for r in rows if r.template == reporting.officers_notice]
            assert len(officers) == 1 and officers[0].recipient not in {r.recipient for r in receipts}
        dispatch("2026-07-21T10:00+02:00", url=db_url)
        for address in (reporting.organisation_email, FILER_EMAIL):
            (message,) = [m for m in server.inbox.to(address) if answer["receipt"] in m["Subject"]]
            assert reporting.code in message["Subject"] and "potwierdzenie złożenia sprawozdania" in message["Subject"]
            body = message.get_body(preferencelist=("plain",)).get_content()
            assert answer["sha256"] in body and answer["receipt"] in body
            assert reporting.moment_pl in body
            assert "sha256sum" in body and "tresc.json" in body
            (attached,) = list(message.iter_attachments())
            assert attached.get_content_type() == "application/pdf"
            assert attached.get_filename() == "potwierdzenie-" + answer["receipt"].replace("/", "-") + ".pdf"
            text = pdf_text(attached.get_content(), tmp_path)
            assert answer["receipt"] in text and answer["sha256"][:16] in text.replace(" ", "").replace("\n", "")
            assert reporting.content in text.replace("\n", " ")
        # the moment of receipt in Warsaw time, in Polish by default, and the English text renders as well
        row = next(r for r in receipts if r.recipient == reporting.organisation_email)
        polish, english = render(row.template, row.data, "pl"), render(row.template, row.data, "en")
        assert "Chwila wpływu: " + reporting.moment_pl in polish.text
        assert "Sprawozdanie złożone przez: " + reporting.name in polish.text  # the registry's name, not the login
        assert answer["receipt"] in english.subject and "Receipt number: " + answer["receipt"] in english.text
        assert answer["sha256"] in english.text and "Filed by: " + reporting.name in english.text
    finally:
        server.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_a_report_typed_in_by_an_officer_sends_no_receipt(db_url, kind):
    reporting = KINDS[kind](db_url)
    reporting.typed_in()
    rows = outbox(db_url)
    assert not [r for r in rows if r.template in RECEIPTS]
    if reporting.officers_notice:
        assert [r.template for r in rows].count(reporting.officers_notice) == 1


def test_a_receipt_is_found_by_its_number_and_nothing_else(db_url):
    reporting = open_call(db_url)
    answer = reporting.file()
    with session(db_url) as s:
        found = receipt_by_number(s, answer["receipt"])
        assert found["sha256"] == answer["sha256"] and found["content"]["header"]["task_title"] == "Zadanie 1"
        for number in (answer["receipt"].replace("-S1", "-S2"), reporting.code + "-S1", "nonsense",
                       reporting.code + "/9-S1", "XX/2026/001/1-S1"):
            assert receipt_by_number(s, number) is None, number


def test_a_partial_report_filed_on_the_form_gets_its_receipt_and_the_officers_no_task(db_url, tmp_path):
    from notifications.attachments import attachments_for

    reporting = open_call(db_url)  # no portal account: the organisation's address alone
    answer = execute(open_call_handlers.file_report_form, FileReportForm(
        code=reporting.code, number=1, form=sample_report_form(kind="partial", period_end="2026-05-31")),
        actor=reporting.rep, url=db_url, at="2026-06-02T10:00+02:00")
    rows = outbox(db_url)
    (row,) = [r for r in rows if r.template in RECEIPTS]
    assert (row.template, row.recipient, row.data["payload"]["receipt"]) == (
        "report_receipt", "org1@example.org", answer["receipt"])
    assert not [r for r in rows if r.template == "officer_report_submitted"]  # a partial report is no task (as before)
    polish = render(row.template, row.data, "pl")
    assert "sprawozdania częściowego" in polish.subject and "2 czerwca 2026 r., godz. 10:00" in polish.text
    assert "31 maja 2026 r." in polish.text and "Urząd sprawdzi teraz" not in polish.text
    (attached,) = attachments_for({"template": row.template, "channel": "email", "data": row.data}, db_url)
    text = pdf_text(attached.data, tmp_path)
    assert answer["receipt"] in text and "częściowe" in text
