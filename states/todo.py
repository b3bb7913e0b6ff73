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
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from kernel.local_time import as_moment, moment_iso
from kernel.text import language
from models.tables import Case, CommitteeMember, ConflictDeclaration, Deadline, Offer, Score
from states.errors import InvalidInput
from states.inputs import CaseCode, Command
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
    offset: int = 0  # the steps before the page (``waiting_page``)
    as_derived: bool = False  # ``waiting_page``: read the projection as it is, even with a case changed since


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


def _among(column, ids: list[int], postgres: bool):
    """``column`` among ``ids``: one array parameter on PostgreSQL (the statement's text stays the same, so its
    plan is prepared once), the integers written into the statement elsewhere (SQLite's parameters are few)."""
    ids = [int(i) for i in ids]
    if postgres:
        from sqlalchemy.dialects import postgresql

        return column == sa.any_(sa.bindparam("cases", ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(sa.bindparam("cases", ids, expanding=True, literal_execute=True))


def _officer_statement(steps: list[_Step], cases: list[int] | None = None, postgres: bool = False):
    """The officer's list as one statement: a SELECT a step (the sub-call's steps in one, its state read once a
    row), each row's due moment from its deadline rows (a correlated subquery on the case's or the offer's rows
    of the step's kind, never cancelled; for a step that waits while its row is pending, the latest not fired),
    a UNION ALL of them; the steps that wait on a pending row and have none dropped. Columns: step (its index in
    ``steps``), code, offer number, due moment, basis of the row (for a step that is no event), case id, the case's
    title, and the day of the case that dates a step with ``due_day`` (its due moment is ``due_of``'s, computed
    in Warsaw time by the reader: neither database converts a day to its end in Warsaw alike).
    ``cases``: only those cases' steps (one array parameter on PostgreSQL, the integers written into the
    statement on SQLite: never a parameter a case and a SELECT; states/waiting_rows.py derives the stale cases'
    rows so)."""
    c, o, d = Case.__table__, Offer.__table__, Deadline.__table__
    m, others = CommitteeMember.__table__, Offer.__table__.alias("others")
    moment, no_day = d.c.due_at.type, sa.cast(sa.null(), c.c.selection_date.type)
    selects = []
    only = [] if cases is None else [_among(c.c.id, cases, postgres)]
    sub_calls: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for index, s in enumerate(steps):
        step = s.step
        if step.track == "sub_call" and not step.deadline:
            sub_calls.setdefault((step.kind, tuple(str(x) for x in step.during)), []).append(index)
            continue
        offer = step.kind == "offer"
        if step.track == "sub_call":  # dated by a row of its case: a SELECT of its own, its state read from the data
            assert step.state is not None and not step.pending, "a dated sub-call step is one started, not pending"
            where = [c.c.kind == step.kind, sa.func.coalesce(_sub_call_state(c), "") == str(step.state)]
        elif offer:
            where = [o.c.state == str(step.state), c.c.kind == s.procedure.slug]
        else:
            where = [c.c.kind == step.kind, c.c.state == str(step.state)]
        if step.during:
            where.append(c.c.state.in_([str(x) for x in step.during]))
        if step.no_offer_in:
            assert not offer, "an offer's step waits by its own state"
            where.append(~sa.exists().where(others.c.case_id == c.c.id,
                                            others.c.state.in_([str(x) for x in step.no_offer_in])))
        if step.no_committee:
            where.append(~sa.exists().where(m.c.case_id == c.c.id))
        day = c.c[step.due_day] if step.due_day else no_day
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
                                 c.c.id.label("case_id"), c.c.title.label("title"), day.label("day"))
                       .select_from(source).where(*where, *only))
    for (kind, during), indexes in sub_calls.items():
        state = sa.func.coalesce(_sub_call_state(c), "")
        which = {("" if steps[i].step.state is None else str(steps[i].step.state)): i for i in indexes}
        selects.append(sa.select(sa.case(which, value=state).label("step"), c.c.code.label("code"),
                                 sa.cast(sa.null(), o.c.number.type).label("number"),
                                 sa.cast(sa.null(), moment).label("due"), sa.cast(sa.null(), d.c.basis.type),
                                 c.c.id, c.c.title, no_day)
                       .where(c.c.kind == kind, *([c.c.state.in_(during)] if during else []),
                              state.in_(sorted(which)), *only))
    listed = sa.union_all(*selects).subquery("waiting") if len(selects) > 1 else selects[0].subquery("waiting")
    pending = [i for i, s in enumerate(steps) if s.step.pending]
    query = sa.select(listed.c.step, listed.c.code, listed.c.number, listed.c.due, listed.c.basis, listed.c.case_id,
                      listed.c.title, listed.c.day)
    if pending:
        query = query.where(sa.not_(sa.and_(listed.c.step.in_(pending), listed.c.due.is_(None))))
    return query


