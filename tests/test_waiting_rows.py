"""The waiting steps' projection (states/waiting_rows.py) lists what ``waiting_for`` derives from the source tables,
after every step of the procedures' lifecycles; a page is its list's page; a change made while a refresh runs is
not lost and two refreshes never double a row; its statements do not grow with the cases. SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import sys
import threading

import pytest
import sqlalchemy as sa

import states.engine
import states.tick
from models.db import get_engine, normalise_url
from models.tables import Case, WaitingStep
from states.actors import Actor
from states.todo import Query, page_of, refresh_waiting, waiting, waiting_page

OFFICER = Actor("Anna Urzędniczka", "officer")
MEMBERS = ("Jan Kowalski", "Ewa Nowak", "Piotr Wiśniewski")  # the demo's committee (flows/demo_scenario.py)
REAL_EXECUTE, REAL_TICK = states.engine.execute, states.tick.tick


def listed(items) -> list[tuple]:
    return sorted((i.code, i.offer or 0, i.procedure, str(getattr(i.what, "msgid", i.what)), i.role,
                   i.due.timestamp() if i.due else 0.0, i.overdue, i.basis) for i in items)


def agree(url: str, at=None, actor: Actor = OFFICER, query: Query = Query()) -> int:
    """Refresh the projection, then its list equals ``waiting_for``'s from the source tables, in the projection's
    order (dated first by due moment); returns the number of steps."""
    REAL_EXECUTE(refresh_waiting, actor=actor, url=url, keyed=False, at=at)
    page = REAL_EXECUTE(waiting_page, query, actor=actor, url=url, readonly=True, at=at)
    source = REAL_EXECUTE(waiting, query, actor=actor, url=url, readonly=True, at=at)
    assert listed(page.items) == listed(source), (at, listed(page.items), listed(source))
    assert page.total == len(source)
    dues = [(i.due is None, i.due.timestamp() if i.due else 0.0) for i in page.items]
    assert dues == sorted(dues)
    return len(source)


LIFECYCLES = [
    ("tests.test_small_grant", "test_small_grant_received_to_settled"),
    ("tests.test_consultation", "test_programme_consultation_draft_to_adopted"),
    ("tests.test_consultation", "test_resolution_with_rdpp_opinion_given_in_time"),
    ("tests.test_local_initiative", "test_initiative_filed_to_closed_without_a_grant"),
    ("tests.test_local_initiative", "test_report_deadline_moves_off_the_weekend_and_goes_overdue"),
    ("tests.test_open_call_lifecycle", "test_whole_open_call_reaches_settled"),
    ("tests.test_regranting", "test_regranting_operator_to_settled_with_nested_micro_grants"),
    ("tests.test_todo_steps", "test_regranting_the_operators_contract_then_the_sub_call_then_the_transfers"),
    ("tests.test_todo_steps", "test_the_councils_opinion_waits_while_its_14_days_run_and_an_open_consultation_is_not_to_close"),
]


@pytest.mark.parametrize(("module", "name"), LIFECYCLES, ids=[name for _, name in LIFECYCLES])
def test_the_projection_lists_what_the_source_tables_do_after_every_step(db_url, monkeypatch, module, name):
    """Each lifecycle test of the procedures run as it is, every step it takes (a command that writes, or a tick)
    followed by a refresh and the comparison of the projection's whole list with ``waiting_for``'s."""
    test = getattr(importlib.import_module(module), name)
    checked = {"steps": 0, "listed": 0, "members": 0}

    def after(kw):
        checked["steps"] += 1
        at = kw.get("at") or kw.get("now")
        checked["listed"] += agree(kw.get("url") or db_url, at)
        for name in MEMBERS:  # a member (by the name she sits under, a simulation) sees her seats' steps only
            checked["members"] += agree(kw.get("url") or db_url, at, Actor(name, "committee_member"))

    def execute(handler, command=None, **kw):
        result = REAL_EXECUTE(handler, command, **kw)
        if not kw.get("readonly"):
            after(kw)
        return result

    def tick(now=None, **kw):
        result = REAL_TICK(now, **kw)
        after({**kw, "now": now})
        return result

    for loaded in list(sys.modules.values()):  # every helper the lifecycle calls, wherever it was imported
        if getattr(loaded, "__name__", "").startswith(("tests.", "coop.", "flows.", "states.engine", "states.tick")):
            if getattr(loaded, "execute", None) is REAL_EXECUTE:
                monkeypatch.setattr(loaded, "execute", execute)
            if getattr(loaded, "tick", None) is REAL_TICK:
                monkeypatch.setattr(loaded, "tick", tick)
    test(db_url)
    assert checked["steps"] >= 5 and checked["listed"] > 0, checked
    if name == "test_whole_open_call_reaches_settled":  # the committee's declarations and scores were listed
        assert checked["members"] > 0, checked


def test_a_page_is_its_lists_page_and_the_filters_hold(db_url):
    from tests.regranting_fixtures import contracted
    from tests.test_consultation import open_, programme

    contracted(db_url)
    for _ in range(3):
        open_(db_url, programme(db_url)["code"])
    at = "2026-11-14T12:00+01:00"  # the first Council opinions are overdue
    whole = REAL_EXECUTE(waiting_page, Query(), actor=OFFICER, url=db_url, readonly=True, at=at)
    assert whole.stale and whole.items == []  # nothing derived yet: the page says so, read nothing
    assert page_of(OFFICER, Query(limit=2), url=db_url, at=at).total > 3  # derived, then read
    total = agree(db_url, at)
    whole = REAL_EXECUTE(waiting_page, Query(), actor=OFFICER, url=db_url, readonly=True, at=at).items
    assert total == len(whole) > 3 and whole[0].overdue
    for limit, offset in ((1, 0), (2, 1), (3, 2), (2, len(whole) - 1)):
        page = REAL_EXECUTE(waiting_page, Query(limit=limit, offset=offset), actor=OFFICER, url=db_url,
                            readonly=True, at=at)
        assert page.items == whole[offset:offset + limit] and page.total == len(whole)
        assert page.next_offset == (offset + limit if offset + limit < len(whole) else None)
    agree(db_url, at, query=Query(overdue=True))
    agree(db_url, at, query=Query(procedure="consultation"))


def _stale(url) -> int:
    c = Case.__table__
    with get_engine(normalise_url(url)).connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(c.c.row_version != c.c.waiting_seen)).scalar_one()


def _rows(url) -> list[tuple]:
    w = WaitingStep.__table__
    with get_engine(normalise_url(url)).connect() as conn:
        return conn.execute(sa.select(w.c.case_id, w.c.step, w.c.offer_number)).all()


def test_two_refreshes_at_once_neither_double_a_row_nor_lose_one(db_url):
    from tests.test_consultation import open_, programme

    for _ in range(4):
        open_(db_url, programme(db_url)["code"])
    assert _stale(db_url) >= 4
    errors: list[BaseException] = []

    def refresh():
        try:
            REAL_EXECUTE(refresh_waiting, actor=OFFICER, url=db_url, keyed=False)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
    threads = [threading.Thread(target=refresh) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    rows = _rows(db_url)
    assert rows and len(rows) == len(set(rows)) and _stale(db_url) == 0
    agree(db_url, "2026-11-02T12:00+01:00")


def test_a_change_made_while_a_refresh_derives_stays_stale(db_url):
    """The refresh clears a case only where it still carries the version it derived from: a step committed after
    the refresh derived the case's rows (so they are old) leaves the case stale, and the next reader lists the
    step's effect. On SQLite the refresh holds the writer's lock, so the step waits for it instead."""
    from states.procedures.consultation import handlers, inputs
    from tests.test_consultation import open_, programme

    code = programme(db_url)["code"]
    open_(db_url, code)  # never derived: stale; the Council's opinion waits
    engine = get_engine(normalise_url(db_url))
    done = threading.Event()

    def step_meanwhile():  # the Council's opinion recorded: the step waiting on it is gone
        REAL_EXECUTE(handlers.rdpp_opinion, inputs.RdppOpinion(code=code, opinion="Opinia pozytywna."),
                     actor=OFFICER, url=db_url, at="2026-11-03T10:00+01:00")
        done.set()

    def derived(conn, cursor, statement, *args):
        if "UNION ALL" in statement and not done.is_set():
            worker = threading.Thread(target=step_meanwhile)
            worker.start()
            worker.join()  # committed after the rows were derived, before they are written

    postgres = db_url.startswith("postgresql")
    if postgres:
        sa.event.listen(engine, "after_cursor_execute", derived)
    try:
        REAL_EXECUTE(refresh_waiting, actor=OFFICER, url=db_url, keyed=False)
    finally:
        if postgres:
            sa.event.remove(engine, "after_cursor_execute", derived)
    if postgres:
        assert done.is_set() and _stale(db_url) == 1  # its rows are the old ones, and it says so
        assert any(True for _ in _rows(db_url))
    else:
        step_meanwhile()
    assert agree(db_url, "2026-11-03T12:00+01:00") == 0 and _stale(db_url) == 0


def test_the_pages_statements_do_not_grow_with_the_cases(db_url):
    """Reading a page with N stale cases (derived first): the same statements for 1 stale case as for 6; with
    nothing stale, one read-only transaction: one look for stale cases, the page and its count."""
    from tests.test_consultation import open_, programme

    engine = get_engine(normalise_url(db_url))

    def statements(at) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            if any(t in statement for t in ("waiting_steps", "deadlines", "offers", "cases")):
                seen.append(statement)
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            page_of(OFFICER, Query(limit=50), url=db_url, at=at)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    at = "2026-11-02T12:00+01:00"
    open_(db_url, programme(db_url)["code"])
    one = statements(at)
    for _ in range(6):
        open_(db_url, programme(db_url)["code"])
    six = statements(at)
    assert one == six
    assert statements(at) == 3  # nothing stale: the look, the page, its count


def test_the_desk_shows_a_page_with_the_total_and_links_to_the_others(db_url, monkeypatch):
    """``GET /na-dzis`` shows ``web.today.PAGE`` steps, the total of the list, and links to the next and previous
    pages that keep the filters; a page past the end shows nothing and a bad offset is the first page."""
    import re

    import web.today
    from tests.regranting_fixtures import contracted
    from tests.test_consultation import open_, programme
    from tests.test_desk import client, log_in, with_password

    contracted(db_url)
    for _ in range(4):
        open_(db_url, programme(db_url)["code"])
    at = "2026-11-14T12:00+01:00"
    total = agree(db_url, at)
    assert total > 4
    monkeypatch.setattr(web.today, "PAGE", 2)
    monkeypatch.setenv("COOP_NOW", at)
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    log_in(c, "anna")

    def shown(page) -> list[str]:
        return re.findall(r'<a href="/sprawy/([^"]+)">', page.text)

    first = c.get("/na-dzis")
    assert first.status_code == 200 and len(shown(first)) == 2
    assert f"Czynności do wykonania: {total}" in first.text and "pokazane 1–2" in first.text
    assert 'href="/na-dzis?od=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    second = c.get("/na-dzis?od=2")
    assert len(shown(second)) == 2 and 'href="/na-dzis?od=0" rel="prev"' in second.text
    whole = REAL_EXECUTE(waiting_page, Query(), actor=OFFICER, url=db_url, readonly=True, at=at).items
    assert shown(first) + shown(second) == [i.code for i in whole[:4]]
    overdue = c.get("/na-dzis?overdue=1&procedure=consultation")
    assert overdue.status_code == 200
    if 'rel="next"' in overdue.text:
        assert "od=2&amp;procedure=consultation&amp;overdue=1" in overdue.text
    assert c.get("/na-dzis?od=abc").text.count("<tr") == first.text.count("<tr")
    assert len(shown(c.get(f"/na-dzis?od={total + 10}"))) == 0


@pytest.mark.parametrize(("whole_from", "batch"), [(2, 1000), (10_000, 2)], ids=["whole", "batches"])
def test_many_stale_cases_are_derived_whole_or_in_batches_alike(db_url, monkeypatch, whole_from, batch):
    """From ``WHOLE_FROM`` stale cases on, every case's steps are derived in one statement and the stale ones'
    kept; below it, ``BATCH`` cases a statement: the same rows either way, and a case changed after the refresh
    is stale again."""
    from states import waiting_rows
    from tests.regranting_fixtures import contracted
    from tests.test_consultation import open_, programme

    monkeypatch.setattr(waiting_rows, "WHOLE_FROM", whole_from)
    monkeypatch.setattr(waiting_rows, "BATCH", batch)
    contracted(db_url)
    for _ in range(3):
        open_(db_url, programme(db_url)["code"])
    assert _stale(db_url) > 3
    assert agree(db_url, "2026-11-14T12:00+01:00") > 3
    assert _stale(db_url) == 0


def test_coop_todo_rederive_derives_the_stale_one_or_every_case_and_says_how_many(db_url):
    """``coop todo rederive [--all | CODE]`` (officer, administrator): the projection emptied behind the desk's back
    (as after the declarations of what waits changed) is derived again: one case, then all; the stale only by
    default; the counts printed; a committee member, an unknown action or both forms together are refused without
    a traceback, and nothing is written."""
    import json

    from typer.testing import CliRunner

    import coop.core_cli  # noqa: F401  (registers the command groups)
    from coop.cli import app
    from tests.conftest import dump
    from tests.regranting_fixtures import contracted
    from tests.test_consultation import open_, programme

    at = "2026-11-02T12:00+01:00"
    operator = contracted(db_url)
    consultation = programme(db_url)["code"]
    open_(db_url, consultation)
    whole = agree(db_url, at)
    assert whole >= 2
    cases = len(_cases(db_url))
    with get_engine(normalise_url(db_url)).begin() as conn:
        conn.execute(WaitingStep.__table__.delete())
    env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": "officer", "COOP_LANG": "pl",
           "COOP_NOW": at}

    def coop(*args, **extra):
        return CliRunner().invoke(app, ["todo", *args], env={**env, **extra})

    stale = coop("rederive", "--json")
    assert stale.exit_code == 0, stale.output
    assert json.loads(stale.stdout) == {"derived": 0, "steps": 0}  # nothing changed since: nothing derived
    one = coop("rederive", operator)
    assert one.exit_code == 0, one.output
    assert "Ponownie wyprowadzono: 1 sprawę" in one.stdout, one.stdout
    assert {code for _, code in _cases(db_url, with_rows=True)} == {operator}
    every = coop("rederive", "--all", "--json")
    assert json.loads(every.stdout) == {"derived": cases, "steps": whole}
    assert agree(db_url, at) == whole  # the projection lists what the source tables do again
    before = dump(db_url)
    for args, extra in ((("rederive", "--all"), {"COOP_ROLE": "committee_member"}),
                        (("odswiez",), {}), (("rederive", "--all", operator), {}), (("rederive", "XX/2026/999"), {})):
        refused = coop(*args, **extra)
        assert refused.exit_code != 0 and "Traceback" not in refused.output, (args, refused.output)
        assert "error:" in refused.output or "błąd" in refused.output, refused.output
    assert dump(db_url) == before


def _cases(url, with_rows: bool = False) -> list[tuple]:
    c, w = Case.__table__, WaitingStep.__table__
    query = sa.select(c.c.id, c.c.code)
    if with_rows:
        query = query.where(sa.exists().where(w.c.case_id == c.c.id))
    with get_engine(normalise_url(url)).connect() as conn:
        return conn.execute(query).all()
