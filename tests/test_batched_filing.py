"""Group commit of filings into one call (states/batched_filing.py, web/filing_queue.py; issue 22, B6): filings
waiting together are written by one transaction, each in its own savepoint with its own key, record and answer.
SQLite and PostgreSQL (on SQLite each filing runs alone: the same answers)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from models.command_log import CommandRecord
from models.filing_tables import OfferVersion
from models.tables import AuditRecord, Case, Offer
from states.batched_filing import execute_batch
from states.engine import execute, prepare
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.queries import verify_cases
from tests.conftest import dump, empty_tables
from tests.offer_forms import sample_offer_form
from tests.test_offer_filing import (
    FILED_AT,
    _real_call_with_a_representative,
    call,  # noqa: F401 - the fixture
    submit,
)
from tests.test_open_call_guards import KRS, session

FILE = open_call_handlers.file_offer_form


def _filing(command, actor, key: str, **options):
    return prepare(FILE, command, actor=actor, idempotency_key=key, **options)


def _keys(url: str) -> set[str]:
    with session(url) as s:
        return set(s.exec(select(CommandRecord.key)).all())


def _chain_verifies(url: str, code: str, actor) -> None:
    answer = execute(verify_cases, code, actor=actor, url=url, readonly=True)
    assert answer == {"verified": 1, "broken": []}


def test_a_refused_filing_in_a_batch_rolls_back_only_its_own_and_the_others_commit(call):  # noqa: F811
    url, code, people = call
    rep = people["rep"]
    wrong_lead = open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=KRS[0],
                                                        form=sample_offer_form(KRS[1]))  # the form names another
    outcomes = execute_batch([
        _filing(submit(code, title="Pierwsza"), rep, "batch-1", at=FILED_AT),
        _filing(wrong_lead, rep, "batch-2", at=FILED_AT),
        _filing(submit(code, title="Trzecia"), people["other"], "batch-3", at=FILED_AT),  # not her organisation
        _filing(submit(code, title="Czwarta"), rep, "batch-4", at=FILED_AT),
    ], code=code, url=url)
    assert [o.result["offer"] if o.result else None for o in outcomes] == [1, None, None, 2]
    assert outcomes[1].error.rule == "lead_offeror_not_organisation"
    assert outcomes[2].error.rule == "not_your_organisation"
    with session(url) as s:
        offers = s.exec(select(Offer.number, Offer.title).order_by(Offer.number)).all()
        assert offers == [(1, "Pierwsza"), (2, "Czwarta")]
        assert s.exec(select(func.count()).select_from(OfferVersion)).one() == 2
        assert s.exec(select(func.count()).select_from(AuditRecord)
                      .where(AuditRecord.event == "file_offer")).one() == 2
    # Each answer is recorded under its own key; a refused filing's key is not (its savepoint took it back).
    assert {"batch-1", "batch-4"} <= _keys(url) and not {"batch-2", "batch-3"} & _keys(url)
    _chain_verifies(url, code, people["officer"])
    # The refused one, corrected and sent again with its key, is filed: nothing of it was kept.
    again = execute_batch([_filing(submit(code, title="Druga"), rep, "batch-2", at=FILED_AT)], code=code, url=url)
    assert again[0].result["offer"] == 3


def test_the_same_key_twice_in_one_batch_files_one_offer_and_another_body_under_it_is_refused(call):  # noqa: F811
    url, code, people = call
    rep = people["rep"]
    outcomes = execute_batch([
        _filing(submit(code, title="Raz"), rep, "twice", at=FILED_AT),
        _filing(submit(code, title="Raz"), rep, "twice", at=FILED_AT),  # a retry that caught up with its first
        _filing(submit(code, title="Inna"), rep, "twice", at=FILED_AT),  # another submission under the same key
    ], code=code, url=url)
    assert outcomes[0].result == outcomes[1].result and outcomes[0].result["offer"] == 1
    assert outcomes[2].error.rule == "idempotency_key_reused"
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Offer)).one() == 1
    before = dump(url)
    later = execute_batch([_filing(submit(code, title="Raz"), rep, "twice", at=FILED_AT)], code=code, url=url)
    assert later[0].result == outcomes[0].result  # the command log answers a later retry too
    assert dump(url) == before


def test_a_filing_that_arrived_before_the_deadline_is_accepted_in_a_batch_committed_after_it_and_one_after_is_refused(
        real_db_url, monkeypatch):
    code, rep, _, krs, form = _real_call_with_a_representative(real_db_url, monkeypatch)

    def command(title: str):
        return open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=krs,
                                            form={**form, "task": {**form["task"], "title": title}})

    deadline = datetime.now(UTC) - timedelta(seconds=5)  # it has just passed: the batch is written after it
    with session(real_db_url) as s:
        s.exec(sa.update(Case).where(Case.code == code).values(offer_deadline=deadline))
        s.commit()
    in_time = deadline - timedelta(seconds=1)
    outcomes = execute_batch([
        _filing(command("W ostatniej sekundzie"), rep, "eve-1", arrived_at=in_time),
        _filing(command("Sekundę po terminie"), rep, "eve-2", arrived_at=deadline + timedelta(seconds=1)),
        _filing(command("Tuż przed terminem"), rep, "eve-3", arrived_at=deadline - timedelta(milliseconds=1)),
    ], code=code, url=real_db_url)
    assert outcomes[1].error.rule == "offer_late"
    assert [datetime.fromisoformat(outcomes[i].result["received_at"]) for i in (0, 2)] == [
        in_time, deadline - timedelta(milliseconds=1)]
    with session(real_db_url) as s:
        received = s.exec(select(Offer.received_at).order_by(Offer.number)).all()
        written = s.exec(select(AuditRecord.recorded_at).where(AuditRecord.event == "file_offer")).all()
    assert len(received) == 2 and all(moment <= deadline for moment in received)
    assert all(moment > deadline for moment in written)  # committed after the deadline, received before it


def test_concurrent_batches_into_one_call_each_file_once_and_the_chain_verifies(real_db_url, monkeypatch):
    """Batches in several threads (as the application's worker processes each run theirs) take turns for the call's
    row; every filing is written once with its own number, the case's clock never runs backwards, the chain holds."""
    code, rep, _, krs, form = _real_call_with_a_representative(real_db_url, monkeypatch)
    from tests.people_fixtures import person

    def batch(n: int):
        return execute_batch([
            _filing(open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=krs,
                                                 form={**form, "task": {**form["task"], "title": f"Zadanie {n}-{i}"}}),
                    rep, f"rush-{n}-{i}", arrived_at=datetime.now(UTC)) for i in range(5)], code=code, url=real_db_url)

    with ThreadPoolExecutor(4) as pool:
        outcomes = [o for found in pool.map(batch, range(4)) for o in found]
    assert sorted(o.result["offer"] for o in outcomes) == list(range(1, 21))
    with session(real_db_url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        moments = s.exec(select(AuditRecord.at).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq)).all()
    assert moments == sorted(moments)
    _chain_verifies(real_db_url, code, person(real_db_url, "aud", "Audytorka", "auditor")[0])


