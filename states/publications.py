"""A case's publications (BIP, the notice board, the website; art. 13 ust. 3 and the like), shared by every
procedure that publishes: read them, and record new ones with the refusals every procedure gives."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.rows import new_row
from models.tables import Case, Publication
from states import labels
from states.cases import case_rows
from states.engine import Context
from states.errors import InvalidInput, RuleViolation
from states.text import tr


def publication_rows(session: Session, case: Case, subject: str) -> list[Publication]:
    return [row for row in case_rows(session, Publication, case.id, order_by=(Publication.id,))
            if row.subject == subject]


def publications_of(session: Session, case: Case, subject: str) -> dict[str, datetime]:
    """channel -> moment of publication of ``subject`` (announcement, results, offer, draft, ...)."""
    return {row.channel: row.published_at for row in publication_rows(session, case, subject)}


def add_publications(session: Session, case: Case, subject: str, published: dict[str, datetime]) -> list[Publication]:
    rows = [new_row(Publication, case_id=case.id, subject=subject, channel=channel, published_at=moment)
            for channel, moment in published.items()]
    session.add_all(rows)
    return rows


def record_publications(ctx: Context, case: Case, subject: str, published: dict[str, datetime],
                        already: dict[str, datetime] | None = None) -> list[Publication]:
    """Record ``published`` (channel -> moment): refused when a channel already has this subject (``already``:
    as the step read them, else read here) or a moment is later than the step's. Returns the new rows."""
    if already is None:
        already = publications_of(ctx.session, case, subject)
    for channel, moment in published.items():
        if channel in already:
            raise RuleViolation(
                "already_published",
                tr("{code}: the publication “{subject}” is already recorded in {channel} ({already})",
                   code=case.code, subject=labels.publication(subject), channel=labels.channel(channel),
                   already=already[channel]),
            )
        if moment > ctx.now:
            raise InvalidInput(
                "publication_in_future",
                tr("A publication in {channel} ({moment}) cannot be later than now ({now})",
                   channel=labels.channel(channel), moment=moment, now=ctx.now),
            )
    return add_publications(ctx.session, case, subject, published)
