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


def form_file(path: str) -> dict:
    """The form's JSON, or a refusal naming the file and what is wrong with it (never a traceback): read by every
    command that files a model form from a JSON file (``coop offer file-form``, ``coop grant file-form``, ...); the
    form itself is then validated by the same pydantic model as the portal's and the JSON door's."""
    import json
    from pathlib import Path

    from states.errors import InvalidInput
    from states.text import tr

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput("form_unreadable", tr("The form file {path} cannot be read: {reason}", path=path,
                                                 reason=error.strerror or str(error))) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInput("form_not_json", tr("The form file {path} is not JSON in UTF-8: {reason}", path=path,
                                               reason=str(error))) from None
    if not isinstance(data, dict):
        raise InvalidInput("form_not_json", tr("The form file {path} is not JSON in UTF-8: {reason}", path=path,
                                               reason=tr("the form is an object {…}")))
    return data