def test_the_json_doors_rush_goes_through_the_queue_and_each_files_once(real_db_url, monkeypatch):
    """The door's own path (web/portal_api.py ``_submit``: prepared, then put on the call's queue) from many threads
    at once, a retry among them: each intent filed once."""
    from web import portal_api

    code, _, token, krs, form = _real_call_with_a_representative(real_db_url, monkeypatch)
    monkeypatch.setenv("COOP_GROUP_COMMIT", "1")
    assert portal_api.group_commit()
    bodies = [{"code": code, "organisation_krs": krs, "form": {**form, "task": {**form["task"], "title": f"Z {n}"}}}
              for n in range(12)]
    sends = [(n, f"door-{n}") for n in range(12)] + [(3, "door-3")]  # the same intent sent twice
    with ThreadPoolExecutor(13) as pool:
        answers = list(pool.map(lambda send: portal_api._submit(real_db_url, token, send[1], bodies[send[0]],
                                                                datetime.now(UTC)), sends))
    assert sorted(a["offer"] for a in answers[:12]) == list(range(1, 13))
    assert answers[12] == answers[3]
    with session(real_db_url) as s:
        assert s.exec(select(func.count()).select_from(Offer)).one() == 12


@pytest.fixture
def real_pg_url(real_postgresql_url):
    """PostgreSQL only: on SQLite no filing is batched (each runs alone, as execute runs it)."""
    empty_tables(real_postgresql_url)
    return real_postgresql_url


@pytest.mark.parametrize("where", ["before the commit", "the commit unanswered"])
def test_a_batch_whose_transaction_fails_answers_each_filing_as_execute_would(real_pg_url, monkeypatch, where):
    """A database fault before the COMMIT: nothing of the batch was written and each filing runs again alone; a COMMIT
    without an answer: each filing's key decides (written: its answer stands; the database out of reach: outcome
    unknown, and the retry with the same key is decided by the command log)."""
    from sqlalchemy.exc import OperationalError

    from models import db
    from models.db import OutcomeUnknown, UnitOfWork

    code, rep, _, krs, form = _real_call_with_a_representative(real_pg_url, monkeypatch)

    filings = [_filing(open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=krs, form={
        **form, "task": {**form["task"], "title": f"Z {n}"}}), rep, f"fault-{n}", arrived_at=datetime.now(UTC))
        for n in range(3)]
    real_commit = UnitOfWork.commit
    faults = []

    def failing_commit(self, *args, **kwargs):
        if faults:  # once only: what runs after the batch commits as it would
            return real_commit(self, *args, **kwargs)
        faults.append(True)
        if where == "before the commit":
            raise OperationalError("COMMIT", {}, Exception("connection reset"))
        real_commit(self, *args, **kwargs)  # written, but its answer lost on the way back
        self.committing = True
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(UnitOfWork, "commit", failing_commit)
    if where == "the commit unanswered":
        monkeypatch.setattr(db, "look_up_after_doubt", lambda key, url, backoff, tries=5: None)  # out of reach
    outcomes = execute_batch(filings, code=code, url=real_pg_url)
    monkeypatch.undo()
    if where == "before the commit":
        assert sorted(o.result["offer"] for o in outcomes) == [1, 2, 3]
    else:
        assert all(isinstance(o.error, OutcomeUnknown) and o.error.rule == "outcome_unknown" for o in outcomes)
        again = execute_batch(filings, code=code, url=real_pg_url)  # the retries, with the same keys
        assert sorted(o.result["offer"] for o in again) == [1, 2, 3]
    with session(real_pg_url) as s:
        assert s.exec(select(func.count()).select_from(Offer)).one() == 3


def test_the_moment_of_receipt_is_taken_when_the_request_reaches_the_application_before_any_middleware(db_url):
    """B6: under load the desk's own middleware and a busy event loop delayed the door's own stamp past the deadline
    for offers that had reached the application before it; the application's outermost layer takes it now."""
    import asyncio

    from web.app import create_app
    from web.portal_api import ARRIVED_AT, Arrival

    seen = {}

    async def inner(scope, receive, send):
        seen.update(scope["state"])

    before = datetime.now(UTC)
    asyncio.run(Arrival(inner)({"type": "http"}, None, None))
    assert before <= seen[ARRIVED_AT] <= datetime.now(UTC)
    assert create_app(db_url).user_middleware[0].cls is Arrival  # the first listed is the outermost
