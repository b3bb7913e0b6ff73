"""In a tick's batch each kind of a case's rows is read for every claimed case at once, and a row added
since is never missed; outside a batch the same call reads one case's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import MultipleResultsFound, NoResultFound

from models.db import UnitOfWork, get_engine
from models.procedure_tables import SmallGrantOffer
from models.tables import Publication
from states.cases import case_rows, load_case, one_case_row, start_batch
from tests.prefect_fixtures import announced_call, register_organisations


@pytest.fixture
def publication_reads(db_url):
    reads = []

    def seen(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT") and "FROM PUBLICATIONS" in statement.upper():
            reads.append(statement)

    engine = get_engine(db_url)
    event.listen(engine, "before_cursor_execute", seen)
    yield reads
    event.remove(engine, "before_cursor_execute", seen)


def test_a_batch_reads_a_kind_once_and_sees_a_row_added_since(db_url, publication_reads):
    register_organisations(db_url)
    codes = [announced_call(db_url, offers=0, members=False) for _ in range(3)]
    with UnitOfWork(db_url) as uow:
        session = uow.session
        cases = [load_case(session, code) for code in codes]
        start_batch(session, cases[:2])
        publication_reads.clear()
        in_batch = [case_rows(session, Publication, case.id, order_by=(Publication.id,)) for case in cases[:2]]
        assert [[p.channel for p in rows] for rows in in_batch] == [["bip", "board", "website"]] * 2
        assert len(publication_reads) == 1
        assert len(case_rows(session, Publication, cases[2].id)) == 3  # not in the batch: a query of its own
        assert len(publication_reads) == 2
        session.add(Publication(case_id=cases[0].id, subject="results", channel="bip",
                                published_at=cases[0].last_event_at))
        assert [p.subject for p in case_rows(session, Publication, cases[0].id, order_by=(Publication.id,))] == \
            ["announcement"] * 3 + ["results"]


def test_one_case_row_holds_a_batch_to_exactly_one(db_url):
    register_organisations(db_url)
    code = announced_call(db_url, offers=0, members=False)
    with UnitOfWork(db_url) as uow:
        case = load_case(uow.session, code)
        start_batch(uow.session, [case])
        with pytest.raises(NoResultFound):
            one_case_row(uow.session, SmallGrantOffer, case.id)
        with pytest.raises(MultipleResultsFound):
            one_case_row(uow.session, Publication, case.id)
