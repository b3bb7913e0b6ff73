"""The CLI's command groups. Each command builds a validated input and runs one domain handler.

The commands of each procedure are in coop/procedures/<procedure>.py (loaded through the registry of procedures);
the open call's groups are declared here, for their place in `coop --help`."""

from typing import Annotated

import typer

from coop import quick
from coop.cli import app, command, group, lazy_module, run, show
from states.audit import HISTORY_COLUMNS
from states.text import ntr, tr

inputs = lazy_module("states.inputs")
cases = lazy_module("states.cases")

org_app = group("org", "The NGO registry.")
call_app = group("call", "Open call for offers (art. 11-15).")
committee_app = group("committee", "The call's committee (art. 15 ust. 2a-2f).")
offer_app = group("offer", "Offers in an open call.")
contract_app = group("contract", "Contracts and settlement (art. 16-18).")
report_app = group("report", "Reports (art. 18).")
audit_app = group("audit", "The auditor's tools.")
rules_app = group("rules", "Rule sets.")
calendar_app = group("calendar", "The deadline calendar (KC art. 110-115).")
db_app = group("db", "The database.")

Code = Annotated[str, typer.Argument(help="Case code, e.g. OK/2026/001.")]


# --- organisations and cases ----------------------------------------------------------------------------------


@command(org_app, "add")
def org_add(name: Annotated[str, typer.Option()], legal_form: Annotated[str, typer.Option()],
            address: Annotated[str, typer.Option()], email: Annotated[str, typer.Option()],
            contact: Annotated[str, typer.Option(help="Contact person.")],
            krs: Annotated[str | None, typer.Option(help="KRS number, 10 digits.")] = None) -> None:
    """Register an organisation."""
    show(run(cases.register_organisation, inputs.RegisterOrganisation.parse(
        name=name, legal_form=legal_form, krs=krs, address=address, email=email, contact_person=contact)))


@command(org_app, "list")
def org_list() -> None:
    """List the registry."""
    show(run(cases.list_organisations, readonly=True), ["krs", "name", "legal_form", "email", "contact_person"])


@command(app, "list")
def cases_list() -> None:
    """List every case."""
    show(run(cases.list_cases, readonly=True), ["code", "kind", "state", "budget", "title"])


@command(app, "todo")
def todo(action: Annotated[str | None, typer.Argument(
             help="rederive: derive the desk's list of waiting steps again (the stale cases; --all, or one CODE).",
             show_default=False)] = None,
         code: Annotated[str | None, typer.Argument(help="With rederive: only this case.", show_default=False)] = None,
         procedure: Annotated[str | None, typer.Option(help="Only this procedure's steps (its slug, e.g. open_call).")] = None,
         overdue: Annotated[bool, typer.Option("--overdue", help="Only the overdue steps.")] = False,
         limit: Annotated[int | None, typer.Option(help="Only the first N steps, in the list's order.")] = None,
         every: Annotated[bool, typer.Option("--all", help="With rederive: every case, not only the stale ones.")] = False,
         ) -> None:
    """What waits for me: every step waiting on the person running it, overdue first, then by due moment.
    `coop todo rederive [--all | CODE]` (officer, administrator) derives the desk's projection of it again."""
    from coop.cli import _invocation
    from kernel.local_time import moment_text
    from states.errors import InvalidInput
    from states.todo import Query, procedures_for, waiting

    if action is not None or code is not None or every:
        if action != "rederive":
            raise InvalidInput("todo_action_unknown", tr("“coop todo” takes one action, rederive (given: {action}).",
                                                         action=action or code or "--all"))
        rederive(code, every)
        return
    procedures_for(procedure)  # an unknown slug is refused before the database is opened
    items = run(waiting, Query(procedure=procedure, overdue=overdue, limit=limit), readonly=True)
    if _invocation.get().json:
        show([item.as_dict() for item in items])
        return
    show([{"code": item.code, "offer": item.offer or "", "what": str(item.what),
           "due": moment_text(item.due) if item.due else "—", "overdue": "!" if item.overdue else "",
           "basis": item.basis} for item in items], ["overdue", "code", "offer", "what", "due", "basis"])


