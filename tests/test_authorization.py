"""The authorization matrix (states/authorization.py), declared once and enforced by the one writer (invariant 9):
every handler of the engine is in it, docs/authorization.md is generated from it, and a sweep runs every
(role, command, case relation) through ``execute`` and checks it is allowed or refused as the matrix says.
SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import importlib
import inspect
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import select

from models.tables import Offer, Organisation
from states import authorization, inputs
from states.actors import ROLES, Actor
from states.authorization import ANY, CASE, FILER, MATRIX, ORGANISATION, OWNER, command_name
from states.engine import execute
from states.errors import NotPermitted
from states.people import authenticate
from states.procedures import PROCEDURES
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from tests.conftest import dump
from tests.people_fixtures import person
from tests.test_open_call_guards import KRS, MEMBERS, declare, in_substantive_review, score_cmd, session

ROOT = Path(__file__).resolve().parent.parent
# Where the engine's handlers live: every public function taking ``ctx`` first there is a command, except the
# deadline callbacks the tick calls itself (``(ctx, case, deadline)``: inside its batch, never through
# ``execute``) and a few helpers the handlers call.
HANDLER_MODULES = ("states.cases", "states.queries", "states.tick", "states.anchors", "states.auditing.history",
                   "states.auditing.compliance", "states.auditing.annual_report", "states.auditing.open_data",
                   "notifications.handlers", "notifications.setting_handlers", "flows.evaluation", "flows.summaries",
                   "flows.artifacts", "flows.opening", "states.people", "states.todo", "states.credentials",
                   "states.offer_filings", "states.offer_drafts", "states.portal_accounts", "states.offer_attachments",
                   "states.report_filings", "states.public_comments", "states.password_reset",
                   "states.initiative_drafts",
                   # every registered procedure's handlers: a new procedure's commands must be in the matrix too
                   *(procedure.handlers.__name__ for procedure in PROCEDURES))
NOT_COMMANDS = {"regranting.implementers", "cases.claimed_before", "cases.received_moment", "anchors.notify_public",
                "people.appointee", "people.grant_seat", "offer_filings.add_version", "report_filings.file_report",
                "credentials.store_password", "local_initiative.receive", "report_filings.file_on_form",
                "portal_accounts.new_link", "credentials.revoke_sessions", "initiative_drafts.discard_filed"}  # helpers a handler calls in its transaction


def engine_handlers() -> dict[str, object]:
    found = {}
    for module_name in HANDLER_MODULES:
        module = importlib.import_module(module_name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module_name or name.startswith("_"):
                continue
            parameters = list(inspect.signature(fn).parameters)
            if (parameters[:1] == ["ctx"] and parameters[1:3] != ["case", "deadline"]
                    and command_name(fn) not in NOT_COMMANDS):
                found[command_name(fn)] = fn
    return found


def test_every_handler_of_the_engine_is_in_the_matrix_and_every_entry_is_a_handler():
    handlers = engine_handlers()
    assert len(handlers) >= 90
    assert set(handlers) == set(MATRIX), (set(handlers) ^ set(MATRIX))
    for rule in MATRIX.values():
        assert set(rule) <= set(ROLES) and set(rule.values()) <= {ANY, CASE, ORGANISATION, FILER, OWNER}


def test_no_handler_declares_its_own_roles_any_more():
    """One place: no ``@permitted`` left beside the matrix."""
    for path in [*ROOT.glob("states/**/*.py"), *ROOT.glob("flows/*.py"), *ROOT.glob("notifications/*.py")]:
        assert "@permitted" not in path.read_text(encoding="utf-8"), path


def test_docs_authorization_md_is_generated_from_the_matrix():
    assert (ROOT / "docs" / "authorization.md").read_text(encoding="utf-8") == authorization.markdown()
    checked = subprocess.run([sys.executable, "tools/authorization_table.py", "--check"], cwd=ROOT,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- the sweep ----------------------------------------------------------------------------------------------------


def probe(handler):
    """Stands in for ``handler`` in ``execute`` (the matrix knows it by its name, through ``__wrapped__`` as it
    knows flows/evaluation.py's wrappers) and only says that the writer let it run: the handler's own rules are
    not what the sweep tests."""

    @functools.wraps(handler)
    def reached(ctx, command=None):
        return "reached"

    return reached


@pytest.fixture
def world(db_url):
    """A call in substantive review (its offers filed by the first organisations), a second call, and a proven
    person for every role and relation: a committee member of this call and of the other one, a representative
    of offer 1's organisation and of an organisation with no offer here."""
    code = in_substantive_review(db_url)
    other = execute(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Inny", task_area="sport", budget="1000"),
                    actor=person(db_url, "anna", "Anna Urzędniczka", "officer")[0], url=db_url,
                    at="2026-02-01T09:00+01:00")["code"]
    with session(db_url) as s:
        offer_org = s.exec(select(Organisation.krs).join(Offer, Offer.organisation_id == Organisation.id)
                           .where(Offer.number == 1)).first()
    stranger_org = next(k for k in KRS[:6] if k != offer_org)
    tokens = {
        ("officer", "global"): person(db_url, "olga", "Olga Urzędniczka", "officer")[1],
        ("auditor", "global"): person(db_url, "rewident", "Rewident", "auditor")[1],
        ("scheduler", "global"): person(db_url, "operator", "Operator", "scheduler")[1],
        ("administrator", "global"): person(db_url, "adm2", "Druga Administratorka", "administrator")[1],
        ("public", "global"): person(db_url, "ktos", "Ktoś z miasta")[1],
        ("committee_member", "this case"): person(db_url, "jan", MEMBERS[0], ("committee_member", code))[1],
        ("committee_member", "another case"): person(db_url, "ewa", "Ewa z innej komisji",
                                                     ("committee_member", other))[1],
        ("applicant", "own organisation"): person(db_url, "rep", "Reprezentant", ("applicant", offer_org))[1],
        ("applicant", "another organisation"): person(db_url, "rep2", "Inny reprezentant",
                                                      ("applicant", stranger_org))[1],
    }
    actors = {key: authenticate(token, url=db_url, role=key[0]) for key, token in tokens.items()}
    return db_url, code, actors


def expected(rule: dict[str, str], role: str, relation: str) -> bool:
    needed = rule.get(role)
    # ``owner``: the sweep's command names no organisation, so it is the proven person's own draft
    return needed in (ANY, OWNER) or (needed == CASE and relation == "this case") or (
        needed == ORGANISATION and relation == "own organisation")


def test_the_sweep_every_role_command_and_relation_through_the_one_writer(world):
    url, code, actors = world
    handlers = engine_handlers()
    command = SimpleNamespace(code=code, number=1)
    before = dump(url)
    outcomes = {True: 0, False: 0}
    for name, rule in sorted(MATRIX.items()):
        stand_in = probe(handlers[name])
        for (role, relation), actor in actors.items():
            allowed = expected(rule, role, relation)
            try:
                answer = execute(stand_in, command, actor=actor, url=url, readonly=True)
            except NotPermitted as refusal:
                assert not allowed, f"{name} refused {role} ({relation}): {refusal.message()}"
                assert refusal.rule in ("role_not_permitted", "not_granted_for_case", "not_your_organisation",
                                        "not_your_filing")
            else:
                assert allowed and answer == "reached", f"{name} let {role} ({relation}) run"
            outcomes[allowed] += 1
    assert dump(url) == before
    assert outcomes[True] > 150 and outcomes[False] > 400  # both sides of the matrix were tried


def test_a_committee_member_of_one_call_is_refused_in_another(world):
    url, code, actors = world
    for member in MEMBERS:
        declare(url, code, member)
    elsewhere = actors[("committee_member", "another case")]
    before = dump(url)
    for handler, command in ((open_call_handlers.score_offer, score_cmd(code, 1, elsewhere.name)),
                             (open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts(code=code, member=elsewhere.name))):
        with pytest.raises(NotPermitted) as info:
            execute(handler, command, actor=elsewhere, url=url, at="2026-02-05T09:00+01:00")
        assert info.value.rule == "not_granted_for_case" and info.value.basis == "art. 15 ust. 2a"
        assert code in info.value.message()
    assert dump(url) == before
    # the member of this call scores in her own seat, recorded under her name
    here = actors[("committee_member", "this case")]
    execute(open_call_handlers.score_offer, score_cmd(code, 1, here.name), actor=here, url=url, at="2026-02-05T09:00+01:00")


def test_a_representative_withdraws_only_their_own_organisations_offer(world):
    url, code, actors = world
    before = dump(url)
    with pytest.raises(NotPermitted) as info:
        execute(open_call_handlers.withdraw_offer, inputs.OfferRef(code=code, number=1), actor=actors[("applicant", "another organisation")],
                url=url, at="2026-02-05T09:00+01:00")
    assert info.value.rule == "not_your_organisation"
    assert dump(url) == before


def test_the_sweep_of_typed_names_on_a_simulation_database(db_url):
    """A name typed on a simulation database holds no grants: its role decides, a committee member's seat is the
    handlers' (by name), and it represents no organisation."""
    handlers = engine_handlers()
    command = SimpleNamespace(code="OK/2026/001", number=1)
    for name, rule in sorted(MATRIX.items()):
        stand_in = probe(handlers[name])
        for role in ROLES:
            allowed = rule.get(role) in (ANY, CASE)
            try:
                answer = execute(stand_in, command, actor=Actor("Ktoś", role), url=db_url, readonly=True)
            except NotPermitted as refusal:
                assert not allowed, f"{name} refused a typed {role}: {refusal.message()}"
            else:
                assert allowed and answer == "reached", f"{name} let a typed {role} run"
