"""``coop serve``: the served engine (a Prefect server, the deployments, the tick). Prefect is imported
only inside the command, so ``coop --help`` and every domain command stay free of it."""

from typing import Annotated

import typer

from coop.cli import app, command


@command(app, "serve")
def serve(port: Annotated[int, typer.Option(help="Port of the Prefect server and UI.")] = 4200,
          host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          tick_seconds: Annotated[int, typer.Option(min=1, help="Seconds between two ticks.")] = 60,
          poll_seconds: Annotated[int, typer.Option(min=1, help="How often the runner looks for runs to start.")] = 5,
          demo: Annotated[bool | None, typer.Option(
              "--demo/--no-demo",
              help="Load the demo programme into an empty database (default: only for the default SQLite file).")] = None,
          ) -> None:
    """Start the Prefect server (SQLite) and serve the engine's deployments; Ctrl-C stops everything."""
    from flows.launcher import serve_engine

    raise typer.Exit(serve_engine(host=host, port=port, tick_seconds=tick_seconds, poll_seconds=poll_seconds,
                                  demo=demo))
