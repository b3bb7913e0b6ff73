"""``coop todo`` (states/todo.py): what waits for a person across the procedures, overdue first, read-only.
SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import coop.core_cli  # noqa: F401  (registers the command groups)
from coop.cli import app
from states.procedures.open_call import handlers as oc
from states.procedures.open_call import inputs as oc_inputs
from tests.conftest import dump
from tests.test_open_call_guards import (
    ANNOUNCED_AT,
    MEMBERS,
    announced_call,
    announcement,
    appoint,
    close_offers,
    create,
    declare,
    do,
    file,
    in_substantive_review,
    score,
)


def todo(cli, *args: str, role: str = "officer", actor: str | None = None, at: str = "2026-01-26T12:00+01:00",
         lang: str = "pl"):
    extra = ("--actor", actor) if actor else ()
    result = cli("todo", "--json", *extra, *args, role=role, at=at, lang=lang)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def in_formal_review(url: str) -> str:
    """Two offers in formal review: the first asked for a correction (7 days: KPA art. 64 § 2)."""
    code = announced_call(url)
    appoint(url, code)
    file(url, code, 0)
    file(url, code, 1, at="2026-01-13T10:00+01:00")
    close_offers(url)
    do(url, oc.review_offer, oc_inputs.ReviewOffer(code=code, number=1, decision="correct", defects=("brak podpisu",)),
       "2026-01-26T10:00+01:00")
    return code


def test_an_officer_sees_the_formal_review_to_finish_with_its_due_moment_and_basis(cli):
    code = in_formal_review(cli.url)
    before = dump(cli.url)
    items = todo(cli)
    assert dump(cli.url) == before  # read-only
    review = [i for i in items if i["code"] == code and i["offer"] is None]
    assert len(review) == 1
    [step] = review
    assert step["what"] == "Zakończ ocenę formalną ofert"
    assert step["procedure"] == "open_call" and "art. 15 ust. 1" in step["basis"]
    assert step["due"] is not None and step["due"].endswith("+01:00")  # Warsaw time
    assert step["overdue"] is False
    offers = {i["offer"]: i for i in items if i["offer"] is not None}
    assert offers[1]["what"] == "Rozpatrz poprawioną ofertę" and offers[1]["due"] == step["due"]
    assert offers[2]["what"] == "Oceń ofertę formalnie" and offers[2]["due"] is None
    # a week later the correction window has passed: the review is overdue, and listed first
    later = todo(cli, at="2026-02-10T12:00+01:00")
    assert later[0]["overdue"] is True and later[0]["code"] == code
    assert [i["overdue"] for i in later] == sorted((i["overdue"] for i in later), reverse=True)
    assert {i["offer"] for i in todo(cli, "--overdue", at="2026-02-10T12:00+01:00")} == {None, 1}
    english = todo(cli, lang="en")
    assert "Finish the formal review of the offers" in {i["what"] for i in english}


def test_the_human_table_shows_warsaw_time(cli):
    in_formal_review(cli.url)
    result = cli("todo", at="2026-01-26T12:00+01:00")
    assert result.exit_code == 0, result.output
    assert "Zakończ ocenę formalną ofert" in result.stdout and "art. 15 ust. 1" in result.stdout


def test_a_member_sees_only_her_own_calls_pending_scores_and_not_after_scoring(cli):
    code = in_substantive_review(cli.url)
    other = create(cli.url)  # another call, where she does not sit
    do(cli.url, oc.announce_call, announcement(other), ANNOUNCED_AT)
    appoint(cli.url, other, members=("Zofia Obca",))
    member = MEMBERS[0]
    at = "2026-02-03T12:00+01:00"
    first = todo(cli, role="committee_member", actor=member, at=at)
    assert [(i["code"], i["what"], i["offer"]) for i in first] == [
        (code, "Złóż oświadczenia o bezstronności dla ofert konkursu", None)]
    declare(cli.url, code, member)
    pending = todo(cli, role="committee_member", actor=member, at=at)
    assert [(i["code"], i["offer"], i["role"]) for i in pending] == [(code, n, "committee_member") for n in (1, 2, 3)]
    score(cli.url, code, 2, member)
    assert [i["offer"] for i in todo(cli, role="committee_member", actor=member, at=at)] == [1, 3]
    # another member's list is her own; a stranger to the call sees nothing of it
    assert todo(cli, role="committee_member", actor=MEMBERS[1], at=at)[0]["what"].startswith("Złóż")
    assert todo(cli, role="committee_member", actor="Zofia Obca", at=at) == []
    # the officer sees no scoring step (the committee's work)
    assert all(i["role"] == "officer" for i in todo(cli, at=at))


def test_the_json_shape(cli):
    in_formal_review(cli.url)
    [first, *_] = todo(cli)
    assert set(first) == {"code", "offer", "procedure", "procedure_title", "what", "role", "basis", "due", "overdue"}


def test_filter_by_procedure_and_an_unknown_procedure_is_refused(cli):
    in_formal_review(cli.url)
    assert todo(cli, "--procedure", "small_grant") == []
    assert todo(cli, "--procedure", "open_call")
    refused = cli("todo", "--procedure", "nope", at="2026-01-26T12:00+01:00")
    assert refused.exit_code == 2
    assert "nope" in refused.stderr and "open_call" in refused.stderr and "Traceback" not in refused.output


@pytest.mark.parametrize("slug", ["open_call", "small_grant", "consultation", "local_initiative", "regranting"])
def test_every_procedure_declares_what_waits_in_its_own_states_with_its_machines_basis(slug):
    """Each step names a state of its machine, an event of it whose basis the machine declares (the list cites
    no article of its own), and, when it waits only during some states of the case, states of the case's
    machine."""
    from states.procedures import machine_of_kind, procedure
    from states.todo import basis_of

    each = procedure(slug)
    assert each.waiting_steps()
    for step in each.waiting_steps():
        machine = each.machine_class(step.machine) if step.machine else machine_of_kind(step.kind)
        states = {s.value for s in machine.states}
        assert step.state is None and step.track == "sub_call" or str(step.state) in states, (slug, step)
        if step.event is None:  # a step that is no event: its basis is its deadline row's
            assert step.deadline and step.pending, (slug, step)
            continue
        assert step.event in {e.id for e in machine.events} | set(machine.AFTER_FINAL), (slug, step)
        assert basis_of(each, step.kind, step.event, step.machine) == machine.BASIS[step.event] != "", (slug, step)
        call = machine_of_kind(slug)
        assert {str(s) for s in step.during} <= {s.value for s in call.states}, (slug, step)


def test_a_token_proven_member_sees_the_calls_she_holds_the_seat_of(db_url, tmp_path, monkeypatch):
    """A proven person: her seat is the committee row under her name on a call she holds ``committee_member``
    for; her token's person, not a claimed name, decides (a grant for another call shows nothing there)."""
    from states.engine import execute
    from states.people import authenticate, forget_verified
    from states.todo import Query, waiting
    from tests.people_fixtures import person

    forget_verified()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    code = in_substantive_review(db_url)
    _, token = person(db_url, "jan", MEMBERS[0], ("committee_member", code))
    other = create(db_url)  # Ewa sits on the committee of this call, but holds the seat of another one
    _, stranger = person(db_url, "ewa", MEMBERS[1], ("committee_member", other))
    forget_verified()
    jan = authenticate(token, url=db_url, role="committee_member")
    items = execute(waiting, Query(), actor=jan, url=db_url, readonly=True, at="2026-02-03T12:00+01:00")
    assert [(i.code, i.role, i.offer) for i in items] == [(code, "committee_member", None)]  # declare first
    ewa = authenticate(stranger, url=db_url, role="committee_member")
    assert execute(waiting, Query(), actor=ewa, url=db_url, readonly=True, at="2026-02-03T12:00+01:00") == []
    result = CliRunner().invoke(app, ["todo", "--json"], env={"COOP_DATABASE_URL": db_url, "COOP_TOKEN": token,
                                                             "COOP_LANG": "en", "COOP_NOW": "2026-02-03T12:00+01:00"})
    assert result.exit_code == 0, result.output
    assert [i["what"] for i in json.loads(result.stdout)] == ["Declare conflicts of interest for the call's offers"]


def test_a_few_set_based_queries_however_many_cases(db_url):
    """Officer's list: one statement for every procedure's steps with their due moments, whatever the number of
    calls (never one per case)."""
    import sqlalchemy as sa

    from models.db import get_engine, normalise_url
    from states.actors import Actor
    from states.engine import execute
    from states.todo import Query, waiting

    in_formal_review(db_url)
    for _ in range(3):
        other = create(db_url)
        do(db_url, oc.announce_call, announcement(other), ANNOUNCED_AT)
    statements: list[str] = []
    engine = get_engine(normalise_url(db_url))

    def count(conn, cursor, statement, *args):
        if "deadlines" in statement or "offers" in statement or "cases" in statement:
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        items = execute(waiting, Query(), actor=Actor("Anna Urzędniczka", "officer"), url=db_url, readonly=True,
                        at="2026-01-26T12:00+01:00")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(items) == 3
    assert len(statements) == 1, statements
