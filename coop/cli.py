"""``coop``: the officer's command line.

Every command takes ``--json`` (machine-readable output), ``--at`` (the step's moment; or ``COOP_NOW``: any
moment on a simulation database, now or a stated past moment on a real one), ``--at-reason`` (why a step, or a
receipt it records, is dated in the past; or ``COOP_REASON``; named apart from the ``--reason`` some commands
take for their decision), ``--actor`` and ``--role`` (or ``COOP_ACTOR`` / ``COOP_ROLE``). A refused command
prints the rule and its legal basis on stderr and exits non-zero, without a traceback; nothing is written.
Prefect is never imported here except by ``coop serve``.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from coop.output import Invocation, _invocation, show  # noqa: F401  (the command modules take them from here)
from states.errors import DomainError
from states.text import Text

if TYPE_CHECKING:
    import typer

HELP = Text(
    "Silnik procedur współpracy miasta z organizacjami pozarządowymi (ustawa o działalności pożytku publicznego).",
    "Workflow engine for a city's cooperation procedures with NGOs (Polish Act on public benefit activity).",
)


@lru_cache(maxsize=1)
def _app() -> typer.Typer:
    # The typer app is built on first use, not on import: ``coop history`` and ``coop calendar`` answer
    # through coop/quick.py without loading typer (~0.1 s) at all.
    import typer

    return typer.Typer(no_args_is_help=True, help=str(HELP), add_completion=False, pretty_exceptions_enable=False)


def __getattr__(name: str) -> Any:
    if name == "app":  # ``from coop.cli import app``
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def _common() -> list:
    """The options every command shares, as typer parameters (built once, when typer is loaded); coop/quick.py
    reads the same ones (tests/test_b4_quick.py compares them)."""
    import inspect
    from typing import Annotated

    import typer

    return [
        inspect.Parameter("json_output", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=Annotated[bool, typer.Option("--json", help="Output JSON for scripts.")]),
        inspect.Parameter("at", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, typer.Option(
                              "--at", envvar="COOP_NOW",
                              help="The moment to act at (ISO 8601 with offset): any on a simulation database; on a "
                                   "real one now, or a past moment with --at-reason.")]),
        inspect.Parameter("at_reason", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, typer.Option(
                              "--at-reason", envvar="COOP_REASON",
                              help="Why the step is dated in the past (real database), e.g. "
                                   "'received by post, KPA art. 57 § 5'; kept in its history.")]),
        inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, typer.Option("--actor", envvar="COOP_ACTOR",
                                                                        help="Who acts.")]),
        inspect.Parameter("role", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, typer.Option(
                              "--role", envvar="COOP_ROLE",
                              help="officer | committee_member | auditor | scheduler (default officer).")]),
    ]


def command(group: typer.Typer, name: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a CLI command with the options every command shares and one place that turns errors into
    messages: a refusal prints its rule and basis and exits with its code, never a traceback."""
    import functools
    import inspect
    import typing

    import typer

    common = _common()

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, json_output: bool = False, at: str | None = None, actor: str | None = None,
                    role: str | None = None, at_reason: str | None = None, **kwargs: Any) -> None:
            token = _invocation.set(Invocation(json_output, at, actor, role, typer.echo, at_reason))
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
        wrapper.__signature__ = signature.replace(parameters=[*parameters, *common])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**hints, **{p.name: p.annotation for p in common}}
        group.command(name, **options)(wrapper)
        return fn

    return decorate


def fail(message: str, code: int, as_json: dict | None = None) -> None:
    import json

    import typer

    if as_json is not None:
        typer.echo(json.dumps(as_json, ensure_ascii=False), err=True)
    else:
        typer.echo(f"{Text('błąd', 'error')}: {message}", err=True)
    raise typer.Exit(code)


def run(handler: Callable[..., Any], command_input: Any = None, *, readonly: bool = False) -> Any:
    from states.engine import Actor, execute

    inv = _invocation.get()
    actor = Actor.from_environment(inv.actor, inv.role)
    return execute(handler, command_input, actor=actor, at=inv.at, readonly=readonly, reason=inv.reason)


def lazy_module(name: str) -> types.ModuleType:
    """A module imported on first attribute access: ``coop history`` should not pay for every procedure's
    handlers (SQLAlchemy models, machines, templates) just because their commands are registered."""
    import importlib.util

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


def refuse_undecodable(argv: list[str]) -> None:
    """Exit 2 naming the first argument or COOP_* variable that is not UTF-8: Python carries its bytes as
    surrogates, which failed only when the text was hashed or written (a UnicodeEncodeError traceback)."""
    import os

    from states.errors import InvalidInput
    from states.text_policy import undecodable_input

    problem = undecodable_input(argv, os.environ)
    if problem is None:
        return
    error = InvalidInput("undecodable_input", problem)
    if "--json" in argv:
        import json

        sys.stderr.write(json.dumps(error.as_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"{Text('błąd', 'error')}: {error.message()}\n")
    raise SystemExit(2)


def main() -> None:
    from coop.quick import answer

    refuse_undecodable(sys.argv[1:])
    if answer(sys.argv[1:]):  # a read-only question answered without typer; anything else goes below
        return
    # Importing these registers their command groups; none of them may import prefect at module level.
    from coop import audit_cli, commands, notify_cli, procedures_cli, serve  # noqa: F401

    _app()(prog_name="coop")


if __name__ == "__main__":
    sys.exit(main())
