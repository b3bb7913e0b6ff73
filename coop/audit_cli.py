"""The auditor's commands: they only read; nothing in them can change a case."""

from typing import Annotated

import typer

from coop.cli import command, run, show
from coop.commands import audit_app


@command(audit_app, "verify")
def audit_verify(code: Annotated[str | None, typer.Argument(help="A case code; every case when omitted.")] = None) -> None:
    """Recompute the hash chains; exit 1 naming the first broken record."""
    from states.queries import verify_cases

    result = run(verify_cases, code, readonly=True)
    show(result)
    if result["broken"]:
        raise typer.Exit(1)
