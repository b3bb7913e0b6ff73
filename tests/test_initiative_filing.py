"""Local-initiative applications filed through the portal (issue 22; art. 19b-19h): the handlers of
states/procedures/local_initiative/handlers.py on SQLite and PostgreSQL. A resident files for a group of residents
without any organisation, a representative for their organisation; the receipt's hash is the content's and the
history's; the receipt is read by whoever filed it, the officers and the auditors, nobody else; a wrong sum or a
wrong hour rate is refused and writes nothing; the same key files once; the receipt e-mail carries the PDF."""

from __future__ import annotations

import subprocess

import pytest
from sqlmodel import select

from models.notification_tables import Notification
from models.procedures.local_initiative import InitiativeFiling, LocalInitiativeApplication
from models.tables import AuditRecord, Case
from states.engine import execute
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.model_forms.canonical import content_sha256
from states.model_forms.initiative import InitiativeForm
from states.procedures.local_initiative import handlers as li
from states.procedures.local_initiative.inputs import FileApplication, FilingRef, FormalCheck
from tests.conftest import dump
from tests.initiative_forms import sample_initiative_form, sample_ngo_initiative_form
from tests.people_fixtures import person
from tests.test_open_call_guards import KRS, register, session

AT = "2026-03-02T10:00+01:00"


@pytest.fixture
def people(db_url):
    register(db_url, 2)
    resident, _ = person(db_url, "krysia", "Krystyna Nowak")
    neighbour, _ = person(db_url, "adam", "Adam Lis")
    rep, _ = person(db_url, "rep", "Reprezentantka Delfina", ("applicant", KRS[0]))
    officer, _ = person(db_url, "olga", "Olga Urzędniczka", "officer")
    return db_url, {"resident": resident, "neighbour": neighbour, "rep": rep, "officer": officer}


def residents(**changes):
    return FileApplication.parse(form=sample_initiative_form(**changes))


def test_a_resident_files_for_a_group_and_gets_a_receipt_whose_hash_is_the_historys(people):
    url, who = people
    answer = execute(li.file_residents_application, residents(), actor=who["resident"], url=url, at=AT)
    expected = content_sha256(InitiativeForm.model_validate(sample_initiative_form()).content())
    code = answer["code"]
    assert answer["sha256"] == expected and answer["receipt"] == f"{code}-1" and answer["state"] == "filed"
    assert code.startswith("IL/")
    with session(url) as s:
        row = s.exec(select(InitiativeFiling)).one()
        assert (row.version, row.sha256, row.filed_by) == (1, expected, "krysia")
        application = s.exec(select(LocalInitiativeApplication)).one()
        assert application.applicant_kind == "residents" and application.organisation_id is None
        assert application.residents == ["Krystyna Nowak", "Adam Lis", "Ewa Maj"]
        assert (application.sphere, application.representative) == ("greenery", "Krystyna Nowak")
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "file")).one()
        assert record.actor == "Krystyna Nowak" and record.payload["sha256"] == expected
        assert record.payload["receipt"] == answer["receipt"] and record.payload["on_form"] is True
        told = s.exec(select(Notification).where(Notification.template == "initiative_receipt")).one()
        assert told.recipient == "krystyna@example.org"
    # the procedure goes on as for a paper application
    done = execute(li.formal_check, FormalCheck(code=code, passed=True), actor=who["officer"], url=url,
                   at="2026-03-05T10:00+01:00")
    assert done["state"] == "evaluation"


def test_the_receipt_is_read_by_its_filer_the_officer_and_not_by_another_resident(people):
    url, who = people
    code = execute(li.file_residents_application, residents(), actor=who["resident"], url=url, at=AT)["code"]
    mine = execute(li.initiative_receipt, FilingRef(code=code), actor=who["resident"], url=url, readonly=True)
    assert mine["number"] == f"{code}-1" and mine["content"]["task"]["title"].startswith("Ogród")
    assert execute(li.initiative_receipt, FilingRef(code=code), actor=who["officer"], url=url,
                   readonly=True)["sha256"] == mine["sha256"]
    with pytest.raises(NotPermitted) as refused:
        execute(li.initiative_receipt, FilingRef(code=code), actor=who["neighbour"], url=url, readonly=True)
    assert refused.value.rule == "not_your_filing"
    listed = execute(li.my_initiatives, None, actor=who["resident"], url=url, readonly=True)
    assert [(a["code"], a["receipt"]) for a in listed] == [(code, f"{code}-1")]
    assert execute(li.my_initiatives, None, actor=who["neighbour"], url=url, readonly=True) == []