def due_of(due: datetime | None, day) -> datetime | None:
    """A listed step's due moment: its deadline row's, or the end (Warsaw time) of the case's day that dates it
    (``Waiting.due_day``: the selection date the announcement names, a limit of the office's own, never shifted:
    states/periods.py SELECTION_DATE)."""
    if due is not None or day is None:
        return due
    from states import periods

    return as_moment(periods.SELECTION_DATE.on(day).due)


def _officer_steps(session, chosen: Iterable[Procedure], now: datetime, query: Query) -> list[Item]:
    steps = _steps(chosen, "officer")
    if not steps:
        return []
    shown = [(s.procedure.slug, s.procedure.title, s.step.what, _basis(s.procedure, s.step)) for s in steps]
    statement = _officer_statement(steps)
    listed = statement.selected_columns
    statements = [statement]
    if query.overdue or query.limit is not None:
        # the steps dated by a day (few: calls whose scoring is done) are read whole, cut with the rest below
        by_day = statement.where(listed.day.is_not(None))
        statement = statement.where(listed.day.is_(None))
        if query.overdue:
            statement = statement.where(listed.due <= now)
        if query.limit is not None:  # the list's order (``_order``), so the database cuts where the list would
            statement = statement.order_by(sa.case((listed.due <= now, 0), else_=1), listed.due.is_(None),
                                           listed.due, listed.code, sa.func.coalesce(listed.number, 0), listed.step
                                           ).limit(query.limit)
        statements = [statement, by_day]
    items = []
    for statement in statements:
        for index, code, number, due, row_basis, _case, case_title, day in session.connection().execute(
                statement).all():
            slug, title, what, basis = shown[index]
            due = due_of(due, day)
            items.append(Item(code, slug, title, what, basis or row_basis or "", due,
                              due is not None and due <= now, number, case_title=case_title or ""))
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


@dataclass(frozen=True)
class Page:
    """A page of the list (``waiting_page``): its steps, how many wait in all (under the same filters), and where
    it starts."""

    items: list[Item]
    total: int
    offset: int = 0
    limit: int | None = None
    stale: bool = False  # some case changed since its steps were derived: nothing read; refresh, then read again

    @property
    def next_offset(self) -> int | None:
        shown = self.offset + len(self.items)
        return shown if self.limit is not None and shown < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - (self.limit or 0)) if self.offset > 0 else None


def refresh_waiting(ctx) -> int:
    """The handler (states/engine.py, a write of derived rows only): derive the stale cases' waiting steps again
    (states/waiting_rows.py) before the list is read; returns how many cases were derived."""
    from states.waiting_rows import refresh

    return refresh(ctx.session.connection())


class Rederive(Command):
    """``coop todo rederive [--all | CODE]``: which cases' waiting steps to derive again (none named: the stale
    ones only)."""

    code: CaseCode | None = None
    all: bool = False


