"""Rows on the hot paths: constructing them, and writing what a transaction leaves pending.

SQLModel's constructor sets each field through pydantic's and SQLAlchemy's ``__setattr__`` (~90 µs for an audit
record); table models are not validated on construction anyway, so what ``model_construct`` gives (defaults
applied, no validation) plus the ORM's instance state is the same pending row, built here from a recipe per model.

At commit the unit of work writes row by row (~0.1 ms a row, and a versioned UPDATE of a case is never
batched): ``write_pending`` writes the changed cases, deadlines and offers and the rows a step only adds with one
statement per table (and set of columns) first, and the ORM flushes whatever else is left.
"""

from __future__ import annotations

import copy
import weakref
from collections import defaultdict
from collections.abc import Callable
from functools import cache, partial
from typing import Any, TypeVar

from sqlalchemy import Connection, Dialect, bindparam, event, inspect
from sqlalchemy.orm import Session, make_transient
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.util import find_tables
from sqlmodel import SQLModel

from models.notification_tables import Notification
from models.tables import AuditRecord, Case, Deadline, Offer

T = TypeVar("T", bound=SQLModel)


def new_row(model: type[T], **values: Any) -> T:
    """A new, transient ORM row of ``model`` holding ``values`` (and the model's defaults), ready to ``add``.

    What ``model.model_construct(**values)`` gives, from a recipe made once per model: pydantic's own loop
    looked at every field's aliases on every call (a tick constructs a row per record and per message)."""
    try:
        recipe = _RECIPES[model]
    except KeyError:
        recipe = _RECIPES[model] = _recipe(model)
    if recipe is None:
        row = model.model_construct(**values)
    else:
        fixed, made = recipe
        fields = dict(fixed)
        for name, make in made:
            if name not in values:
                fields[name] = make()
        fields.update(values)
        # SQLAlchemy's own way to make an instance without its constructor (as when it loads a row): the
        # model's __new__ (pydantic's private attributes) and the ORM's instance state; then the fields.
        row = _class_manager(model).new_instance()
        row.__dict__.update(fields)
        object.__setattr__(row, "__pydantic_fields_set__", set(values))
        return row
    if inspect(row, raiseerr=False) is None:  # pydantic's construction made no ORM state: give it one
        _class_manager(model).setup_instance(row)
    return row


@cache
def _class_manager(model: type) -> Any:
    return inspect(model).class_manager  # the mapper's, public (Mapper.class_manager)


def _recipe(model: type) -> tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]] | None:
    """(the defaults every row shares, how to make the others), or None where only pydantic knows how."""
    if getattr(model, "__pydantic_post_init__", None) or model.model_config.get("extra") == "allow":
        return None
    fixed: dict[str, Any] = {}
    made: list[tuple[str, Callable[[], Any]]] = []
    for name, field in model.__pydantic_fields__.items():
        if field.alias not in (None, name) or field.validation_alias not in (None, name):
            return None
        if field.is_required():
            continue
        if field.default_factory is not None:
            if field.default_factory_takes_validated_data:
                return None
            made.append((name, field.default_factory))
        elif isinstance(field.default, dict | list | set):
            made.append((name, partial(copy.deepcopy, field.default)))  # each row its own, as pydantic copies
        else:
            fixed[name] = field.default
    return fixed, made


_RECIPES: dict[type, tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]] | None] = {}


def write_pending(session: Session) -> None:
    """Write what a step (or a tick's batch) left in the session, once it is done reading: the changed cases
    and deadlines, and the rows it only adds. Called by ``UnitOfWork.commit``, and by the tick before a savepoint's release."""
    write_changed_cases(session)
    write_changed_deadlines(session)
    write_changed_rows(session)
    write_new_rows(session)


# Rows a step only adds (its history, its outbox, its deadlines), which nothing reads back once it is done.
_ADDED_ROWS = (AuditRecord, Notification, Deadline)


def write_new_rows(session: Session) -> None:
    """Insert the step's new audit records, outbox rows and deadlines with one ``executemany`` per table (and
    set of columns given), in the order they were added: those held beside the session (``hold_new``) and
    those added to it; the session then forgets its own."""
    added = [row for row in session.new if type(row) in _ADDED_ROWS]
    _insert(session, [*_take_held(session), *added])
    for row in added:
        make_transient(row)  # written: the unit of work must not write it again


def _insert(session: Session, rows: list) -> None:
    by_table: dict[tuple[type, tuple[str, ...]], list] = defaultdict(list)
    for row in rows:
        kind = type(row)
        values = row.__dict__
        columns = tuple(c for c in _columns(kind) if c in values and not (c == "id" and values[c] is None))
        by_table[(kind, columns)].append(row)
    if not by_table:
        return
    connection = session.connection()
    for (kind, columns), group in by_table.items():
        table = kind.__table__
        execute_many(connection, ("insert", table.name, columns), table.insert, columns,
                     [{c: row.__dict__[c] for c in columns} for row in group])


