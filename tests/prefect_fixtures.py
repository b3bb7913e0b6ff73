"""The Prefect test harness, started once per test session, and fast builders of realistic due deadlines.

Import the fixture into a test module (``from tests.prefect_fixtures import prefect_api  # noqa: F401``);
pytest shares one session-scoped instance across modules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.demo import MEMBERS, NGO_MEMBER, OFFERS, OFFICER, ORGANISATIONS
from models.db import get_engine, normalise_url
from models.tables import Case, Deadline
from states import inputs
from states.cases import register_organisation
from states.engine import Actor, execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs

_harness: dict = {"users": 0, "stack": None, "url": None}


@pytest.fixture(scope="session")
def prefect_api():
    """One Prefect server (the official test harness) for the whole session; yields its API URL.

    A session fixture imported into several modules is a separate fixture in each, so the harness itself
    is shared here: started by the first user, stopped when the last one finishes."""
    if _harness["users"] == 0:
        import contextlib

        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        from prefect.settings import PREFECT_API_URL
        from prefect.testing.utilities import prefect_test_harness

        stack = contextlib.ExitStack()
        stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        _harness.update(stack=stack, url=PREFECT_API_URL.value())
    _harness["users"] += 1
    try:
        yield _harness["url"]
    finally:
        _harness["users"] -= 1
        if _harness["users"] == 0:
            _harness["stack"].close()


@contextmanager
def quick_pauses(seconds: int = 1) -> Iterator[None]:
    """A flow run PAUSED in this process (a test runs the flow in a thread, not under a deployment) checks for its
    answer every ``seconds`` instead of the flow's own interval (flows/steps.py: 10 s, a person's pace): the same
    pause and the same resume, noticed sooner. A run under a deployment suspends and is not affected."""
    from flows import evaluation

    original = evaluation.pause_flow_run

    def pause_flow_run(*args, **kwargs):
        return original(*args, **{**kwargs, "poll_interval": min(seconds, kwargs.get("poll_interval", seconds))})

    evaluation.pause_flow_run = pause_flow_run
    try:
        yield
    finally:
        evaluation.pause_flow_run = original


def waiting_form(state) -> str | None:
    """The key of the form a paused (or suspended) run waits on (``score-2``), None if it waits on none."""
    if state is None or not state.is_paused() or not state.state_details.run_input_keyset:
        return None
    return str(state.state_details.pause_key)


def proof(run_id, form: str, person: str, role: str = "committee_member", *, minutes: float = 15) -> str:
    """What ``coop form proof RUN FORM`` prints for ``person``: a proof for that form of that run."""
    from datetime import UTC, timedelta

    from states.form_proofs import issue_form_proof

    return issue_form_proof(person, str(run_id), form, datetime.now(UTC), timedelta(minutes=minutes), role=role)


def register_organisations(url: str) -> None:
    for name, form, krs in ORGANISATIONS:
        execute(register_organisation, inputs.RegisterOrganisation(
            name=name, legal_form=form, krs=krs, address="Leszno", email=f"biuro{krs[-2:]}@example.org",
            contact_person="Prezes"), actor=OFFICER, at="2026-01-02T08:00+01:00", url=url)


def announced_call(url: str, *, offers: int, offer_deadline: str = "2026-01-23", selection_date: str = "2026-02-13",
                   members: bool = True) -> str:
    """An open call announced on 2 January 2026 with ``offers`` offers filed; organisations registered first."""
    def do(handler, command, when, actor=OFFICER):
        return execute(handler, command, actor=actor, at=when, url=url)

    code = do(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Wspieranie aktywności lokalnej 2026", task_area="pożytek publiczny",
                                               budget=Decimal("100000.00")), "2026-01-02T08:30+01:00")["code"]
    do(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline=offer_deadline, selection_date=selection_date, execution_start="2026-03-01",
        execution_end="2026-11-30",
        published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00",
                   "website": "2026-01-02T11:00+01:00"}), "2026-01-02T12:00+01:00")
    if members:
        for member in MEMBERS:
            do(open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=member), "2026-01-05T09:00+01:00")
    for index, (title, grant, _) in enumerate(OFFERS[:offers]):
        do(open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=ORGANISATIONS[index][2], title=title,
                                      requested_grant=grant, task_start="2026-04-01", task_end="2026-06-30"),
           f"2026-01-{12 + index:02d}T10:00+01:00")
    return code


def call_in_scoring(url: str, offers: int = 3) -> str:
    """A call past its formal review (every offer accepted): the committee may declare and score."""
    from flows.tick import tick_flow  # noqa: F401  (the caller runs under the harness)
    from states.tick import tick

    code = announced_call(url, offers=offers)
    tick("2026-01-24T08:00+01:00", url=url)
    for number in range(1, offers + 1):
        execute(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="accept"), actor=OFFICER,
                at="2026-01-26T10:00+01:00", url=url)
    execute(open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), actor=OFFICER, at="2026-02-02T09:00+01:00", url=url)
    return code


def clone_due_calls(url: str, template_code: str, count: int, due_at: datetime, first_number: int = 100000) -> list[str]:
    """``count`` copies of an announced call (no offers), each with one ``offers_close`` deadline due at
    ``due_at``, inserted in bulk. Each copy starts an empty audit chain, so the firing (which must go through
    the real tick) is each copy's first record and the chain verifies."""
    engine = get_engine(normalise_url(url))
    with engine.begin() as conn:
        template = conn.execute(sa.select(Case.__table__).where(Case.__table__.c.code == template_code)).mappings().one()
        year = template_code.split("/")[1]
        rows = []
        for i in range(count):
            row = {k: v for k, v in template.items() if k != "id"}
            row.update(code=f"OK/{year}/{first_number + i}", audit_seq=0, audit_head="0" * 64, row_version=1)
            rows.append(row)
        conn.execute(sa.insert(Case.__table__), rows)
        codes = [r["code"] for r in rows]
        ids = conn.execute(sa.select(Case.__table__.c.id).where(Case.__table__.c.code.in_(codes))).scalars().all()
        conn.execute(sa.insert(Deadline.__table__), [
            {"case_id": case_id, "kind": "offers_close", "due_at": due_at, "basis": "art. 13 ust. 2 pkt 5"}
            for case_id in ids])
    return codes


