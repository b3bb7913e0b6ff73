"""Batch loaders: what a tick's batch of due deadlines reads, loaded before its handlers run (invariants 5, 11).

A batch fires up to 2,000 deadlines in one transaction. Read one deadline at a time, each handler's rows (a
small grant's offer, a call's offers, an organisation, a first audit record) would cost a query per deadline:
on PostgreSQL a round trip each. Instead each procedure says, in its ``handlers.load_batch``, which rows its
deadline handlers (and the notifications their records cause) need, and ``BatchLoader`` reads each kind for
every claimed case of the procedure in one query (a few, over SQLite's limit of bound parameters). What is
loaded is held by ``Loaded``, a repository on the unit of work: the tick puts it on the transaction's session
for the time its handlers run (``loaded_for``) and takes it away after; an officer's command never sees one
and reads what it needs plainly.

Loaded rows are a snapshot taken before the handlers run. That is sound because a deadline handler writes no
row of a kind a loader loads (it moves states, appends audit records and outbox rows, schedules deadlines):
a loader must not load a kind its handlers write (tests/test_batch_loaders.py fails if one does, and counts
the queries of a tick). The claimed cases are held too, for look-ups by id, but they are not a snapshot: they
are the rows the handlers move, claimed with their deadlines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from models.notification_tables import NotificationPreference
from models.rows import SEES_HELD_ROWS
from models.tables import AuditRecord, Case, Organisation

T = TypeVar("T")
IN_LIMIT = 900  # ids per query: under SQLite's bound-parameter limit
_KEY = "coop_batch_loaded"


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), IN_LIMIT):
        yield ids[start:start + IN_LIMIT]


class Loaded:
    """The facts a batch loaded, by kind of row and case: the answers its handlers' reads look up."""

    def __init__(self) -> None:
        # (kind, column) -> {case id (or whatever ``column`` holds) -> rows, in the loader's order}; the ids
        # loaded, so that a case with no rows of the kind is told apart from a case not loaded
        self._rows: dict[tuple[type, str], dict[Any, list[Any]]] = {}
        self._rows_for: dict[tuple[type, str], set[Any]] = {}
        self._counts: dict[tuple[type, str], dict[Any, int]] = {}
        self._first_records: dict[str, dict[int, AuditRecord]] = {}
        self._first_for: dict[str, set[int]] = {}
        self.cases: dict[int, Case] = {}
        self.organisations: dict[int, Organisation | None] = {}
        # notification preferences by lower-cased address: the recipients' loaded here, others kept by the outbox
        self.preferences: dict[str, list[Any]] = {}

    def kinds(self) -> set[type]:
        """The kinds of rows loaded as a snapshot (organisations when any was; not the claimed cases)."""
        found = {kind for kind, _ in (*self._rows, *self._counts)}
        if self._first_records:
            found.add(AuditRecord)
        if self.organisations:
            found.add(Organisation)
        return found

    def rows(self, kind: type[T], key: Any, column: str = "case_id") -> list[T] | None:
        """The loaded rows of ``kind`` whose ``column`` is ``key``; None when not loaded for it."""
        if key not in self._rows_for.get((kind, column), ()):
            return None
        return list(self._rows[(kind, column)].get(key, ()))

    def count(self, kind: type, key: Any, column: str = "case_id") -> int | None:
        counts = self._counts.get((kind, column))
        if counts is None or key not in self._rows_for.get((kind, f"count:{column}"), ()):
            return None
        return counts.get(key, 0)

    def first_record(self, case_id: int, event: str) -> tuple[bool, AuditRecord | None]:
        """(loaded, the case's first stored record of ``event``)."""
        if case_id not in self._first_for.get(event, ()):
            return False, None
        return True, self._first_records[event].get(case_id)


