"""Every command that writes, recorded under its idempotency key in its own transaction (invariant 10).

A key is made once per intent, where the intent is made (one per ``coop`` run, per form answer, per step run
from the Prefect UI, or by ``execute`` itself) and kept through every retry. The row holding it commits with
the command or not at all, so after a COMMIT whose reply was lost the key decides whether the command was
written: found, its recorded result is the answer; absent, the command may run again. A command whose key may
already be used (given from outside, or after an ambiguous COMMIT) first claims the key: on PostgreSQL that
claim waits for any transaction still holding the same key, so two runs of one intent never both commit.

What is kept is what the command answered (what the CLI prints: codes, numbers, states) and who ran it; never
the command's input, so nothing secret lands here (invariant 12). The tick's batches and the dispatcher's
claims are not commands with keys: they are exactly-once by their own rows (claimed deadlines, leases).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import uuid
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, moment


class CommandRecord(Table, table=True):
    __tablename__ = "command_log"
    key: str = Field(primary_key=True, max_length=200)
    handler: str  # module:name of the handler that ran
    actor: str
    role: str
    # sha256 of the handler, the actor and the command's input: one key, one intent (a reused key is refused)
    digest: str = Field(max_length=64)
    result: Any = Field(default=None, sa_type=sa.JSON, nullable=True)  # what the command answered
    written_at: datetime = moment(nullable=False)  # the database's own time of writing


class IntentArrival(Table, table=True):
    """When one intent (a key given from outside, with its digest) first reached a door, by the server's clock: a
    retry of a filing sent before a deadline, whose first attempt is still queued, is received when the first one
    was (``first_arrival``). Written in a short transaction of its own before the command waits for anything."""

    __tablename__ = "intent_arrivals"
    key: str = Field(primary_key=True, max_length=200)
    digest: str = Field(primary_key=True, max_length=64)
    arrived_at: datetime = moment(nullable=False, index=True)


KEY_LENGTH = CommandRecord.__table__.c.key.type.length
_KEY = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{{0,{KEY_LENGTH - 1}}}")


def check_key(key: str) -> str:
    """A key given from outside: printable ASCII a shell passes as it is, within the column's length."""
    if not _KEY.fullmatch(key):
        from kernel.errors import InvalidInput
        from kernel.text import tr

        raise InvalidInput("invalid_idempotency_key", tr("An idempotency key is 1 to {length} characters: letters "
                                                         "A-Z, digits and . _ : @ / + = - (e.g. a uuid).",
                                                         length=KEY_LENGTH))
    return key