def empty_template(url: str) -> str:
    """An announced call with no offer whose own deadline is already fired (so only its clones are due)."""
    code = announced_call(url, offers=0, members=False)
    engine = get_engine(normalise_url(url))
    with engine.begin() as conn:
        case_id = conn.execute(sa.select(Case.__table__.c.id).where(Case.__table__.c.code == code)).scalar_one()
        conn.execute(sa.delete(Deadline.__table__).where(Deadline.__table__.c.case_id == case_id))
    return code


__all__ = ["prefect_api", "announced_call", "call_in_scoring", "clone_due_calls", "empty_template",
           "register_organisations", "NGO_MEMBER", "Actor"]


def events_of_run(flow_run_id, since: datetime, *, names: list[str] | None = None,
                  prefixes: list[str] | None = None, limit: int = 50) -> list:
    """The events related to a flow run since ``since``, by exact name or name prefix, waiting up to ~30 s for
    the first to arrive (events reach the API asynchronously)."""
    import asyncio
    import time
    from datetime import UTC, timedelta

    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventRelatedFilter

    async def read() -> list:
        async with get_client() as client:
            page = await client.read_events(filter=EventFilter(
                occurred=EventOccurredFilter(since=since, until=datetime.now(UTC) + timedelta(minutes=1)),
                event=EventNameFilter(name=names, prefix=prefixes),
                related=EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"])), limit=limit)
            return page.events

    for _ in range(60):
        found = asyncio.run(read())
        if found:
            return found
        time.sleep(0.5)
    return []


# Prefect 3.9.1 answers these without the auth string (its auth middleware lets them through), nothing else.
OPEN_ROUTES = {"/health", "/ready"}


def unauthenticated_sweep(api: str, auth: tuple[str, str]) -> dict[str, int]:
    """Every route of the Prefect API's OpenAPI document (read with ``auth``), called without credentials: the
    status of each (``"GET /flow_runs/{id}": 401``). Path parameters get a random id; bodies are empty."""
    import re
    import uuid

    import httpx

    base = api.rstrip("/")
    document = httpx.get(f"{base}/openapi.json", auth=auth, timeout=30)
    document.raise_for_status()
    statuses: dict[str, int] = {}
    with httpx.Client(timeout=30) as anonymous:
        for path, methods in document.json()["paths"].items():
            route = path.removeprefix("/api")
            concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route)
            for method in methods:
                if method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                    continue
                kwargs = {"json": {}} if method.upper() in ("POST", "PUT", "PATCH") else {}
                statuses[f"{method.upper()} {route}"] = anonymous.request(method.upper(), f"{base}{concrete}",
                                                                         **kwargs).status_code
    return statuses


class RetryingApi:
    """Plain HTTP calls to the test server that retry what Prefect's own client retries (429, 502, 503).

    The harness's server keeps its state in SQLite; under a loaded CI machine a write can wait past the server's
    database timeout and come back 503 "Service Unavailable", which Prefect's client would simply retry."""

    RETRIED = {429, 502, 503}

    def __init__(self, attempts: int = 8, first_pause: float = 0.5):
        self.attempts, self.first_pause = attempts, first_pause

    def request(self, method: str, url: str, **kwargs):
        import time

        import httpx

        kwargs.setdefault("timeout", 30)
        pause = self.first_pause
        for _ in range(self.attempts - 1):
            response = httpx.request(method, url, **kwargs)
            if response.status_code not in self.RETRIED:
                return response
            time.sleep(pause)
            pause = min(pause * 2, 5)
        return httpx.request(method, url, **kwargs)

    def get(self, url: str, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs):
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs):
        return self.request("DELETE", url, **kwargs)
