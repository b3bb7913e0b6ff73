"""The engine's settings live in its database (issue 23): every worker reads the same, whatever its environment;
a change is an officer's, validated, kept in the history; a message to an office mailbox not yet set waits for
it instead of failing for good."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from typer.testing import CliRunner

import coop.core_cli  # noqa: F401  (registers the command groups on the app)
import coop.notify_cli  # noqa: F401
import coop.settings_cli  # noqa: F401
from coop.cli import app
from notifications.dispatcher import dispatch
from notifications.settings import engine_settings
from tests.conftest import dump
from tests.notification_helpers import OFFICERS, SmtpServer, closed_calls, configure, free_port, outbox

AT = "2026-01-29T10:00+01:00"


@pytest.fixture
def cli(db_url):
    runner = CliRunner()

    def invoke(*args: str, role: str = "officer", lang: str = "pl", **env: str):
        result = runner.invoke(app, list(args), env={"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Anna Urzędniczka",
                                                     "COOP_ROLE": role, "COOP_LANG": lang, **env})
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result

    invoke.url = db_url
    return invoke


def test_a_message_to_an_unset_office_mailbox_waits_and_goes_once_the_setting_is_set(db_url, monkeypatch, cli,
                                                                                      caplog):
    server = SmtpServer(free_port()).start()
    try:
        configure(monkeypatch, server.port, db_url, officers_email="")  # the office has not set its mailbox
        # One worker's environment still names an address: it is not used, and the worker says so.
        # (a value of its own: a worker warns once per value)
        old = f"stara.{uuid.uuid4().hex[:8]}@um.leszno.example"
        monkeypatch.setenv("COOP_OFFICERS_EMAIL", old)
        with caplog.at_level(logging.WARNING, logger="coop.settings"):
            closed_calls(db_url, 1)  # the closed call tells the officers to publish its invalidation
            first = json.loads(cli("notifications", "dispatch", "--at", AT, "--json").output)
        assert (first["waiting_for_a_setting"], first["sent"], first["failed"]) == (1, 0, [])
        assert any("COOP_OFFICERS_EMAIL" in r.getMessage() and "officers-email" in r.getMessage()
                   for r in caplog.records)
        [row] = [r for r in outbox(db_url) if r.audience == "officers"]
        assert (row.status, row.attempts, row.recipient) == ("pending", 0, "")
        assert "coop settings set officers-email" in row.last_error
        listed = cli("notifications", "list", "--pending", "--json")
        assert "coop settings set officers-email" in listed.output
        assert dispatch(AT, url=db_url).claimed == 0  # held: not tried again at once, never counted as an attempt

        answer = cli("settings", "set", "officers-email", OFFICERS, "--reason", "skrzynka wydziału", "--json")
        assert answer.exit_code == 0, answer.output
        assert json.loads(answer.output)["released"] == 1
        second = dispatch(AT, url=db_url)
    finally:
        server.stop()
    assert (second.sent, second.held) == (1, 0)
    assert len(server.inbox.to(OFFICERS)) == 1 and server.inbox.to(old) == []
    [row] = [r for r in outbox(db_url) if r.audience == "officers"]
    assert (row.status, row.recipient, row.last_error) == ("sent", OFFICERS, None)


def test_a_waiting_message_takes_the_mailbox_the_dispatcher_reads_at_send_time(db_url, monkeypatch):
    """A held row whose setting appears in the database is sent with the setting's address, read at send time."""
    from sqlmodel import Session

    from models.db import get_engine, normalise_url
    from models.settings import EngineSetting

    server = SmtpServer(free_port()).start()
    try:
        configure(monkeypatch, server.port, db_url, officers_email="")
        closed_calls(db_url, 1)
        with Session(get_engine(normalise_url(db_url))) as session:  # written without the command: no release
            session.add(EngineSetting(key="officers-email", value=OFFICERS, changed_at=outbox(db_url)[0].created_at))
            session.commit()
        report = dispatch(AT, url=db_url)
    finally:
        server.stop()
    assert report.sent == 1 and len(server.inbox.to(OFFICERS)) == 1


def test_set_refuses_bad_values_secrets_unknown_keys_and_other_roles_changing_nothing(db_url, cli):
    before = dump(db_url)
    for args, code, says in (
        (("officers-email", "ngo.um.leszno.pl"), 2, "officers-email"),
        (("mail-from", "Urząd <brak>"), 2, "mail-from"),
        (("smtp-port", "99999"), 2, "65535"),
        (("smtp-ssl", "może"), 2, "smtp-ssl"),
        (("max-attempts", "0"), 2, "max-attempts"),
        (("default-language", "de"), 2, "pl, en"),
        (("webhook-url", "https://portal.example/hooks/s3cr3t"), 2, "COOP_WEBHOOK_URL"),
        (("smtp-password", "hunter2hunter2"), 2, "COOP_SMTP_PASSWORD"),
        (("officers-mail", "ngo@um.leszno.pl"), 2, "officers-email"),
    ):
        result = cli("settings", "set", *args)
        assert result.exit_code == code, (args, result.output)
        assert says in result.output, (args, result.output)
        assert "s3cr3t" not in result.output and "hunter2" not in result.output
    refused = cli("settings", "set", "smtp-port", "587", role="auditor")
    assert refused.exit_code == 5
    assert dump(db_url) == before


