"""What waits for a person ("Na dziś", ``coop todo``; the desk shows the same list): every step waiting on them
across the procedures, overdue first, then by due moment.

What counts as waiting is declared by each procedure in its ``waiting.py`` (states/procedures/descriptor.py):
the steps by the state a case or an offer is in (a regranting sub-call's state, kept in its case's data), with
the machine event each takes and the kind of the deadline row that gives the due moment; and a committee's
declarations (KPA art. 24) and scores on the calls a member sits on. A step's basis is its machine's ``BASIS``
of that event (or its deadline row's, for a step that is no event), never a copy kept here. Read-only, in a few
set-based statements (an officer: one, every step's SELECT in a UNION ALL with its due moment from a correlated
subquery on the deadlines; a member: one for her cases' steps, two for her seats), never one per case.
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
    """``coop todo``'s filters: one procedure's slug (None: all), only the overdue steps, only the first ``limit``
    steps in the list's order (None: all; a page of the desk shows its first ones, and the database sorts and
    cuts them, so a region's tens of thousands of steps are not built to show fifty)."""

    procedure: str | None = None
    overdue: bool = False
    limit: int | None = None


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
    case_title: str = ""  # the case's title, as its people name it (the desk's list shows it beside the code)

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
    if query.limit is not None and query.limit < 1:
        raise InvalidInput("limit_not_positive", tr("Show at least one step (the limit is {limit}).",
                                                    limit=query.limit))
    roles = _roles(actor)
    items: list[Item] = []
    if "officer" in roles:
        items += _officer_steps(session, chosen, now, query)
    if "committee_member" in roles:
        items += _committee_steps(session, chosen, actor, now)
    if query.overdue:
        items = [item for item in items if item.overdue]
    return sorted(items, key=_order)[:query.limit]


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


def _not_cancelled(d):
    return sa.or_(d.c.outcome.is_(None), d.c.outcome != "cancelled")


def _officer_statement(steps: list[_Step]):
    """The officer's list as one statement: a SELECT a step (the sub-call's steps in one, its state read once a
    row), each row's due moment from its deadline rows (a correlated subquery on the case's or the offer's rows
    of the step's kind, never cancelled; for a step that waits while its row is pending, the latest not fired),
    a UNION ALL of them; the steps that wait on a pending row and have none dropped. Columns: step (its index in
    ``steps``), code, offer number, due moment, basis of the row (for a step that is no event), the case's title."""
    c, o, d = Case.__table__, Offer.__table__, Deadline.__table__
    moment = d.c.due_at.type
    selects = []
    sub_calls: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for index, s in enumerate(steps):
        step = s.step
        if step.track == "sub_call":
            assert not step.deadline, "a sub-call step has no deadline row of its own"
            sub_calls.setdefault((step.kind, tuple(str(x) for x in step.during)), []).append(index)
            continue
        offer = step.kind == "offer"
        where = ([o.c.state == str(step.state), c.c.kind == s.procedure.slug] if offer
                 else [c.c.kind == step.kind, c.c.state == str(step.state)])
        if step.during:
            where.append(c.c.state.in_([str(x) for x in step.during]))
        due, basis = sa.cast(sa.null(), moment), sa.cast(sa.null(), d.c.basis.type)
        if step.deadline:
            # an offer's rows by its case too: deadlines are indexed by case (ix_deadlines_case_id), not by offer
            own = [d.c.case_id == c.c.id] + ([d.c.offer_id == o.c.id] if offer else [])
            column = sa.case((d.c.fired_at.is_(None), d.c.due_at)) if step.pending else d.c.due_at
            due = (sa.select(sa.func.max(column)).where(*own, d.c.kind == step.deadline, _not_cancelled(d))
                   .scalar_subquery())
            if step.event is None:  # its basis is its row's (states/periods.py)
                basis = (sa.select(d.c.basis).where(*own, d.c.kind == step.deadline, _not_cancelled(d))
                         .order_by(d.c.due_at.desc()).limit(1).scalar_subquery())
        source = o.join(c, c.c.id == o.c.case_id) if offer else c
        selects.append(sa.select(sa.literal(index).label("step"), c.c.code.label("code"),
                                 (o.c.number if offer else sa.cast(sa.null(), o.c.number.type)).label("number"),
                                 sa.type_coerce(due, moment).label("due"), basis.label("basis"),
                                 c.c.title.label("title"))
                       .select_from(source).where(*where))
    for (kind, during), indexes in sub_calls.items():
        state = sa.func.coalesce(_sub_call_state(c), "")
        which = {("" if steps[i].step.state is None else str(steps[i].step.state)): i for i in indexes}
        selects.append(sa.select(sa.case(which, value=state).label("step"), c.c.code.label("code"),
                                 sa.cast(sa.null(), o.c.number.type).label("number"),
                                 sa.cast(sa.null(), moment).label("due"), sa.cast(sa.null(), d.c.basis.type),
                                 c.c.title.label("title"))
                       .where(c.c.kind == kind, *([c.c.state.in_(during)] if during else []),
                              state.in_(sorted(which))))
    listed = sa.union_all(*selects).subquery("waiting") if len(selects) > 1 else selects[0].subquery("waiting")
    pending = [i for i, s in enumerate(steps) if s.step.pending]
    query = sa.select(listed.c.step, listed.c.code, listed.c.number, listed.c.due, listed.c.basis, listed.c.title)
    if pending:
        query = query.where(sa.not_(sa.and_(listed.c.step.in_(pending), listed.c.due.is_(None))))
    return query


