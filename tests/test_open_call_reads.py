"""An officer's step reads its call's rows plainly (offers, members, declarations, scores): a row added in the
same transaction is seen, a rolled-back row is not, a new score changes the ranking at once. (The tick's reads
are loaded for its whole batch: tests/test_batch_loaders.py.)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select

from coop.demo import MEMBERS
from models.db import UnitOfWork
from models.tables import CommitteeMember, ConflictDeclaration, Offer
from states.cases import load_case
from states.engine import Actor, execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.open_call.machine import (
    add_declarations,
    add_member,
    add_scores,
    declarations_of,
    members_of,
    offers_of,
    ranking,
    scored_pairs,
)
from tests.prefect_fixtures import call_in_scoring, prefect_api, register_organisations  # noqa: F401

KEYS = ("capacity", "costs", "quality", "own_funds", "contribution", "track_record")


def _scoring(url: str) -> str:
    register_organisations(url)
    return call_in_scoring(url)


def _new_offer(case, number: int, organisation_id: int) -> Offer:
    return Offer(case_id=case.id, number=number, organisation_id=organisation_id, title="dopisana",
                 requested_grant=Decimal("1000.00"), task_start=date(2026, 4, 1), task_end=date(2026, 6, 30),
                 received_at=case.created_at, state="received")


def test_a_row_added_in_the_transaction_is_seen_at_once(db_url, prefect_api):  # noqa: F811
    code = _scoring(db_url)
    with UnitOfWork(db_url) as uow:
        case = load_case(uow.session, code)
        before = offers_of(uow.session, case)
        members = members_of(uow.session, case)
        uow.session.add(_new_offer(case, 99, before[0].organisation_id))
        uow.session.add(CommitteeMember(case_id=case.id, name="Nowy Członek", appointed_at=case.created_at))
        assert [o.number for o in offers_of(uow.session, case)] == [o.number for o in before] + [99]
        assert len(members_of(uow.session, case)) == len(members) + 1


def test_a_rolled_back_row_is_forgotten(db_url, prefect_api):  # noqa: F811
    code = _scoring(db_url)
    with UnitOfWork(db_url) as uow:
        case = load_case(uow.session, code)
        numbers = [o.number for o in offers_of(uow.session, case)]
        savepoint = uow.session.begin_nested()
        uow.session.add(_new_offer(case, 99, offers_of(uow.session, case)[0].organisation_id))
        assert [o.number for o in offers_of(uow.session, case)] == [*numbers, 99]
        savepoint.rollback()
        assert [o.number for o in offers_of(uow.session, case)] == numbers


def test_a_new_score_changes_the_ranking_in_the_same_transaction(db_url, prefect_api):  # noqa: F811
    code = _scoring(db_url)
    for member in MEMBERS:
        execute(open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts(code=code, member=member, conflicts=()),
                actor=Actor(member, "committee_member"), at="2026-02-03T09:00+01:00", url=db_url)
    with UnitOfWork(db_url) as uow:
        case = load_case(uow.session, code)
        offer = offers_of(uow.session, case)[0]
        member = members_of(uow.session, case)[0]
        offer.state = "scored"  # as complete_scoring would: the ranking reads scored offers
        assert ranking(uow.session, case)[0].members == 0
        add_scores(uow.session, case, member, offer, dict.fromkeys(KEYS, Decimal(3)), case.created_at)
        assert (member.id, offer.id) in scored_pairs(uow.session, case)
        assert ranking(uow.session, case)[0].members == 1


def test_a_declaration_of_a_member_appointed_in_the_same_transaction_is_written(db_url, prefect_api):  # noqa: F811
    code = _scoring(db_url)
    with UnitOfWork(db_url) as uow:
        case = load_case(uow.session, code)
        offer = offers_of(uow.session, case)[0]
        member = add_member(uow.session, case, CommitteeMember(case_id=case.id, name="Nowy Członek",
                                                               appointed_at=case.created_at))  # written at once
        add_declarations(uow.session, case, member, [(offer, False)], "", case.created_at)
        assert declarations_of(uow.session, case)[(member.id, offer.id)] is False
        stored = uow.session.exec(select(ConflictDeclaration.conflict).where(
            ConflictDeclaration.member_id == member.id, ConflictDeclaration.offer_id == offer.id)).all()
        assert stored == [False]
