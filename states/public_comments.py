"""Public comments from the portal (issue 22): anyone may comment on a small-grant offer published for comments
(art. 19a ust. 4: "anyone", within the 7 days of its publication) and on a draft act under consultation (art. 5
ust. 5; Leszno's resolution XLVI/601/2021: organisations and residents), after proving an e-mail address.

The design (docs/portal-comments.md): **the comment is held until its link is confirmed**.

- ``request_comment``: a stranger sends a comment with their name and e-mail address. Nothing is filed: the comment
  is kept as typed in ``public_comment_requests`` with a one-time link token (256 random bits) stored as its SHA-256
  only, and the link goes out through the notification outbox, the token sealed with the desk's key (invariant 12),
  in the same transaction (``CommentLinkAsked``). The actor is the named system actor ``portal (public comment)``:
  nobody is proven yet. The case must take comments now (the machine's ``comment`` step, checked here too, so no
  e-mail is sent for a closed case); requests are limited per client address and per e-mail address.
- ``file_comment``: the person opened the link and pressed the button (a GET changes nothing: mail scanners open
  links). The door makes the actor from the link (``states.people.email_principal``: role ``public``, proof
  ``email``, the address its name) and this handler verifies the token again inside the transaction, then files the
  comment through the procedure's own ``add_comment`` handler, in this transaction: the comment's moment is the
  confirmation's, and whether it is inside the window is the machine's to say (``comment_late`` with its basis).
  The idempotency key is the one made when the form was shown (``intent``): a double click files one comment.

The public reads (``open_for_comments``, ``case_for_comments``) show only what the publication shows; no e-mail
address is ever shown there. The officer's ``show`` of a case lists each comment's confirmed address
(``confirmed_emails``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import Field, SecretStr
from sqlmodel import select

from models.public_comment_tables import PublicCommentRequest
from models.tables import Case, Organisation
from states.errors import NotFound, NotPermitted, RuleViolation
from states.inputs import CaseCode, Command, Email, LongText, ShortText
from states.local_time import as_moment
from states.people import token_digest
from states.procedures.consultation import handlers as consultation
from states.procedures.consultation.inputs import ConsultationCommentInput
from states.procedures.consultation.machine import RESOLUTION_BASIS, ConsultationMachine
from states.procedures.consultation.names import ConsultationState
from states.procedures.small_grant import handlers as small_grant
from states.procedures.small_grant.inputs import AddComment
from states.procedures.small_grant.machine import SmallGrantMachine, offer_of
from states.procedures.small_grant.names import SmallGrantState
from states.publications import publications_of
from states.text import tr

# Who sends a comment proves the address it came from: the security of processing (the link, its rate limits).
BASIS_PROOF = "RODO art. 32 ust. 1 lit. b; DESIGN inv. 9"

LINK_HOURS = 24  # the link works once within this time (and only while the case takes comments)
REQUEST_WINDOW = timedelta(hours=1)
REQUESTS_PER_CLIENT = 10  # an office or a library shares one address
REQUESTS_PER_EMAIL = 3  # a person may send a few comments in an hour; a stranger cannot flood an address
KEEP_UNCONFIRMED = timedelta(days=1)  # an unconfirmed comment is deleted this long after its link expired
INTENT_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")

Intent = Annotated[str, Field(pattern=INTENT_PATTERN)]
Client = Annotated[str, Field(max_length=64)]


@dataclass(frozen=True)
class Commentable:
    """A procedure whose cases take public comments: its machine, the state that takes them, the handler that files
    one, the publication the public reads, and how a held comment becomes that handler's command."""

    machine: type
    state: str
    add_comment: Callable[..., dict]
    publication: str
    basis: str
    command: Callable[[PublicCommentRequest, Case], Any]


KINDS: dict[str, Commentable] = {
    "small_grant": Commentable(
        SmallGrantMachine, SmallGrantState.comment_period.value, small_grant.add_comment, "offer", "art. 19a ust. 4",
        lambda row, case: AddComment(code=case.code, author=row.name, text=row.text)),
    "consultation": Commentable(
        ConsultationMachine, ConsultationState.open.value, consultation.add_comment, "draft", RESOLUTION_BASIS,
        lambda row, case: ConsultationCommentInput(code=case.code, author=row.name,
                                                   author_kind=row.author_kind or "resident",
                                                   provision=row.provision or None, text=row.text, email=row.email)),
}


class RequestComment(Command):
    code: CaseCode
    intent: Intent  # made when the form was shown: the same "send" twice is one request, one comment
    name: Annotated[ShortText, Field(min_length=2)]
    email: Email
    text: Annotated[LongText, Field(min_length=1)]
    author_kind: Literal["ngo", "resident", "other"] | None = None  # a consultation's: who comments
    provision: ShortText | None = None  # a consultation's: the part of the draft the comment is on
    client: Client = "?"  # the client's address, for the rate limit