def rederive(code: str | None, every: bool) -> None:
    """``coop todo rederive``: the projection's rows derived again, without a command log entry (derived rows, no
    history: states/waiting_rows.py), by the proven officer or administrator."""
    from coop.cli import _invocation, current_principal
    from states.engine import execute
    from states.todo import Rederive
    from states.todo import rederive as handler

    inv = _invocation.get()
    result = execute(handler, Rederive.parse(code=code, all=every), actor=current_principal(), at=inv.at,
                     keyed=False)
    if inv.json:
        show(result)
        return
    typer.echo(ntr("Derived again: {n} case; the desk's list now holds {steps} waiting steps.",
                   "Derived again: {n} cases; the desk's list now holds {steps} waiting steps.",
                   result["derived"], steps=result["steps"]))


@command(app, "history")
def history(code: Code) -> None:
    """The case's history (the hash-chained audit log)."""
    rows = run(cases.case_history, code, readonly=True)
    show(rows, list(HISTORY_COLUMNS))


@command(app, "tick")
def tick_command(batch_size: Annotated[int | None, typer.Option(
        min=1, max=10000, help="Deadlines per transaction (default: the tick's own, states.tick.DEFAULT_BATCH).")] = None,
) -> None:
    """Fire every deadline due at --at (default: now), exactly once."""
    from coop.cli import _invocation, current_principal
    from models.db import get_engine
    from models.settings import SIMULATION, clock_mode
    from states.actors import SCHEDULER
    from states.events import plain_transitions
    from states.tick import DEFAULT_BATCH, tick

    inv = _invocation.get()
    # The tick acts only as the scheduler: a role claimed for it is refused by the tick (exit 5), never recorded.
    # On a real database a person runs it by hand only with their token and a scheduler grant; the worker's
    # own tick is the engine's principal (flows/tick.py).
    role = inv.role or "scheduler"
    if clock_mode(get_engine()) == SIMULATION and role == "scheduler":
        actor = SCHEDULER
    else:
        actor = current_principal("scheduler")
    report = tick(inv.at, batch_size=batch_size or DEFAULT_BATCH, actor=actor, keep_events=True)  # the officer sees each
    show({"now": report.now, "fired": report.fired, "skipped": report.skipped, "batches": report.batches,
          "events": plain_transitions(report.events), "skipped_reasons": report.skipped_reasons})


deadlines_app = group("deadlines", "Deadlines: how long the due ones have waited to be fired.")

# `coop deadlines late` exits with this when the oldest due deadline waited longer than the threshold: a
# monitoring check's "warning" (Nagios' 1), apart from refused input (2) and a database out of reach (75).
LATE_EXIT = 1


@command(deadlines_app, "late")
def deadlines_late(threshold: Annotated[float, typer.Option(
        min=0, help="Seconds the oldest due deadline may wait (default 120: two ticks a minute apart).")] = 120,
) -> None:
    """How long the oldest due, unfired deadline has waited (the tick's watchdog figure), for monitoring
    outside Prefect (cron, Nagios, a systemd timer). Exit 1 when it waited longer than --threshold."""
    from coop.cli import _invocation
    from states.tick import watch_deadlines

    figure = run(watch_deadlines, readonly=True)
    if _invocation.get().json:
        show(figure.as_dict(threshold))
    else:
        _invocation.get().echo(str(figure.message(threshold)))
    if figure.late(threshold):
        raise typer.Exit(LATE_EXIT)


# --- audit, rules, calendar, database -------------------------------------------------------------------------


@command(rules_app, "list")
def rules_list() -> None:
    """Rule-set versions available, and which one new cases take."""
    from states.queries import rule_set_versions

    show(run(rule_set_versions, readonly=True))


@command(rules_app, "show")
def rules_show(version: Annotated[str | None, typer.Argument(
        help="A version from `coop rules list` (default: the one new cases take).")] = None) -> None:
    """One rule set, every setting with its value."""
    from states.queries import rule_set_body

    show(run(rule_set_body, version, readonly=True))


