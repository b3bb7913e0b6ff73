"""``coop``: the officer's command line.

Every command takes ``--json`` (machine-readable output), ``--at`` (the simulated clock; or ``COOP_NOW``),
``--actor`` and ``--role`` (or ``COOP_ACTOR`` / ``COOP_ROLE``). A refused command prints the rule and its
legal basis on stderr and exits non-zero, without a traceback; nothing is written. Prefect is never imported
here except by ``coop serve``.
"""

from __future__ import annotations

import contextvars
import functools
import importlib.util
import inspect
import json
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer

from states.errors import DomainError
from states.text import Text

HELP = Text(
    "Silnik procedur współpracy miasta z organizacjami pozarządowymi (ustawa o działalności pożytku publicznego).",
    "Workflow engine for a city's cooperation procedures with NGOs (Polish Act on public benefit activity).",
)

app = typer.Typer(no_args_is_help=True, help=str(HELP), add_completion=False, pretty_exceptions_enable=False)


@dataclass(frozen=True)
class Invocation:
    json: bool
    at: str | None
    actor: str | None
    role: str | None


_invocation: contextvars.ContextVar[Invocation] = contextvars.ContextVar("invocation")

COMMON = [
    inspect.Parameter("json_output", inspect.Parameter.KEYWORD_ONLY, default=False,
                      annotation=Annotated[bool, typer.Option("--json", help="Output JSON for scripts.")]),
    inspect.Parameter("at", inspect.Parameter.KEYWORD_ONLY, default=None,
                      annotation=Annotated[str | None, typer.Option(
                          "--at", envvar="COOP_NOW", help="The moment to act at (ISO 8601 with offset); simulated clock.")]),
    inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY, default=None,
                      annotation=Annotated[str | None, typer.Option("--actor", envvar="COOP_ACTOR", help="Who acts.")]),
    inspect.Parameter("role", inspect.Parameter.KEYWORD_ONLY, default=None,
                      annotation=Annotated[str | None, typer.Option(
                          "--role", envvar="COOP_ROLE",
                          help="officer | committee_member | auditor | scheduler (default officer).")]),
]


def command(group: typer.Typer, name: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a CLI command with the options every command shares and one place that turns errors into
    messages: a refusal prints its rule and basis and exits with its code, never a traceback."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, json_output: bool = False, at: str | None = None, actor: str | None = None,
                    role: str | None = None, **kwargs: Any) -> None:
            token = _invocation.set(Invocation(json_output, at, actor, role))
            try:
                fn(*args, **kwargs)
            except DomainError as error:
                fail(error.message(), error.exit_code, error.as_dict() if json_output else None)
            except Exception as error:  # database down, bad URL: say so plainly
                from sqlalchemy.exc import SQLAlchemyError

                if not isinstance(error, SQLAlchemyError):
                    raise
                fail(str(Text(f"Błąd bazy danych: {error.__class__.__name__}: {str(error).splitlines()[0]}",
                              f"Database error: {error.__class__.__name__}: {str(error).splitlines()[0]}")), 75)
            finally:
                _invocation.reset(token)

        # typer reads the signature and the resolved annotations: add the shared options to both.
        hints = typing.get_type_hints(fn, include_extras=True)
        parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
        wrapper.__signature__ = signature.replace(parameters=[*parameters, *COMMON])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**hints, **{p.name: p.annotation for p in COMMON}}
        group.command(name, **options)(wrapper)
        return fn

    return decorate


def fail(message: str, code: int, as_json: dict | None = None) -> None:
    if as_json is not None:
        typer.echo(json.dumps(as_json, ensure_ascii=False), err=True)
    else:
        typer.echo(f"{Text('błąd', 'error')}: {message}", err=True)
    raise typer.Exit(code)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | Decimal):
        return str(value)
    return value


def show(result: Any, columns: list[str] | None = None) -> None:
    """JSON for scripts; for people, a table for lists and ``key: value`` lines for records."""
    plain = _plain(result)
    if _invocation.get().json:
        typer.echo(json.dumps(plain, ensure_ascii=False, indent=2))
        return
    if isinstance(plain, list):
        _table(plain, columns)
    elif isinstance(plain, dict):
        for key, value in plain.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                typer.echo(f"{key}:")
                _table(value, None)
            elif isinstance(value, list):
                typer.echo(f"{key}:")
                for item in value:
                    typer.echo(f"  {item}")
            else:
                typer.echo(f"{key}: {value}")
    else:
        typer.echo(plain)


def _table(rows: list[dict], columns: list[str] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    if not rows:
        typer.echo(str(Text("(brak)", "(none)")))
        return
    columns = columns or list(rows[0])
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console(width=200).print(table)


def run(handler: Callable[..., Any], command_input: Any = None, *, readonly: bool = False) -> Any:
    from states.engine import Actor, execute

    inv = _invocation.get()
    actor = Actor.from_environment(inv.actor, inv.role)
    return execute(handler, command_input, actor=actor, at=inv.at, readonly=readonly)


def lazy_module(name: str) -> types.ModuleType:
    """A module imported on first attribute access: ``coop history`` should not pay for every procedure's
    handlers (SQLAlchemy models, machines, templates) just because their commands are registered."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def moments(**channels: str | None) -> dict[str, str]:
    return {channel: value for channel, value in channels.items() if value}


def main() -> None:
    # Importing these registers their command groups; none of them may import prefect at module level.
    from coop import audit_cli, commands, notify_cli, procedures_cli, serve  # noqa: F401

    app(prog_name="coop")


if __name__ == "__main__":
    sys.exit(main())
