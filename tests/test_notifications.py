"""Notifications: written with the step or not at all, rendered in Polish, delivered exactly once over real SMTP.

Every test runs on SQLite and PostgreSQL (``db_url``) against an aiosmtpd server started in the test.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from jinja2 import UndefinedError
from sqlmodel import Session, select

import flows.demo_scenario
from coop.demo import ORGANISATIONS, run_open_call
from models.db import get_engine, normalise_url
from models.tables import Publication
from notifications.dispatcher import dispatch
from notifications.handlers import (
    ListNotifications,
    NotificationRef,
    SetPreference,
    list_notifications,
    retry_notification,
    set_preference,
)
from notifications.outbox import message_id
from notifications.render import render, template_names
from notifications.routing import RULES, TEMPLATES
from states.engine import Actor, execute
from states.errors import RuleViolation
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.small_grant import inputs as small_grant_inputs
from states.text import tr
from tests.conftest import dump
from tests.notification_helpers import (
    ARTIST,
    CYCLISTS,
    OFFICERS,
    SmtpServer,
    WebhookReceiver,
    call_in_formal_review,
    configure,
    free_port,
    invalidated_call,
    outbox,
    small_grant_case,
)

END = "2026-09-01T12:00+02:00"
ORG = {index + 1: f"biuro{krs[-2:]}@example.org" for index, (_, _, krs) in enumerate(ORGANISATIONS)}
POLISH_DATE = re.compile(r"\d{1,2} (stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|"
                         r"października|listopada|grudnia) \d{4} r\.")


@pytest.fixture
def smtp(monkeypatch, db_url):
    server = SmtpServer(free_port()).start()
    configure(monkeypatch, server.port, db_url)
    yield server
    server.stop()


def by_template(rows, template):
    return [r for r in rows if r.template == template]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_whole_open_call_told_in_polish_to_the_right_people_once(db_url, smtp, monkeypatch):
    # The dispatcher runs whenever the scheduler ticks (as `coop serve` does), so reminders go out when due.
    real_tick = flows.demo_scenario.tick

    def tick_then_dispatch(moment, url=None, **kwargs):
        dispatch(moment, url=url)
        report = real_tick(moment, url=url, **kwargs)
        dispatch(moment, url=url)
        return report

    monkeypatch.setattr(flows.demo_scenario, "tick", tick_then_dispatch)
    result = run_open_call(db_url)
    dispatch(END, url=db_url)

    rows = outbox(db_url)
    inbox = smtp.inbox
    sent = [r for r in rows if r.status == "sent"]
    # exactly once: one delivery per sent row, each with the Message-ID derived from its key
    assert sorted(inbox.message_ids()) == sorted(message_id(r.key, "coop.leszno.example") for r in sent)
    assert len(set(inbox.message_ids())) == len(inbox.messages)
    # nothing pending is left; what nobody could send is recorded as undeliverable, with the reason (issue 21)
    assert {r.status for r in rows} <= {"sent", "undeliverable", "cancelled"}
    failed = [r for r in rows if r.status == "undeliverable"]
    assert failed and all(r.recipient == "" and "no address" in r.last_error and r.attempts == 0 for r in failed)
    assert {r.recipient_name for r in failed} == {"Maria Zielińska"}  # the NGO nominee gave no e-mail

    # the rejected offer (5) and the corrected one (6) were told why, with the defects and the date
    [rejected] = [m for m in inbox.to(ORG[5]) if "odrzucenie" in m["Subject"]]
    assert "odrzucenie z przyczyn formalnych" in rejected["Subject"] and result.code in rejected["Subject"]
    assert "brak kosztorysu" in text_of(rejected)
    correction = [m for m in inbox.to(ORG[6]) if "uzupełnienia braków" in m["Subject"]]
    assert len(correction) == 1 and "2 lutego 2026 r., godz. 23:59" in text_of(correction[0])

    # members: appointed and told what to score; their reminders were cancelled because they scored in time
    member_mail = inbox.to("komisja@leszno.example")
    assert Counter("powołanie" in m["Subject"] for m in member_mail)[True] == 3
    assert sum("oferty do oceny" in m["Subject"] for m in member_mail) == 3
    assert not any("przypomnienie" in m["Subject"] for m in member_mail)
    assert {r.status for r in by_template(rows, "scoring_reminder") if r.recipient} == {"cancelled"}
    # the member without an address: her reminders were never to be sent, recorded so from the start
    assert {r.status for r in by_template(rows, "scoring_reminder") if not r.recipient} == {"undeliverable"}

    # results: every applicant (the rejected one too) learns them and the justification window (art. 15 ust. 2j)
    for number in range(1, 7):
        results = [m for m in inbox.to(ORG[number]) if "ogłoszono wyniki" in m["Subject"]]
        assert len(results) == 1, number
        assert "Do 18 marca 2026 r. można żądać uzasadnienia" in text_of(results[0])
    assert any("oferta niewybrana" in m["Subject"] for m in inbox.to(ORG[4]))

    # reports: the late reporter (6) got the reminder 7 days before, on the day, then the contract's call;
    # the punctual ones got no reminder at all (submitted on 20 July, before the first reminder)
    late = [m["Subject"] for m in inbox.to(ORG[6])]
    assert sum("sprawozdanie za 7 dni" in s for s in late) == 1
    assert sum("dziś upływa termin sprawozdania" in s for s in late) == 1
    assert sum("wezwanie do złożenia sprawozdania" in s for s in late) == 1
    for number in (1, 2, 3):
        assert not any("sprawozdani" in m["Subject"] and ("za 7 dni" in m["Subject"] or "dziś" in m["Subject"])
                       for m in inbox.to(ORG[number]))
    reminders = by_template(rows, "report_due_reminder")
    assert Counter(r.status for r in reminders) == {"cancelled": 6, "sent": 2}

    # officers: formal review to do, results to publish, four reports to review
    officer_subjects = [m["Subject"] for m in inbox.to(OFFICERS)]
    assert sum("ocena formalna do wykonania" in s for s in officer_subjects) == 1
    assert sum("wyniki do ogłoszenia" in s for s in officer_subjects) == 1
    assert sum("sprawozdanie do sprawdzenia" in s for s in officer_subjects) == 4

    # every e-mail is Polish, names its case, has a Polish date, and a plain and an HTML part
    for _, message in inbox.messages:
        assert message["Content-Language"] == "pl"
        body = text_of(message)
        assert result.code in message["Subject"] and result.code in body
        assert POLISH_DATE.search(body), message["Subject"]
        assert message.get_body(preferencelist=("html",)) is not None

    # public notices: every publication record carries the rendered text of its notice
    with Session(get_engine(normalise_url(db_url))) as session:
        publications = session.exec(select(Publication)).all()
    assert {(p.subject, p.channel) for p in publications} == {
        (s, ch) for s in ("announcement", "results") for ch in ("bip", "board", "website")}
    for p in publications:
        assert result.code in p.text and POLISH_DATE.search(p.text)
    assert any("23 stycznia 2026 r., godz. 23:59" in p.text for p in publications if p.subject == "announcement")


def test_two_dispatchers_at_once_send_each_message_once(db_url, smtp):
    run_open_call(db_url)
    before = [r for r in outbox(db_url) if r.status == "pending"]
    assert len(before) > 30
    start = threading.Barrier(2)
    reports, errors = [], []

    def worker(name):
        try:
            start.wait()
            reports.append(dispatch(END, url=db_url, batch_size=4, worker=name))
        except Exception as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = outbox(db_url)
    sent = [r for r in rows if r.status == "sent"]
    ids = smtp.inbox.message_ids()
    assert len(ids) == len(set(ids)) == len(sent) == sum(r.sent for r in reports)
    assert {r.key for r in sent} | {r.key for r in rows if r.status == "failed"} == {r.key for r in before}
    assert dispatch(END, url=db_url).claimed == 0  # a sent message is never picked again


def test_smtp_down_then_back_every_message_arrives_once(db_url, monkeypatch):
    port = free_port()  # nothing listens here yet: the server is "down"
    configure(monkeypatch, port, db_url, backoff_seconds="600", max_attempts="5")
    run_open_call(db_url)
    pending = {r.key for r in outbox(db_url) if r.status == "pending" and r.recipient}
    t0 = datetime.fromisoformat("2026-09-01T12:00+02:00")

    first = dispatch(t0, url=db_url)
    assert first.sent == 0 and first.retried == len(pending)
    assert dispatch(t0, url=db_url).claimed == 0  # backing off: nothing is due again yet
    second = dispatch(t0 + timedelta(minutes=10), url=db_url)  # after the first backoff (600 s)
    assert second.sent == 0 and second.retried == len(pending)
    retrying = {r.key: r for r in outbox(db_url) if r.key in pending}
    assert all(r.attempts == 2 and r.next_attempt_at == t0 + timedelta(minutes=30) for r in retrying.values())

    server = SmtpServer(port).start()  # the server comes back
    try:
        assert dispatch(t0 + timedelta(minutes=20), url=db_url).claimed == 0  # still backing off
        third = dispatch(t0 + timedelta(minutes=30), url=db_url)
        again = dispatch(t0 + timedelta(days=1), url=db_url)
    finally:
        server.stop()
    assert third.sent == len(pending) and again.claimed == 0
    rows = {r.key: r for r in outbox(db_url)}
    assert all(rows[k].status == "sent" and rows[k].attempts == 3 for k in pending)
    ids = server.inbox.message_ids()
    assert len(ids) == len(set(ids)) == len(pending)


def test_after_max_attempts_a_message_is_failed_visible_and_can_be_retried(db_url, monkeypatch):
    configure(monkeypatch, free_port(), db_url, backoff_seconds="1", max_attempts="2")
    code = call_in_formal_review(db_url)
    t0 = datetime.fromisoformat("2026-02-01T12:00+01:00")
    dispatch(t0, url=db_url)
    report = dispatch(t0 + timedelta(seconds=1), url=db_url)
    assert [f["key"].split("#")[0] for f in report.failed] == [code]
    assert report.failed[0]["key"].endswith("/officer_formal_review/officers")
    officer = Actor("Anna", "officer")
    failed = execute(list_notifications, ListNotifications(status=("failed",)), actor=officer, url=db_url,
                     readonly=True)
    assert [(f["template"], f["recipient"], f["attempts"]) for f in failed] == [
        ("officer_formal_review", OFFICERS, 2)]
    assert "ConnectionRefusedError" in failed[0]["error"]
    execute(retry_notification, NotificationRef(id=failed[0]["id"]), actor=officer, at=t0 + timedelta(hours=1),
            url=db_url)
    assert [r.status for r in outbox(db_url) if r.template == "officer_formal_review"] == ["pending"]


def test_a_refused_transition_leaves_no_notification(db_url, smtp):
    code = call_in_formal_review(db_url)
    officer = Actor("Anna", "officer")

    def correct_then_refuse(ctx, cmd):
        open_call_handlers.review_offer(ctx, cmd)  # enqueues the call to correct the defects ...
        raise RuleViolation("refused_later", tr("refused"), basis="test")  # ... then is refused

    before = dump(db_url)
    cmd = open_call_inputs.ReviewOffer(code=code, number=1, decision="correct", defects=("brak podpisu",))
    with pytest.raises(RuleViolation):
        execute(correct_then_refuse, cmd, actor=officer, at="2026-01-26T10:00+01:00", url=db_url)
    with pytest.raises(RuleViolation):  # a command the law refuses: results before any selection
        execute(open_call_handlers.publish, open_call_inputs.Publish(code=code, subject="results", published={"bip": "2026-01-26T09:00+01:00"}),
                actor=officer, at="2026-01-26T10:00+01:00", url=db_url)
    assert dump(db_url) == before

    # the same step, committed, does write its notification (so the comparison above could fail)
    execute(open_call_handlers.review_offer, cmd, actor=officer, at="2026-01-26T10:00+01:00", url=db_url)
    assert [r.template for r in outbox(db_url) if r.template == "correction_requested"] == ["correction_requested"]


def test_opt_out_only_where_the_law_allows(db_url, smtp):
    officer = Actor("Anna", "officer")
    with pytest.raises(RuleViolation) as refused:
        execute(set_preference, SetPreference(address=ORG[1], template="results_published", opted_out=True),
                actor=officer, at="2026-01-01T10:00+01:00", url=db_url)
    assert refused.value.rule == "opt_out_not_allowed" and "art. 15" in refused.value.basis
    execute(set_preference, SetPreference(address=ORG[1], template="contract_signed", opted_out=True),
            actor=officer, at="2026-01-01T10:00+01:00", url=db_url)
    execute(set_preference, SetPreference(address=ORG[2], lang="en"), actor=officer, at="2026-01-01T10:00+01:00",
            url=db_url)
    run_open_call(db_url)
    rows = outbox(db_url)
    assert [r.status for r in rows if r.template == "contract_signed" and r.recipient == ORG[1]] == ["opted_out"]
    assert {r.status for r in rows if r.template == "results_published" and r.recipient == ORG[1]} == {"pending"}
    dispatch(END, url=db_url)
    english = smtp.inbox.to(ORG[2])
    assert english and all(m["Content-Language"] == "en" for m in english)
    assert any("results published" in m["Subject"] for m in english)
    assert not any("umowa" in m["Subject"] for m in smtp.inbox.to(ORG[1]))


def test_invalidation_is_published_and_sent_to_the_portal(db_url, smtp, monkeypatch):
    hook = WebhookReceiver().start()
    monkeypatch.setenv("COOP_WEBHOOK_URL", hook.url)
    try:
        code = invalidated_call(db_url)
        report = dispatch("2026-01-29T10:00+01:00", url=db_url)
    finally:
        hook.stop()
    assert report.failed == []
    with Session(get_engine(normalise_url(db_url))) as session:
        notices = session.exec(select(Publication).where(Publication.subject == "invalidation")).all()
    assert len(notices) == 3
    assert all("żadna ze złożonych ofert nie spełnia wymogów" in p.text and "art. 18a ust. 1 pkt 2" in p.text
               for p in notices)
    subjects = [json_body["template"] for _, json_body in hook.posts]
    assert sorted(subjects) == ["announcement_notice", "invalidation_notice"]
    headers, body = next(p for p in hook.posts if p[1]["template"] == "invalidation_notice")
    assert headers["Idempotency-Key"] == body["key"] and body["case"] == code
    assert "Unieważnienie otwartego konkursu ofert" in body["subject"]
    applicant = smtp.inbox.to(ARTIST)
    assert [m["Subject"] for m in applicant] == [f"{code}, oferta nr 1: odrzucenie z przyczyn formalnych",
                                                 f"{code}: konkurs unieważniony"]
    assert any("unieważnienie do ogłoszenia" in m["Subject"] for m in smtp.inbox.to(OFFICERS))


def test_every_template_renders_with_realistic_data_in_both_languages(db_url, smtp, monkeypatch):
    # a report sent back for corrections once, so that message is produced too
    original_review = open_call_handlers.review_report
    rounds = []

    def review_with_one_correction(ctx, cmd):
        if not rounds:
            rounds.append(cmd.number)
            original_review(ctx, open_call_inputs.ReviewReport(code=cmd.code, number=cmd.number, accept=False,
                                                reason="brak zestawienia faktur"))
            contract = open_call_handlers._contract(ctx, open_call_handlers._offer(ctx, open_call_handlers._call(ctx, cmd.code), cmd.number))
            open_call_handlers.submit_report(ctx, open_call_inputs.SubmitReport(code=cmd.code, number=cmd.number, funds_used=contract.funds_used,
                                                 summary="Poprawione sprawozdanie."))
        return original_review(ctx, cmd)

    monkeypatch.setattr(open_call_handlers, "review_report", review_with_one_correction)
    monkeypatch.setenv("COOP_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    run_open_call(db_url)
    invalidated_call(db_url)
    small_grant_case(db_url)
    rows = outbox(db_url)
    produced = {r.template for r in rows}
    # the other procedures' templates (and the small grant's settlement, which this contracted grant has not
    # reached) are produced and rendered in tests/test_notifications_procedures.py; the receipt of an offer filed
    # on the model form (no offer of the demo is) in tests/test_offer_filing.py and tests/test_small_grant_form.py,
    # of a report filed on its form in tests/test_report_receipt_email.py
    assert produced == {r.template for r in RULES if r.kind in ("open_call", "small_grant") and r.template} - {
        "small_grant_settled", "offer_receipt", "small_grant_offer_receipt", "report_receipt",
        "small_grant_report_receipt"}
    assert set(TEMPLATES) == set(template_names())
    for row in rows:
        for lang in ("pl", "en"):
            out = render(row.template, row.data, lang)
            case_code = row.key.split("#", 1)[0]
            assert out.subject and case_code in out.text and "{{" not in out.text
            assert "<html" in out.html and out.subject in out.html
            if lang == "pl":
                assert POLISH_DATE.search(out.text), row.template
    # StrictUndefined: a variable the data lack is an error, never an empty gap in a letter
    sample = next(r for r in rows if r.template == "correction_requested")
    broken = {k: v for k, v in sample.data.items() if k != "payload"}
    with pytest.raises(UndefinedError):
        render("correction_requested", broken, "pl")


def test_small_grant_offer_published_for_comment_decision_and_report_reminder(db_url, smtp):
    from states.procedures.small_grant import handlers as small_grant_handlers

    code, signed = small_grant_case(db_url)
    dispatch("2026-08-11T12:00+02:00", url=db_url)  # after the 7-day reminder, before the report
    execute(small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport(code=code, funds_used="9000.00"), actor=Actor("Anna", "officer"),
            at="2026-08-12T10:00+02:00", url=db_url)
    dispatch(END, url=db_url)

    with Session(get_engine(normalise_url(db_url))) as session:
        notices = session.exec(select(Publication).where(Publication.subject == "offer")).all()
    assert len(notices) == 3 and all("art. 19a ust. 4" in p.text and "Rajd rowerowy" in p.text for p in notices)
    assert all("do 15 kwietnia 2026 r., godz. 23:59" in p.text for p in notices)
    applicant = CYCLISTS
    subjects = [m["Subject"] for m in smtp.inbox.to(applicant)]
    assert subjects == [f"{code}: dotacja przyznana", f"{code}: sprawozdanie za 7 dni"]
    due = str(signed["report_due"])
    reminder = smtp.inbox.to(applicant)[1]
    assert due == "2026-08-17" and "17 sierpnia 2026 r." in text_of(reminder)  # 15 August is a holiday (KC art. 115)
    statuses = Counter(r.status for r in outbox(db_url) if r.template == "report_due_reminder")
    assert statuses == {"sent": 1, "cancelled": 1}
