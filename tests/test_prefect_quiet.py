"""Prefect's UI made quiet and right (issue 21): forms that open themselves, summaries that name what exists.

The forms' opening runs ticks under the tick deployment on the Prefect test harness (started once for the
session, flows/opening.py); the rest needs no server.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.prefect_fixtures import prefect_api  # noqa: F401  (one Prefect harness for the session)

FORMAL = "coop-formal-review/formal-review"
SCORING = "coop-committee-scoring/committee-scoring"


# --- item 5: the summary sends officers only to deployments the engine serves ------------------------------------

def _served_names() -> set[str]:
    from flows.launcher import deployments

    served = set()
    for deployment in deployments(60):
        flow_name = deployment.flow_name
        served |= {flow_name, f"{flow_name}/{deployment.name}", deployment.name}
    return served


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_every_flow_or_deployment_a_summary_names_is_served(lang, monkeypatch):
    """Every name of the coop-… kind in any state's summary (both languages) is a flow or deployment `coop serve`
    serves: the Polish catalogue once sent officers to "coop-ocena-formalna", which does not exist."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from flows.artifacts import NEXT_ACTION, summary_markdown
    monkeypatch.setenv("COOP_LANG", lang)
    served = _served_names()
    if True:
        for state in NEXT_ACTION:
            view = {"code": "OK/2026/001", "title": "T", "state": state, "budget": Decimal("1.00"),
                    "offer_deadline": datetime(2026, 1, 23, tzinfo=UTC), "selection_date": None, "offer_states": {}, "offers": 0,
                    "deadlines": [], "is_call": False}
            text = summary_markdown(view)
            named = set(re.findall(r"coop-[a-z]+(?:-[a-z]+)*(?:/[a-z]+(?:-[a-z]+)*)?", text))
            assert named <= served, (state, named - served)
            if state in ("formal_review", "substantive_review"):
                assert named & {FORMAL, SCORING}, text  # the officer is told where the form waits


# --- item 6: a call entering a state that waits on people opens its forms by itself ------------------------------

async def _tick_under_deployment(deployment_id, at: str):
    """A run of the tick deployment, executed here as a worker's process would execute it."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow

    from flows.tick import tick_flow

    async with get_client() as client:
        run = await client.create_flow_run_from_deployment(deployment_id, parameters={"at": at})
    return await run_flow(tick_flow, flow_run=run, parameters={"at": at}, return_type="state")


async def _form_runs(ids: dict) -> dict[str, list]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    async with get_client() as client:
        return {name: await client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[ids[name]]))) for name in ("formal-review", "committee-scoring")}


@pytest.mark.usefixtures("prefect_api")
def test_a_call_entering_review_or_scoring_opens_its_forms_once(db_url, monkeypatch):
    """The tick closes the offers: one formal review run waits for the officer. The officer finishes the formal
    review in the CLI (no Prefect event): the next tick opens one scoring run per seat of the committee. Later
    ticks open nothing more, and a mark lost (the variable reset) opens no second form."""
    from prefect.variables import Variable

    from coop.demo import MEMBERS, OFFICER
    from flows.launcher import deployments
    from flows.opening import mark_name
    from states import inputs
    from states.engine import execute
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs
    from tests.prefect_fixtures import announced_call, register_organisations

    wanted = ("tick", "formal-review", "committee-scoring")
    ids = {d.name: d.apply() for d in deployments(60) if d.name in wanted}
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)  # a deployment's run takes no database_url (flows/doors.py)
    Variable.set(mark_name(db_url), 0, overwrite=True)  # the tables were emptied: a fresh audit log
    before = {name: {r.id for r in runs} for name, runs in asyncio.run(_form_runs(ids)).items()}

    def new_runs() -> dict[str, list]:
        return {name: [r for r in runs if r.id not in before[name]]
                for name, runs in asyncio.run(_form_runs(ids)).items()}

    def tick_at(at: str) -> dict:
        state = asyncio.run(_tick_under_deployment(ids["tick"], at))
        assert state.is_completed(), state.message
        return state.result()

    register_organisations(db_url)
    code = announced_call(db_url, offers=2)
    assert tick_at("2026-01-20T08:00+01:00")["forms"] == []  # offers still being received: nobody waits
    assert new_runs() == {"formal-review": [], "committee-scoring": []}

    [key] = tick_at("2026-01-24T08:00+01:00")["forms"]  # the offers closed
    assert key.startswith(f"{FORMAL} {code} ")
    runs = new_runs()
    assert [(r.parameters, r.state.is_scheduled()) for r in runs["formal-review"]] == [({"code": code}, True)]
    assert runs["committee-scoring"] == []

    for number in (1, 2):
        execute(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number,
                decision="accept"), actor=OFFICER, at="2026-01-26T10:00+01:00", url=db_url)
    execute(open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), actor=OFFICER,
            at="2026-02-02T09:00+01:00", url=db_url)  # the CLI's step: no Prefect event at all
    opened = tick_at("2026-02-02T09:05+01:00")["forms"]
    assert [k.split()[:2] + k.split()[3:] for k in opened] == [
        [SCORING, code, f"#{seat}"] for seat in range(1, len(MEMBERS) + 1)]
    runs = new_runs()
    assert len(runs["formal-review"]) == 1
    assert [r.parameters for r in runs["committee-scoring"]] == [{"code": code}] * len(MEMBERS)

    assert tick_at("2026-02-02T09:10+01:00")["forms"] == []  # nothing new entered
    Variable.set(mark_name(db_url), 0, overwrite=True)  # the mark lost: the requests are made again ...
    assert len(tick_at("2026-02-02T09:15+01:00")["forms"]) == len(MEMBERS)
    runs = new_runs()  # ... and Prefect answers them with the runs already open: no second form
    assert (len(runs["formal-review"]), len(runs["committee-scoring"])) == (1, len(MEMBERS))
    Variable.set(mark_name(db_url), 0, overwrite=True)  # the next test empties the tables: ids start again


def test_a_tick_outside_a_deployment_opens_no_form(sqlite_url):
    """`coop tick` and tests run the tick flow directly: there is no deployment to ask, so no form is opened."""
    from flows.tick import tick_flow
    from tests.conftest import empty_tables

    empty_tables(sqlite_url)
    assert "forms" in asyncio.run(tick_flow(at="2026-01-24T08:00+01:00", database_url=sqlite_url))
