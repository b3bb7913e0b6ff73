"""``coop todo``'s steps beyond the open call's formal review (states/todo.py): the Public Benefit Council's opinion,
the local initiative's committee evaluation, regranting's operator call and sub-call, the micro-grants' transfers;
each with the basis its machine (or its deadline row) gives; nothing listed before it can be taken. SQLite and
PostgreSQL, through the real handlers."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from models.db import get_engine, normalise_url
from states.actors import Actor
from states.calendar import WARSAW
from states.engine import execute
from states.procedures.consultation import handlers as consultation_handlers
from states.procedures.consultation import inputs as consultation_inputs
from states.procedures.consultation.machine import ConsultationMachine
from states.procedures.local_initiative import handlers as li
from states.procedures.local_initiative import inputs as li_inputs
from states.procedures.local_initiative.machine import LocalInitiativeMachine
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.open_call.machine import OfferMachine
from states.procedures.regranting import handlers as regranting_handlers
from states.procedures.regranting import inputs as regranting_inputs
from states.procedures.regranting.machine import MicroGrantMachine, SubCallMachine
from states.tick import tick
from states.todo import Query, waiting
from tests.regranting_fixtures import (
    IMPLEMENTERS,
    OPERATOR_CHANNELS,
    SELECTION_CHANNELS,
    contracted,
    micro,
    operator_selected,
)
from tests.test_consultation import CHANNELS, open_, programme
from tests.test_local_initiative import POINTS, application
from tests.test_open_call_guards import announced_call, appoint, file

OFFICER = Actor("Anna Urzędniczka", "officer")


def todo(url, at, actor=OFFICER, **query):
    return execute(waiting, Query(**query), actor=actor, url=url, readonly=True, at=at)


def mine(items, code):
    return [(str(i.what.in_language("en")), i.offer) for i in items if i.code == code]


def test_the_councils_opinion_waits_while_its_14_days_run_and_an_open_consultation_is_not_to_close(db_url):
    code = programme(db_url)["code"]
    open_(db_url, code)  # delivered to the RDPP on 30 October 10:00
    [item] = [i for i in todo(db_url, "2026-11-02T12:00+01:00") if i.code == code]
    assert str(item.what.in_language("pl")) == "Odnotuj opinię Rady Działalności Pożytku Publicznego"
    assert item.basis == "art. 41i ust. 2"  # no event: its deadline row's basis, the period's (states/periods.py)
    assert item.due.isoformat().startswith("2026-11-13") and not item.overdue
    # the comments close by the tick; then the report waits beside the opinion (still pending)
    tick("2026-11-07T00:00+01:00", url=db_url)
    closed = todo(db_url, "2026-11-08T12:00+01:00")
    assert sorted(mine(closed, code)) == [("Publish the consultation report", None),
                                         ("Record the Public Benefit Council's opinion", None)]
    report = next(i for i in closed if i.code == code and i.due is None)
    assert report.basis == ConsultationMachine.BASIS["publish_report"]
    # the opinion recorded: nothing of the Council waits any more
    execute(consultation_handlers.rdpp_opinion, consultation_inputs.RdppOpinion(code=code, opinion="Pozytywna."),
            actor=OFFICER, url=db_url, at="2026-11-09T10:00+01:00")
    assert mine(todo(db_url, "2026-11-09T12:00+01:00"), code) == [("Publish the consultation report", None)]


def test_the_councils_silence_ends_the_wait(db_url):
    code = programme(db_url)["code"]
    open_(db_url, code)
    tick("2026-11-20T00:00+01:00", url=db_url)  # 14 days passed without an opinion: waived (art. 41i ust. 2)
    assert mine(todo(db_url, "2026-11-20T12:00+01:00"), code) == [("Publish the consultation report", None)]


def test_a_consultation_without_the_council_waits_for_nothing_while_open(db_url):
    code = execute(consultation_handlers.create, consultation_inputs.CreateConsultation(
        title="Uchwała w sprawie targowisk", field="działalność pożytku publicznego"), actor=OFFICER, url=db_url,
        at="2027-04-28T09:00+02:00")["code"]
    execute(consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={c: "2027-04-29T09:00+02:00" for c in CHANNELS}), actor=OFFICER, url=db_url,
        at="2027-04-29T10:00+02:00")
    assert mine(todo(db_url, "2027-04-30T12:00+02:00"), code) == []


def test_the_local_initiatives_evaluation_waits_on_its_committee_and_the_officer(db_url):
    from states.people import forget_verified
    from tests.people_fixtures import person

    forget_verified()
    code = execute(li.file, application(), actor=OFFICER, url=db_url, at="2026-03-02T10:00+01:00")["code"]
    assert mine(todo(db_url, "2026-03-03T12:00+01:00"), code) == [("Check the application formally", None)]
    execute(li.formal_check, li_inputs.FormalCheck(code=code, passed=True), actor=OFFICER, url=db_url,
            at="2026-03-05T10:00+01:00")
    officer = [i for i in todo(db_url, "2026-03-06T12:00+01:00") if i.code == code]
    assert [(str(i.what.in_language("en")), i.role) for i in officer] == [
        ("Enter the committee's evaluation of the application", "officer")]
    assert officer[0].basis == LocalInitiativeMachine.BASIS["evaluate"]
    member, _ = person(db_url, "jan", "Jan Kowalski", ("committee_member", code))
    other = execute(li.file, application(title="Inny wniosek"), actor=OFFICER, url=db_url,
                    at="2026-03-02T11:00+01:00")["code"]
    execute(li.formal_check, li_inputs.FormalCheck(code=other, passed=True), actor=OFFICER, url=db_url,
            at="2026-03-05T11:00+01:00")
    items = todo(db_url, "2026-03-06T12:00+01:00", actor=member)
    assert [(i.code, str(i.what.in_language("pl")), i.role) for i in items] == [
        (code, "Oceń wniosek", "committee_member")]  # only the case she holds the seat of
    # a claimed name with no seat sees nothing; once evaluated, the member's step is gone and the decision waits
    assert todo(db_url, "2026-03-06T12:00+01:00", actor=Actor("Jan Kowalski", "committee_member")) == []
    execute(li.evaluate, li_inputs.EvaluateInitiative(code=code, points=POINTS), actor=OFFICER, url=db_url,
            at="2026-03-10T10:00+01:00")
    assert todo(db_url, "2026-03-11T12:00+01:00", actor=member) == []
    assert mine(todo(db_url, "2026-03-11T12:00+01:00"), code) == [("Decide on the application", None)]


def test_an_offer_is_not_to_review_before_the_offers_close(db_url):
    code = announced_call(db_url)
    appoint(db_url, code)
    file(db_url, code, 0)
    assert mine(todo(db_url, "2026-01-13T12:00+01:00"), code) == []  # the call still takes offers
    tick("2026-01-24T08:05+01:00", url=db_url)
    items = [i for i in todo(db_url, "2026-01-26T12:00+01:00") if i.code == code and i.offer == 1]
    assert [str(i.what.in_language("en")) for i in items] == ["Review the offer formally"]
    assert items[0].basis == OfferMachine.BASIS["accept_formally"]


def test_a_call_in_formal_review_without_a_committee_waits_for_one(db_url):
    """Art. 15 ust. 2a: the formal review cannot finish without a committee; the officer is told, with the
    machine's basis, and the step is gone once a member is appointed (projection and source tables agree)."""
    from states.procedures.open_call.machine import OpenCallMachine
    from tests.test_waiting_rows import agree

    code = announced_call(db_url)
    file(db_url, code, 0)
    tick("2026-01-24T08:05+01:00", url=db_url)  # the offers close: formal review, nobody appointed
    steps = [i for i in todo(db_url, "2026-01-26T12:00+01:00") if i.code == code and i.offer is None]
    [committee] = [i for i in steps if str(i.what.in_language("pl")) == "Powołaj komisję konkursową"]
    assert committee.basis == OpenCallMachine.BASIS["appoint_member"] == "art. 15 ust. 2a"
    assert agree(db_url, "2026-01-26T12:00+01:00") >= 2
    appoint(db_url, code, members=("Jan Kowalski",), at="2026-01-26T13:00+01:00")
    assert "Appoint the call's committee" not in [s for s, _ in mine(todo(db_url, "2026-01-26T14:00+01:00"), code)]
    agree(db_url, "2026-01-26T14:00+01:00")


