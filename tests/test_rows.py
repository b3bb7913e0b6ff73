"""models.rows.new_row: the fast constructor gives the very row the SQLModel constructor gives."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from models.rows import new_row
from models.tables import AuditRecord, Case
from tests.prefect_fixtures import announced_call, register_organisations

NOW = datetime(2026, 1, 24, 8, tzinfo=UTC)


def audit_values(case_id: int, seq: int) -> dict:
    return dict(case_id=case_id, seq=seq, at=NOW, recorded_at=NOW, actor="scheduler", role="scheduler",
                event="close_offers", subject="case", from_state="announced", to_state="formal_review",
                payload={"offers": 3, "due_at": "2026-01-23T23:00:00Z"}, prev_hash="0" * 64, hash=f"{seq:064d}")


def test_new_row_holds_the_same_values_and_defaults_as_the_constructor():
    fast, slow = new_row(AuditRecord, **audit_values(7, 1)), AuditRecord(**audit_values(7, 1))
    assert fast.model_dump() == slow.model_dump()
    assert fast.basis == "" and fast.id is None  # defaults applied
    note = dict(key="k", case_id=7, audit_seq=1, template="t", category="c", channel="email", audience="officer",
                recipient="a@b.pl", recipient_name="A", lang="pl", data={}, not_before=NOW, next_attempt_at=NOW,
                status="pending", message_id="<m@x>", created_at=NOW)
    assert new_row(Notification, **note).model_dump() == Notification(**note).model_dump()


def test_new_rows_are_inserted_and_read_back_like_constructed_ones(db_url):
    register_organisations(db_url)
    code = announced_call(db_url, offers=1, members=False)
    with Session(get_engine(normalise_url(db_url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        base = case.audit_seq
        session.add(new_row(AuditRecord, **audit_values(case.id, base + 1)))
        session.add(AuditRecord(**audit_values(case.id, base + 2)))
        session.commit()
        rows = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id, AuditRecord.seq > base)
                            .order_by(AuditRecord.seq)).all()
    assert [r.seq for r in rows] == [base + 1, base + 2]
    fast, slow = (r.model_dump(exclude={"id", "seq", "hash"}) for r in rows)
    assert fast == slow and rows[0].payload == {"offers": 3, "due_at": "2026-01-23T23:00:00Z"}


def test_write_new_rows_stores_every_row_as_the_orm_would_in_one_statement(db_url):
    """Five new rows are one executemany, and every row reads back as the ORM's own insert stores it."""
    from sqlalchemy import event

    from models.rows import write_new_rows

    register_organisations(db_url)
    code = announced_call(db_url, offers=1, members=False)
    engine = get_engine(normalise_url(db_url))
    inserts: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.startswith("INSERT INTO audit_log"):
            inserts.append(statement)

    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        base = case.audit_seq
        for n in range(1, 6):
            session.add(new_row(AuditRecord, **audit_values(case.id, base + n)))
        event.listen(engine, "before_cursor_execute", seen)
        try:
            write_new_rows(session)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert not session.new  # written: nothing left for the unit of work
        session.add(AuditRecord(**audit_values(case.id, base + 6)))  # the ORM's own insert, for comparison
        session.commit()
        stored = session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id, AuditRecord.seq > base)
                              .order_by(AuditRecord.seq)).all()
    assert len(inserts) == 1
    assert [r.seq for r in stored] == [base + n for n in range(1, 7)]
    reference = stored[-1].model_dump(exclude={"id", "seq", "hash"})
    assert all(r.model_dump(exclude={"id", "seq", "hash"}) == reference for r in stored)
    assert [r.hash for r in stored[:5]] == [f"{base + n:064d}" for n in range(1, 6)]


def test_new_row_is_what_model_construct_gives_for_every_table():
    """The recipe per model gives each row exactly pydantic's fields, defaults and set fields, and its own copy
    of a mutable default."""
    from sqlmodel import SQLModel

    import models.schema  # noqa: F401  (every table on the metadata)

    models = {mapper.class_ for mapper in SQLModel._sa_registry.mappers}
    assert len(models) >= 15
    for model in models:
        required = {name: None for name, field in model.__pydantic_fields__.items() if field.is_required()}
        fast, reference = new_row(model, **required), model.model_construct(**required)
        assert {k: v for k, v in fast.__dict__.items() if k != "_sa_instance_state"} == reference.__dict__, model
        assert fast.__pydantic_fields_set__ == reference.__pydantic_fields_set__, model
        again = new_row(model, **required)
        for name, value in fast.__dict__.items():
            if isinstance(value, dict | list | set):
                assert value is not again.__dict__[name], (model, name)  # never shared between rows