@command(calendar_app, "period")
def calendar_period(trigger: Annotated[str, typer.Argument(help="Trigger date or moment.")],
                    amount: Annotated[int, typer.Argument(min=0, max=quick.PERIOD_LIMIT,
                                                          help="How many units the period lasts.")],
                    unit: Annotated[str, typer.Argument(help="days | working_days | weeks | months")] = "days",
                    office: Annotated[bool, typer.Option(
                        "--office", help="A period the office sets for itself: never shifted.")] = False,
                    closing: Annotated[str, typer.Option(help="Closing time, HH:MM[:SS].")] = "23:59:59") -> None:
    """Compute a deadline and say why it falls where it does."""
    from states.calendar_handlers import compute_period

    show(compute_period(trigger, amount, unit, party=not office, closing=closing))


@command(calendar_app, "day")
def calendar_day(day: Annotated[str, typer.Argument(help="YYYY-MM-DD")]) -> None:
    """Is this a working day, a holiday, a day off for a party's deadline?"""
    from states.calendar_handlers import describe_day

    show(describe_day(day))


@command(db_app, "upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema (Alembic migrations); as the owner role when COOP_DATABASE_OWNER_URL is set."""
    show({**_as_owner(), **_database_facts()})


def _as_owner() -> dict:
    """With COOP_DATABASE_OWNER_URL: migrate as the owner and grant the engine's role (models/roles.py)."""
    from models.db import database_url
    from models.roles import migrate_as_owner, owner_url

    owner = owner_url()
    return migrate_as_owner(owner, database_url()) if owner else {}


@command(db_app, "init")
def db_init(simulation: Annotated[bool | None, typer.Option(
        "--simulation/--real", envvar="COOP_SIMULATION", show_default=False,
        help="A simulation (demo, what-if, tests: any --at) or a database for real work (default: real). "
             "Decided once; a database never changes mode.")] = None) -> None:
    """Create the database (schema and clock mode), or say what it is; a different mode is refused."""
    from models.db import get_engine
    from models.settings import REAL, SIMULATION, initialise_clock

    roles = _as_owner()
    _, created = initialise_clock(get_engine(), SIMULATION if simulation else REAL)
    show({**roles, **_database_facts(), "created": created})


@command(db_app, "info")
def db_info() -> None:
    """The database: where it is, its schema revision, and whether it is real or a simulation."""
    show(_database_facts())


def _database_facts() -> dict:
    from models.db import current_revision, get_engine, shown_url
    from models.settings import SIMULATION, clock_mode
    from states.clock import BACKDATING_WINDOW, SKEW
    from states.text import ntr, tr

    engine = get_engine()  # migrates on first use
    mode = clock_mode(engine)  # written on first use: real unless COOP_SIMULATION=1
    if mode == SIMULATION:
        rule = tr("a simulation: a step may claim any moment (--at, COOP_NOW)")
    else:
        rule = ntr("a real database: a step takes the time of writing or, with a reason (--at-reason), a moment "
                   "at most {n} day back; never the future (clock tolerance {minutes} min)",
                   "a real database: a step takes the time of writing or, with a reason (--at-reason), a moment "
                   "at most {n} days back; never the future (clock tolerance {minutes} min)",
                   BACKDATING_WINDOW.days, minutes=int(SKEW.total_seconds() // 60))
    return {"database": shown_url(engine.url.render_as_string(hide_password=False)),
            "revision": current_revision(engine), "clock": mode, "clock_rule": str(rule)}


@command(app, "demo")
def demo(database: Annotated[str | None, typer.Option(help="Database URL (default: a fresh SQLite file).")] = None,
         offers: Annotated[int, typer.Option(min=1, max=50, help="How many offers the demo call receives.")] = 6) -> None:
    """Run a whole open call on a simulation database (a new one by default) and print its history."""
    from coop.demo import run_demo

    run_demo(database, offers)


# The open call's commands (coop/procedures/open_call.py) join its groups declared above, before any other module
# adds a command to them (`coop report annual` comes after `report submit`).
from coop.procedures import open_call  # noqa: E402,F401