def test_the_selection_waits_once_every_offer_is_scored_due_on_the_announced_selection_date(db_url):
    """Art. 15 ust. 1, ust. 2g: while an offer waits for its scores nothing waits on the officer; once all are
    scored the selection waits, due at the end of the selection date the announcement named (13 February 2026,
    Warsaw time), overdue the day after; the projection agrees; a limit cuts the list where the whole would."""
    from states.procedures.open_call.machine import OpenCallMachine
    from tests.test_open_call_guards import MEMBERS, declare, in_substantive_review, score
    from tests.test_waiting_rows import agree

    code = in_substantive_review(db_url)
    for member in MEMBERS:
        declare(db_url, code, member)
    for number in (1, 2, 3):
        assert mine(todo(db_url, "2026-02-04T12:00+01:00"), code) == []  # offers still to score
        for member in MEMBERS:
            score(db_url, code, number, member)
    [select] = [i for i in todo(db_url, "2026-02-06T12:00+01:00") if i.code == code]
    assert str(select.what.in_language("pl")) == "Wybierz oferty i kwoty dotacji"
    assert select.basis == OpenCallMachine.BASIS["select_offers"]
    assert select.due.astimezone(WARSAW).isoformat() == "2026-02-13T23:59:59+01:00" and not select.overdue
    assert agree(db_url, "2026-02-06T12:00+01:00") == 1
    [late] = todo(db_url, "2026-02-14T08:00+01:00", overdue=True, limit=1)
    assert (late.code, late.overdue) == (code, True)
    assert agree(db_url, "2026-02-14T08:00+01:00", query=Query(overdue=True)) == 1