def test_a_wrong_sum_or_hour_rate_is_refused_and_writes_nothing(people):
    url, who = people
    before = dump(url)
    with pytest.raises(InvalidInput) as wrong:
        execute(li.file_residents_application, FileApplication.parse(
            form=sample_initiative_form(**{"budget.total": "28000.00"})), actor=who["resident"], url=url, at=AT)
    assert wrong.value.rule == "budget_total"
    rate = sample_initiative_form(**{"work.hour_value": "40.00", "work.value": "9600.00", "budget.own_work": "9600.00",
                                     "budget.own_total": "11900.00", "budget.total": "29900.00"})
    with pytest.raises(RuleViolation) as refused:
        execute(li.file_residents_application, FileApplication.parse(form=rate), actor=who["resident"], url=url,
                at=AT)
    assert refused.value.rule == "work_hour_value" and "35,00" in refused.value.message("pl")
    assert dump(url) == before


def test_the_same_key_files_once(people):
    url, who = people
    first = execute(li.file_residents_application, residents(), actor=who["resident"], url=url, at=AT,
                    idempotency_key="portal:abc")
    again = execute(li.file_residents_application, residents(), actor=who["resident"], url=url, at=AT,
                    idempotency_key="portal:abc")
    assert again == first
    with session(url) as s:
        assert len(s.exec(select(Case)).all()) == 1


def test_an_organisation_files_through_its_representative_only(people):
    url, who = people
    form = sample_ngo_initiative_form(KRS[0])
    answer = execute(li.file_organisation_application, FileApplication.parse(form=form, organisation_krs=KRS[0]),
                     actor=who["rep"], url=url, at=AT)
    with session(url) as s:
        application = s.exec(select(LocalInitiativeApplication)).one()
        assert application.applicant_kind == "ngo" and application.organisation_id is not None
    # the representative reads it; so would another representative of the organisation; a resident does not
    assert execute(li.initiative_receipt, FilingRef(code=answer["code"]), actor=who["rep"], url=url,
                   readonly=True)["version"] == 1
    before = dump(url)
    with pytest.raises(NotPermitted):  # not their organisation
        execute(li.file_organisation_application,
                FileApplication.parse(form=sample_ngo_initiative_form(KRS[1]), organisation_krs=KRS[1]),
                actor=who["rep"], url=url, at=AT)
    with pytest.raises(NotPermitted):  # a resident holds no grant for any organisation
        execute(li.file_organisation_application, FileApplication.parse(form=form, organisation_krs=KRS[0]),
                actor=who["resident"], url=url, at=AT)
    with pytest.raises(RuleViolation) as wrong_door:  # an organisation's application is not a group's
        execute(li.file_residents_application, FileApplication.parse(form=form), actor=who["resident"], url=url,
                at=AT)
    assert wrong_door.value.rule == "not_a_residents_application"
    assert dump(url) == before


def test_the_receipt_mail_carries_the_pdf_of_what_was_filed(people, tmp_path):
    from notifications.attachments import attachments_for

    url, who = people
    execute(li.file_residents_application, residents(), actor=who["resident"], url=url, at=AT)
    with session(url) as s:
        told = s.exec(select(Notification).where(Notification.template == "initiative_receipt")).one()
        message = {"template": told.template, "channel": told.channel, "data": told.data}
    (attachment,) = attachments_for(message, url)
    assert attachment.content_type == "application/pdf"
    path = tmp_path / attachment.filename
    path.write_bytes(attachment.data)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "INICJATYWY LOKALNEJ" in text and "Ogród sąsiedzki" in text and "Mieszkańcy ul. Kurpińskiego" in text
    # „Złożył(a)”: the people registry's name of who filed, in the PDF and the e-mail alike, not her login
    assert "Złożył(a) Krystyna Nowak" in text and "krysia" not in text
    from notifications.render import render

    assert "Wniosek złożony przez: Krystyna Nowak" in render(told.template, told.data, "pl").text
    assert "Filed by: Krystyna Nowak" in render(told.template, told.data, "en").text
