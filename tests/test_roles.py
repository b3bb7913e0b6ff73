"""Who may do what: every command acts for a named actor with a role; an auditor changes nothing, the
scheduler only fires deadlines, a committee member acts only in her own seat. (What the roles do not
prevent is written down in docs/trust-model.md.)"""

from __future__ import annotations

import inspect

import pytest
from sqlmodel import select

from models.tables import AuditRecord
from states.authorization import MATRIX, command_name
from states.engine import ROLES, SCHEDULER, Actor, execute
from states.errors import InvalidInput, NotPermitted
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.tick import fire_batch, tick
from tests.conftest import dump
from tests.test_open_call_guards import MEMBERS, declare, in_substantive_review, refused, score_cmd, session

READ_ONLY = {"show_ranking"}  # the only open-call handlers anyone may run: they read, never write


def handlers() -> dict[str, object]:
    """The open call's commands: its module's functions the authorization matrix names."""
    return {name: fn for name, fn in inspect.getmembers(open_call_handlers, inspect.isfunction)
            if fn.__module__ == open_call_handlers.__name__ and command_name(fn) in MATRIX}


def roles(fn) -> set[str]:
    return set(MATRIX[command_name(fn)])


MUTATING = sorted(name for name in handlers() if name not in READ_ONLY)


@pytest.mark.fast
def test_the_handlers_are_found_and_only_read_only_ones_admit_the_auditor():
    found = handlers()
    assert len(MUTATING) >= 15 and {"create_call", "file_offer", "score_offer", "settle_offer"} <= set(MUTATING)
    assert {name for name, fn in found.items() if "auditor" in roles(fn)} == READ_ONLY


@pytest.mark.parametrize("name", MUTATING)
@pytest.mark.parametrize("role", ["auditor", "scheduler", "public", "applicant"])
def test_no_mutating_open_call_command_admits_auditor_or_scheduler(db_url, name, role):
    """A typed name in these roles runs none of them; a representative proven by a token may withdraw their own
    organisation's offer only (tests/test_authorization.py)."""
    before = dump(db_url)
    with pytest.raises(NotPermitted) as info:
        execute(handlers()[name], object(), actor=Actor("ktoś", role), at="2026-01-05T09:00+01:00", url=db_url)
    assert info.value.exit_code == 5
    assert role in info.value.message() or info.value.rule == "not_your_organisation"
    assert dump(db_url) == before


@pytest.mark.parametrize("role", [r for r in ROLES if r != "scheduler"])
def test_only_the_scheduler_fires_deadlines(db_url, role):
    assert MATRIX[command_name(fire_batch)] == {"scheduler": "any"}
    before = dump(db_url)
    with pytest.raises(NotPermitted):
        tick("2026-01-24T08:00+01:00", url=db_url, actor=Actor("ktoś", role))
    assert dump(db_url) == before


def test_a_committee_member_cannot_declare_or_score_for_another(db_url):
    code = in_substantive_review(db_url)
    jan = Actor(MEMBERS[0], "committee_member")
    error = refused(db_url, NotPermitted, "art. 15 ust. 2a", open_call_handlers.declare_conflicts,
                    open_call_inputs.DeclareConflicts(code=code, member=MEMBERS[1]), "2026-02-03T09:00+01:00", jan)
    assert error.rule == "not_your_seat"
    for member in MEMBERS:
        declare(db_url, code, member)
    error = refused(db_url, NotPermitted, "art. 15 ust. 2a", open_call_handlers.score_offer, score_cmd(code, 1, MEMBERS[1]),
                    "2026-02-05T09:00+01:00", jan)
    assert error.rule == "not_your_seat" and MEMBERS[1] in error.message()
    # nor may a committee member run an officer's step
    refused(db_url, NotPermitted, None, open_call_handlers.select_offers,
            open_call_inputs.SelectOffers(code=code, grants={1: "1.00"}, decision_ref="Zarządzenie"), "2026-02-13T12:00+01:00", jan)


def test_every_audit_record_names_its_actor_and_role(db_url):
    code = in_substantive_review(db_url)
    for member in MEMBERS:
        declare(db_url, code, member)
    with session(db_url) as s:
        records = s.exec(select(AuditRecord)).all()
    assert records and all(r.actor.strip() and r.role in ROLES for r in records)
    by_event = {r.event: (r.actor, r.role) for r in records}
    assert by_event["close_offers"] == (SCHEDULER.name, "scheduler")
    assert by_event["declare_conflicts"][1] == "committee_member"
    assert by_event["create"] == ("Anna Urzędniczka", "officer")


@pytest.mark.parametrize(("name", "role", "rule"), [("", "officer", "actor_required"), ("  ", None, "actor_required"),
                                                    ("Anna", "admin", "unknown_role"), ("Anna", "root", "unknown_role")])
@pytest.mark.fast
def test_an_actor_needs_a_name_and_a_known_role(monkeypatch, name, role, rule):
    monkeypatch.delenv("COOP_ACTOR", raising=False)
    monkeypatch.delenv("COOP_ROLE", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "")
    with pytest.raises(InvalidInput) as info:
        Actor.from_environment(name, role)
    assert info.value.rule == rule
