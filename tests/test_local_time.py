"""Every moment a person reads is Warsaw time with its offset (issue 17): the two forms of kernel/local_time.py,
and the CLI (text and ``--json``) and the notifications that use them, in winter (+01:00) and in summer (+02:00).

The Prefect side (tick run names, artifacts) is tested in tests/test_flows.py, the audit export written before
this change in tests/test_audit_verify_outside.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

import coop.audit_cli  # noqa: F401  (registers the command groups on the app)
import coop.core_cli  # noqa: F401
from coop.cli import app
from notifications.render import render
from states.local_time import as_moment, clock_text, moment_iso, moment_text
from tests.test_cli import ANNOUNCE, CREATE, make_call

# --- the two forms ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stored", "text", "iso"), [
    # the offer deadline of a winter call and of a summer one: 23:59:59 Warsaw time, whatever UTC says
    (datetime(2026, 1, 23, 22, 59, 59, tzinfo=UTC), "2026-01-23 23:59:59 (+01:00)", "2026-01-23T23:59:59+01:00"),
    (datetime(2026, 4, 15, 21, 59, 59, tzinfo=UTC), "2026-04-15 23:59:59 (+02:00)", "2026-04-15T23:59:59+02:00"),
    # spring change (29 March 2026, 02:00 -> 03:00): the last second of CET, the first of CEST
    (datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), "2026-03-29 01:59:59 (+01:00)", "2026-03-29T01:59:59+01:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "2026-03-29 03:00 (+02:00)", "2026-03-29T03:00:00+02:00"),
    # autumn change (25 October 2026, 03:00 -> 02:00): the same wall time twice, told apart by the offset
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "2026-10-25 02:30 (+02:00)", "2026-10-25T02:30:00+02:00"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "2026-10-25 02:30 (+01:00)", "2026-10-25T02:30:00+01:00"),
    # as stored: naive UTC (SQLite), UTC "Z" text (hashed content, message data), text with its own offset
    (datetime(2026, 7, 1, 8, 0), "2026-07-01 10:00 (+02:00)", "2026-07-01T10:00:00+02:00"),
    ("2026-01-23T22:59:59Z", "2026-01-23 23:59:59 (+01:00)", "2026-01-23T23:59:59+01:00"),
    ("2026-11-06T15:30:00+01:00", "2026-11-06 15:30 (+01:00)", "2026-11-06T15:30:00+01:00"),
    # a real clock's fractions: kept for scripts, not shown to people
    ("2026-07-01T08:00:03.250000Z", "2026-07-01 10:00:03 (+02:00)", "2026-07-01T10:00:03.250000+02:00"),
], ids=["winter", "summer", "before-spring-change", "after-spring-change", "autumn-first", "autumn-second",
        "naive-stored", "z-text", "offset-text", "fractions"])
@pytest.mark.fast
def test_a_moment_reads_in_warsaw_time_with_its_offset(stored, text, iso):
    assert moment_text(stored) == text
    assert moment_iso(stored) == iso
    assert clock_text(stored) == text.split(" ", 1)[1]
    assert datetime.fromisoformat(iso) == as_moment(stored)  # the same instant, only shown differently


@pytest.mark.fast
def test_nothing_to_show_stays_nothing():
    assert as_moment(None) is None


# --- the CLI ----------------------------------------------------------------------------------------------------

SUMMER = ["--offer-deadline", "2026-04-15", "--selection-date", "2026-05-06", "--execution-start", "2026-06-01",
          "--execution-end", "2026-11-30", "--bip", "2026-03-20T09:00+01:00", "--board", "2026-03-20T10:00+01:00",
          "--website", "2026-03-20T11:00+01:00"]


@pytest.fixture
def run(db_url):
    """``coop`` in-process on this test's database, as tests/test_cli.py runs it."""
    runner = CliRunner()

    def invoke(*args: str, role: str = "officer", at: str | None = "2026-01-02T12:00+01:00"):
        env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": role, "COOP_LANG": "pl",
               "COOP_NOW": at}
        result = runner.invoke(app, list(args), env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    return invoke


def lines(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line and not line.startswith(" "))


def test_deadlines_are_shown_in_warsaw_time_in_winter_and_in_summer(run):
    winter = make_call(run)
    summer = json.loads(run(*CREATE, "--json", at="2026-03-20T08:30+01:00").stdout)["code"]

    # announced in winter, the deadline in winter: +01:00; announced in winter, the deadline after the change: +02:00
    announced = run("call", "announce", winter, *ANNOUNCE, at="2026-01-02T12:00+01:00")
    assert announced.exit_code == 0, announced.stderr
    assert lines(announced.stdout)["offer_deadline"] == "2026-01-23 23:59:59 (+01:00)"
    announced = run("call", "announce", summer, *SUMMER, "--json", at="2026-03-20T12:00+01:00")
    assert announced.exit_code == 0, announced.stderr
    assert json.loads(announced.stdout)["offer_deadline"] == "2026-04-15T23:59:59+02:00"

    # read back from the database (stored in UTC): still Warsaw time, for people and for scripts
    for code, text, iso in ((winter, "2026-01-23 23:59:59 (+01:00)", "2026-01-23T23:59:59+01:00"),
                            (summer, "2026-04-15 23:59:59 (+02:00)", "2026-04-15T23:59:59+02:00")):
        shown = run("call", "show", code, at="2026-04-01T10:00+02:00")
        assert shown.exit_code == 0, shown.stderr
        assert lines(shown.stdout)["offer_deadline"] == text
        assert f"│ {text} │" in shown.stdout  # the deadline row of the table
        assert "+00:00" not in shown.stdout and "UTC" not in shown.stdout
        as_json = json.loads(run("call", "show", code, "--json", at="2026-04-01T10:00+02:00").stdout)
        assert as_json["offer_deadline"] == iso
        assert [d["due_at"] for d in as_json["deadlines"]] == [iso]


def test_history_and_refusals_show_warsaw_time(run):
    code = make_call(run)
    assert run("call", "announce", code, *ANNOUNCE, at="2026-01-02T12:00+01:00").exit_code == 0

    text = run("history", code, at="2026-07-01T10:00+02:00").stdout
    assert "│ 2026-01-02 08:30 (+01:00) │" in text and "│ 2026-01-02 12:00 (+01:00) │" in text
    as_json = json.loads(run("history", code, "--json", at="2026-07-01T10:00+02:00").stdout)
    assert [r["at"] for r in as_json] == ["2026-01-02T08:30:00+01:00", "2026-01-02T12:00:00+01:00"]
    as_csv = list(csv.DictReader(io.StringIO(run("audit", "history", code, "--csv", role="auditor").stdout)))
    assert [r["at"] for r in as_csv] == ["2026-01-02T08:30:00+01:00", "2026-01-02T12:00:00+01:00"]

    # an offer filed in summer, after the winter deadline: both moments in their own offset
    late = run("offer", "file", code, "--organisation", "0000100001", "--title", "Spóźniona", "--grant", "1000",
               "--task-start", "2026-08-01", "--task-end", "2026-09-30", at="2026-07-12T10:00Z")
    assert late.exit_code == 2
    assert "2026-07-12 12:00 (+02:00)" in late.stderr and "2026-01-23 23:59:59 (+01:00)" in late.stderr

    backwards = run("committee", "appoint", code, "--name", "Jan Kowalski", at="2026-01-02T10:00Z")
    assert backwards.exit_code != 0
    assert "2026-01-02 11:00 (+01:00)" in backwards.stderr and "2026-01-02 12:00 (+01:00)" in backwards.stderr


def test_the_calendar_shows_its_due_moment_in_warsaw_time(run):
    summer = run("calendar", "period", "2026-07-16", "30")
    assert lines(summer.stdout)["due"] == "2026-08-17 23:59:59 (+02:00)"
    winter = json.loads(run("calendar", "period", "2026-12-20", "5", "working_days", "--json").stdout)
    assert winter["due"] == "2026-12-29T23:59:59+01:00"


# --- notifications ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stored", "pl", "en"), [
    ("2026-01-23T22:59:59Z", "23 stycznia 2026 r., godz. 23:59:59 (+01:00)", "23 January 2026, 23:59:59 (+01:00)"),
    ("2026-04-15T21:59:59Z", "15 kwietnia 2026 r., godz. 23:59:59 (+02:00)", "15 April 2026, 23:59:59 (+02:00)"),
    ("2026-10-25T01:30:00Z", "25 października 2026 r., godz. 02:30 (+01:00)", "25 October 2026, 02:30 (+01:00)"),
], ids=["winter", "summer", "autumn-change"])
def test_a_notification_tells_the_moment_in_warsaw_time_with_its_offset(stored, pl, en):
    # the message data as the outbox keeps it: moments as UTC "Z" text (states.audit.json_ready)
    data = {"recipient": {"name": "Jan Kowalski"}, "office": "Urząd Miasta Leszna",
            "case": {"code": "OK/2026/001", "title": "Aktywność lokalna 2026", "offer_deadline": stored}}
    polish, english = render("member_appointed", data, "pl"), render("member_appointed", data, "en")
    assert f"Termin składania ofert upływa {pl}." in polish.text and pl in polish.html
    assert f"The offer deadline is {en}." in english.text and en in english.html
    assert "UTC" not in polish.text and "UTC" not in english.text
