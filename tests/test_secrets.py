"""Secrets stay where they live (invariant 12): a "secret-grep" over everything the engine shows or keeps.

Three secret strings are planted where they belong: a PostgreSQL password in ``COOP_DATABASE_URL`` (the test
server trusts any password, so the engine really connects with it), a token in the path of
``COOP_WEBHOOK_URL`` (a local HTTP server that receives the public notices there), and the SMTP password the
local SMTP server requires. The engine then runs: ``coop serve``'s start-up banner, the CLI commands that
show the database or the outbox (and one whose database is down), dispatches from the CLI and as Prefect
flow runs (the webhook down, answering 503, then 404; the officers' address missing), and the secrets are
searched for in every output, every Python log record, every Prefect flow run, task run, log, artifact and
event read back from the Prefect API, and a dump of every table. None may appear.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import httpx
import pytest
from typer.testing import CliRunner

import coop.core_cli  # noqa: F401  (registers the command groups on the app)
import coop.notify_cli  # noqa: F401
from coop.cli import app
from tests.conftest import dump, empty_tables
from tests.notification_helpers import (
    SmtpServer,
    WebhookReceiver,
    configure,
    free_port,
    invalidated_call,
    outbox,
)

PG_PASSWORD = f"pg-pw-{uuid.uuid4().hex}"
TOKEN = f"hook-token-{uuid.uuid4().hex}"
SMTP_PASSWORD = f"smtp-pw-{uuid.uuid4().hex}"
SECRETS = (PG_PASSWORD, TOKEN, SMTP_PASSWORD)


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    return f"exit {result.exit_code}\n{result.output}\n{result.exception!r}"


def prefect_records(api: str, flow_run_ids: list) -> list[str]:
    """Every flow run, task run, log and artifact of these flow runs, and every event, as the API gives them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30)
    EventsWorker.drain_all(timeout=30)

    async def read() -> list[str]:
        async with get_client() as client:
            runs = FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids))
            records = [r.model_dump_json() for r in await client.read_flow_runs(flow_run_filter=runs)]
            tasks = await client.read_task_runs(flow_run_filter=runs)
            records += [t.model_dump_json() for t in tasks]
            logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=flow_run_ids)))
            records += [log.model_dump_json() for log in logs]
            records += [a.model_dump_json() for a in await client.read_artifacts()]
            return records

    records = asyncio.run(read())
    page = httpx.post(f"{api}/events/filter", json={"limit": 50}, timeout=30).raise_for_status().json()
    while True:  # every event of the session, page after page
        records += [json.dumps(event) for event in page["events"]]
        if not page.get("next_page"):
            return records
        page = httpx.get(page["next_page"], timeout=30).raise_for_status().json()


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # with the traceback of an exception, if any


@pytest.fixture
def every_log():
    """Every log record at every level, of the root logger and of those that do not propagate to it (Prefect's),
    with httpx and httpcore at DEBUG (httpx logs each request's URL at INFO)."""
    handler = Collect()
    loggers = [logging.getLogger(name) for name in ("", "prefect", "httpx", "httpcore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler.lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_no_secret_in_any_output_log_prefect_run_or_row(postgresql_url, prefect_api, monkeypatch, tmp_path, every_log):
    empty_tables(postgresql_url)
    url = postgresql_url.replace("postgresql://postgres@", f"postgresql://postgres:{PG_PASSWORD}@", 1)
    assert PG_PASSWORD in url
    smtp = SmtpServer(free_port(), login=("coop-mailer", SMTP_PASSWORD)).start()
    hook = WebhookReceiver(path=f"/hooks/{TOKEN}", status=503).start()
    shown: list[str] = []
    try:
        configure(monkeypatch, smtp.port, url, database_url=url, actor="Anna Urzędniczka", smtp_user="coop-mailer",
                  smtp_password=SMTP_PASSWORD, officers_email="",  # the office forgot its address: those wait
                  webhook_url=f"http://127.0.0.1:{free_port()}/hooks/{TOKEN}")  # the portal is down at first

        from flows.launcher import startup_banner
        from models.db import database_url

        banner = startup_banner(database_url(), tmp_path / "coop-serve-server.log", tmp_path / "prefect-auth-string")
        shown += [banner.in_language("pl"), banner.in_language("en")]
        assert "postgres:***@127.0.0.1" in banner.in_language("pl")

        code = invalidated_call(url)
        shown.append(cli("notifications", "dispatch", "--at", "2026-01-29T10:00+01:00", "--json"))

        from flows.dispatch import dispatch_flow

        monkeypatch.setenv("COOP_WEBHOOK_URL", hook.url)  # the portal is back, answering 503, then 404
        states = [asyncio.run(dispatch_flow(at="2026-01-29T10:05+01:00", return_state=True))]
        hook.status = 404
        states.append(asyncio.run(dispatch_flow(at="2026-01-29T10:30+01:00", return_state=True)))
        public = [r for r in outbox(url) if r.channel == "webhook"]
        shown.append(cli("notifications", "retry", str(public[0].id), "--at", "2026-01-29T11:00+01:00"))
        hook.status = 204
        states.append(asyncio.run(dispatch_flow(at="2026-01-29T11:05+01:00", return_state=True)))

        for args in (["notifications", "list"], ["notifications", "list", "--json"],
                     ["notifications", "list", "--failed", "--json"], ["notifications", "list", "--case", code],
                     ["notifications", "preview", str(public[0].id)], ["notifications", "preview", str(public[1].id)],
                     ["db", "upgrade"], ["db", "upgrade", "--json"]):
            shown.append(cli(*args))
        monkeypatch.setenv("COOP_DATABASE_URL", f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{free_port()}/coop")
        down = cli("notifications", "list")  # a database that does not answer: the error names no password
        shown.append(down)
        monkeypatch.setenv("COOP_DATABASE_URL", url)
    finally:
        smtp.stop()
        hook.stop()

    # The secrets were really used: the engine logged in with the password, posted to the token's URL, and
    # connected to PostgreSQL with the password in its URL.
    assert ("coop-mailer", SMTP_PASSWORD) in smtp.logins
    # both notices answered 503, then 404 (failed); one retried by hand and answered 204
    assert sorted(b["template"] for _, b in hook.posts) == ["announcement_notice"] * 3 + ["invalidation_notice"] * 2
    assert {(r.recipient, r.status) for r in outbox(url) if r.channel == "webhook"} == {
        ("public-portal", "sent"), ("public-portal", "failed")}
    assert all(state.is_completed() for state in states)
    assert down.startswith("exit 75")

    records = prefect_records(prefect_api, [s.state_details.flow_run_id for s in states])
    rows = repr(dump(url))
    # what is searched holds what was shown: the masked URL, the channel's name, the failures and their reasons
    outputs = "\n".join(shown)
    assert "postgres:***@127.0.0.1" in outputs and "public-portal" in outputs
    assert "public-portal: webhook answered 404" in " ".join(records)  # a failed task run's message
    assert "webhook answered 404" in rows and "coop settings set officers-email" in rows
    assert any("HTTP Request: POST http://127.0.0.1" in line for line in every_log)  # httpx's line, token hidden
    everything = {"outputs": "\n".join(shown), "python logs": "\n".join(every_log),
                  "prefect": "\n".join(records), "database": rows}
    for secret in SECRETS:
        found = [where for where, text in everything.items() if secret in text]
        assert found == [], f"{secret[:6]}… found in {found}"
