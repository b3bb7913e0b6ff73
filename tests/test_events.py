"""The domain's events reach the notifications only through the subscriptions made at start-up (states/events.py,
notifications/bootstrap.py), and never silently not at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from models.tables import AuditRecord
from notifications.bootstrap import EVENT_HANDLERS, bootstrap
from states import events
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from tests.conftest import dump
from tests.test_open_call_guards import ANNOUNCED_AT, announcement, create, do, register

ROOT = Path(__file__).resolve().parent.parent


def appoint_with_email(url: str, code: str) -> None:
    do(url, open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name="Jan Kowalski",
                                                                            email="jan@leszno.example"),
       "2026-01-05T09:00+01:00")


def test_a_step_is_refused_and_nothing_written_when_nobody_subscribed(db_url):
    register(db_url, 1)
    code = create(db_url)
    do(db_url, open_call_handlers.announce_call, announcement(code), ANNOUNCED_AT)
    before = dump(db_url)
    with events.isolated(), pytest.raises(events.NotBootstrapped, match="bootstrap"):
        appoint_with_email(db_url, code)
    assert dump(db_url) == before  # no audit record without its notifications: the step did not happen
    appoint_with_email(db_url, code)  # the registry is back: the same step now goes through, with its message
    with Session(get_engine(normalise_url(db_url))) as session:
        record = session.exec(select(AuditRecord).where(AuditRecord.event == "appoint_member")).one()
        sent = session.exec(select(Notification).where(Notification.audit_seq == record.seq,
                                                        Notification.template == "member_appointed")).all()
    assert [n.recipient for n in sent] == ["jan@leszno.example"]


@pytest.mark.fast
def test_bootstrap_twice_subscribes_once():
    with events.isolated():
        bootstrap()
        bootstrap()
        assert events.subscribers(events.AuditRecorded) == EVENT_HANDLERS[events.AuditRecorded]
        assert len(events.subscribers(events.AuditRecorded)) == 1


@pytest.mark.fast
def test_publish_hands_the_event_to_each_subscriber_in_order():
    heard = []
    with events.isolated():
        events.subscribe(events.AuditRecorded, lambda ctx, e: heard.append(("first", ctx, e.record)))
        events.subscribe(events.AuditRecorded, lambda ctx, e: heard.append(("second", ctx, e.record)))
        events.publish("ctx", events.AuditRecorded(case="case", record="record"))
    assert heard == [("first", "ctx", "record"), ("second", "ctx", "record")]
    event = events.AuditRecorded(case="case", record="record")
    with pytest.raises(AttributeError):
        event.case = "another"  # frozen: a subscriber cannot change what the next one hears


@pytest.mark.parametrize("entry", ["import flows", "import bench", "import coop.cli; coop.cli.main()"])
def test_every_entry_point_subscribes_the_outbox(entry):
    """A process started at an entry point has the outbox subscribed before its first command."""
    probe = (f"import sys; sys.argv = ['coop', '--help']\ntry:\n    {entry}\nexcept SystemExit:\n    pass\n"
             "from states import events\n"
             "print(len(events.subscribers(events.AuditRecorded)))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "1"