def test_regranting_the_operators_contract_then_the_sub_call_then_the_transfers(db_url):
    code = operator_selected(db_url)
    assert mine(todo(db_url, "2026-02-17T12:00+01:00"), code) == [("Sign the contract", 1)]
    code = code  # the same operator case, contracted below

    signed = execute(open_call_handlers.sign_contract, open_call_inputs.SignContract(
        code=code, number=1, contract_number="WSO.RG.1.2026", amount=Decimal("50000.00"), task_start="2026-03-01",
        task_end="2026-11-25"), actor=OFFICER, url=db_url, at="2026-02-27T10:00+01:00")
    [step] = [i for i in todo(db_url, "2026-02-28T12:00+01:00") if i.code == code]
    assert str(step.what.in_language("pl")) == "Odnotuj ogłoszenie naboru realizatorów przez operatora"
    assert step.basis == SubCallMachine.BASIS["announce_sub_call"]
    execute(regranting_handlers.announce_sub_call, regranting_inputs.AnnounceSubCall(
        code=code, deadline="2026-03-16", published=OPERATOR_CHANNELS), actor=OFFICER, url=db_url,
        at="2026-03-02T10:30+01:00")
    assert mine(todo(db_url, "2026-03-03T12:00+01:00"), code) == [
        ("Record the operator's published choice of implementers", None)]
    execute(regranting_handlers.publish_selection, regranting_inputs.PublishSubSelection(
        code=code, published=SELECTION_CHANNELS, chosen=tuple(i[0] for i in IMPLEMENTERS)), actor=OFFICER,
        url=db_url, at="2026-03-20T10:30+01:00")
    assert mine(todo(db_url, "2026-03-21T12:00+01:00"), code) == [("Record the implementers' contracts", None)]
    first = micro(db_url, code, 0, "2026-04-02T10:00+02:00")["code"]
    items = todo(db_url, "2026-04-03T12:00+02:00")
    # the sub-call is implementing: its micro-grants wait now, and the operator's report, due with its contract's
    [report] = [i for i in items if i.code == code]
    assert (str(report.what.in_language("pl")), report.offer) == ("Odnotuj sprawozdanie operatora", None)
    assert report.basis == SubCallMachine.BASIS["submit_operator_report"]
    assert report.due.astimezone(WARSAW).date() == signed["report_due"] and not report.overdue
    [transfer] = [i for i in items if i.code == first]
    assert str(transfer.what.in_language("en")) == "Transfer the funds to the grantee"
    assert transfer.basis == MicroGrantMachine.BASIS["transfer"]
    assert transfer.due.isoformat().startswith("2026-04-16") and not transfer.overdue
    tick("2026-04-17T00:00+02:00", url=db_url)
    [late] = [i for i in todo(db_url, "2026-04-17T12:00+02:00", overdue=True) if i.code == first]
    assert late.overdue


