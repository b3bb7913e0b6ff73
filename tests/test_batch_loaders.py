"""The tick's batch loaders (states/loaders.py): a batch reads each kind of row once for all its claimed cases,
whatever their number, and the handlers never write a kind a loader loaded (the loaded rows stay true)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session

from bench.data import DUE_AT, TICK_AT, build_live_cases
from models.db import UnitOfWork, get_engine, normalise_url
from models.notification_tables import NotificationPreference
from models.procedures.small_grant import SmallGrantOffer
from models.tables import AuditRecord, Case, Publication
from states import tick as tick_module
from states.cases import case_rows, first_record, load_case, one_case_row
from states.engine import Actor, Context, append_audit
from states.loaders import BatchLoader, Loaded, loaded_for
from states.tick import tick
from tests.prefect_fixtures import announced_call, register_organisations

FAR = DUE_AT.replace(year=DUE_AT.year + 5)
SMALL_PER_KIND = 2


def _selects(url: str, work) -> tuple[object, Counter]:
    """What ``work`` returns, and the SELECT statements it sent, by their text."""
    seen: Counter = Counter()

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen[re.sub(r"IN \((?:[^()]|\([^()]*\))*\)", "IN (…)", " ".join(statement.split()))[:160]] += 1

    engine = get_engine(normalise_url(url))
    event.listen(engine, "before_cursor_execute", count)
    try:
        return work(), seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_ticks_selects_do_not_grow_with_its_due_deadlines(db_url):
    described = build_live_cases(db_url, 150, 130)
    assert described["due"] == 130 and len(described["due_kinds"]) == 10  # every kind of deadline the bench fires
    engine = get_engine(normalise_url(db_url))
    deadlines = sa.table("deadlines", sa.column("id"), sa.column("kind"), sa.column("due_at"), sa.column("fired_at"))
    with engine.begin() as conn:
        due = conn.execute(sa.select(deadlines.c.id, deadlines.c.kind).where(
            deadlines.c.fired_at.is_(None), deadlines.c.due_at <= TICK_AT).order_by(deadlines.c.id)).all()
        small: dict[str, list[int]] = {}
        for deadline_id, kind in due:
            if len(small.setdefault(kind, [])) < SMALL_PER_KIND:
                small[kind].append(deadline_id)
        kept = {i for ids in small.values() for i in ids}
        later = [deadline_id for deadline_id, _ in due if deadline_id not in kept]
        conn.execute(deadlines.update().where(deadlines.c.id.in_(later)).values(due_at=FAR))

    few, few_selects = _selects(db_url, lambda: tick(TICK_AT, url=db_url))
    assert (few.fired, few.skipped) == (len(kept), 0), few.skipped_reasons
    with engine.begin() as conn:  # the others fall due again, at the same moment: the same handlers, 8× the cases
        conn.execute(deadlines.update().where(deadlines.c.id.in_(later)).values(due_at=DUE_AT))
    many, many_selects = _selects(db_url, lambda: tick(TICK_AT, url=db_url))
    assert (many.fired, many.skipped) == (len(later), 0), many.skipped_reasons
    assert len(later) >= 5 * len(kept)
    # the same statements, as many times each: none is sent once per deadline
    assert many_selects == few_selects, (few_selects - many_selects) + (many_selects - few_selects)


def test_no_deadline_handler_writes_a_kind_its_loader_loaded(db_url, monkeypatch):
    build_live_cases(db_url, 60, 50)
    loaded_kinds: set[type] = set()
    written: set[type] = set()
    plain = tick_module.load_batch

    def load_batch(session, claimed):
        facts = plain(session, claimed)
        loaded_kinds.update(facts.kinds())
        return facts

    def before_flush(session, _context, _instances):
        written.update(type(row) for row in (*session.new, *session.dirty, *session.deleted))

    monkeypatch.setattr(tick_module, "load_batch", load_batch)
    event.listen(Session, "before_flush", before_flush)
    event.listen(Session, "before_commit", lambda session: before_flush(session, None, None))
    try:
        report = tick(TICK_AT, url=db_url)
    finally:
        event.remove(Session, "before_flush", before_flush)
    assert report.fired == 50
    assert {kind.__name__ for kind in loaded_kinds} >= {"Offer", "SmallGrantOffer", "Publication", "MicroGrant"}
    assert not loaded_kinds & written, loaded_kinds & written


def test_loaded_rows_answer_the_reads_and_a_case_not_loaded_is_read_plainly(db_url):
    register_organisations(db_url)
    codes = [announced_call(db_url, offers=0, members=False) for _ in range(3)]
    with UnitOfWork(db_url) as uow:
        session = uow.session
        cases = [load_case(session, code) for code in codes]
        facts = Loaded()
        _, selects = _selects(db_url, lambda: BatchLoader(session, facts).rows(
            Publication, [c.id for c in cases[:2]], order_by=(Publication.id,)))
        assert sum(selects.values()) == 1
        with loaded_for(session, facts):
            rows, selects = _selects(db_url, lambda: [case_rows(session, Publication, c.id) for c in cases[:2]])
            assert [[p.channel for p in r] for r in rows] == [["bip", "board", "website"]] * 2
            assert not selects
            rows, selects = _selects(db_url, lambda: case_rows(session, Publication, cases[2].id))
            assert len(rows) == 3 and sum(selects.values()) == 1  # not loaded: a query of its own
            with pytest.raises(NoResultFound):
                one_case_row(session, SmallGrantOffer, cases[0].id)
            with pytest.raises(MultipleResultsFound):
                one_case_row(session, Publication, cases[0].id)
        # after the batch, a plain read: it sees a row added since
        session.add(Publication(case_id=cases[0].id, subject="results", channel="bip",
                                published_at=cases[0].last_event_at))
        assert [p.subject for p in case_rows(session, Publication, cases[0].id, order_by=(Publication.id,))] == \
            ["announcement"] * 3 + ["results"]


def test_first_records_loaded_for_a_batch_and_those_appended_since(db_url):
    register_organisations(db_url)
    codes = [announced_call(db_url, offers=0, members=False) for _ in range(3)]
    with UnitOfWork(db_url) as uow:
        session = uow.session
        cases = session.exec(sa.select(Case).where(Case.code.in_(codes)).order_by(Case.id)).scalars().all()
        facts = Loaded()
        loader = BatchLoader(session, facts)
        _, selects = _selects(db_url, lambda: (loader.first_records("announce", [c.id for c in cases]),
                                               loader.first_records("note", [c.id for c in cases])))
        assert sum(selects.values()) == 2
        with loaded_for(session, facts):
            firsts, selects = _selects(db_url, lambda: [first_record(session, c, "announce") for c in cases])
            assert not selects and [(r.case_id, r.event) for r in firsts] == [(c.id, "announce") for c in cases]
            ctx = Context(session=session, actor=Actor("Anna Urzędniczka", "officer"), now=cases[0].last_event_at)
            appended = append_audit(ctx, cases[0], event="note", subject="case", from_state=None, to_state=None,
                                    basis="")
            found, selects = _selects(db_url, lambda: [first_record(session, c, "note") for c in cases])
            assert found == [appended, None, None] and not selects
            assert isinstance(appended, AuditRecord)


def test_a_tick_writes_to_each_recipient_in_the_language_of_its_preference(db_url):
    """The preferences of the loaded organisations are loaded with them (states/loaders.py): a micro-grant's
    operator and a small grant's applicant, told by the tick, are told in the language they chose."""
    build_live_cases(db_url, 150, 130)
    engine = get_engine(normalise_url(db_url))
    with engine.connect() as conn:
        addresses = conn.execute(sa.text(
            "SELECT DISTINCT o.email FROM organisations o JOIN small_grant_offers s ON s.organisation_id = o.id "
            "UNION SELECT DISTINCT o.email FROM organisations o JOIN offers f ON f.organisation_id = o.id "
            "JOIN micro_grants m ON m.operator_case_id = f.case_id")).scalars().all()
    assert addresses
    with UnitOfWork(db_url) as uow:
        uow.session.add_all([NotificationPreference(address=address, lang="en", updated_at=DUE_AT)
                             for address in addresses])
        uow.commit()
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM notifications")).scalar_one()
    report = tick(TICK_AT, url=db_url)
    assert report.skipped == 0
    with engine.connect() as conn:
        told = conn.execute(sa.text("SELECT recipient, lang FROM notifications WHERE id > :before AND audience IN "
                                    "('operator', 'applicant')"), {"before": before}).all()
    assert {recipient for recipient, _ in told} & set(addresses)
    assert all(lang == "en" for recipient, lang in told if recipient in addresses), told