def test_assigning_a_column_does_what_sqlmodel_does_and_the_change_is_written(db_url):
    """models.tables.Table sets a column through SQLAlchemy alone: the same value, history and set fields as
    SQLModel's own assignment, and the change reaches the database; anything else is still SQLModel's."""
    import pytest
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    register_organisations(db_url)
    code = announced_call(db_url, offers=1, members=False)
    engine = get_engine(normalise_url(db_url))
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        session.expunge(case)
        reference = session.exec(select(Case).where(Case.code == code)).one()
        assert reference is not case
        case.title, case.audit_seq = "Nowy tytuł", 99
        SQLModel.__setattr__(reference, "title", "Nowy tytuł")
        SQLModel.__setattr__(reference, "audit_seq", 99)
        for name in ("title", "audit_seq"):
            assert inspect(case).attrs[name].history == inspect(reference).attrs[name].history, name
        assert case.__pydantic_fields_set__ == reference.__pydantic_fields_set__
        with pytest.raises(ValueError, match="no field"):
            case.not_a_column = 1
        session.commit()  # the reference's change
    with Session(engine) as session:
        stored = session.exec(select(Case).where(Case.code == code)).one()
        assert (stored.title, stored.audit_seq) == ("Nowy tytuł", 99)
        stored.title = "Tytuł trzeci"
        session.add(stored)
        session.commit()
    with Session(engine) as session:
        assert session.exec(select(Case.title).where(Case.code == code)).one() == "Tytuł trzeci"


def test_a_batch_converts_a_moment_as_the_column_type_does():
    """UTCDateTime's one-step conversion for SQLite batches gives what its own and SQLite's processors give
    together; a naive moment is refused the same way."""
    import random
    from datetime import timedelta, timezone

    import pytest
    from sqlalchemy.dialects import postgresql, sqlite

    from models.types import UTCDateTime

    dialect, column = sqlite.dialect(), UTCDateTime()
    fused, composed = column.batch_bind_processor(dialect), column.dialect_impl(dialect).bind_processor(dialect)
    rng = random.Random(7)
    moments = [None, datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
               datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))]
    moments += [datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 1e9)) for _ in range(500)]
    moments += [m.astimezone(timezone(timedelta(hours=rng.randint(-12, 12)))) for m in moments[4:50]]
    assert [fused(m) for m in moments] == [composed(m) for m in moments]
    # The same moment over and over, as a batch writes a step's ``now``: the one kept is given back only for it.
    repeated = [m for m in moments for _ in range(3)] + moments[::-1]
    assert [fused(m) for m in repeated] == [composed(m) for m in repeated]
    for process in (fused, composed):
        with pytest.raises(ValueError, match="naive"):
            process(datetime(2026, 1, 1))
    assert column.batch_bind_processor(postgresql.psycopg.dialect()) is None


def test_a_stored_moment_reads_back_as_the_composed_processors_read_it():
    """UTCDateTime's one-step SQLite reading gives what SQLite's DATETIME parser and process_result_value give
    together, for every moment a batch or the ORM stores; PostgreSQL keeps the composed processors."""
    import random
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql, sqlite

    from models.types import UTCDateTime

    dialect = sqlite.dialect()
    column = UTCDateTime().dialect_impl(dialect)
    fused = column.result_processor(dialect, None)
    composed = sa.types.TypeDecorator.result_processor(column, dialect, None)
    store = column.batch_bind_processor(dialect)
    rng = random.Random(11)
    moments = [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    moments += [datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 1e9)) for _ in range(500)]
    stored = [None, *map(store, moments), "2026-12-01 06:00:00", "2026-12-01", "2026-12-01T07:00:00+01:00",
              "2026-12-01 06:00:00Z"]
    assert [fused(text) for text in stored] == [composed(text) for text in stored]
    assert fused(stored[1]) == moments[0] and fused(stored[1]).tzinfo is UTC
    pg = postgresql.psycopg.dialect()
    on_pg = UTCDateTime().dialect_impl(pg).result_processor(pg, None)
    warsaw = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
    assert on_pg(warsaw) == warsaw and on_pg(warsaw).tzinfo is UTC


def test_json_columns_read_back_what_the_standard_library_would(db_url):
    """JSON columns go through orjson (models.types.json_text / json_value); what a case's data reads back is
    what the standard library's round trip gives, non-string keys, non-ASCII and a 70-bit integer included."""
    import json

    register_organisations(db_url)
    code = announced_call(db_url, offers=0, members=False)
    data = {"tytuł": "Żółć ąę \u2028 \"cudzysłów\" \n", 7: [1.5, None, True, {"x": -3}], "big": 2**70}
    engine = get_engine(normalise_url(db_url))
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        case.data = data
        session.add(case)
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Case).where(Case.code == code)).one().data
    assert stored == json.loads(json.dumps(data))
    assert engine.dialect._json_serializer.__module__ == "models.types"