# --- new rows held beside the session ---------------------------------------------------------------------
# Every step appends an audit record and often outbox rows, which the step never changes and the batch writer
# inserts anyway. Added to the session, each cost its Session.add (a cascade walk over every column), its
# place among the pending rows every flush decision looks at, and make_transient once written: ~10 % of a tick.
# Held here instead, they are written before any statement of the session that reads or changes their table
# (what autoflush did for them), by write_new_rows at the latest, and before any commit; a rolled-back
# savepoint drops those held since it began.
_HELD = "coop_held_rows"
_HELD_TABLES = frozenset({AuditRecord.__table__, Notification.__table__})


class _Held:
    __slots__ = ("rows", "written", "marks")

    def __init__(self) -> None:
        self.rows: list = []
        self.written = 0  # rows[:written] are in the database (in this transaction)
        self.marks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # savepoint -> (len, written)


def _held(session: Session) -> _Held:
    held = session.info.get(_HELD)
    if held is None:
        held = session.info[_HELD] = _Held()
    return held


def hold_new(session: Session, row: AuditRecord | Notification) -> None:
    """Add a new audit record or outbox row (built by ``new_row``) to the step, beside the session."""
    _held(session).rows.append(row)


def _take_held(session: Session) -> list:
    """The held rows not yet written; from now on they count as written."""
    held = session.info.get(_HELD)
    if held is None or held.written == len(held.rows):
        return []
    rows = held.rows[held.written:]
    held.written = len(held.rows)
    return rows


# For a query that finds this transaction's new rows itself (states.cases.first_record): held rows stay held.
SEES_HELD_ROWS = "coop_sees_held_rows"


@event.listens_for(Session, "do_orm_execute")
def _held_rows_before_their_table(state) -> None:
    held = state.session.info.get(_HELD)
    if held is None or held.written == len(held.rows) or state.execution_options.get(SEES_HELD_ROWS):
        return
    if any(table in _HELD_TABLES for table in find_tables(state.statement, include_joins=True,
                                                              include_aliases=True, include_crud=True)):
        _insert(state.session, _take_held(state.session))


@event.listens_for(Session, "before_commit")
def _held_rows_before_commit(session: Session) -> None:
    if session.info.get(_HELD) is not None:
        _insert(session, _take_held(session))  # nothing held is ever lost, whoever commits


@event.listens_for(Session, "after_commit")
def _forget_written(session: Session) -> None:
    session.info.pop(_HELD, None)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction) -> None:
    if transaction.nested:
        held = _held(session)
        held.marks[transaction] = (len(held.rows), held.written)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous) -> None:
    held = session.info.get(_HELD)
    if held is None:
        return
    mark = held.marks.get(previous) if previous.nested else None
    if mark is None:
        session.info.pop(_HELD, None)  # the transaction itself: nothing it held survives
        return
    length, written = mark
    del held.rows[length:]
    held.written = min(held.written, written)  # what was written inside the savepoint is undone with it


@cache
def _columns(kind: type) -> tuple[str, ...]:
    return tuple(column.key for column in kind.__table__.columns)


def write_changed_cases(session: Session) -> None:
    """Write the session's changed cases, one ``executemany`` per set of changed columns, each row with its
    optimistic lock (``WHERE row_version = the version read``), then let the session forget them.

    The ORM sends a versioned UPDATE row by row (it cannot batch them and still check each version): half
    of a tick's statements, and on PostgreSQL a round trip each. A case changed by someone else since it
    was read fails the transaction as the ORM would (``StaleDataError``): a command reports the conflict,
    the tick claims its batch again."""
    by_columns: dict[tuple[str, ...], list[Case]] = defaultdict(list)
    for row in session.dirty:
        if isinstance(row, Case):
            columns = tuple(sorted(key for key in inspect(row).committed_state if key != "row_version"))
            if columns:
                by_columns[columns].append(row)
    connection = session.connection()
    for columns, cases in by_columns.items():
        params = [{**{column: getattr(case, column) for column in columns}, "row_version": case.row_version + 1,
                   "_id": case.id, "_read": case.row_version} for case in cases]
        written = execute_many(connection, ("versioned update", "cases", columns), _versioned_case_update,
                               (*columns, "row_version"), params)
        if written != len(params):
            raise StaleDataError(f"cases: {len(params) - written} of {len(params)} changed since they were read")
    for cases in by_columns.values():
        for case in cases:
            make_transient(case)  # written; unlike expunge, no cascade walk per row (~30 µs)


def _versioned_case_update():
    table = Case.__table__
    return table.update().where(table.c.id == bindparam("_id"), table.c.row_version == bindparam("_read"))


