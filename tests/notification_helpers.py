"""Shared pieces of the notification tests: a real SMTP server, a webhook receiver, small scenarios."""

from __future__ import annotations

import asyncio
import email
import json
import socket
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlmodel import Session, select

from coop.demo import OFFICER
from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from states import inputs
from states.cases import register_organisation
from states.engine import execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.small_grant import inputs as small_grant_inputs
from states.tick import tick

OFFICERS = "ngo@um.leszno.example"
ARTIST, ARTIST_KRS = "fundacja@muzyczna.example", "0000200001"
CYCLISTS, CYCLISTS_KRS = "rowery@example.org", "0000300001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What a real SMTP server received: one parsed message per (envelope recipient, message).

    ``delay``: seconds the server takes to accept each message (a slow server); ``refuse``: an address → the
    reply to its RCPT (``"550 5.1.1 no such user"``, ``"451 4.3.0 try later"``)."""

    messages: list[tuple[str, EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd handler hook
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        if self.delay:
            await asyncio.sleep(self.delay)  # other connections are served meanwhile
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, parsed))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for _, m in self.messages]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if rcpt == address]


class SmtpServer:
    """``login``: (user, password) the server requires (AUTH without TLS: a local test server only)."""

    def __init__(self, port: int, *, delay: float = 0.0, refuse: dict[str, str] | None = None,
                 login: tuple[str, str] | None = None) -> None:
        self.port = port
        self.inbox = Inbox(delay=delay, refuse=refuse or {})
        self.logins: list[tuple[str, str]] = []
        auth = {}
        if login:
            def authenticate(server, session, envelope, mechanism, auth_data):
                given = (auth_data.login.decode(), auth_data.password.decode())
                self.logins.append(given)
                return AuthResult(success=given == login)

            auth = {"authenticator": authenticate, "auth_require_tls": False, "auth_required": True}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port, **auth)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class WebhookReceiver:
    """A local HTTP server taking webhook POSTs at ``url`` (``path``: e.g. one with a secret token), answering
    ``status`` (settable)."""

    def __init__(self, path: str = "/hook", status: int = 204) -> None:
        self.posts: list[tuple[dict, dict]] = []
        self.status = status
        received, receiver = self.posts, self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), json.loads(body)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def configure(monkeypatch, smtp_port: int, url: str, **extra: str) -> None:
    """The local SMTP server and the officers' mailbox, written in the engine's database as ``coop settings set``
    does (every worker reads them there); ``extra``: more settings by their field name (``lease_seconds``), and
    what stays in the environment (the secrets ``webhook_url``, ``smtp_password``; ``database_url``, ``actor``)."""
    from notifications.settings import ENGINE_SETTINGS

    monkeypatch.delenv("COOP_LANG", raising=False)
    fields = {item.field: item.key for item in ENGINE_SETTINGS}
    values = {"smtp-host": "127.0.0.1", "smtp-port": str(smtp_port), "officers-email": OFFICERS,
              "smtp-timeout": "60"}  # a loaded CI machine must not turn into a retry
    for key, value in extra.items():
        if key in fields and value == "":  # not set: its default (an office mailbox: its messages wait)
            values.pop(fields[key], None)
        elif key in fields:
            values[fields[key]] = value
        else:
            monkeypatch.setenv(f"COOP_{key.upper()}", value)
    write_settings(url, **values)


def write_settings(url: str, **values: str) -> None:
    """Settings by their keys (``officers-email``…; a keyword spells it ``officers_email``), as an officer sets them."""
    from notifications.setting_handlers import SetSettings, set_settings

    execute(set_settings, SetSettings(values={k.replace("_", "-"): v for k, v in values.items()}), actor=OFFICER,
            url=url)


def outbox(url: str) -> list[Notification]:
    with Session(get_engine(normalise_url(url))) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))


def closed_calls(url: str, count: int) -> list[str]:
    """``count`` calls announced on 2 January 2026 with no offer, closed (and so invalidated) by the tick on
    24 January: each sends the officers one message (publish the invalidation)."""
    codes = []
    for n in range(count):
        code = do(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title=f"Konkurs {n + 1}/2026", task_area="kultura",
                                                   budget=Decimal("10000.00")), "2026-01-02T08:30+01:00", url)["code"]
        do(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
            code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
            execution_end="2026-11-30", published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00",
                                                   "website": "2026-01-02T11:00+01:00"}), "2026-01-02T12:00+01:00", url)
        codes.append(code)
    tick("2026-01-24T08:05+01:00", url=url)
    return codes


def do(handler, command, when: str, url: str):
    return execute(handler, command, actor=OFFICER, at=when, url=url)


def call_in_formal_review(url: str) -> str:
    """A call announced on 2 January 2026 with one offer, its deadline passed: in formal review."""
    do(register_organisation, inputs.RegisterOrganisation(name="Fundacja Muzyczna Leszno", legal_form="fundacja",
                                                     krs=ARTIST_KRS, address="Leszno", email=ARTIST,
                                                     contact_person="Prezes"), "2026-01-02T08:00+01:00", url)
    code = do(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Kultura w Lesznie 2026", task_area="kultura, sztuka",
                                               budget=Decimal("50000.00")), "2026-01-02T08:30+01:00", url)["code"]
    do(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
        execution_end="2026-11-30", grant_rules="Dotacja do 90% kosztów.", prior_funding="2025: brak",
        published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00",
                   "website": "2026-01-02T11:00+01:00"}), "2026-01-02T12:00+01:00", url)
    do(open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=ARTIST_KRS, title="Koncerty w parku",
                                  requested_grant=Decimal("10000.00"), task_start="2026-04-01", task_end="2026-06-30"),
       "2026-01-12T10:00+01:00", url)
    tick("2026-01-24T08:05+01:00", url=url)
    return code


def invalidated_call(url: str) -> str:
    """The only offer is rejected on formal grounds: the call is invalidated and the invalidation published."""
    code = call_in_formal_review(url)
    do(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="reject", defects=("brak oświadczenia",)),
       "2026-01-26T10:00+01:00", url)
    do(open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-01-27T10:00+01:00", url)
    do(open_call_handlers.publish, open_call_inputs.Publish(code=code, subject="invalidation", published={
        "bip": "2026-01-28T09:00+01:00", "board": "2026-01-28T09:30+01:00", "website": "2026-01-28T10:00+01:00"}),
       "2026-01-28T10:30+01:00", url)
    return code


def small_grant_case(url: str):
    """A small grant (art. 19a) filed on 1 April 2026, published, granted and contracted; returns (code, contract)."""
    from states.procedures.small_grant import handlers as small_grant_handlers

    do(register_organisation, inputs.RegisterOrganisation(name="Stowarzyszenie Leszczyńskie Rowery",
                                                     legal_form="stowarzyszenie", krs=CYCLISTS_KRS, address="Leszno",
                                                     email=CYCLISTS, contact_person="Prezes"),
       "2026-01-02T08:00+01:00", url)
    do(small_grant_handlers.record_budget, small_grant_inputs.RecordGrantBudget(year=2026, planned="1500000.00"), "2026-01-02T09:00+01:00", url)
    code = do(small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(organisation_krs=CYCLISTS_KRS, title="Rajd rowerowy „Poznaj Leszno”",
                                               requested_grant="9500.00", task_start="2026-05-01",
                                               task_end="2026-07-16"), "2026-04-01T10:00+02:00", url)["code"]
    do(small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=code, published={
        "bip": "2026-04-08T09:00+02:00", "board": "2026-04-08T09:30+02:00", "website": "2026-04-08T10:00+02:00"}),
       "2026-04-08T10:05+02:00", url)
    tick("2026-04-16T00:30+02:00", url=url)
    do(small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant(code=code, grant="9000.00", decision_ref="Zarządzenie 101/2026"),
       "2026-04-16T10:00+02:00", url)
    signed = do(small_grant_handlers.sign_contract, small_grant_inputs.SignSmallGrant(code=code, contract_number="WZ.526.MG.1.2026"),
                "2026-04-17T10:00+02:00", url)
    return code, signed
