"""Options and arguments the procedures' CLI modules share."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import moments

Code = Annotated[str, typer.Argument(help="Case code, e.g. MG/2026/001.")]
Bip = Annotated[str | None, typer.Option("--bip", help="Published in BIP at (ISO 8601 with offset).")]
Board = Annotated[str | None, typer.Option("--board", help="Published on the notice board at.")]
Website = Annotated[str | None, typer.Option("--website", help="Published on the city's website at.")]
Channel = Annotated[list[str] | None, typer.Option("--channel", help="CHANNEL=MOMENT, e.g. ngo_portal=2026-10-01T09:00+02:00 (repeatable).")]


def published_channels(bip: str | None, board: str | None, website: str | None, extra: list[str] | None) -> dict[str, str]:
    published = moments(bip=bip, board=board, website=website)
    for item in extra or []:
        channel, _, moment = item.partition("=")
        published[channel.strip()] = moment.strip()
    return published