def test_every_change_is_kept_with_who_when_old_and_new_and_show_tells_the_source(db_url, cli):
    assert cli("settings", "set", "smtp-port", "587").exit_code == 0
    assert cli("settings", "set", "smtp-port", "2525", "--reason", "nowy serwer").exit_code == 0
    assert cli("settings", "set", "officers-email", "NGO@UM.Leszno.example").exit_code == 0
    assert cli("settings", "unset", "smtp-port").exit_code == 0
    history = json.loads(cli("settings", "history", "smtp-port", "--json").output)
    assert [(h["old_value"], h["new_value"], h["reason"], h["actor"], h["role"]) for h in history] == [
        (None, "587", "", "Anna Urzędniczka", "officer"), ("587", "2525", "nowy serwer", "Anna Urzędniczka", "officer"),
        ("2525", None, "", "Anna Urzędniczka", "officer")]
    assert history[0]["changed_at"] <= history[1]["changed_at"] <= history[2]["changed_at"]
    assert len(json.loads(cli("settings", "history", "--json", role="auditor").output)) == 4
    shown = {r["key"]: r for r in json.loads(cli("settings", "show", "--json",
                                                 COOP_SMTP_PASSWORD="hunter2hunter2").output)}
    assert (shown["smtp-port"]["value"], shown["smtp-port"]["source"]) == ("25", "domyślna")
    assert (shown["officers-email"]["value"], shown["officers-email"]["source"]) == (
        "NGO@um.leszno.example", "baza danych silnika")
    assert shown["smtp-password"]["value"] == "***" and shown["smtp-password"]["environment"].endswith("tak")
    assert shown["webhook-url"]["environment"].endswith("nie")
    assert "hunter2" not in repr(dump(db_url))


def test_workers_with_different_environments_read_the_same_settings(db_url, monkeypatch):
    from tests.notification_helpers import write_settings

    write_settings(db_url, officers_email=OFFICERS, max_attempts="3")
    monkeypatch.setenv("COOP_OFFICERS_EMAIL", "inna@um.leszno.example")
    monkeypatch.setenv("COOP_MAX_ATTEMPTS", "9")
    one = engine_settings(db_url)
    monkeypatch.delenv("COOP_OFFICERS_EMAIL")
    monkeypatch.delenv("COOP_MAX_ATTEMPTS")
    other = engine_settings(db_url)
    assert (one.officers_email, one.max_attempts) == (other.officers_email, other.max_attempts) == (OFFICERS, 3)
    write_settings(db_url, max_attempts="4")
    assert engine_settings(db_url).max_attempts == 4  # the next unit of work sees a change


def test_import_env_copies_the_environment_once_and_keeps_what_the_database_has(db_url, cli):
    env = {"COOP_OFFICERS_EMAIL": "ngo@um.leszno.example", "COOP_SMTP_PORT": "587", "COOP_NOTIFY_LANG": "en"}
    assert cli("settings", "set", "smtp-port", "25").exit_code == 0
    first = {r["key"]: r for r in json.loads(cli("settings", "import-env", "--json", **env).output)}
    assert first["officers-email"]["value"] == "ngo@um.leszno.example"
    assert first["default-language"]["value"] == "en"
    assert first["smtp-port"]["value"] == "25"  # the database's value is kept
    config = engine_settings(cli.url)
    assert (config.officers_email, config.default_lang, config.smtp_port) == ("ngo@um.leszno.example", "en", 25)
    again = json.loads(cli("settings", "import-env", "--json", **env).output)
    assert all(r["value"] in ("ngo@um.leszno.example", "en", "25") for r in again)
    history = json.loads(cli("settings", "history", "--json").output)
    assert [h["key"] for h in history] == ["smtp-port", "officers-email", "default-language"]  # once each
    before = dump(cli.url)
    bad = cli("settings", "import-env", COOP_RDPP_EMAIL="rada.um.leszno.pl")
    assert bad.exit_code == 2 and "COOP_RDPP_EMAIL" in bad.output
    assert dump(cli.url) == before



def test_the_demo_writes_its_office_settings_so_its_officers_messages_have_an_address(db_url, cli):
    from coop.demo import DEMO_SETTINGS

    assert cli("demo", "--database", db_url, "--offers", "1").exit_code == 0
    config = engine_settings(db_url)
    assert (config.officers_email, config.rdpp_email) == (DEMO_SETTINGS["officers-email"], DEMO_SETTINGS["rdpp-email"])
    officers = [r for r in outbox(db_url) if r.audience == "officers"]
    assert officers and {r.recipient for r in officers} == {DEMO_SETTINGS["officers-email"]}
    assert [h["reason"] for h in json.loads(cli("settings", "history", "--json").output)] == ["demo", "demo"]