def write_changed_deadlines(session: Session) -> None:
    """Write the session's changed deadlines (a command cancelling them), one ``UPDATE … WHERE id IN (…)`` per set
    of new values, then let the session forget them. A deadline has no version: it is claimed (``FOR UPDATE``)
    or its case is, before it changes."""
    by_values: dict[tuple[tuple[str, Any], ...], list[Deadline]] = defaultdict(list)
    for row in session.dirty:
        if isinstance(row, Deadline):
            changed = tuple(sorted((key, getattr(row, key)) for key in inspect(row).committed_state))
            if changed:
                by_values[changed].append(row)
    for values, deadlines in by_values.items():
        update_deadlines(session, dict(values), [deadline.id for deadline in deadlines])
        for deadline in deadlines:
            make_transient(deadline)


# Rows a step changes in place that carry no version of their own (an offer's state, moved by its machine while
# the case's row version guards the step): written by id, as the unit of work would, without its flush.
_CHANGED_BY_ID = (Offer,)


def write_changed_rows(session: Session) -> None:
    """Write the session's changed rows of ``_CHANGED_BY_ID``, one ``executemany`` per table and set of changed
    columns (``UPDATE … WHERE id = …``), then let the session forget them. A row gone meanwhile fails the
    transaction as the ORM's own UPDATE would (``StaleDataError``). As for the cases and deadlines above, a row
    written here leaves the session (``make_transient``: the flush has nothing left to look at): ``write_pending``
    runs only once a step's or a batch's changes are complete (at commit; the tick after its batch's handlers;
    a batched filing reads its offer again), and nothing may change a row it wrote."""
    by_columns: dict[tuple[type, tuple[str, ...]], list] = defaultdict(list)
    for row in session.dirty:
        if type(row) in _CHANGED_BY_ID:
            state = inspect(row)
            columns = tuple(sorted(key for key in state.committed_state if state.attrs[key].history.has_changes()))
            if columns:
                by_columns[(type(row), columns)].append(row)
    if not by_columns:
        return
    connection = session.connection()
    for (kind, columns), rows in by_columns.items():
        params = [{**{column: getattr(row, column) for column in columns}, "_id": row.id} for row in rows]
        written = execute_many(connection, ("update by id", kind.__table__.name, columns),
                               partial(_update_by_id, kind.__table__), columns, params)
        if written != len(params):
            raise StaleDataError(f"{kind.__table__.name}: {len(params) - written} of {len(params)} rows gone")
    for rows in by_columns.values():
        for row in rows:
            make_transient(row)  # written: the unit of work must not write it again


def _update_by_id(table):
    return table.update().where(table.c.id == bindparam("_id"))


def update_deadlines(session: Session, values: dict[str, Any], ids: list[int]) -> None:
    """Set ``values`` on the deadlines ``ids``: one statement (per 900 ids), where the ORM sends a parameter set
    per row (on PostgreSQL, a round trip each in a pipeline). A tick's batch fires thousands the same way."""
    table = Deadline.__table__
    connection = session.connection()
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        connection.execute(table.update().where(table.c.id.in_(ids[start:start + _IDS_PER_STATEMENT])).values(values))


_IDS_PER_STATEMENT = 900  # under SQLite's oldest limit of bound parameters (999)


def execute_many(connection: Connection, key: tuple, statement: Callable[[], Any], columns: tuple[str, ...],
                 params: list[dict[str, Any]]) -> int:
    """Run ``statement`` (its SET or VALUES: ``columns``) once for each of ``params`` in one ``executemany``,
    each value converted by its column's type; returns the rows it changed.

    The statement is compiled once per dialect and ``key``. ``Connection.execute`` would build the driver's
    parameters row by row through the compiled statement (~25 µs a row here: a third of writing a batch);
    this converts each value with the same type processors and hands the driver the rows as they are."""
    plan = _PLANS.get((connection.dialect.name, key))
    if plan is None:
        plan = _PLANS[(connection.dialect.name, key)] = _Plan(connection.dialect, statement(), columns)
    return connection.exec_driver_sql(plan.sql, plan.driver_rows(params)).rowcount


class _Plan:
    """A statement compiled for one dialect: its SQL, its parameters' order (or names) and their conversions."""

    def __init__(self, dialect: Dialect, statement: Any, columns: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        self.sql = str(compiled)
        self.positional = compiled.positional
        self.names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
        self.converted = [(i, process) for i, name in enumerate(self.names)
                          if (process := _processor(compiled.binds[name].type, dialect)) is not None]

    def driver_rows(self, params: list[dict[str, Any]]) -> list:
        names, converted = self.names, self.converted
        rows = []
        for row in params:
            values = [row[name] for name in names]
            for i, process in converted:
                values[i] = process(values[i])
            rows.append(tuple(values) if self.positional else dict(zip(names, values, strict=True)))
        return rows


_PLANS: dict[tuple, _Plan] = {}


def _processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    fused = getattr(column_type, "batch_bind_processor", None)
    if fused is not None and (process := fused(dialect)) is not None:
        return process
    return column_type.dialect_impl(dialect).bind_processor(dialect)
