"""What waits for a person ("Na dziś", ``coop todo``; the desk shows the same list): every step waiting on them
across the procedures, overdue first, then by due moment.

What counts as waiting is declared by each procedure in its ``waiting.py`` (states/procedures/descriptor.py):
an officer's steps by the state a case or an offer is in, with the kind of the deadline row that gives the due
moment; and a committee's declarations (KPA art. 24) and scores on the calls a member sits on. Read-only, in a
few set-based queries (one for cases, one for offers, one for their deadlines, two for a member's seats), never
one per case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from kernel.local_time import as_moment, moment_iso
from kernel.text import language
from models.tables import Case, CommitteeMember, ConflictDeclaration, Deadline, Offer, Score
from states.errors import InvalidInput
from states.procedures import PROCEDURES, Procedure
from states.text import tr


@dataclass(frozen=True)
class Query:
    """``coop todo``'s filters: one procedure's slug (None: all), only the overdue steps."""

    procedure: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Item:
    """One step waiting on the person."""

    code: str  # the case's code
    procedure: str  # its procedure's slug
    procedure_title: str
    what: Any  # a Message: rendered in the run's language
    basis: str
    due: datetime | None = None  # the deadline row's moment, when the step has one
    overdue: bool = False
    offer: int | None = None  # the offer's number, for a step on one offer
    role: str = "officer"  # the role the step waits on

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {"code": self.code, "offer": self.offer, "procedure": self.procedure,
                "procedure_title": self.procedure_title, "what": self.what.in_language(language(lang)),
                "role": self.role, "basis": self.basis, "due": moment_iso(self.due) if self.due else None,
                "overdue": self.overdue}


def _order(item: Item) -> tuple:
    # overdue first, then by due moment (the undated last), then by case and offer
    return (not item.overdue, item.due is None, item.due or datetime.min, item.code, item.offer or 0,
            str(item.what.msgid) if hasattr(item.what, "msgid") else str(item.what))


def procedures_for(slug: str | None) -> tuple[Procedure, ...]:
    if slug is None:
        return PROCEDURES
    chosen = tuple(p for p in PROCEDURES if p.slug == slug)
    if not chosen:
        raise InvalidInput("unknown_procedure", tr("No procedure “{slug}”; the procedures are: {slugs}.", slug=slug,
                                                   slugs=", ".join(p.slug for p in PROCEDURES)))
    return chosen


def _roles(actor) -> set[str]:
    """The roles whose steps the person sees: the one they act in, or, a proven person who named none, each
    role they hold."""
    if actor.proven and not actor.role_given:
        return {g.role for g in actor.grants}
    return {actor.role}


def waiting_for(session, actor, now: datetime, query: Query = Query()) -> list[Item]:
    """Every step waiting on ``actor`` at ``now``, overdue first then by due moment (read-only)."""
    now = as_moment(now)
    chosen = procedures_for(query.procedure)
    roles = _roles(actor)
    items: list[Item] = []
    if "officer" in roles:
        items += _officer_steps(session, chosen, now)
    if "committee_member" in roles:
        items += _committee_steps(session, chosen, actor, now)
    if query.overdue:
        items = [item for item in items if item.overdue]
    return sorted(items, key=_order)


def _officer_steps(session, chosen: Iterable[Procedure], now: datetime) -> list[Item]:
    case_steps: dict[tuple[str, str], tuple[Procedure, Any]] = {}
    offer_steps: dict[str, tuple[Procedure, Any]] = {}
    for procedure in chosen:
        for step in procedure.waiting_steps():
            if step.kind == "offer":
                offer_steps[str(step.state)] = (procedure, step)
            else:
                case_steps[(step.kind, str(step.state))] = (procedure, step)
    if not case_steps and not offer_steps:
        return []
    conn = session.connection()
    c, o = Case.__table__, Offer.__table__
    found: list[tuple[Procedure, Any, int, str, int | None, int | None]] = []  # case id, code, offer id, number
    if case_steps:
        rows = conn.execute(sa.select(c.c.id, c.c.code, c.c.kind, c.c.state).where(
            sa.tuple_(c.c.kind, c.c.state).in_(list(case_steps)))).all()
        found += [(*case_steps[(kind, state)], case_id, code, None, None) for case_id, code, kind, state in rows]
    if offer_steps:
        # an offer's steps belong to the procedure of its case (an open call, or regranting's operator call)
        kinds = {p.slug for p, _ in offer_steps.values()}
        rows = conn.execute(sa.select(c.c.id, c.c.code, c.c.kind, o.c.id, o.c.number, o.c.state)
                            .join(o, o.c.case_id == c.c.id)
                            .where(o.c.state.in_(list(offer_steps)), c.c.kind.in_(kinds))).all()
        found += [(*offer_steps[state], case_id, code, offer_id, number)
                  for case_id, code, kind, offer_id, number, state in rows]
    due = _due_moments(conn, {(case_id, offer_id, step.deadline) for _, step, case_id, _, offer_id, _ in found
                              if step.deadline})
    items = []
    for procedure, step, case_id, code, offer_id, number in found:
        moment = due.get((case_id, offer_id, step.deadline)) if step.deadline else None
        if moment is None and step.deadline and offer_id is None:
            moment = due.get((case_id, "any", step.deadline))  # a call's step due with its offers' latest row
        items.append(Item(code, procedure.slug, procedure.title, step.what, step.basis, moment,
                          moment is not None and moment <= now, number))
    return items


def _due_moments(conn, wanted: set[tuple[int, int | None, str]]) -> dict[tuple, datetime]:
    """(case id, offer id, deadline kind) -> the latest due moment of its deadline rows not cancelled, in one
    query; a call's step also by (case id, "any", kind): the latest of its offers' rows of that kind."""
    if not wanted:
        return {}
    d = Deadline.__table__
    rows = conn.execute(sa.select(d.c.case_id, d.c.offer_id, d.c.kind, sa.func.max(d.c.due_at))
                        .where(d.c.case_id.in_({case_id for case_id, _, _ in wanted}),
                               d.c.kind.in_({kind for _, _, kind in wanted}),
                               sa.or_(d.c.outcome.is_(None), d.c.outcome != "cancelled"))
                        .group_by(d.c.case_id, d.c.offer_id, d.c.kind)).all()
    due: dict[tuple, datetime] = {}
    for case_id, offer_id, kind, moment in rows:
        moment = as_moment(moment)
        due[(case_id, offer_id, kind)] = moment
        key = (case_id, "any", kind)
        if key not in due or moment > due[key]:
            due[key] = moment
    return due


def _committee_steps(session, chosen: Iterable[Procedure], actor, now: datetime) -> list[Item]:
    """A member's declarations and scores on the calls she sits on (her seat: the committee row under her name,
    and for a proven person the call she holds ``committee_member`` for)."""
    work = {w.kind: (p, w) for p in chosen if (w := p.committee_waiting()) is not None}
    if not work:
        return []
    conn = session.connection()
    c, m, o = Case.__table__, CommitteeMember.__table__, Offer.__table__
    names = {name for name in (actor.name, actor.person) if name}
    seats = sa.select(m.c.id, c.c.id, c.c.code, c.c.kind, c.c.state).join(c, c.c.id == m.c.case_id).where(
        m.c.name.in_(names), sa.or_(*(sa.and_(c.c.kind == kind, c.c.state == str(w.state))
                                      for kind, (_, w) in work.items())))
    if actor.proven:  # a proven person sits only where she holds the seat's grant
        seats = seats.where(c.c.code.in_({g.case for g in actor.grants if g.role == "committee_member" and g.case}))
    seat_rows = conn.execute(seats).all()
    if not seat_rows:
        return []
    member_ids = [row[0] for row in seat_rows]
    decl, s = ConflictDeclaration.__table__, Score.__table__
    # every offer to score on those calls, with this member's declaration and whether she scored it: one query
    rows = conn.execute(
        sa.select(m.c.id, o.c.id, o.c.number, o.c.state, decl.c.conflict,
                  sa.exists().where(s.c.member_id == m.c.id, s.c.offer_id == o.c.id))
        .select_from(m.join(o, o.c.case_id == m.c.case_id))
        .outerjoin(decl, sa.and_(decl.c.member_id == m.c.id, decl.c.offer_id == o.c.id))
        .where(m.c.id.in_(member_ids))).all()
    by_member: dict[int, list] = {}
    for member_id, *rest in rows:
        by_member.setdefault(member_id, []).append(rest)
    items = []
    for member_id, _case_id, code, kind, _state in seat_rows:
        procedure, w = work[kind]
        offers = [row for row in by_member.get(member_id, []) if row[2] == str(w.offer_state)]
        if any(conflict is None for _, _, _, conflict, _ in offers):
            items.append(Item(code, procedure.slug, procedure.title, w.declare, w.basis, role="committee_member"))
            continue
        for _, number, _, conflict, scored in offers:
            if not conflict and not scored:
                items.append(Item(code, procedure.slug, procedure.title, w.score, w.basis, offer=number,
                                  role="committee_member"))
    return items


def waiting(ctx, query: Query = Query()) -> list[Item]:
    """The handler (states/engine.py, read-only): what waits for the person running the command."""
    return waiting_for(ctx.session, ctx.actor, ctx.now, query)
