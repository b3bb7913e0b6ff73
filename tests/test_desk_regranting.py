"""The regranting operator's sub-call (art. 16a) on the case page: its state lives in the case's data, not in a
machine of the case's own (the descriptor's ``data_tracks``), and its steps are offered like the others: allowed
by SubCallMachine in the sub-call's state while the operator's contract runs, refused inline by the domain with
nothing written and nothing typed lost, taken once. FastAPI's TestClient; SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from models.db import get_engine
from models.tables import Case
from tests.conftest import dump
from tests.regranting_fixtures import IMPLEMENTERS, contracted, operator_selected
from tests.test_desk import client, csrf_of, desk_key, log_in, with_password  # noqa: F401  (desk_key: autouse)

SUB_CALL_STEPS = ("announce_sub_call", "publish_selection", "add_micro_grant", "operator_report", "review_operator_report")


def _officer(url, monkeypatch, now: str):
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    monkeypatch.setenv("COOP_NOW", now)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    c = client(url)
    log_in(c, "anna")
    return c


def _sub_call(url: str, code: str) -> dict:
    with Session(get_engine(url)) as session:
        return session.exec(select(Case).where(Case.code == code)).one().data.get("sub_call") or {}


def form_of(page: str, step: str) -> str:
    return page.split(f'id="step-{step}"')[1].split("</details>")[0]


def offered(page: str) -> list[str]:
    return [s for s in SUB_CALL_STEPS if f'id="step-{s}"' in page]


def test_the_sub_calls_running_states_are_the_calls():
    from states.procedures.open_call.names import CallState
    from states.procedures.regranting import SUB_CALL

    assert SUB_CALL.during == (CallState.in_execution.value,)


def test_before_the_operators_contract_no_sub_call_step_is_offered(db_url, monkeypatch):
    code = operator_selected(db_url)
    c = _officer(db_url, monkeypatch, "2026-02-17T12:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert offered(page) == []


def test_the_sub_calls_steps_are_offered_refused_inline_and_taken_on_the_case_page(db_url, monkeypatch):
    code = contracted(db_url)
    c = _officer(db_url, monkeypatch, "2026-03-02T10:30+01:00")
    page = c.get(f"/sprawy/{code}").text
    # the sub-call not started is in its machine's initial state; only its announcement is offered, with its basis
    assert "nabór planowany" in page.split('id="stages-heading"')[1].split("</nav>")[0]
    assert offered(page) == ["announce_sub_call"]
    form = form_of(page, "announce_sub_call")
    assert "art. 16a ust. 1" in form and 'name="published.operator_website"' in form and 'name="published.bip"' in form
    # refused by the domain (one channel missing), beside its field, nothing written, what was typed kept
    before = dump(db_url)
    refused = c.post(f"/sprawy/{code}/krok/announce_sub_call", data={
        "csrf": csrf_of(page), "intent": "a" * 32, "deadline": "2026-03-16",
        "published.operator_website": "2026-03-02T09:00"})
    assert refused.status_code == 422 and dump(db_url) == before
    form = form_of(refused.text, "announce_sub_call")
    assert 'role="alert"' in form and "Traceback" not in refused.text
    assert "art. 16a" in form and 'value="2026-03-16"' in form and 'value="2026-03-02T09:00"' in form
    # taken: the sub-call announced, recorded once (a second press of the same form does nothing twice)
    data = {"csrf": csrf_of(page), "intent": "b" * 32, "deadline": "2026-03-16",
            "published.operator_website": "2026-03-02T09:00", "published.bip": "2026-03-02T10:00"}
    done = c.post(f"/sprawy/{code}/krok/announce_sub_call", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert _sub_call(db_url, code)["state"] == "announced"
    again = c.post(f"/sprawy/{code}/krok/announce_sub_call", data=data, follow_redirects=False)
    assert again.status_code == 403 and _sub_call(db_url, code)["state"] == "announced"  # no longer allowed
    shown = c.get(done.headers["location"]).text
    assert offered(shown) == ["publish_selection"]
    assert "Anna Urzędniczka" in shown.split('id="history-heading"')[1]


def test_the_chosen_implementers_contracts_then_the_operators_report(db_url, monkeypatch):
    from tests.regranting_fixtures import selection_published

    code = selection_published(db_url)
    c = _officer(db_url, monkeypatch, "2026-04-02T10:00+02:00")
    page = c.get(f"/sprawy/{code}").text
    assert offered(page) == ["add_micro_grant"]
    name, address, scope, amount = IMPLEMENTERS[0]
    fields = {"implementer": name, "address": address, "scope": scope, "contract_number": "CIL/1/2026",
              "task_start": "2026-05-01", "task_end": "2026-09-30"}
    # above the operator's grant: the domain's refusal (art. 16a) beside the amount, nothing written
    before = dump(db_url)
    refused = c.post(f"/sprawy/{code}/krok/add_micro_grant", data={
        "csrf": csrf_of(page), "intent": "c" * 32, **fields, "amount": "60000.00"})
    assert refused.status_code == 422 and dump(db_url) == before
    assert 'role="alert"' in form_of(refused.text, "add_micro_grant") and 'value="60000.00"' in refused.text
    done = c.post(f"/sprawy/{code}/krok/add_micro_grant", data={
        "csrf": csrf_of(page), "intent": "d" * 32, **fields, "amount": str(amount)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert _sub_call(db_url, code)["state"] == "implementing"
    shown = c.get(f"/sprawy/{code}").text
    assert offered(shown) == ["add_micro_grant", "operator_report"]  # more contracts, or the report
    # the report before the implementer's own: refused (art. 16a; art. 18 ust. 1), nothing written
    before = dump(db_url)
    refused = c.post(f"/sprawy/{code}/krok/operator_report", data={
        "csrf": csrf_of(shown), "intent": "e" * 32, "own_costs": "0", "summary": "Sprawozdanie"})
    assert refused.status_code == 422 and dump(db_url) == before
    assert "art. 18 ust. 1" in form_of(refused.text, "operator_report")


# --- the operator's open call (art. 16a ust. 1), borrowed from the open call (the descriptor's ``borrows``) ------

CALL_STEPS = ("announce_call", "appoint_member", "declare_conflicts", "review_offer", "finish_formal_review",
              "score_offer", "select_offers", "publish", "withdraw_offer", "sign_contract", "review_report",
              "submit_report", "settle_offer", "settle_operator", *SUB_CALL_STEPS)


def steps_on(page: str) -> list[str]:
    return [s for s in CALL_STEPS if f'id="step-{s}"' in page]


def _call_state(url: str, code: str) -> str:
    with Session(get_engine(url)) as session:
        return session.exec(select(Case).where(Case.code == code)).one().state


def _post(c, code: str, step: str, page: str, intent: str, **data):
    return c.post(f"/sprawy/{code}/krok/{step}", data={"csrf": csrf_of(page), "intent": intent * 32, **data},
                  follow_redirects=False)


def test_the_operators_open_call_is_run_from_the_case_page(db_url, monkeypatch):
    """Each open-call step a regranting case runs is offered in the state the machine allows it, refused inline
    with nothing written, and taken from the page: from the draft to the operator's contract."""
    from decimal import Decimal

    from states import inputs
    from states.cases import register_organisation
    from states.engine import Actor
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from states.procedures.regranting import handlers as regranting_handlers
    from states.procedures.regranting import inputs as regranting_inputs
    from states.tick import tick
    from tests.regranting_fixtures import MEMBERS, OPERATOR_KRS, do

    do(db_url, register_organisation, inputs.RegisterOrganisation(
        name="Fundacja Centrum Inicjatyw Lokalnych", legal_form="fundacja", krs=OPERATOR_KRS,
        address="ul. Wolności 1, 64-100 Leszno", email="cil@example.org", contact_person="Prezes"),
       "2026-01-02T08:00+01:00")
    code = do(db_url, regranting_handlers.create, regranting_inputs.CreateRegranting(
        title="Mikrogranty Leszno 2026", task_area="aktywność lokalna", budget=Decimal("50000.00")),
        "2026-01-02T08:30+01:00")["code"]
    c = _officer(db_url, monkeypatch, "2026-01-02T12:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["announce_call"]
    assert "art. 13 ust. 1-3" in form_of(page, "announce_call")
    call = {"offer_deadline": "2026-01-23", "selection_date": "2026-02-13", "execution_start": "2026-03-01",
            "execution_end": "2026-11-30", "published.bip": "2026-01-02T09:00", "published.board": "2026-01-02T10:00"}
    before = dump(db_url)
    refused = _post(c, code, "announce_call", page, "a", **call)  # not on the website: art. 13 ust. 3
    assert refused.status_code == 422 and dump(db_url) == before
    form = form_of(refused.text, "announce_call")
    assert 'role="alert"' in form and "art. 13 ust. 3" in form and 'value="2026-01-23"' in form
    assert _post(c, code, "announce_call", page, "b", **call, **{"published.website": "2026-01-02T11:00"}
                 ).status_code == 303
    assert _call_state(db_url, code) == "announced"

    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["appoint_member"]
    for index, member in enumerate(MEMBERS):
        assert _post(c, code, "appoint_member", page, "cd"[index], name=member).status_code == 303
    do(db_url, open_call_handlers.file_offer, open_call_inputs.FileOffer(
        code=code, organisation_krs=OPERATOR_KRS, title="Operator mikrograntów", requested_grant=Decimal("50000.00"),
        task_start="2026-03-01", task_end="2026-11-25"), "2026-01-12T10:00+01:00")
    tick("2026-01-24T08:05+01:00", url=db_url)
    assert _call_state(db_url, code) == "formal_review"

    monkeypatch.setenv("COOP_NOW", "2026-01-26T10:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    # the formal review is the evaluation flow's form (the officer's; a member's declarations are hers only)
    assert steps_on(page) == ["appoint_member", "review_offer", "finish_formal_review"]
    before = dump(db_url)
    refused = _post(c, code, "finish_formal_review", page, "e")  # offer 1 not yet reviewed (art. 15 ust. 1)
    assert refused.status_code == 422 and dump(db_url) == before
    assert 'role="alert"' in form_of(refused.text, "finish_formal_review")
    do(db_url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="accept"),
       "2026-01-26T10:00+01:00")
    monkeypatch.setenv("COOP_NOW", "2026-02-02T09:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert _post(c, code, "finish_formal_review", page, "f").status_code == 303
    assert _call_state(db_url, code) == "substantive_review"

    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["select_offers"]  # the officer does not score; the members do
    before = dump(db_url)
    refused = _post(c, code, "select_offers", page, "g", **{"grants.1": "50000.00", "decision_ref": "Zarządzenie 60/2026"})
    assert refused.status_code == 422 and dump(db_url) == before  # not yet scored (art. 15 ust. 1)
    points = dict(zip(("capacity", "costs", "quality", "own_funds", "contribution", "track_record"),
                      map(Decimal, (9, 9, 9, 4, 4, 5)), strict=True))
    for member in MEMBERS:
        do(db_url, open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts(code=code, member=member),
           "2026-02-03T09:00+01:00", Actor(member, "committee_member"))
    for member in MEMBERS:
        do(db_url, open_call_handlers.score_offer, open_call_inputs.ScoreOffer(code=code, number=1, member=member,
                                                                              points=points),
           "2026-02-05T09:00+01:00", Actor(member, "committee_member"))
    monkeypatch.setenv("COOP_NOW", "2026-02-13T12:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert _post(c, code, "select_offers", page, "h",
                 **{"grants.1": "50000.00", "decision_ref": "Zarządzenie 60/2026"}).status_code == 303
    assert _call_state(db_url, code) == "selected"

    monkeypatch.setenv("COOP_NOW", "2026-02-16T10:30+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["publish", "withdraw_offer"]  # the operator may still decline (art. 16 ust. 1)
    published = {"subject": "results", "published.bip": "2026-02-16T09:00", "published.board": "2026-02-16T09:30",
                 "published.website": "2026-02-16T10:00"}
    assert _post(c, code, "publish", page, "i", **published).status_code == 303
    assert _call_state(db_url, code) == "results_published"

    # the gap this closes: after the results the page offered no step at all
    monkeypatch.setenv("COOP_NOW", "2026-02-27T10:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["withdraw_offer", "sign_contract"]
    contract = {"number": "1", "contract_number": "WSO.RG.1.2026", "task_start": "2026-03-01", "task_end": "2026-11-25"}
    before = dump(db_url)
    refused = _post(c, code, "sign_contract", page, "j", **contract, amount="50000.01")  # above the grant
    assert refused.status_code == 422 and dump(db_url) == before
    form = form_of(refused.text, "sign_contract")
    assert "art. 15 ust. 2g" in form and 'value="50000.01"' in form
    assert _post(c, code, "sign_contract", page, "k", **contract, amount="50000.00").status_code == 303
    assert _call_state(db_url, code) == "in_execution"
    page = c.get(f"/sprawy/{code}").text
    # the sub-call runs now; a contract may still be signed (the call's step in execution)
    assert steps_on(page) == ["sign_contract", "announce_sub_call"]
    assert "Anna Urzędniczka" in page.split('id="history-heading"')[1]


def test_the_operators_report_reviewed_and_the_operator_settled_on_the_case_page(db_url, monkeypatch):
    """After the operator's report: its review is regranting's own (``review_operator_report``: corrections send the
    sub-call back, and the operator reports again), as is its settlement (``settle_operator``, refused while a
    micro-grant is unsettled), never the open call's ``review_report`` or ``settle_offer``."""
    from decimal import Decimal

    from states.procedures.regranting import handlers as regranting_handlers
    from states.procedures.regranting import inputs as regranting_inputs
    from tests.regranting_fixtures import do, micro, selection_published

    code = selection_published(db_url)
    grant = micro(db_url, code, 0, "2026-04-02T10:00+02:00")["code"]
    do(db_url, regranting_handlers.transfer, regranting_inputs.TransferMicroGrant(
        code=grant, amount=Decimal("5000.00"), on="2026-04-10"), "2026-04-10T12:00+02:00")
    do(db_url, regranting_handlers.micro_report, regranting_inputs.MicroGrantReport(
        code=grant, funds_used=Decimal("5000.00"), delivered="6 warsztatów"), "2026-10-10T10:00+02:00")
    c = _officer(db_url, monkeypatch, "2026-12-10T10:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["sign_contract", "add_micro_grant", "operator_report"]
    assert _post(c, code, "operator_report", page, "l", own_costs="45000.00", summary="Jeden mikrogrant").status_code == 303

    page = c.get(f"/sprawy/{code}").text
    # regranting's own review, never the open call's review_report nor its submit_report
    assert steps_on(page) == ["sign_contract", "review_operator_report"]
    assert "art. 18 ust. 1" in form_of(page, "review_operator_report")
    # sent back for corrections: the sub-call returns to its micro-grants and the operator reports again
    assert _post(c, code, "review_operator_report", page, "p", number="1", accept="no",
                 reason="Brak opisu rezultatów").status_code == 303
    assert _sub_call(db_url, code)["state"] == "implementing"
    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["sign_contract", "add_micro_grant", "operator_report"]
    assert _post(c, code, "operator_report", page, "q", own_costs="45000.00",
                 summary="Jeden mikrogrant, rezultaty opisane").status_code == 303
    page = c.get(f"/sprawy/{code}").text
    assert _post(c, code, "review_operator_report", page, "m", number="1", accept="yes").status_code == 303
    assert _sub_call(db_url, code)["state"] == "report_accepted"

    monkeypatch.setenv("COOP_NOW", "2026-12-21T10:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["sign_contract", "settle_operator"]  # never the open call's settle_offer
    before = dump(db_url)
    refused = _post(c, code, "settle_operator", page, "n", number="1")  # the micro-grant is not settled
    assert refused.status_code == 422 and dump(db_url) == before
    form = form_of(refused.text, "settle_operator")
    assert 'role="alert"' in form and grant in form and "art. 16a" in form
    do(db_url, regranting_handlers.settle_micro, regranting_inputs.SettleMicroGrant(code=grant),
       "2026-12-15T10:00+01:00")
    page = c.get(f"/sprawy/{code}").text
    assert _post(c, code, "settle_operator", page, "o", number="1").status_code == 303
    assert _call_state(db_url, code) == "settled"
    assert steps_on(c.get(f"/sprawy/{code}").text) == []


def test_a_member_scores_the_operators_offer_by_the_calls_criteria(db_url, monkeypatch):
    """The scoring stays the evaluation flow's: a member of the operator's committee is offered the score form
    with the call's criteria, and a score above a criterion's maximum is refused beside it, nothing written,
    before any flow is asked."""
    from tests.regranting_fixtures import MEMBERS

    code = _scoring(db_url)
    with_password(db_url, "jan", MEMBERS[0], ("committee_member", code))
    monkeypatch.setenv("COOP_NOW", "2026-02-05T09:00+01:00")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    c = client(db_url)
    log_in(c, "jan")
    page = c.get(f"/sprawy/{code}").text
    assert steps_on(page) == ["score_offer"]  # declared already (KPA art. 24)
    form = form_of(page, "score_offer")
    assert 'name="points.capacity"' in form and 'name="points.track_record"' in form
    values = {"number": "1", "points.capacity": "99", "points.costs": "9", "points.quality": "9",
              "points.own_funds": "4", "points.contribution": "4", "points.track_record": "5"}
    before = dump(db_url)
    refused = _post(c, code, "score_offer", page, "p", **values)
    assert refused.status_code == 422 and dump(db_url) == before
    form = form_of(refused.text, "score_offer")
    # beside the criterion refused (art. 15 ust. 1), the points typed kept
    assert re.search(r'id="score_offer-points-capacity"[^>]*value="99"[^>]*aria-invalid="true"', form), form
    assert "maksimum 10 pkt" in form and "Traceback" not in refused.text


def _scoring(url: str, declared: bool = True) -> str:
    """The operator's call in substantive review, none scored; both members declared (``declared``) or none."""
    from decimal import Decimal

    from states import inputs
    from states.cases import register_organisation
    from states.engine import Actor
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from states.procedures.regranting import handlers as regranting_handlers
    from states.procedures.regranting import inputs as regranting_inputs
    from states.tick import tick
    from tests.regranting_fixtures import MEMBERS, OPERATOR_KRS, do

    do(url, register_organisation, inputs.RegisterOrganisation(
        name="Fundacja Centrum Inicjatyw Lokalnych", legal_form="fundacja", krs=OPERATOR_KRS,
        address="ul. Wolności 1, 64-100 Leszno", email="cil@example.org", contact_person="Prezes"),
       "2026-01-02T08:00+01:00")
    code = do(url, regranting_handlers.create, regranting_inputs.CreateRegranting(
        title="Mikrogranty Leszno 2026", task_area="aktywność lokalna", budget=Decimal("50000.00")),
        "2026-01-02T08:30+01:00")["code"]
    do(url, open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
        execution_end="2026-11-30", published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00",
                                               "website": "2026-01-02T11:00+01:00"}), "2026-01-02T12:00+01:00")
    for member in MEMBERS:
        do(url, open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=member),
           "2026-01-05T09:00+01:00")
    do(url, open_call_handlers.file_offer, open_call_inputs.FileOffer(
        code=code, organisation_krs=OPERATOR_KRS, title="Operator mikrograntów", requested_grant=Decimal("50000.00"),
        task_start="2026-03-01", task_end="2026-11-25"), "2026-01-12T10:00+01:00")
    tick("2026-01-24T08:05+01:00", url=url)
    do(url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="accept"),
       "2026-01-26T10:00+01:00")
    do(url, open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
    for member in MEMBERS if declared else ():
        do(url, open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts(code=code, member=member),
           "2026-02-03T09:00+01:00", Actor(member, "committee_member"))
    return code
