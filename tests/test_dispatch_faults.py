"""The dispatcher under faults, against a real SMTP server (aiosmtpd) and a real webhook receiver, on SQLite
and PostgreSQL: two live dispatchers and a slow server, a dispatcher that stalls past its lease while another
takes its rows, a send that would outlive its lease; and every kind of delivery error classified as
permanent (failed at once, with the reason) or transient (retried with backoff)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from models.tables import Organisation
from notifications import dispatcher
from notifications.dispatcher import dispatch
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from tests.notification_helpers import (
    ARTIST,
    ARTIST_KRS,
    OFFICERS,
    SmtpServer,
    WebhookReceiver,
    call_in_formal_review,
    closed_calls,
    configure,
    do,
    free_port,
    outbox,
)

T0 = datetime(2026, 2, 1, 11, 0, tzinfo=UTC)


@pytest.fixture
def servers():
    started = []

    def start(**options) -> SmtpServer:
        started.append(SmtpServer(free_port(), **options).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def running_clock():
    """The effective time of a dispatcher started now, running at real speed from T0 (as a real one does)."""
    origin = time.monotonic()
    return lambda: T0 + timedelta(seconds=time.monotonic() - origin)


def in_thread(name: str, target, results: dict, errors: list) -> threading.Thread:
    def run():
        try:
            results[name] = target()
        except Exception as error:  # surfaced by the test: a thread's exception would otherwise vanish
            errors.append(error)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def delivered_once(server: SmtpServer, rows: list[Notification]) -> Counter:
    received = Counter(server.inbox.message_ids())
    assert {mid: n for mid, n in received.items() if n > 1} == {}  # no message delivered twice
    assert set(received) == {r.message_id for r in rows}  # every message delivered
    return received


# --- fencing -------------------------------------------------------------------------------------------------


def test_two_live_dispatchers_a_slow_server_and_a_3_s_lease_deliver_every_message_once(db_url, monkeypatch, servers):
    # Issue 18's case, at half its pace: an SMTP server taking 0.5 s a message, a 3 s lease, a second dispatcher
    # started 4 s after the first (past the first's lease, unless renewed). Before fencing (issue 18: 1 s, 5 s,
    # 8 s), 13 of 20 messages were delivered twice: the first never looked at its lease.
    server = servers(delay=0.5)
    configure(monkeypatch, server.port, db_url, lease_seconds="3")
    closed_calls(db_url, 20)
    rows = [r for r in outbox(db_url) if r.status == "pending"]
    assert len(rows) == 20 and {r.recipient for r in rows} == {OFFICERS}
    clock, results, errors = running_clock(), {}, []
    started = time.monotonic()
    first = in_thread("A", lambda: dispatch(clock(), url=db_url, worker="A"), results, errors)
    time.sleep(4)
    second = in_thread("B", lambda: dispatch(clock(), url=db_url, worker="B"), results, errors)
    first.join()
    second.join()
    assert not errors
    assert time.monotonic() - started >= 10  # the server really took half a second a message
    delivered_once(server, rows)
    assert {r.status for r in outbox(db_url)} == {"sent"}
    # the first renewed its lease before every message, so its batch was never free for the second to take
    assert (results["A"].sent, results["A"].lost, results["B"].claimed) == (20, 0, 0)


@pytest.mark.parametrize("stall", ["before_renewal", "after_renewal"])
def test_a_dispatcher_whose_lease_lapsed_and_was_taken_neither_sends_nor_marks(db_url, monkeypatch, servers, stall):
    """A stalls (a pause of the process, a slow disk) on its 3rd message for longer than its 2 s lease; B takes
    the lapsed rows and sends them; A wakes up. Before renewing, A finds its token gone; after renewing (the
    stall fell between the renewal and the send), the send's deadline has passed: either way it sends nothing
    more and marks nothing."""
    server = servers()
    configure(monkeypatch, server.port, db_url, lease_seconds="2")
    closed_calls(db_url, 6)
    rows = outbox(db_url)
    stalled, wake = threading.Event(), threading.Event()
    seen = Counter()

    def stall_on_third(original):
        def wrapper(*args, **kwargs):
            if threading.current_thread().name == "A":
                seen["A"] += 1
                if seen["A"] == 3:
                    stalled.set()
                    wake.wait(60)
            return original(*args, **kwargs)
        return wrapper

    name = "renew" if stall == "before_renewal" else "_send"
    monkeypatch.setattr(dispatcher, name, stall_on_third(getattr(dispatcher, name)))
    results, errors = {}, []
    first = in_thread("A", lambda: dispatch(T0, url=db_url, worker="A"), results, errors)
    assert stalled.wait(60)
    time.sleep(2.5)  # A's lease (2 s from its last renewal) lapses
    results["B"] = dispatch(T0, url=db_url, worker="B")
    wake.set()
    first.join()
    assert not errors
    delivered_once(server, rows)
    assert (results["A"].sent, results["A"].lost, results["B"].sent) == (2, 4, 4)
    final = outbox(db_url)
    assert {r.status for r in final} == {"sent"}
    # the rows B took were marked by B's claim (the token stays on a sent row), none by A's
    assert Counter(r.claimed_by.split("/")[0] for r in final) == {"A": 2, "B": 4}


def test_a_send_that_would_outlive_its_lease_is_cut_and_tried_again_later(db_url, monkeypatch, servers):
    server = servers(delay=3.0)  # longer than the whole lease
    configure(monkeypatch, server.port, db_url, lease_seconds="2", backoff_seconds="60")
    closed_calls(db_url, 1)
    started = time.monotonic()
    report = dispatch(T0, url=db_url, worker="A")
    took = time.monotonic() - started
    assert report.sent == 0 and report.retried == 1
    assert took < 2.0  # cut at 80% of the lease (1.6 s), before another dispatcher could take the row
    [row] = outbox(db_url)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
    assert "lease expired during the send" in row.last_error
    assert row.next_attempt_at == T0 + timedelta(seconds=60)


# --- permanent and transient delivery errors -------------------------------------------------------------------


def set_rows(url: str, ids: list[int], **values) -> None:
    with get_engine(normalise_url(url)).begin() as conn:
        conn.execute(sa.update(Notification).where(Notification.id.in_(ids)).values(**values))


def test_a_header_injection_in_an_organisations_name_fails_its_message_at_once(db_url, monkeypatch, servers):
    # An organisation registered before names were checked (the input policy now refuses it at the door) makes
    # its decision e-mail unwritable: the email package refuses a header with a line break. It was retried as
    # if transient; now it fails at once with the reason, and nothing reaches the injected address.
    server = servers()
    configure(monkeypatch, server.port, db_url)
    code = call_in_formal_review(db_url)
    with get_engine(normalise_url(db_url)).begin() as conn:
        conn.execute(sa.update(Organisation).where(Organisation.krs == ARTIST_KRS)
                     .values(name="Fundacja X\r\nBcc: victim@evil.org"))
    do(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="reject", defects=("brak podpisu",)),
       "2026-01-26T10:00+01:00", db_url)
    report = dispatch("2026-01-27T10:00+01:00", url=db_url)
    [failed] = report.failed
    assert failed["key"].endswith("/offer_rejected/offer:1") and failed["permanent"]
    row = next(r for r in outbox(db_url) if r.template == "offer_rejected")
    assert (row.status, row.attempts, row.recipient) == ("failed", 1, ARTIST)
    assert row.last_error.startswith("bad address or header: ") and "CR or LF" in row.last_error
    assert report.retried == 0 and server.inbox.to("victim@evil.org") == [] and server.inbox.to(ARTIST) == []
    assert [m["Subject"] for m in server.inbox.to(OFFICERS)]  # the other messages went out


def test_smtp_errors_permanent_at_once_transient_with_backoff(db_url, monkeypatch, servers):
    server = servers(refuse={"nobody@leszno.example": "550 5.1.1 no such user",
                             "full@leszno.example": "452 4.2.2 mailbox full, try later"})
    configure(monkeypatch, server.port, db_url, backoff_seconds="60")
    closed_calls(db_url, 5)
    ids = [r.id for r in outbox(db_url)]
    set_rows(db_url, ids[:1], recipient="nobody@leszno.example")  # 5xx to the recipient: permanent
    set_rows(db_url, ids[1:2], recipient="full@leszno.example")  # 4xx: transient
    set_rows(db_url, ids[2:3], recipient="biuro@example.org;c")  # not an address: permanent
    set_rows(db_url, ids[3:4], recipient="<biuro@example.org>")  # not an addr-spec: permanent
    report = dispatch(T0, url=db_url)
    assert report.sent == 1 and report.retried == 1 and len(report.failed) == 3
    rows = {r.id: r for r in outbox(db_url)}
    assert (rows[ids[0]].status, rows[ids[0]].attempts) == ("failed", 1)
    assert rows[ids[0]].last_error == "recipient refused: 550 5.1.1 no such user"
    assert (rows[ids[1]].status, rows[ids[1]].attempts) == ("pending", 1)
    assert rows[ids[1]].last_error == "recipient refused: 452 4.2.2 mailbox full, try later"
    assert rows[ids[1]].next_attempt_at == T0 + timedelta(seconds=60)
    for bad in ids[2:4]:
        assert rows[bad].status == "failed" and rows[bad].last_error.startswith("bad address or header: ")
    assert rows[ids[4]].status == "sent" and server.inbox.message_ids() == [rows[ids[4]].message_id]


def test_smtp_server_down_is_transient(db_url, monkeypatch):
    configure(monkeypatch, free_port(), db_url, backoff_seconds="60")  # nothing listens there
    closed_calls(db_url, 1)
    report = dispatch(T0, url=db_url)
    [row] = outbox(db_url)
    assert report.retried == 1 and (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("ConnectionRefusedError")


@pytest.mark.parametrize(("status", "outcome"), [(404, "failed"), (410, "failed"), (429, "pending"),
                                                 (503, "pending"), (204, "sent")])
def test_webhook_answers_4xx_permanent_5xx_and_429_transient(db_url, monkeypatch, servers, status, outcome):
    from tests.notification_helpers import invalidated_call

    hook = WebhookReceiver(status=status).start()
    try:
        configure(monkeypatch, servers().port, db_url, webhook_url=hook.url)
        invalidated_call(db_url)
        report = dispatch("2026-01-29T10:00+01:00", url=db_url)
    finally:
        hook.stop()
    public = [r for r in outbox(db_url) if r.channel == "webhook"]
    assert len(public) == 2 and len(hook.posts) == 2
    assert {(r.status, r.attempts) for r in public} == {(outcome, 1)}
    if outcome != "sent":
        assert {r.last_error for r in public} == {f"webhook answered {status}"}
    failed_public = [f for f in report.failed if f["recipient"] == "public-portal"]
    assert len(failed_public) == (2 if outcome == "failed" else 0)


def test_webhook_unreachable_is_transient_and_names_no_url(db_url, monkeypatch, servers):
    configure(monkeypatch, servers().port, db_url, webhook_url=f"http://127.0.0.1:{free_port()}/hooks/s3cr3t-token")
    from tests.notification_helpers import invalidated_call

    invalidated_call(db_url)
    dispatch("2026-01-29T10:00+01:00", url=db_url)
    public = [r for r in outbox(db_url) if r.channel == "webhook"]
    assert {(r.status, r.attempts, r.last_error) for r in public} == {("pending", 1, "webhook: ConnectError")}
    assert {r.recipient for r in public} == {"public-portal"}