class BatchLoader:
    """What a procedure's ``load_batch`` calls: each method reads one kind for many cases in one query."""

    def __init__(self, session: Session, loaded: Loaded) -> None:
        self.session = session
        self.loaded = loaded

    def rows(self, kind: type[T], ids: Iterable[int], *, column: str = "case_id", order_by: tuple = ()) -> None:
        """Every row of ``kind`` whose ``column`` is one of ``ids``, in ``order_by``."""
        wanted = sorted(set(ids) - self.loaded._rows_for.get((kind, column), set()))
        if not wanted:
            return
        key = getattr(kind, column)
        found = self.loaded._rows.setdefault((kind, column), {})
        for chunk in _chunks(wanted):
            for row in self.session.exec(select(kind).where(key.in_(chunk)).order_by(key, *order_by)):
                found.setdefault(getattr(row, column), []).append(row)
        self.loaded._rows_for.setdefault((kind, column), set()).update(wanted)

    def counts(self, kind: type, ids: Iterable[int], *, column: str = "case_id") -> None:
        """How many rows of ``kind`` each of ``ids`` has in ``column`` (offers filed in a call)."""
        wanted = sorted(set(ids))
        if not wanted:
            return
        key = getattr(kind, column)
        found = self.loaded._counts.setdefault((kind, column), {})
        for chunk in _chunks(wanted):
            found.update(self.session.exec(select(key, func.count()).where(key.in_(chunk)).group_by(key)).all())
        self.loaded._rows_for.setdefault((kind, f"count:{column}"), set()).update(wanted)

    def first_records(self, event: str, case_ids: Iterable[int]) -> None:
        """Each case's first stored audit record of ``event`` (records this transaction appends are found by
        ``states.cases.first_record`` among its own)."""
        wanted = sorted(set(case_ids) - self.loaded._first_for.get(event, set()))
        if not wanted:
            return
        found = self.loaded._first_records.setdefault(event, {})
        for chunk in _chunks(wanted):
            for row in self.session.exec(
                    select(AuditRecord).where(AuditRecord.case_id.in_(chunk), AuditRecord.event == event)
                    .order_by(AuditRecord.case_id, AuditRecord.seq).execution_options(**{SEES_HELD_ROWS: True})):
                found.setdefault(row.case_id, row)
        self.loaded._first_for.setdefault(event, set()).update(wanted)

    def organisations(self, ids: Iterable[int | None]) -> None:
        wanted = sorted({i for i in ids if i is not None} - self.loaded.organisations.keys())
        for chunk in _chunks(wanted):
            found = {o.id: o for o in self.session.exec(select(Organisation).where(Organisation.id.in_(chunk)))}
            self.loaded.organisations.update({i: found.get(i) for i in chunk})

    def organisations_of(self, kind: type, ids: Iterable[int], *, column: str = "case_id") -> None:
        """The organisations behind the loaded rows of ``kind`` (an offer's, an application's)."""
        rows = self.loaded._rows.get((kind, column), {})
        self.organisations(row.organisation_id for key in ids for row in rows.get(key, ()))

    def preferences(self, addresses: Iterable[str | None]) -> None:
        """The notification preferences of these addresses, by lower-cased address (the outbox's
        ``read_preferences`` answers from them, and keeps there those it reads of other addresses)."""
        wanted = sorted({a.lower() for a in addresses if a} - self.loaded.preferences.keys())
        for chunk in _chunks(wanted):
            for address in chunk:
                self.loaded.preferences[address] = []
            for row in self.session.exec(select(NotificationPreference).where(NotificationPreference.address.in_(chunk))
                                         .order_by(NotificationPreference.id)):
                self.loaded.preferences[row.address].append(row)

    def cases(self, cases: Iterable[Case]) -> None:
        """Cases the batch already holds (claimed with their deadlines): looked up by id without a query."""
        self.loaded.cases.update({case.id: case for case in cases})

    def cases_by_id(self, ids: Iterable[int | None]) -> list[Case]:
        """Cases by id (a micro-grant's parent), in one query; returns them."""
        ids = [i for i in ids if i is not None]
        wanted = sorted(set(ids) - self.loaded.cases.keys())
        for chunk in _chunks(wanted):
            self.cases(self.session.exec(select(Case).where(Case.id.in_(chunk)).options(defer(Case.settings))).all())
        return [self.loaded.cases[i] for i in ids if i in self.loaded.cases]


def loaded(session: Session) -> Loaded | None:
    """The batch's loaded facts while a tick's handlers run in this transaction; None otherwise."""
    return session.info.get(_KEY)


@contextmanager
def loaded_for(session: Session, facts: Loaded) -> Iterator[Loaded]:
    """Make ``facts`` the answer of the handlers' reads for the time they run, and only then."""
    session.info[_KEY] = facts
    try:
        yield facts
    finally:
        session.info.pop(_KEY, None)


def load_batch(session: Session, claimed: list[tuple[Any, Case]]) -> Loaded:
    """Run each procedure's loader over its claimed (deadline, case) pairs (``load_batch`` in
    states/procedures/<slug>/handlers.py)."""
    from states.procedures import of_kind
    from states.procedures import procedure as procedure_of

    facts = Loaded()
    loader = BatchLoader(session, facts)
    loader.cases(case for _, case in claimed)
    by_procedure: dict[str, list[tuple[Any, Case]]] = {}
    for deadline, case in claimed:
        procedure = of_kind(case.kind)
        if procedure is not None:
            by_procedure.setdefault(procedure.slug, []).append((deadline, case))
    with session.no_autoflush:  # before any handler ran: nothing is pending that these reads could miss
        for slug, own in by_procedure.items():
            load = procedure_of(slug).batch_loader()
            if load is not None:
                load(loader, own)
        # the organisations loaded are the notices' recipients: whether they opted out, and in which language
        loader.preferences(org.email for org in facts.organisations.values() if org is not None)
    return facts
