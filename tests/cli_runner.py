"""typer's ``CliRunner``, with the app's click command built once, not on every ``invoke``.

``typer.testing.CliRunner.invoke`` builds the whole click command tree from the app each time (``coop``'s ~100
commands: ~0.15 s, more than most refused commands cost to run), so a test running many commands spends most
of its time building the same tree. This runner keeps each tree it built, keyed by what a build depends on:
the commands registered on the app and its groups (a module importing ``coop.audit_cli`` adds one) and the
run's language (``coop/help_text.py`` translates the help as the tree is built, from ``COOP_LANG``); the
tree is built inside the invocation's environment, so a test passing ``COOP_LANG`` in ``env`` gets its help in
that language (typer builds before entering it). The rest of ``invoke`` is typer's own (typer 0.2x's
``typer.testing.CliRunner.invoke``: the isolation of streams, environment and terminal width, the handling of
``SystemExit`` and exceptions): typer offers no way to hand it a command already built.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import typer
import typer.testing
from typer.testing import Result

from kernel.text import current_language


def _registered(app: typer.Typer) -> tuple:
    """The shape of the app's command tree: the commands and groups registered on it, group by group."""
    return (tuple(id(info) for info in app.registered_commands),
            tuple((id(info), _registered(info.typer_instance)) for info in app.registered_groups),
            id(app.registered_callback))


class CliRunner(typer.testing.CliRunner):
    _built: dict[tuple, Any] = {}

    def command(self, app: typer.Typer) -> Any:
        """The click command of ``app`` as ``typer.main.get_command`` builds it now (in this language)."""
        key = (id(app), _registered(app), current_language())
        if key not in self._built:
            self._built[key] = typer.main.get_command(app)
        return self._built[key]

    def invoke(self, app: typer.Typer, args: str | Sequence[str] | None = None, input: bytes | str | None = None,
               env: Mapping[str, str | None] | None = None, catch_exceptions: bool = True, color: bool = False,
               **extra: Any) -> Result:
        exc_info = None
        with self.isolation(input=input, env=env, color=color) as outstreams:
            cli = self.command(app)
            return_value = None
            exception: BaseException | None = None
            exit_code = 0
            if isinstance(args, str):
                args = shlex.split(args)
            prog_name = extra.pop("prog_name", None) or self.get_default_prog_name(cli)
            try:
                return_value = cli.main(args=args or (), prog_name=prog_name, **extra)
            except SystemExit as e:
                exc_info = sys.exc_info()
                e_code = 0 if e.code is None else e.code
                if e_code != 0:
                    exception = e
                if not isinstance(e_code, int):
                    sys.stdout.write(str(e_code))
                    sys.stdout.write("\n")
                    e_code = 1
                exit_code = e_code
            except Exception as e:
                if not catch_exceptions:
                    raise
                exception = e
                exit_code = 1
                exc_info = sys.exc_info()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                stdout = outstreams[0].getvalue()
                stderr = outstreams[1].getvalue()
                output = outstreams[2].getvalue()
        return Result(runner=self, stdout_bytes=stdout, stderr_bytes=stderr, output_bytes=output,
                      return_value=return_value, exit_code=exit_code, exception=exception,
                      exc_info=exc_info)  # type: ignore[arg-type]
