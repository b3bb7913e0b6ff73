"""The regranting operator's sub-call (art. 16a) on the case page: its state lives in the case's data, not in a
machine of the case's own (the descriptor's ``data_tracks``), and its steps are offered like the others: allowed
by SubCallMachine in the sub-call's state while the operator's contract runs, refused inline by the domain with
nothing written and nothing typed lost, taken once. FastAPI's TestClient; SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, select

from models.db import get_engine
from models.tables import Case
from tests.conftest import dump
from tests.regranting_fixtures import IMPLEMENTERS, contracted, operator_selected
from tests.test_desk import client, csrf_of, desk_key, log_in, with_password  # noqa: F401  (desk_key: autouse)

SUB_CALL_STEPS = ("announce_sub_call", "publish_selection", "add_micro_grant", "operator_report")


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