def _officer_steps(session, chosen: Iterable[Procedure], now: datetime, query: Query) -> list[Item]:
    steps = _steps(chosen, "officer")
    if not steps:
        return []
    shown = [(s.procedure.slug, s.procedure.title, s.step.what, _basis(s.procedure, s.step)) for s in steps]
    statement = _officer_statement(steps)
    listed = statement.selected_columns
    if query.overdue:
        statement = statement.where(listed.due <= now)
    if query.limit is not None:  # the list's order (``_order``), so the database cuts where the list would
        statement = statement.order_by(sa.case((listed.due <= now, 0), else_=1), listed.due.is_(None), listed.due,
                                       listed.code, sa.func.coalesce(listed.number, 0), listed.step
                                       ).limit(query.limit)
    items = []
    for index, code, number, due, row_basis, case_title in session.connection().execute(statement).all():
        slug, title, what, basis = shown[index]
        items.append(Item(code, slug, title, what, basis or row_basis or "", due, due is not None and due <= now,
                          number, case_title=case_title or ""))
    return items


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
    rows = session.connection().execute(sa.select(c.c.code, c.c.kind, c.c.state, c.c.title).where(
        sa.tuple_(c.c.kind, c.c.state).in_(sorted(by_state)), seat)).all()
    return [Item(code, s.procedure.slug, s.procedure.title, s.step.what, _basis(s.procedure, s.step),
                 role="committee_member", case_title=title)
            for code, kind, state, title in rows for s in by_state[(kind, state)]]


def _scoring_steps(session, chosen, actor, names: set[str], granted: set[str]) -> list[Item]:
    work = {w.kind: (p, w) for p in chosen if (w := p.committee_waiting()) is not None}
    if not work:
        return []
    conn = session.connection()
    c, m, o = Case.__table__, CommitteeMember.__table__, Offer.__table__
    seats = sa.select(m.c.id, c.c.id, c.c.code, c.c.kind, c.c.state, c.c.title).join(c, c.c.id == m.c.case_id).where(
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
    for member_id, _case_id, code, kind, _state, case_title in seat_rows:
        procedure, w = work[kind]
        offers = [row for row in by_member.get(member_id, []) if row[2] == str(w.offer_state)]
        if any(conflict is None for _, _, _, conflict, _ in offers):
            items.append(Item(code, procedure.slug, procedure.title, w.declare,
                              basis_of(procedure, kind, w.declare_event), role="committee_member",
                              case_title=case_title))
            continue
        for _, number, _, conflict, scored in offers:
            if not conflict and not scored:
                items.append(Item(code, procedure.slug, procedure.title, w.score,
                                  basis_of(procedure, "offer", w.score_event), offer=number,
                                  role="committee_member", case_title=case_title))
    return items


def waiting(ctx, query: Query = Query()) -> list[Item]:
    """The handler (states/engine.py, read-only): what waits for the person running the command."""
    return waiting_for(ctx.session, ctx.actor, ctx.now, query)
