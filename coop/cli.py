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
from states.text import tr

if TYPE_CHECKING:
    import typer

HELP = "Workflow engine for a city's cooperation procedures with NGOs (Act on public benefit activity)."


@lru_cache(maxsize=1)
def _app() -> typer.Typer:
    # The typer app is built on first use, not on import: ``coop history`` and ``coop calendar`` answer
    # through coop/quick.py without loading typer (~0.1 s) at all.
    import typer

    from coop.help_text import LocalisedGroup

    return typer.Typer(no_args_is_help=True, help=HELP, add_completion=False, pretty_exceptions_enable=False,
                       cls=LocalisedGroup)


def group(name: str, help: str, parent: typer.Typer | None = None) -> typer.Typer:
    """A command group (``coop call``, ``coop grant`` …) whose help follows the run's language."""
    import typer

    from coop.help_text import LocalisedGroup

    sub_app = typer.Typer(no_args_is_help=True, help=help, cls=LocalisedGroup)
    (parent or _app()).add_typer(sub_app, name=name)
    return sub_app


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
        inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, typer.Option(
                              "--idempotency-key", envvar="COOP_IDEMPOTENCY_KEY",
                              help="This intent's key (default: a new one per run). Run a writing command again "
                                   "with the same key and it is done once: the second run prints the first "
                                   "one's result.")]),
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
                    role: str | None = None, at_reason: str | None = None, idempotency_key: str | None = None,
                    **kwargs: Any) -> None:
            given = (idempotency_key or "").strip() or None
            # One key per run of ``coop`` (invariant 10), kept through every retry inside it: the one given (a
            # person or a script running the same intent again), else one the engine makes for the command.
            token = _invocation.set(Invocation(json_output, at, actor, role, typer.echo, at_reason, key=given,
                                               key_given=given is not None))
            _log_errors_to_file()
            try:
                if given is not None:
                    from models.command_log import check_key

                    check_key(given)
                fn(*args, **kwargs)
            except DomainError as error:
                fail(_message(error), error.exit_code, error.as_dict() if json_output else None)
            except Exception as error:  # the database's, or a bug: a message and an exit code, never a traceback
                if isinstance(error, typer.Exit | typer.Abort | typer.TyperException):  # typer's own ends
                    raise
                refusal = unexpected(error)
                fail(_message(refusal), refusal.exit_code, refusal.as_dict() if json_output else None)
            finally:
                _invocation.reset(token)

        # typer reads the signature and the resolved annotations: add the shared options to both.
        hints = typing.get_type_hints(fn, include_extras=True)
        parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
        wrapper.__signature__ = signature.replace(parameters=[*parameters, *common])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**hints, **{p.name: p.annotation for p in common}}
        from coop.help_text import LocalisedCommand

        group.command(name, cls=LocalisedCommand, **options)(wrapper)
        return fn

    return decorate


def fail(message: str, code: int, as_json: dict | None = None) -> None:
    import json

    import typer

    if as_json is not None:
        typer.echo(json.dumps(as_json, ensure_ascii=False), err=True)
    else:
        typer.echo(tr("error: {message}", message=message), err=True)
    raise typer.Exit(code)


def run(handler: Callable[..., Any], command_input: Any = None, *, readonly: bool = False) -> Any:
    from states.engine import execute

    inv = _invocation.get()
    actor = current_principal()
    key = None
    if not readonly and inv.key_given:  # a second writing command in the same run gets a key derived from it
        inv.writes.append(handler)
        key = inv.key if len(inv.writes) == 1 else f"{inv.key}.{len(inv.writes)}"
    # Without a key given, execute makes one for this intent and keeps it through its retries.
    return execute(handler, command_input, actor=actor, at=inv.at, readonly=readonly, reason=inv.reason,
                   idempotency_key=key)


def current_principal(role: str | None = None) -> Any:
    """Who runs this ``coop`` command (states.people.principal): on a real database the person proven by their
    personal token (``COOP_TOKEN`` or the file ``coop login`` wrote), else refused; on a simulation database
    a name given with --actor may stand in. ``role`` is the role asked for when --role gave none. Verified once
    per command (one indexed read)."""
    from states.people import principal

    inv = _invocation.get()
    return principal(inv.actor, inv.role or role)


ERROR_LOG = "coop.errors"  # the logger an internal error's detail goes to: a file, never the person's screen


def error_log_path() -> str:
    import os

    from platformdirs import user_log_dir

    return os.environ.get("COOP_LOG_FILE") or os.path.join(user_log_dir("coop-engine", appauthor=False), "coop.log")


def _log_errors_to_file() -> None:
    """Send the ``coop.errors`` log to the file of ``error_log_path`` (opened only when something is written),
    never to stderr."""
    import logging
    import os

    path = os.path.abspath(error_log_path())
    logger = logging.getLogger(ERROR_LOG)
    logger.propagate = False
    if any(getattr(handler, "baseFilename", None) == path for handler in logger.handlers):
        return
    for handler in list(logger.handlers):  # the path changed (COOP_LOG_FILE): one file at a time
        logger.removeHandler(handler)
        handler.close()

    class _Handler(logging.FileHandler):
        def _open(self):  # the directory is made only when an error is written
            os.makedirs(os.path.dirname(self.baseFilename), exist_ok=True)
            return super()._open()

    handler = _Handler(path, delay=True, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)


def unexpected(error: Exception) -> DomainError:
    """What a person is told of an error no rule foresaw: a database error by its SQLSTATE (models/db.py), any
    other an internal error (exit 70) whose traceback goes to the log."""
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    from models.db import InternalError, database_error

    if isinstance(error, SQLAlchemyError):
        return database_error(error)
    logging.getLogger(ERROR_LOG).error("internal error: %s", type(error).__name__, exc_info=error)
    return InternalError("internal_error", tr("Internal error ({name}); the command was not carried out. "
                                              "The details are in the log.", name=type(error).__name__))


def _message(error: DomainError) -> str:
    if error.exit_code == 70:
        return f"{error.message()} ({error_log_path()})"
    return error.message()


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
        sys.stderr.write(str(tr("error: {message}", message=error.message())) + "\n")
    raise SystemExit(2)


def main() -> None:
    from coop.quick import answer

    refuse_undecodable(sys.argv[1:])
    if answer(sys.argv[1:]):  # a read-only question answered without typer; anything else goes below
        return
    from notifications.bootstrap import bootstrap

    bootstrap()  # the domain's events reach the outbox (states/events.py)
    from coop.help_text import framework_language

    framework_language()  # before typer formats a word
    # Importing these registers their command groups; none of them may import prefect at module level.
    from coop import (  # noqa: F401
        audit_cli,
        core_cli,
        form_cli,
        notify_cli,
        people_cli,
        procedures_cli,
        serve,
        settings_cli,
    )

    _app()(prog_name="coop")


if __name__ == "__main__":
    sys.exit(main())