@dataclass(frozen=True)
class CommandKey:
    """One intent: its key and what identifies the command run under it."""

    key: str
    handler: str
    actor: str
    role: str
    digest: str
    given: bool  # made outside this call (a person, a script, a task run): it may be recorded already
    subject: str | None = None  # the case the command names, to say where to look when the outcome is unknown

    @classmethod
    def make(cls, handler: Any, command: Any, actor_name: str, role: str, key: str | None = None) -> CommandKey:
        """The key of one run of ``handler`` on ``command``: ``key`` when the intent was made outside (kept
        through its retries), else a new one. The digest leaves out the moment: a retry without ``--at`` runs
        later and is still the same intent."""
        name = command_name(handler)
        body = json.dumps([name, actor_name, role, plain(_input_of(command))], sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(body.encode()).hexdigest()
        subject = getattr(command, "code", None)
        return cls(key or uuid.uuid4().hex, name, actor_name, role, digest, given=key is not None,
                   subject=subject if isinstance(subject, str) else None)


def command_name(handler: Any) -> str:
    """The stored name of a handler, ``namespace:function``: the command log's ``handler`` and the idempotency
    digest carry it, so it outlives a move of the code. A module that moved declares the name its handlers had
    before (``COMMAND_NAMESPACE``), and a key recorded before the move still answers its retry after it."""
    target = getattr(handler, "__wrapped__", handler)
    module = getattr(target, "__module__", "?")
    namespace = getattr(sys.modules.get(module), "COMMAND_NAMESPACE", module)
    return f"{namespace}:{getattr(target, '__qualname__', repr(target))}"


def _input_of(command: Any) -> Any:
    dump = getattr(command, "model_dump", None)
    return dump(mode="json") if dump is not None else command


def plain(value: Any) -> Any:
    """A command's answer as JSON keeps it and as the CLI prints it (coop/output.py's reading): a replayed
    answer prints exactly as the first one did."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


_TABLE = CommandRecord.__table__


@dataclass(frozen=True)
class Recorded:
    digest: str
    result: Any


def look_up(connection: sa.Connection, key: str) -> Recorded | None:
    row = connection.execute(sa.select(_TABLE.c.digest, _TABLE.c.result).where(_TABLE.c.key == key)).first()
    return None if row is None else Recorded(row.digest, row.result)


def claim(connection: sa.Connection, key: CommandKey) -> Recorded | None:
    """Take the key for this transaction, or return what is recorded under it.

    ``INSERT … ON CONFLICT DO NOTHING``: on PostgreSQL, a transaction still holding the same key (a COMMIT whose
    reply never came, still being written) is waited for; committed, its row is read and returned; rolled back,
    the key is ours. SQLite's writers are one at a time already (BEGIN IMMEDIATE)."""
    claimed = connection.execute(_claim_statement(connection.dialect.name), {
        "key": key.key, "handler": key.handler, "actor": key.actor, "role": key.role, "digest": key.digest,
        "result": None}).first()
    return None if claimed is not None else look_up(connection, key.key)


def finish_claimed(connection: sa.Connection, key: CommandKey, result: Any) -> None:
    connection.execute(_FINISH, {"claimed": key.key, "result": plain(result)})


_FINISH = _TABLE.update().where(_TABLE.c.key == sa.bindparam("claimed"))
_CLAIMS: dict[str, Any] = {}


def _claim_statement(dialect: str) -> Any:
    statement = _CLAIMS.get(dialect)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = _CLAIMS[dialect] = (insert(_TABLE).values(written_at=sa.func.now())
                                        .on_conflict_do_nothing(index_elements=["key"]).returning(_TABLE.c.key))
    return statement


# Built once: building an INSERT with its values on every command cost more than executing it (~0.25 ms).
_RECORD = _TABLE.insert().values(written_at=sa.func.now())


def record(connection: sa.Connection, key: CommandKey, result: Any) -> None:
    """One statement: a fresh key (made for this call) cannot be recorded yet; the primary key still guards it."""
    connection.execute(_RECORD, {"key": key.key, "handler": key.handler, "actor": key.actor, "role": key.role,
                                 "digest": key.digest, "result": plain(result)})


_ARRIVALS = IntentArrival.__table__
KEEP_ARRIVALS = timedelta(days=1)  # far longer than any retry waits; older rows are deleted as new ones come
_NOTES: dict[str, Any] = {}


def _note_statement(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (key, digest) DO UPDATE`` keeping the earlier moment, ``RETURNING`` it: one statement
    on either database, whichever attempt of the intent is noted first."""
    statement = _NOTES.get(dialect)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        new = insert(_ARRIVALS)
        earlier = sa.case((new.excluded.arrived_at < _ARRIVALS.c.arrived_at, new.excluded.arrived_at),
                          else_=_ARRIVALS.c.arrived_at)
        statement = _NOTES[dialect] = (new.on_conflict_do_update(index_elements=["key", "digest"],
                                                                 set_={"arrived_at": earlier})
                                       .returning(_ARRIVALS.c.arrived_at))
    return statement


def first_arrival(engine: sa.Engine, key: CommandKey, arrived_at: datetime) -> datetime:
    """The moment the intent ``key`` first reached a door: ``arrived_at`` (this attempt's) or an earlier attempt's
    of the same key and the same input (a reused key with another input is another intent: it gains nothing).
    Committed at once, in its own transaction, so an attempt still queued at the door is known to its retry: on
    the deadline's eve, a client whose first attempt timed out in the queue retries after the deadline, and the
    retry, run first, would be refused as late while the first attempt, run later, filed the offer (B6 saw one
    answer the database contradicted). Both now file it at the first attempt's moment, once, by the key."""
    with engine.begin() as connection:
        first = connection.execute(_note_statement(connection.dialect.name), {
            "key": key.key, "digest": key.digest, "arrived_at": arrived_at}).scalar_one()
        connection.execute(_ARRIVALS.delete().where(_ARRIVALS.c.arrived_at < arrived_at - KEEP_ARRIVALS))
    return min(first, arrived_at)
