"""The hash-chained history of a case (invariant 8).

Each record hashes its own content together with the previous record's hash, so editing, deleting or
reordering any record breaks every hash after it. The algorithm is deliberately plain so that anyone can
check an exported history without the engine (see docs/audit.md):

    content = JSON of the record's fields below, keys sorted, no spaces, UTF-8, non-ASCII kept
    hash    = sha256(prev_hash + "\\n" + content), hex
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "case_code", "seq", "at", "recorded_at", "actor", "role", "event", "subject",
    "from_state", "to_state", "basis", "payload",
)


# What a reader sees of each record (coop history, its JSON): the columns shown, and the row.
HISTORY_COLUMNS = ("seq", "at", "actor", "role", "event", "subject", "from", "to", "basis")


def history_row(*, seq: int, at: datetime, actor: str, role: str, event: str, subject: str, from_state: str | None,
                to_state: str | None, basis: str, payload: Any, digest: str) -> dict[str, Any]:
    from states.calendar import WARSAW

    return {"seq": seq, "at": at.astimezone(WARSAW), "actor": actor, "role": role, "event": event,
            "subject": subject, "from": from_state, "to": to_state, "basis": basis, "payload": payload, "hash": digest}


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:  # most of a record: checked first, by exact type (a subclass takes the long way)
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


_AS_IS = frozenset({str, int, float, bool, type(None)})


def canonical_json(value: Any) -> str:
    return _canonical_text(_plain(value))


def _canonical_text(plain: Any) -> str:
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def jsonable(value: Any) -> Any:
    """What a JSON column gives back, so the stored payload hashes the same after a round trip."""
    return json.loads(canonical_json(value))


def json_ready(value: Any) -> Any:
    """``value`` in JSON's types, to store in a JSON column: once stored and read back it is ``jsonable(value)``,
    and it hashes the same already, without ``jsonable``'s round trip through JSON text (3× the cost; a tick
    stores a payload per record and the template data of every message)."""
    return _plain(value)


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return chain_hash_of_ready(prev_hash, {name: _plain(fields.get(name)) for name in HASHED_FIELDS})


def chain_hash_of_ready(prev_hash: str, ready: dict[str, Any]) -> str:
    """``chain_hash`` of fields already in JSON's types (``json_ready``): a new record's payload is made ready
    once, to be stored, and is not walked again to be hashed."""
    content = _canonical_text({name: ready.get(name) for name in HASHED_FIELDS})
    return hashlib.sha256((prev_hash + "\n" + content).encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    case_code: str
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"record #{self.seq}" if self.seq is not None else "end of chain"
        return f"{self.case_code}: {where}: {self.reason}"


def verify_chain(case_code: str, records: Iterable[dict[str, Any]], head: str | None = None,
                 length: int | None = None) -> Break | None:
    """Return the first broken record of one case's chain, or None if it verifies.

    ``head``/``length`` (kept on the case row) also catch records deleted from the end of the chain.
    """
    prev = GENESIS
    expected_seq = 1
    for record in records:
        seq = record.get("seq")
        if seq != expected_seq:
            return Break(case_code, seq, f"expected record #{expected_seq}: a record was deleted or reordered")
        if record.get("prev_hash") != prev:
            return Break(case_code, seq, "prev_hash does not match the previous record: the chain was cut or reordered")
        if chain_hash(prev, {**record, "case_code": case_code}) != record.get("hash"):
            return Break(case_code, seq, "content does not match its hash: the record was edited")
        prev = record["hash"]
        expected_seq += 1
    if length is not None and expected_seq - 1 < length:
        return Break(case_code, expected_seq, f"missing: {length} records expected, {expected_seq - 1} found: "
                                              "records were deleted from the end")
    if length is not None and expected_seq - 1 > length:
        return Break(case_code, length + 1, f"{length} records expected, {expected_seq - 1} found: records were added")
    if head is not None and prev != head:
        return Break(case_code, None, "the last record's hash does not match the case's chain head")
    return None