def rederive(ctx, cmd: Rederive) -> dict[str, int]:
    """The handler (a write of derived rows only, like ``refresh_waiting``): derive the waiting steps' projection
    again for one case, every case, or the stale ones; returns how many cases were derived and how many steps
    the projection then lists."""
    from states import waiting_rows
    from states.cases import load_case

    if cmd.all and cmd.code:
        raise InvalidInput("rederive_one_or_all", tr("Name one case or --all, not both."))
    connection = ctx.session.connection()
    if cmd.code:
        waiting_rows.mark_stale(connection, load_case(ctx.session, cmd.code).id)
    elif cmd.all:
        waiting_rows.mark_stale(connection)
    derived = waiting_rows.refresh(connection)
    return {"derived": derived, "steps": waiting_rows.count(connection)}


def _item_order(item: Item) -> tuple:
    # the projection's order (states/waiting_rows.py): dated first by due moment, then case, offer, step
    return (item.due is None, item.due.timestamp() if item.due else 0.0, item.code, item.offer or 0, str(getattr(item.what, "msgid", item.what)))


def waiting_page(ctx, query: Query = Query()) -> Page:
    """The handler (read-only): a page of what waits for the person, the officers' steps read from the waiting
    steps' projection by its index, a committee member's from her seats (few, derived as ``waiting_for`` does);
    the total under the same filters. A case changed since its steps were derived: an empty page that says so
    (``stale``), for the caller to run ``refresh_waiting`` and ask again (``page_of``)."""
    from states import waiting_rows

    now = as_moment(ctx.now)
    chosen = procedures_for(query.procedure)
    if query.limit is not None and query.limit < 1:
        raise InvalidInput("limit_not_positive", tr("Show at least one step (the limit is {limit}).",
                                                    limit=query.limit))
    if query.offset < 0:
        raise InvalidInput("offset_negative", tr("A page starts at step 0 or later (asked: {offset}).",
                                                 offset=query.offset))
    roles = _roles(ctx.actor)
    connection = ctx.session.connection()
    if "officer" in roles and not query.as_derived and waiting_rows.any_stale(connection):
        return Page([], 0, query.offset, query.limit, stale=True)
    slugs = None if query.procedure is None else {p.slug for p in chosen}
    overdue_at = now if query.overdue else None
    members: list[Item] = []
    if "committee_member" in roles:
        members = [i for i in _committee_steps(ctx.session, chosen, ctx.actor, now) if i.overdue or not query.overdue]
    officers: list[Item] = []
    total = len(members)
    if "officer" in roles:
        declared = waiting_rows.declared_steps()
        # the officer's rows up to the page's end, so the members' (few, undated) merge in the same order
        end = None if query.limit is None else query.offset + query.limit
        for key, code, number, due, row_basis, title in waiting_rows.read(connection, procedures=slugs,
                                                                          overdue_at=overdue_at, limit=end):
            s = declared.get(key)
            if s is None:  # derived under declarations since changed: shown once its case is derived again
                continue
            due = as_moment(due) if due is not None else None
            officers.append(Item(code, s.procedure.slug, s.procedure.title, s.step.what,
                                 _basis(s.procedure, s.step) or row_basis or "", due,
                                 due is not None and due <= now, number, case_title=title or ""))
        total += waiting_rows.count(connection, procedures=slugs, overdue_at=overdue_at)
    items = sorted(officers + members, key=_item_order) if members else officers
    end = None if query.limit is None else query.offset + query.limit
    return Page(items[query.offset:end], total, query.offset, query.limit)


def page_of(actor, query: Query = Query(), *, url: str | None = None, at=None) -> Page:
    """A page of what waits for ``actor``, the projection fresh: read (one read-only transaction, the usual case);
    when a case changed since its steps were derived, derive them (``refresh_waiting``, a write of derived rows)
    and read again."""
    from states.engine import execute

    for _ in range(3):  # cases keep changing under a busy office: each round derives what changed meanwhile
        listed = execute(waiting_page, query, actor=actor, url=url, readonly=True, at=at)
        if not listed.stale:
            return listed
        execute(refresh_waiting, actor=actor, url=url, keyed=False, at=at)
    return execute(waiting_page, replace(query, as_derived=True), actor=actor, url=url, readonly=True, at=at)

