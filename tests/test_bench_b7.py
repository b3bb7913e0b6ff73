"""B7's bare SQL (bench/b7_todo.py) is the same list as ``waiting_for``: the same rows (case, offer, due moment)
on the benchmark's live cases and on cases the tests drive through every new kind of step (the Council's
pending opinion, a local initiative's evaluation, regranting's sub-call and transfers, an offer in formal review);
on SQLite and PostgreSQL. No timing here: the figures live in bench/."""

from __future__ import annotations

from sqlmodel import Session

from bench.b7_todo import bare_sql, same_rows
from bench.data import TICK_AT, build_live_cases, raw_connection
from models.db import get_engine, normalise_url
from states.actors import Actor
from states.engine import execute
from states.procedures.local_initiative import handlers as li
from states.procedures.local_initiative import inputs as li_inputs
from states.todo import waiting_for
from tests.regranting_fixtures import contracted
from tests.test_consultation import open_, programme
from tests.test_local_initiative import application
from tests.test_todo import in_formal_review

OFFICER = Actor("Anna Urzędniczka", "officer")


def compare(url: str) -> int:
    postgres = not url.startswith("sqlite")
    sql, params = bare_sql(postgres)
    raw = raw_connection(url)
    try:
        rows = raw.execute(sql, params).fetchall()
    finally:
        raw.close()
    with Session(get_engine(normalise_url(url))) as session:
        items = waiting_for(session, OFFICER, TICK_AT)
    assert same_rows(rows, items)
    return len(items)


def test_the_bare_sql_lists_what_waiting_for_lists_on_the_live_cases(db_url):
    build_live_cases(db_url, 16, 8)
    assert compare(db_url) > 0


def test_the_bare_sql_lists_every_kind_of_step(db_url):
    in_formal_review(db_url)
    contracted(db_url)
    open_(db_url, programme(db_url)["code"])
    code = execute(li.file, application(), actor=OFFICER, url=db_url, at="2026-03-02T10:00+01:00")["code"]
    execute(li.formal_check, li_inputs.FormalCheck(code=code, passed=True), actor=OFFICER, url=db_url,
            at="2026-03-05T10:00+01:00")
    assert compare(db_url) >= 5


def test_the_projection_lists_the_live_cases_copies(db_url):
    """The benchmark's copies (bulk-copied, never derived: ``waiting_seen`` 0) are derived by the first reader,
    and the projection then lists what the source tables do."""
    from tests.test_waiting_rows import agree

    build_live_cases(db_url, 16, 8)
    assert agree(db_url, TICK_AT) > 0
