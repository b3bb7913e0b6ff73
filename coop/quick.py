"""Read-only questions answered without typer or SQLAlchemy: ``coop history CODE``, ``coop calendar period``
and ``coop calendar day``.

An officer waits for these, and loading the CLI framework (~0.1 s) and the ORM (~0.25 s) costs far more than
the answer (docs/benchmarks.md, B4). The quick path only ever answers: it reads the plain forms of these
commands, and on anything else (help, an option it does not know, a value to refuse, a database to create or
migrate, an error of any kind) it steps aside before printing anything, and typer runs the command as usual.
So every refusal, message and exit code still comes from one place, and what the quick path prints is what
typer's path prints (tests/test_b4_quick.py runs both and compares them).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coop.output import Invocation, _invocation, plain_echo, show
from kernel.errors import DomainError
from states.actors import ROLES, actor_name
from states.audit import HISTORY_COLUMNS, history_row

# The roles that may read a history: the authorization matrix lets every role run states.cases.case_history (a test
# checks it). The quick path answers a simulation database only: a real one needs a proven person (invariant 9).
HISTORY_READERS = ROLES


# The options every command takes (coop/cli.py declares them for typer; a test compares the two).
COMMON_FLAGS = {"--json": "json_output"}
COMMON_OPTIONS = {"--at": "at", "--at-reason": "at_reason", "--actor": "actor", "--role": "role",
                  "--idempotency-key": "idempotency_key"}
ENVVARS = {"at": "COOP_NOW", "at_reason": "COOP_REASON", "actor": "COOP_ACTOR", "role": "COOP_ROLE",
           "idempotency_key": "COOP_IDEMPOTENCY_KEY"}


@dataclass(frozen=True)
class Form:
    """The plain form of one command, as typer declares it in coop/core_cli.py (a test compares them)."""

    arguments: tuple[str, ...]
    respond: Callable[[dict[str, Any]], bool]
    required: int | None = None  # arguments that must be given (default: all)
    flags: dict[str, str] = field(default_factory=dict)  # option -> parameter
    options: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


def answer(argv: list[str]) -> bool:
    """Answer ``argv`` if it is one of the quick questions in its plain form; False (having printed nothing)
    when typer should run it."""
    for path, form in FORMS.items():
        if tuple(argv[: len(path)]) == path:
            values = _parse(form, argv[len(path):])
            if values is None or not _streams_are_plain():
                return False
            return _guarded(form.respond, values)
    return False


def _parse(form: Form, tokens: list[str]) -> dict[str, Any] | None:
    """Click's reading of these tokens, for the forms it reads the same way every time; None otherwise."""
    flags = {**COMMON_FLAGS, **form.flags}
    options = {**COMMON_OPTIONS, **form.options}
    values: dict[str, Any] = {**{parameter: False for parameter in flags.values()}, **form.defaults}
    given: dict[str, str] = {}
    positional: list[str] = []
    tokens = list(tokens)
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("-"):
            positional.append(token)
            continue
        name, equals, inline = token.partition("=")
        if name in flags and not equals:
            values[flags[name]] = True
        elif name in options and equals:
            given[options[name]] = inline
        elif name in options and tokens and not tokens[0].startswith("-"):
            given[options[name]] = tokens.pop(0)
        else:  # --help, --, an unknown option, a value that looks like one: typer's to read
            return None
    required = len(form.arguments) if form.required is None else form.required
    if not required <= len(positional) <= len(form.arguments):
        return None
    values.update(zip(form.arguments, positional, strict=False))
    for parameter in options.values():
        if parameter in given:
            values[parameter] = given[parameter]
        elif parameter in ENVVARS:
            values[parameter] = os.environ.get(ENVVARS[parameter]) or None  # click ignores an empty variable
    return values


def _streams_are_plain() -> bool:
    """Where ``typer.echo`` would write the text as it is: not Windows, no shell completion asked, standard
    streams with a real (not ASCII) encoding."""
    import codecs
    import io

    if os.name == "nt" or "_COOP_COMPLETE" in os.environ:
        return False
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOBase) or not getattr(stream, "encoding", None) \
                or getattr(stream, "errors", None) is None:
            return False
        try:
            if codecs.lookup(stream.encoding).name == "ascii":
                return False
        except LookupError:
            return False
    return True


def _guarded(respond: Callable[[dict[str, Any]], bool], values: dict[str, Any]) -> bool:
    """Run a quick answer as typer runs a command: Ctrl-C exits 130, a closed pipe exits 1 quietly."""
    import errno

    try:
        return respond(values)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except OSError as error:
        if error.errno != errno.EPIPE:
            raise
        sys.stdout, sys.stderr = _PacifyFlush(sys.stdout), _PacifyFlush(sys.stderr)
        raise SystemExit(1) from None


