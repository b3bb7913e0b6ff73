"""``coop serve``: the served engine (a Prefect server, the deployments, the tick); ``coop prefect setup``: the
engine's automations on a Prefect server of production. Prefect is imported only inside these commands, so
``coop --help`` and every domain command stay free of it."""

from typing import Annotated

import typer

from coop.cli import app, command, group, show
from kernel.desk_link import DESK_PORT


@command(app, "serve")
def serve(port: Annotated[int, typer.Option(help="Port of the Prefect server and UI.")] = 4200,
          host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          tick_seconds: Annotated[int, typer.Option(min=1, help="Seconds between two ticks.")] = 60,
          poll_seconds: Annotated[int, typer.Option(min=1, help="How often the runner looks for runs to start.")] = 5,
          demo: Annotated[bool | None, typer.Option(
              "--demo/--no-demo",
              help="Load the demo programme into an empty database (default: only for the default SQLite file).")] = None,
          desk_port: Annotated[int, typer.Option(help="Port of the officers' desk (0: no desk).")] = DESK_PORT,
          ) -> None:
    """Start the Prefect server (SQLite), the officers' desk and serve the engine's deployments; Ctrl-C stops
    everything."""
    import os

    from flows.launcher import serve_engine

    desk = None
    if desk_port:
        from web.serve import start_desk_thread

        # the served flows' forms send people to this desk (kernel/desk_link.py), unless its public address is set
        if not os.environ.get("COOP_DESK_URL", "").strip():
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            os.environ["COOP_DESK_URL"] = f"http://{f'[{shown}]' if ':' in shown else shown}:{desk_port}"

        desk = start_desk_thread(host, desk_port)
        if desk is None:
            raise typer.Exit(2)
    try:
        raise typer.Exit(serve_engine(host=host, port=port, tick_seconds=tick_seconds, poll_seconds=poll_seconds,
                                      demo=demo))
    finally:
        if desk is not None:
            desk.stop()


@command(app, "desk")
def desk(port: Annotated[int, typer.Option(help="Port of the desk.")] = DESK_PORT,
         host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
         demo_accounts: Annotated[bool, typer.Option(
             "--demo-accounts", help="Make the demo accounts (a simulation database only; docs/desk.md).")] = False,
         ) -> None:
    """Serve the officers' desk alone (no Prefect): log in, the list of what waits for you today, the case pages;
    Ctrl-C stops it."""
    from web.serve import run_desk

    raise typer.Exit(run_desk(host, port, demo_accounts=demo_accounts))


prefect_app = group("prefect", "The engine's Prefect server: its automations.")


@command(prefect_app, "setup")
def prefect_setup() -> None:
    """Create or update, by name, the engine's automations (deploy/automations/) on the Prefect server at
    PREFECT_API_URL: a flow run whose process died is marked Crashed; and close the engine's deployments to
    database, identity and (on a real database) moment parameters. Safe to run again."""
    from coop.cli import _invocation
    from flows.automations import ensure_automations, setup_message
    from flows.doors import close_doors, door_message

    rows = ensure_automations()
    doors = close_doors()
    if _invocation.get().json:
        show(rows + doors)
        return
    for row in rows:
        typer.echo(str(setup_message(row)))
    for row in doors:
        typer.echo(str(door_message(row)))