def test_the_lists_queries_do_not_grow_with_the_cases(db_url):
    """An officer's list over every procedure is one statement, a member's two here, with one operator call and
    one consultation or with three of each (never one per case)."""
    from states.people import forget_verified
    from tests.people_fixtures import person

    forget_verified()
    engine = get_engine(normalise_url(db_url))

    def statements(actor) -> tuple[int, int]:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            if any(t in statement for t in ("deadlines", "offers", "cases", "committee_members")):
                seen.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            items = todo(db_url, "2026-03-06T12:00+01:00", actor=actor)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(seen), len(items)

    def more_cases(n: int) -> list[str]:
        codes = []
        for k in range(n):
            programme_code = programme(db_url, at="2026-02-20T10:00+01:00")["code"]
            open_(db_url, programme_code, day="2026-03-02")
            codes.append(execute(li.file, application(title=f"Wniosek {k}"), actor=OFFICER, url=db_url,
                                 at="2026-03-02T10:00+01:00")["code"])
            execute(li.formal_check, li_inputs.FormalCheck(code=codes[-1], passed=True), actor=OFFICER, url=db_url,
                    at="2026-03-05T10:00+01:00")
        return codes

    contracted(db_url)
    codes = more_cases(1)
    member, _ = person(db_url, "jan", "Jan Kowalski", ("committee_member", codes[0]))
    few, few_items = statements(OFFICER)
    few_member, _ = statements(member)
    codes += more_cases(2)
    many, many_items = statements(OFFICER)
    assert many_items > few_items
    assert few == many == 1
    assert few_member == statements(member)[0] == 2  # her cases' steps, her seats on calls (none: no offers)


def test_the_first_steps_are_the_lists_first_and_a_limit_below_one_is_refused(db_url):
    """``Query.limit``: the database cuts the list where the whole list would be cut (overdue first, then by due
    moment); ``coop todo --limit 0`` is refused naming the rule, without a traceback."""
    from typer.testing import CliRunner

    import coop.core_cli  # noqa: F401  (registers the command groups)
    from coop.cli import app
    from states.errors import InvalidInput

    contracted(db_url)
    for _ in range(3):
        open_(db_url, programme(db_url)["code"])
    at = "2026-11-14T12:00+01:00"  # the first Council opinions are overdue
    whole = todo(db_url, at)
    assert len(whole) > 3 and whole[0].overdue
    for limit in (1, 2, 3, len(whole) + 5):
        assert todo(db_url, at, limit=limit) == whole[:limit]
    assert todo(db_url, at, limit=2, overdue=True) == [i for i in whole if i.overdue][:2]
    with pytest.raises(InvalidInput):
        todo(db_url, at, limit=0)
    result = CliRunner().invoke(app, ["todo", "--limit", "0"], env={
        "COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": "officer", "COOP_LANG": "pl",
        "COOP_NOW": at})
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "0" in result.output + (result.stderr or "")