class _PacifyFlush:
    """A stream whose flush ignores a closed pipe (click's PacifyFlushWrapper), so exiting stays quiet."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        import errno

        try:
            self.wrapped.flush()
        except OSError as error:
            if error.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def _print(values: dict[str, Any], result: Any, columns: list[str] | None = None) -> bool:
    token = _invocation.set(Invocation(values["json_output"], values["at"], values["actor"], values["role"],
                                       plain_echo, values["at_reason"]))
    try:
        show(result, columns)
    finally:
        _invocation.reset(token)
    return True


# --- the questions ----------------------------------------------------------------------------------------------


def _history(values: dict[str, Any]) -> bool:
    from models.db import database_url, plain_connection
    from states.clock import Claim

    # What states.engine.execute checks before it reads: who acts, in what role, at what moment and why.
    role = (values["role"] or os.environ.get("COOP_ROLE") or "officer").strip()
    actor = (values["actor"] or os.environ.get("COOP_ACTOR") or "").strip()
    if role not in HISTORY_READERS or not actor:
        return False
    try:
        actor_name(actor)  # a name the engine's path would refuse is refused there, in its words
    except DomainError:
        return False
    try:
        Claim.of(values["at"], values["at_reason"])
        conn = plain_connection(database_url())
    except Exception:
        return False
    if conn is None:
        return False
    try:
        rows = history_rows(conn, values["code"])
    except Exception:  # whatever the database says, the engine's path says it in its own words
        return False
    finally:
        conn.close()
    if rows is None:
        return False
    return _print(values, rows, list(HISTORY_COLUMNS))


def history_rows(conn: Any, code: str) -> list[dict] | None:
    """``states.cases.case_history`` read with plain SQL; None when the engine's path must answer (a schema
    to migrate or refuse, no such case)."""
    import json

    from kernel.moments import as_utc
    from models.db import schema_is_current

    mark = "?" if type(conn).__module__ == "sqlite3" else "%s"
    cursor = conn.cursor()
    if mark == "?":
        cursor.execute("BEGIN")  # one snapshot for both reads, as the engine's read-only transaction
    if not schema_is_current(conn):
        return None
    # A real database answers only a person proven by their token (invariant 9): the engine's path checks it.
    cursor.execute("SELECT value FROM engine_settings WHERE key = 'clock'")
    if (cursor.fetchone() or (None,))[0] != "simulation":
        return None
    cursor.execute(f"SELECT id FROM cases WHERE code = {mark}", (code,))
    case = cursor.fetchone()
    if case is None:
        return None
    cursor.execute("SELECT seq, at, actor, role, event, subject, from_state, to_state, basis, payload, hash "
                   f"FROM audit_log WHERE case_id = {mark} ORDER BY seq", (case[0],))
    records = cursor.fetchall()

    return [history_row(seq=seq, at=as_utc(at), actor=actor, role=role, event=event, subject=subject,
                        from_state=from_state, to_state=to_state, basis=basis,
                        payload=json.loads(payload) if isinstance(payload, str) else payload, digest=digest)
            for seq, at, actor, role, event, subject, from_state, to_state, basis, payload, digest in records]


PERIOD_LIMIT = 3650  # the most ``coop calendar period`` counts, in any unit


def _period(values: dict[str, Any]) -> bool:
    from states.calendar_handlers import compute_period

    amount = values["amount"]
    # Only the integers click and pydantic read one way; any other spelling is typer's to read or refuse.
    if not re.fullmatch(r"0|[1-9][0-9]{0,3}", amount) or int(amount) > PERIOD_LIMIT:
        return False
    try:
        result = compute_period(values["trigger"], int(amount), values["unit"], party=not values["office"],
                                closing=values["closing"])
    except DomainError:
        return False
    return _print(values, result)


def _day(values: dict[str, Any]) -> bool:
    from states.calendar_handlers import describe_day

    try:
        result = describe_day(values["day"])
    except DomainError:
        return False
    return _print(values, result)


FORMS: dict[tuple[str, ...], Form] = {
    ("history",): Form(("code",), _history),
    ("calendar", "period"): Form(("trigger", "amount", "unit"), _period, required=2, flags={"--office": "office"},
                                 options={"--closing": "closing"},
                                 defaults={"unit": "days", "office": False, "closing": "23:59:59"}),
    ("calendar", "day"): Form(("day",), _day),
}
