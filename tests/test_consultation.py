"""Consultation of draft acts (art. 5, 5a, 41i): Leszno's programme for 2027 from draft to adoption, the
refusals, the RDPP's silence, and the art. 5a ust. 1 warning; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.procedures.consultation import ConsultationComment
from models.tables import AuditRecord, Case
from states.engine import Actor, execute
from states.errors import DomainError
from states.procedures.consultation import handlers as consultation_handlers
from states.procedures.consultation import inputs as consultation_inputs
from states.queries import verify_cases
from states.rule_sets import ConsultationRules
from states.tick import tick
from tests.conftest import dump

OFFICER = Actor("Anna Urzędniczka", "officer")
CHANNELS = ("consultations_portal", "ngo_portal", "bip", "board")


def do(url, handler, command, at, actor=OFFICER):
    return execute(handler, command, actor=actor, at=at, url=url)


def refused(url, handler, command, at, *needles, actor=OFFICER):
    before = dump(url)
    with pytest.raises(DomainError) as error:
        do(url, handler, command, at, actor)
    for needle in needles:
        assert needle in str(error.value), str(error.value)
    assert dump(url) == before
    return str(error.value)


def programme(url, at="2026-10-29T10:00+01:00", year=2027, session="2026-11-26"):
    return do(url, consultation_handlers.create, consultation_inputs.CreateConsultation(
        title=f"Program współpracy Miasta Leszna z organizacjami pozarządowymi na {year} rok",
        field="współpraca z organizacjami pozarządowymi", act_kind="programme", programme_year=year,
        council_session=session), at)


def open_(url, code, day="2026-10-30"):
    return do(url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={c: f"{day}T09:00+01:00" for c in CHANNELS}, rdpp_delivered=f"{day}T10:00+01:00"),
        f"{day}T10:30+01:00")


def comment(url, code, author, at, kind="ngo", text="Proszę dodać priorytet: seniorzy."):
    return do(url, consultation_handlers.add_comment, consultation_inputs.ConsultationCommentInput(code=code, author=author, author_kind=kind, text=text,
                                                               provision="§ 5 ust. 2"), at,
              actor=Actor(author, "public"))


def test_programme_consultation_draft_to_adopted(db_url):
    created = programme(db_url)
    code = created["code"]
    assert code == "KO/2026/001" and created["warnings"] == []
    opened = open_(db_url, code)
    # Leszno: 7 calendar days closing at 15:30 (Fri 30 Oct -> Fri 6 Nov; All Saints inside does not matter)
    assert opened["comments_until"].isoformat() == "2026-11-06T15:30:00+01:00"
    # art. 41i ust. 2: 14 days from delivery (Independence Day 11 Nov inside)
    assert opened["rdpp_due"].isoformat() == "2026-11-13T23:59:59+01:00"
    assert opened["warnings"] == []

    comment(db_url, code, "Stowarzyszenie Przyjaciół Leszna", "2026-11-02T12:00+01:00")
    comment(db_url, code, "Maria Kowalska", "2026-11-06T15:29+01:00", kind="resident", text="Więcej konsultacji online.")
    refused(db_url, consultation_handlers.add_comment, consultation_inputs.ConsultationCommentInput(code=code, author="Spóźniona", text="Po terminie"),
            "2026-11-06T15:31+01:00", "2026-11-06 15:31", "art. 5 ust. 5", actor=Actor("Spóźniona", "public"))
    assert tick("2026-11-06T15:31+01:00", url=db_url).fired == 1
    answers = (consultation_inputs.CommentAnswer(number=1, answer="partly_accepted", reason="Seniorzy dopisani do priorytetów 2027."),
               consultation_inputs.CommentAnswer(number=2, answer="rejected", reason="Konsultacje online już prowadzone na portalu."))
    report = consultation_inputs.ConsultationReport(code=code, answers=answers, published={c: "2026-11-16T09:00+01:00" for c in CHANNELS})
    # the RDPP still has until 13 November
    early = consultation_inputs.ConsultationReport(code=code, answers=answers, published={c: "2026-11-09T09:00+01:00" for c in CHANNELS})
    refused(db_url, consultation_handlers.publish_report, early, "2026-11-09T10:00+01:00", "2026-11-13", "art. 41i ust. 2")
    assert tick("2026-11-13T23:00+01:00", url=db_url).fired == 0
    assert tick("2026-11-14T00:00+01:00", url=db_url).fired == 1  # silence: the opinion is waived
    # a report answering only one of two comments is refused
    refused(db_url, consultation_handlers.publish_report, consultation_inputs.ConsultationReport(code=code, answers=answers[:1], published=report.published),
            "2026-11-16T10:00+01:00", "nie odpowiada na uwagę nr 2", "art. 5 ust. 5")
    done = do(db_url, consultation_handlers.publish_report, report, "2026-11-16T10:00+01:00")
    assert (done["state"], done["partly_accepted"], done["rejected"]) == ("report_published", 1, 1)
    do(db_url, consultation_handlers.send_to_council, consultation_inputs.CouncilStep(code=code, reference="Druk nr 512"), "2026-11-17T09:00+01:00")
    adopted = do(db_url, consultation_handlers.adopt, consultation_inputs.CouncilStep(code=code, reference="Uchwała nr XX/300/2026", on="2026-11-26"),
                 "2026-11-26T14:00+01:00")
    assert adopted["state"] == "adopted" and adopted["warnings"] == []

    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        rows = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq)).all()
        assert [r.event for r in rows if r.from_state != r.to_state] == [
            "open_consultation", "close", "publish_report", "send_to_council", "adopt"]
        waived = next(r for r in rows if r.event == "rdpp_opinion_waived")
        assert waived.basis == "art. 41i ust. 2" and waived.actor == "scheduler"
        comments = session.exec(select(ConsultationComment).where(ConsultationComment.case_id == case.id)).all()
        assert {(c.author, c.answer) for c in comments} == {("Stowarzyszenie Przyjaciół Leszna", "partly_accepted"),
                                                             ("Maria Kowalska", "rejected")}
        assert case.data["rdpp"]["status"] == "waived"
    assert execute(verify_cases, code, actor=Actor("audytor", "auditor"), url=db_url, readonly=True)["broken"] == []


def test_programme_schedule_that_cannot_make_30_november_warns(db_url):
    code = programme(db_url, at="2026-11-20T08:00+01:00", session=None)["code"]
    opened = open_(db_url, code, day="2026-11-20")
    # closes 27 Nov, RDPP until 4 Dec, + 14 days for the council -> 18 Dec > 30 Nov
    assert len(opened["warnings"]) == 1 and "2026-11-30" in opened["warnings"][0] and "2026-12-18" in opened["warnings"][0]
    assert "art. 5a ust. 1" in opened["warnings"][0]
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        opening = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id,
                                                         AuditRecord.event == "open_consultation")).one()
        assert "art. 5a ust. 1" in opening.payload["warning"]


def test_a_planned_session_after_30_november_warns_at_creation(db_url):
    created = programme(db_url, session="2026-12-10")
    assert len(created["warnings"]) == 1 and "2026-12-10" in created["warnings"][0]


def test_resolution_with_rdpp_opinion_given_in_time(db_url):
    code = do(db_url, consultation_handlers.create, consultation_inputs.CreateConsultation(title="Uchwała o trybie powoływania RDPP",
                                                       field="działalność pożytku publicznego"),
              "2027-04-28T09:00+02:00")["code"]
    opened = do(db_url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={c: "2027-04-29T09:00+02:00" for c in CHANNELS}, rdpp_delivered="2027-04-29T09:00+02:00"),
        "2027-04-29T10:00+02:00")
    # 29 April + 7 = Thu 6 May (1 and 3 May holidays inside; the office's period is not moved)
    assert opened["comments_until"].isoformat() == "2027-05-06T15:30:00+02:00"
    do(db_url, consultation_handlers.rdpp_opinion, consultation_inputs.RdppOpinion(code=code, opinion="Opinia pozytywna."), "2027-05-10T10:00+02:00")
    tick("2027-05-14T00:00+02:00", url=db_url)
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        assert case.state == "closed" and case.data["rdpp"]["status"] == "given"
    done = do(db_url, consultation_handlers.publish_report, consultation_inputs.ConsultationReport(
        code=code, published={c: "2027-05-14T09:00+02:00" for c in CHANNELS}), "2027-05-14T10:00+02:00")
    assert done["state"] == "report_published" and done["comments"] == 0


def test_consultation_refusals(db_url):
    code = programme(db_url)["code"]
    refused(db_url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={c: "2026-10-30T09:00+01:00" for c in CHANNELS[:3]}, rdpp_delivered="2026-10-30T10:00+01:00"),
        "2026-10-30T10:30+01:00", "brak: tablica ogłoszeń urzędu", "art. 5 ust. 5")
    refused(db_url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={c: "2026-10-30T09:00+01:00" for c in CHANNELS}), "2026-10-30T10:30+01:00",
        "art. 41i ust. 1")
    refused(db_url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={"twitter": "2026-10-30T09:00+01:00"}), "2026-10-30T10:30+01:00", "twitter")
    refused(db_url, consultation_handlers.add_comment, consultation_inputs.ConsultationCommentInput(code=code, author="Za wcześnie", text="Uwaga"),
            "2026-10-30T10:30+01:00", "art. 5 ust. 5")
    open_(db_url, code)
    refused(db_url, consultation_handlers.rdpp_opinion, consultation_inputs.RdppOpinion(code=code, opinion="Spóźniona"), "2026-11-14T00:00+01:00",
            "art. 41i ust. 2")
    refused(db_url, consultation_handlers.publish_report, consultation_inputs.ConsultationReport(code=code, published={c: "2026-11-01T09:00+01:00" for c in CHANNELS}),
            "2026-11-02T10:00+01:00", "„konsultacje zakończone”", "art. 5 ust. 5")
    with pytest.raises(DomainError, match="programme_year|rok"):
        do(db_url, consultation_handlers.create, consultation_inputs.CreateConsultation(title="Program", field="x", act_kind="programme"),
           "2026-10-29T10:00+01:00")


@pytest.mark.fast
def test_rule_set_refuses_a_period_below_seven_days():
    with pytest.raises(ValidationError):
        ConsultationRules(period_days=5)
    with pytest.raises(ValidationError):
        ConsultationRules(rdpp_opinion_days=10)


def test_periods_ending_on_independence_day_move_to_the_next_day(db_url):
    """Both periods bind those who comment or give the opinion (states/periods.py), so KC art. 115 moves them:
    a draft published and delivered on Wed 4 Nov 2026 closes for comments on Thu 12 Nov at 15:30 (7 days end
    on 11 Nov); a draft delivered to the RDPP on Wed 28 Oct has its opinion due by the end of 12 Nov."""
    code = programme(db_url, at="2026-10-27T10:00+01:00")["code"]
    opened = do(db_url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={c: "2026-11-04T09:00+01:00" for c in CHANNELS},
        rdpp_delivered="2026-10-28T10:00+01:00"), "2026-11-04T10:30+01:00")
    assert opened["comments_until"].isoformat() == "2026-11-12T15:30:00+01:00"
    assert opened["rdpp_due"].isoformat() == "2026-11-12T23:59:59+01:00"
    # An opinion given on 12 November is in time; the tick does not waive it on the 11th.
    assert tick("2026-11-12T08:00+01:00", url=db_url).fired == 0
    do(db_url, consultation_handlers.rdpp_opinion, consultation_inputs.RdppOpinion(code=code, opinion="Opinia pozytywna."), "2026-11-12T14:00+01:00")
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        assert case.data["rdpp"]["status"] == "given"