class FileComment(Command):
    token: SecretStr  # never in the command log's digest as it is (SecretStr dumps as stars)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _link_invalid() -> RuleViolation:
    return RuleViolation("comment_link_invalid", tr(
        "This link is not valid: it expired ({hours} hours after the comment was sent) or it was copied "
        "incompletely. Nothing was filed; you may send the comment again while the comment period runs.",
        hours=LINK_HOURS), basis=BASIS_PROOF)


def _commentable(session, code: str) -> tuple[Case, Commentable]:
    case = session.exec(select(Case).where(Case.code == code)).first()
    kind = KINDS.get(case.kind) if case is not None else None
    if kind is None:
        raise NotFound("not_open_for_comments", tr(
            "{code} is not a small-grant offer or a consultation the public may comment on; nothing was done.",
            code=code))
    return case, kind


def _check_rate(ctx, command: RequestComment, email: str) -> None:
    r = PublicCommentRequest.__table__
    recent = sa.select(sa.func.count()).select_from(r).where(r.c.created_at > ctx.now - REQUEST_WINDOW)
    connection = ctx.session.connection()
    by_client = connection.execute(recent.where(r.c.client == command.client)).scalar_one()
    by_email = connection.execute(recent.where(r.c.email == email)).scalar_one()
    if by_client >= REQUESTS_PER_CLIENT or by_email >= REQUESTS_PER_EMAIL:
        raise NotPermitted("comment_rate_limited", tr(
            "Too many comments were sent from this address or for this e-mail address within an hour: sending is "
            "paused for {minutes} minutes. Try again later; nothing was done.",
            minutes=int(REQUEST_WINDOW.total_seconds() // 60)), basis=BASIS_PROOF)


def request_comment(ctx, command: RequestComment) -> dict:
    """Hold a comment and send its one-time link; nothing is filed in the case yet."""
    from states.credentials import seal
    from states.engine import step
    from states.events import CommentLinkAsked, publish

    email = command.email.lower()
    _check_rate(ctx, command, email)
    case, kind = _commentable(ctx.session, command.code)
    # the machine's own check, now: a case that takes no comment sends no e-mail (checked again when filed)
    step(ctx, case, kind.machine.bind(case), "comment", submitted=ctx.now)
    # housekeeping as new requests come: an unconfirmed comment is gone a day after its link expired, and a client's
    # address is kept only while the rate limit counts it (RODO art. 5 ust. 1 lit. c, e)
    r = PublicCommentRequest.__table__
    connection = ctx.session.connection()
    connection.execute(r.delete().where(r.c.filed_at.is_(None), r.c.expires_at < ctx.now - KEEP_UNCONFIRMED))
    connection.execute(r.update().where(r.c.created_at <= ctx.now - REQUEST_WINDOW, r.c.client != "")
                       .values(client=""))
    token = secrets.token_urlsafe(32)
    row = PublicCommentRequest(
        case_id=case.id, intent=command.intent, token_hash=token_digest(token), email=email, name=command.name,
        author_kind=(command.author_kind or "resident") if case.kind == "consultation" else None,
        provision=command.provision if case.kind == "consultation" else None, text=command.text,
        client=command.client, created_at=ctx.now, expires_at=ctx.now + timedelta(hours=LINK_HOURS))
    ctx.session.add(row)
    ctx.session.flush()
    # the message's key by the intent, unique for good (a row's id may come again once unconfirmed rows are deleted)
    publish(ctx, CommentLinkAsked(key=f"portal/comment/{command.intent}", email=email, name=command.name, code=case.code,
                                  title=case.title, sealed_token=seal(token), expires_at=row.expires_at))
    return {"code": case.code, "request": row.id, "expires_at": row.expires_at}


def file_comment(ctx, command: FileComment) -> dict:
    """File the held comment of this link in its case, by the procedure's own handler, as the person the link
    proved: once; the window is the machine's to judge at this moment."""
    from states.authorization import authorize

    token = command.token.get_secret_value()
    row = None
    if TOKEN.fullmatch(token):
        row = ctx.session.exec(select(PublicCommentRequest).where(
            PublicCommentRequest.token_hash == token_digest(token)).with_for_update()).first()
    if row is None or ctx.actor.proof != "email" or ctx.actor.name != row.email:
        raise _link_invalid()
    if row.filed_at is not None:
        raise RuleViolation("comment_link_used", tr(
            "This link was used already: the comment was filed as comment no. {number}. Nothing more was done.",
            number=row.comment_number), basis=BASIS_PROOF)
    if _aware(row.expires_at) <= ctx.now:
        raise _link_invalid()
    case = ctx.session.get(Case, row.case_id)
    kind = KINDS[case.kind]
    filing = kind.command(row, case)
    authorize(kind.add_comment, filing, ctx.actor)  # the matrix's word on the procedure's own command
    answer = kind.add_comment(ctx, filing)
    row.filed_at, row.comment_number = ctx.now, answer["comment"]
    ctx.session.add(row)
    return {"code": case.code, "comment": answer["comment"], "filed_at": ctx.now}


# --- the doors' calls -------------------------------------------------------------------------------------------


def _request_of(token: str, *, url: str | None) -> PublicCommentRequest | None:
    from models.db import get_engine

    if not TOKEN.fullmatch(token or ""):
        return None
    r = PublicCommentRequest.__table__
    with get_engine(url).execution_options(coop_readonly=True).connect() as connection:
        found = connection.execute(sa.select(r).where(r.c.token_hash == token_digest(token))).mappings().first()
    return PublicCommentRequest(**found) if found is not None else None


def file_comment_by_link(token: str, *, url: str | None = None) -> dict:
    """The door's call (web/portal_comments.py): the link proves the address, so the comment's actor is that address
    (``email_principal``); the filing's idempotency key is the one the form made (``portal-comment:<intent>``), so a
    second press answers the first one's receipt. A link unknown or mangled is refused like an expired one."""
    from states.engine import execute
    from states.people import email_principal

    row = _request_of(token, url=url)
    if row is None:
        raise _link_invalid()
    return execute(file_comment, FileComment(token=SecretStr(token)), actor=email_principal(row.email), url=url,
                   idempotency_key=f"portal-comment:{row.intent}")


def link_facts(token: str, *, url: str | None = None) -> dict:
    """What the link's page shows before the button is pressed: the held comment, the case and whether the link can
    still be used (never the e-mail address). Reads only."""
    from models.db import run_in_transaction
    from states.clock import resolve_now

    row = _request_of(token, url=url)
    if row is None:
        raise _link_invalid()
    now = resolve_now()

    def read(uow) -> dict:
        case = uow.session.get(Case, row.case_id)
        return {"code": case.code, "kind": case.kind, "title": case.title, "name": row.name, "text": row.text,
                "provision": row.provision, "author_kind": row.author_kind, "expires_at": _aware(row.expires_at),
                "expired": row.filed_at is None and _aware(row.expires_at) <= now,
                "filed_at": row.filed_at, "comment": row.comment_number,
                "comments_until": as_moment(case.data.get("comments_until"))}

    return run_in_transaction(read, url=url, readonly=True)


# --- what the public reads --------------------------------------------------------------------------------------


def _public_row(session, case: Case, now: datetime) -> dict[str, Any]:
    kind = KINDS[case.kind]
    until = as_moment(case.data.get("comments_until"))
    row: dict[str, Any] = {
        "code": case.code, "kind": case.kind, "title": case.title, "comments_until": until, "basis": kind.basis,
        "open": case.state == kind.state and until is not None and now <= until,
        "published": sorted(publications_of(session, case, kind.publication).items())}
    if case.kind == "small_grant":
        offer = offer_of(session, case)
        organisation = session.get(Organisation, offer.organisation_id)
        row.update(organisation=organisation.name if organisation else "", requested=offer.requested_grant,
                   task_start=offer.task_start, task_end=offer.task_end)
    else:
        row.update(act_kind=case.data.get("act_kind") or "other", field=case.task_area,
                   programme_year=case.data.get("programme_year"), summary=case.data.get("draft_summary"))
    return row


def open_for_comments(session, now: datetime) -> list[dict[str, Any]]:
    """The small-grant offers published for comments and the consultations open at ``now``, the soonest closing
    first: public facts, each published in the BIP, on the notice board and the city's website (art. 19a ust. 3;
    the consultation's resolution). Whether one comment is in time is still the machine's to say when it is filed."""
    cases = session.exec(select(Case).where(sa.or_(*(
        sa.and_(Case.kind == name, Case.state == kind.state) for name, kind in KINDS.items())))).all()
    rows = [_public_row(session, case, now) for case in cases]
    return sorted((r for r in rows if r["open"]), key=lambda r: (r["comments_until"], r["code"]))


def case_for_comments(session, code: str, now: datetime) -> dict[str, Any] | None:
    """One case as its public page shows it, when it was published for comments (an offer or a draft not published
    yet is nobody's business but the office's: None)."""
    case = session.exec(select(Case).where(Case.code == code)).first()
    if case is None or case.kind not in KINDS or not case.data.get("comments_until"):
        return None
    return _public_row(session, case, now)


def public_read(reader: Callable[..., Any], *args: Any, url: str | None = None) -> Any:
    """``reader(session, *args, now)`` read-only at now (``COOP_NOW`` on a simulation), for a reader not logged in."""
    from models.db import run_in_transaction
    from states.clock import resolve_now

    now = resolve_now()
    return run_in_transaction(lambda uow: reader(uow.session, *args, now), url=url, readonly=True)
