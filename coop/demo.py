"""``coop demo``: the whole open call of flows/demo_scenario.py on a fresh simulation database, then its history.

The scenario's names are re-exported here, where the tests and the benchmarks have always found them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flows.demo_scenario import (  # noqa: F401
    DEMO_SETTINGS,
    MEMBERS,
    MILESTONES,
    NGO_MEMBER,
    OFFERS,
    OFFICER,
    ORGANISATIONS,
    ScenarioResult,
    run_open_call,
    write_demo_settings,
)
from states.engine import Actor, execute


def run_demo(database: str | None, offers: int) -> None:
    import typer

    from coop.cli import show
    from models.db import get_engine, shown_url
    from models.settings import SIMULATION, initialise_clock
    from states.cases import case_history
    from states.queries import verify_cases

    url = database or f"sqlite:///{Path(tempfile.mkdtemp(prefix='coop-demo-')) / 'demo.db'}"
    # The demo's steps claim moments of 2026: a simulation database only; a real one is refused, untouched.
    initialise_clock(get_engine(url), SIMULATION)
    write_demo_settings(url)
    result = run_open_call(url, offers)
    from states.credentials import demo_accounts

    demo_accounts(url)  # the desk's demo logins (docs/desk.md): `coop desk` on this database lets them in
    reader = Actor("audytor", "auditor")
    rows = execute(case_history, result.code, actor=reader, url=url, readonly=True)
    typer.echo(f"Demo: {result.code} — {shown_url(url)}\n")
    show(rows, ["seq", "at", "actor", "event", "subject", "from", "to", "basis"])
    for refusal in result.refusals:
        typer.echo(f"odmowa / refused: {refusal}")
    show(execute(verify_cases, result.code, actor=reader, url=url, readonly=True))
