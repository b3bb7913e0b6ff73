"""What waits for a person ("Na dziś", ``coop todo``; the desk shows the same list): every step waiting on them
across the procedures, overdue first, then by due moment.

What counts as waiting is declared by each procedure in its ``waiting.py`` (states/procedures/descriptor.py):
the steps by the state a case or an offer is in (a regranting sub-call's state, kept in its case's data), with
the machine event each takes and the kind of the deadline row that gives the due moment; and a committee's
declarations (KPA art. 24) and scores on the calls a member sits on. A step's basis is its machine's ``BASIS``
of that event (or its deadline row's, for a step that is no event), never a copy kept here. Read-only, in a few
set-based queries (an officer: one for cases, one for offers, one for their deadlines; a member: one for her
cases' steps, two for her seats), never one per case.
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
from states.procedures import PROCEDURES, Procedure, machine_of_kind
from states.procedures.descriptor import Waiting
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
    due_basis: str | None = None  # the basis of the due moment: its deadline row's (states/periods.py)

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {"code": self.code, "offer": self.offer, "procedure": self.procedure,
                "procedure_title": self.procedure_title, "what": self.what.in_language(language(lang)),
                "role": self.role, "basis": self.basis, "due": moment_iso(self.due) if self.due else None,
                "due_basis": self.due_basis,
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


@dataclass(frozen=True)
class _Step:
    procedure: Procedure
    step: Waiting


def _steps(chosen: Iterable[Procedure], role: str) -> list[_Step]:
    return [_Step(p, step) for p in chosen for step in p.waiting_steps() if step.role == role]


_BASIS: dict[tuple[str, str, str, str | None], str] = {}


def basis_of(procedure: Procedure, kind: str, event: str, machine: str | None = None) -> str:
    """The basis the machine of ``kind`` (or ``procedure``'s class ``machine``) gives ``event``: a waiting step's
    basis, read where the transition's own is kept; read once per process, loading only the machines of the
    procedures that have something waiting."""
    key = (procedure.slug, kind, event, machine)
    if key not in _BASIS:
        cls = procedure.machine_class(machine) if machine else machine_of_kind(kind)
        _BASIS[key] = cls.BASIS.get(event, "")
    return _BASIS[key]


def _basis(procedure: Procedure, step: Waiting) -> str:
    return basis_of(procedure, step.kind, step.event, step.machine) if step.event else ""


def _sub_call_state(c):
    return c.c.data["sub_call"]["state"].as_string()


def _case_filter(c, steps: list[_Step]):
    """One SQL condition for every case step: its (kind, state), the sub-call's state for a sub-call step."""
    plain = {(s.step.kind, str(s.step.state)) for s in steps if s.step.track == "state" and not s.step.during}
    conditions = [sa.tuple_(c.c.kind, c.c.state).in_(sorted(plain))] if plain else []
    for s in steps:
        step = s.step
        if step.track == "state" and step.during:
            conditions.append(sa.and_(c.c.kind == step.kind, c.c.state == str(step.state),
                                      c.c.state.in_([str(x) for x in step.during])))
        elif step.track == "sub_call":
            sub = _sub_call_state(c)
            conditions.append(sa.and_(c.c.kind == step.kind,
                                      sub.is_(None) if step.state is None else sub == str(step.state),
                                      *([c.c.state.in_([str(x) for x in step.during])] if step.during else [])))
    return sa.or_(*conditions)


def _offer_filter(c, o, steps: list[_Step]):
    """One SQL condition for every offer step: the offer's state, its call's kind (the procedure's), and the
    call's states when the step waits only during them."""
    return sa.or_(*(sa.and_(o.c.state == str(s.step.state), c.c.kind == s.procedure.slug,
                            *([c.c.state.in_([str(x) for x in s.step.during])] if s.step.during else []))
                    for s in steps))


def _officer_steps(session, chosen: Iterable[Procedure], now: datetime) -> list[Item]:
    steps = _steps(chosen, "officer")
    case_steps = [s for s in steps if s.step.kind != "offer"]
    offer_steps = [s for s in steps if s.step.kind == "offer"]
    conn = session.connection()
    c, o = Case.__table__, Offer.__table__
    found: list[tuple[_Step, int, str, int | None, int | None]] = []  # step, case id, code, offer id, number
    if case_steps:
        by_state: dict[tuple[str, str, str | None], list[_Step]] = {}
        for s in case_steps:
            by_state.setdefault((s.step.kind, s.step.track, None if s.step.state is None else str(s.step.state)),
                                []).append(s)
        has_sub = any(s.step.track == "sub_call" for s in case_steps)
        columns = [c.c.id, c.c.code, c.c.kind, c.c.state] + ([_sub_call_state(c)] if has_sub else [])
        for row in conn.execute(sa.select(*columns).where(_case_filter(c, case_steps))).all():
            case_id, code, kind, state = row[:4]
            matches = list(by_state.get((kind, "state", state), ()))
            if has_sub:
                matches += [s for s in by_state.get((kind, "sub_call", row[4]), ())
                            if not s.step.during or state in s.step.during]
            found += [(s, case_id, code, None, None) for s in matches
                      if s.step.track == "sub_call" or not s.step.during or state in s.step.during]
    if offer_steps:
        # an offer's steps belong to the procedure of its call (an open call, or regranting's operator call)
        by_state = {}
        for s in offer_steps:
            by_state.setdefault((s.procedure.slug, str(s.step.state)), []).append(s)
        rows = conn.execute(sa.select(c.c.id, c.c.code, c.c.kind, c.c.state, o.c.id, o.c.number, o.c.state)
                            .join(o, o.c.case_id == c.c.id).where(_offer_filter(c, o, offer_steps))).all()
        found += [(s, case_id, code, offer_id, number)
                  for case_id, code, kind, call_state, offer_id, number, state in rows
                  for s in by_state.get((kind, state), ()) if not s.step.during or call_state in s.step.during]
    due = _due_moments(conn, c, o, [s for s in steps if s.step.deadline],
                       {(case_id, offer_id, s.step.deadline) for s, case_id, _, offer_id, _ in found if s.step.deadline})
    items = []
    for s, case_id, code, offer_id, number in found:
        step = s.step
        row = due.get((case_id, offer_id, step.deadline)) if step.deadline else None
        if row is None and step.deadline and offer_id is None:
            row = due.get((case_id, "any", step.deadline))  # a call's step due with its offers' latest row
        if step.pending and (row is None or row.pending is None):
            continue  # waits only while its row is pending: given, waived or cancelled, nothing waits
        moment = (row.pending if step.pending else row.latest) if row else None
        basis = _basis(s.procedure, step) or (row.basis if row else "")
        items.append(Item(code, s.procedure.slug, s.procedure.title, step.what, basis, moment,
                          moment is not None and moment <= now, number, due_basis=row.basis if row else None))
    return items


@dataclass
class _Due:
    latest: datetime  # the latest due moment of its rows not cancelled
    pending: datetime | None  # the latest of those not fired yet
    basis: str  # the basis the row was scheduled with (states/periods.py)


def _due_moments(conn, c, o, dated: list[_Step], wanted: set[tuple[int, int | None, str]]) -> dict[tuple, _Due]:
    """(case id, offer id, deadline kind) -> its deadline rows not cancelled (latest moment, latest still pending,
    basis), in one query; a call's step also by (case id, "any", kind): the latest of its offers' rows of that
    kind. The cases are chosen by the dated steps' own conditions (a subquery), not by a list of ids: the
    statement stays the same size whatever the number of cases."""
    if not wanted:
        return {}
    d = Deadline.__table__
    cases = [sa.select(c.c.id).where(_case_filter(c, [s for s in dated if s.step.kind != "offer"]))
             ] if any(s.step.kind != "offer" for s in dated) else []
    if any(s.step.kind == "offer" for s in dated):
        cases.append(sa.select(o.c.case_id).join(c, c.c.id == o.c.case_id)
                     .where(_offer_filter(c, o, [s for s in dated if s.step.kind == "offer"])))
    rows = conn.execute(sa.select(d.c.case_id, d.c.offer_id, d.c.kind, sa.func.max(d.c.due_at),
                                  sa.func.max(sa.case((d.c.fired_at.is_(None), d.c.due_at))), sa.func.max(d.c.basis))
                        .where(d.c.case_id.in_(sa.union_all(*cases) if len(cases) > 1 else cases[0]),
                               d.c.kind.in_(sorted({kind for _, _, kind in wanted})),
                               sa.or_(d.c.outcome.is_(None), d.c.outcome != "cancelled"))
                        .group_by(d.c.case_id, d.c.offer_id, d.c.kind)).all()
    due: dict[tuple, _Due] = {}
    for case_id, offer_id, kind, moment, pending, basis in rows:
        row = _Due(as_moment(moment), as_moment(pending) if pending is not None else None, basis or "")
        due[(case_id, offer_id, kind)] = row
        key = (case_id, "any", kind)
        if key not in due or row.latest > due[key].latest:
            due[key] = row
    return due


def _committee_steps(session, chosen: Iterable[Procedure], actor, now: datetime) -> list[Item]:
    """A member's steps: the declarations and scores on the calls she sits on (her seat: the committee row under
    her name, and for a proven person the call she holds ``committee_member`` for), and the steps of the cases
    whose committee she is on (a local initiative's evaluation)."""
    chosen = tuple(chosen)
    names = {name for name in (actor.name, actor.person) if name}
    granted = {g.case for g in actor.grants if g.role == "committee_member" and g.case}
    return _member_case_steps(session, chosen, actor, names, granted) + _scoring_steps(session, chosen, actor,
                                                                                         names, granted)


def _member_case_steps(session, chosen, actor, names: set[str], granted: set[str]) -> list[Item]:
    """A member's case steps, in one query: a proven person's seat is her grant for the case; a claimed name
    (a simulation) sits where a committee row carries it."""
    steps = _steps(chosen, "committee_member")
    if not steps:
        return []
    c, m = Case.__table__, CommitteeMember.__table__
    if actor.proven:
        if not granted:
            return []
        seat = c.c.code.in_(sorted(granted))
    else:
        seat = sa.exists().where(m.c.case_id == c.c.id, m.c.name.in_(sorted(names)))
    by_state: dict[tuple[str, str], list[_Step]] = {}
    for s in steps:
        by_state.setdefault((s.step.kind, str(s.step.state)), []).append(s)
    rows = session.connection().execute(sa.select(c.c.code, c.c.kind, c.c.state).where(
        sa.tuple_(c.c.kind, c.c.state).in_(sorted(by_state)), seat)).all()
    return [Item(code, s.procedure.slug, s.procedure.title, s.step.what, _basis(s.procedure, s.step),
                 role="committee_member")
            for code, kind, state in rows for s in by_state[(kind, state)]]


def _scoring_steps(session, chosen, actor, names: set[str], granted: set[str]) -> list[Item]:
    work = {w.kind: (p, w) for p in chosen if (w := p.committee_waiting()) is not None}
    if not work:
        return []
    conn = session.connection()
    c, m, o = Case.__table__, CommitteeMember.__table__, Offer.__table__
    seats = sa.select(m.c.id, c.c.id, c.c.code, c.c.kind, c.c.state).join(c, c.c.id == m.c.case_id).where(
        m.c.name.in_(names), sa.or_(*(sa.and_(c.c.kind == kind, c.c.state == str(w.state))
                                      for kind, (_, w) in work.items())))
    if actor.proven:  # a proven person sits only where she holds the seat's grant
        seats = seats.where(c.c.code.in_(granted))
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
            items.append(Item(code, procedure.slug, procedure.title, w.declare,
                              basis_of(procedure, kind, w.declare_event), role="committee_member"))
            continue
        for _, number, _, conflict, scored in offers:
            if not conflict and not scored:
                items.append(Item(code, procedure.slug, procedure.title, w.score,
                                  basis_of(procedure, "offer", w.score_event), offer=number,
                                  role="committee_member"))
    return items


def waiting(ctx, query: Query = Query()) -> list[Item]:
    """The handler (states/engine.py, read-only): what waits for the person running the command."""
    return waiting_for(ctx.session, ctx.actor, ctx.now, query)
