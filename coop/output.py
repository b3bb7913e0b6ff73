"""What a command prints: JSON for scripts; for people, a table for lists and ``key: value`` lines for records.

No typer here: the quick path (coop/quick.py) prints through this module without loading the CLI framework.
Every moment is shown in Europe/Warsaw with its offset (kernel/local_time.py): ISO 8601 in JSON, the people's
form in text.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from states.local_time import moment_iso, moment_text
from states.text import tr


@dataclass(frozen=True)
class Invocation:
    json: bool
    at: str | None
    actor: str | None
    role: str | None
    echo: Callable[..., None]  # typer.echo under typer; plain_echo on the quick path
    reason: str | None = None  # why the step is dated in the past (--at-reason, COOP_REASON)
    # The run's idempotency key (--idempotency-key / COOP_IDEMPOTENCY_KEY, else a new one) and whether a person
    # or a script gave it; ``writes`` counts the commands it has keyed (coop/cli.py ``run``).
    key: str | None = None
    key_given: bool = False
    writes: list = field(default_factory=list)


_invocation: contextvars.ContextVar[Invocation] = contextvars.ContextVar("invocation")

_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")  # what click strips from output that is not a terminal


def plain_echo(message: Any, *, err: bool = False) -> None:
    """``typer.echo`` for a text line, where the quick path runs (a UTF-8 stream, not Windows): a newline,
    escape codes removed unless the stream is a terminal, flushed."""
    import sys

    stream = sys.stderr if err else sys.stdout
    text = ("" if message is None else str(message)) + "\n"
    try:
        terminal = stream.isatty()
    except Exception:
        terminal = False
    stream.write(text if terminal else _ANSI.sub("", text))
    stream.flush()


def _plain(value: Any, moment: Callable[[datetime], str] = moment_iso) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value), moment)
    if isinstance(value, dict):
        return {str(k): _plain(v, moment) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, moment) for v in value]
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date | Decimal):
        return str(value)
    if hasattr(value, "in_language"):  # a message (kernel/text.py): in the run's language
        return str(value)
    return value


def _line(value: Any) -> str:
    """A nested value on one line, as people read it: "a: 1, b: 2", never a Python repr."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_line(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_line(v) for v in value)
    if isinstance(value, bool):  # not Python's True / False
        return str(tr("yes") if value else tr("no"))
    return "" if value is None else str(value)


def show(result: Any, columns: list[str] | None = None) -> None:
    """JSON for scripts; for people, a table for lists and ``key: value`` lines for records."""
    invocation = _invocation.get()
    plain = _plain(result, moment_iso if invocation.json else moment_text)
    echo = invocation.echo
    if invocation.json:
        echo(json.dumps(plain, ensure_ascii=False, indent=2))
        return
    if isinstance(plain, list):
        _table(plain, columns, echo)
    elif isinstance(plain, dict):
        for key, value in plain.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                echo(f"{key}:")
                _table(value, None, echo)
            elif isinstance(value, list):
                echo(f"{key}:")
                for item in value:
                    echo(f"  {_line(item)}")
            elif isinstance(value, dict):  # e.g. the proposal of grants: one "offer: amount" line each
                echo(f"{key}:")
                for inner, item in value.items():
                    echo(f"  {inner}: {_line(item)}")
            else:
                echo(f"{key}: {_line(value)}")
    else:
        echo(plain)


def _table(rows: list[dict], columns: list[str] | None, echo: Callable[..., None]) -> None:
    if not rows:
        echo(str(tr("(none)")))
        return
    from rich.console import Console
    from rich.table import Table

    columns = columns or list(rows[0])
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else _line(row.get(c)) for c in columns))
    Console(width=200).print(table)


def show_receipt(answer: dict[str, Any], heading: Any, *, kind: str) -> None:
    """A filing's receipt (an offer's or a report's on a model form): for scripts (``--json``) the answer as it is;
    for people, in the run's language (Polish unless ``COOP_LANG=en``): what was filed, its receipt number, the case
    and its state, the moment of receipt in Warsaw time and the SHA-256 of the filed content. ``kind``: the case's,
    which names its state: ``"offer"`` for an open call's offer, whose state is its own (the case is the call's):
    then the offer's number and state, and the report's number when a report was filed."""
    from states import labels

    invocation = _invocation.get()
    if invocation.json:
        show(answer)
        return
    echo = invocation.echo
    echo(str(heading))
    rows: list[tuple[Any, Any]] = [
        (tr("Receipt number"), answer["receipt"]),
        (tr("Case"), f"{answer['code']} ({labels.state(kind, answer['state'])})"),
        (tr("Received (Warsaw time)"), moment_text(datetime.fromisoformat(answer["received_at"]))),
        ("SHA-256", answer["sha256"]),
    ]
    if kind == "offer":  # an open call's offer: the call's case, the offer's number and its own state
        rows[1] = (tr("Case"), answer["code"])
        rows.insert(2, (tr("Offer"), f"{answer['offer']} ({labels.state(kind, answer['state'])})"))
        if answer.get("report"):
            rows.insert(3, (tr("Report"), answer["report"]))
    if answer.get("version"):
        rows.insert(1, (tr("Version"), answer["version"]))
    if answer.get("publish_by"):
        rows.append((tr("Published by the office by (art. 19a ust. 3)"), answer["publish_by"]))
    if answer.get("late"):
        rows.append((tr("Late"), tr("yes")))
    for label, value in rows:
        echo(f"{label}: {value}")
