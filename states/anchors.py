"""Daily anchors: each day the tick signs every case's chain head and publishes it outside the database.

The hash chain (states/audit.py) proves a history consistent, not authentic: whoever can write the database
may rewrite a record, recompute every later hash and the case's head, and the chain verifies again. An anchor
closes that: once a day (Europe/Warsaw date) the tick reads every case's head in one query, signs them with an
Ed25519 key the database never holds (a file on the workers, 0600), keeps the signed document in
``audit_anchors`` (insert-only, one row a day, migration 0008) and writes it as ``<anchors dir>/<date>.json``.
A rewrite made after a day's anchor no longer matches the head anchored that day, and cannot be re-signed
without the key (``verify_anchors``; ``coop audit verify --anchors``; ``tools/verify_chain.py --anchors``).

The document (docs/audit.md, "Daily anchors")::

    {"format": "coop-anchor/2", "date": "2026-12-06", "moment": "…Z", "recorded_at": "…Z", "count": N,
     "cases": [{"id": 1, "code": "OK/2026/001", "seq": 79, "head": "<sha256 hex>"}, …],   ordered by id
     "people": {"seq": 12, "head": "<sha256 hex>"} (the people chain's head; null while it has no record),
     "digest": sha256 hex of the canonical JSON of "cases",
     "fingerprint": sha256 hex of the raw 32-byte public key, "public_key": base64 of it,
     "signature": base64 Ed25519 signature of the canonical JSON of
                  {"count", "date", "digest", "fingerprint", "format", "moment", "people", "recorded_at"}}

An anchor of format ``coop-anchor/1`` (made before the people head was anchored) has no "people" and its
signature covers the other seven fields; it still verifies, and anchors the cases' heads only.

Canonical JSON: keys sorted, separators "," and ":", UTF-8, non-ASCII kept (as the chain's content).

Where: ``COOP_ANCHOR_KEY`` (the key file; default ``anchor-key.pem`` in the user data directory) and
``COOP_ANCHOR_DIR`` (default ``anchors/`` beside it). No key file: the tick makes no anchor and says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from kernel.private_files import create_private
from models.anchor_tables import AuditAnchor
from models.tables import AuditRecord, Case
from states import audit, events
from states.calendar import local_date
from states.engine import SCHEDULER, Context, execute
from states.errors import DomainError, InvalidInput, NotFound
from states.text import tr

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "coop-anchor/2"  # 2: the people chain's head too ("people", signed); 1: the cases' heads only
KEY_ENV = "COOP_ANCHOR_KEY"
DIR_ENV = "COOP_ANCHOR_DIR"
SIGNED_V1 = ("count", "date", "digest", "fingerprint", "format", "moment", "recorded_at")
SIGNED = (*SIGNED_V1, "people")
# The fields each format signs: an anchor published before the people head was anchored (format 1) still verifies,
# and anchors no people head; the people chain is checked against the format-2 anchors only.
SIGNED_BY_FORMAT = {"coop-anchor/1": SIGNED_V1, FORMAT: SIGNED}
PEOPLE = "people"  # the people chain in the findings (states/people.py PEOPLE_CHAIN; no case has this code)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_path() -> Path:
    from models.db import user_data_path

    given = os.environ.get(KEY_ENV, "").strip()
    return Path(given) if given else user_data_path() / "anchor-key.pem"


def anchors_dir() -> Path:
    from models.db import user_data_path

    given = os.environ.get(DIR_ENV, "").strip()
    return Path(given) if given else user_data_path() / "anchors"


def public_key_path(key_file: Path) -> Path:
    return key_file.with_name(key_file.name.removesuffix(".pem") + ".pub.pem")


def raw_public(public: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- the key ----------------------------------------------------------------------------------------------------


def init_key(key_file: Path | None = None) -> dict[str, str]:
    """Make the signing key: the private key in ``key_file`` (0600, never shown), the public key beside it
    (``….pub.pem``, to publish). An existing key is never overwritten (its anchors would no longer verify with a
    new one). Returns the files and the public key's fingerprint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = key_file or key_path()
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    if not create_private(path, private):
        raise InvalidInput("anchor_key_exists", tr(
            "The signing key {path} exists already; it is never replaced, since anchors signed with it would no "
            "longer verify with a new one. Nothing was changed.", path=str(path)))
    public_file = public_key_path(path)
    public_file.write_bytes(public)
    return {"key_file": str(path), "public_key_file": str(public_file),
            "fingerprint": fingerprint_of(raw_public(key.public_key()))}


def load_key(key_file: Path) -> Ed25519PrivateKey:
    """The private key, from a file only its owner may read."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        raise InvalidInput("anchor_key_readable", tr(
            "The signing key {path} may be read by others (mode {mode}); allow its owner only: chmod 600 {path}.",
            path=str(key_file), mode=f"{mode:04o}"))
    try:
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("anchor_key_invalid", tr(
            "{path} is not an Ed25519 private key in PEM (make one with `coop audit anchor-key init`).",
            path=str(key_file)))
    return key


# --- making the day's anchor --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    day: date
    made: bool  # made by this call (else found: another tick made it)
    document: str


_CASES = Case.__table__.c


def make_anchor(ctx: Context, key: Ed25519PrivateKey) -> Anchor:
    """The day's anchor, made once: found if a tick made it already; else every case's head, read in one query,
    signed, and inserted (a tick that inserts the same day meanwhile wins; this one returns its anchor)."""
    day = local_date(ctx.now)
    found = _found(ctx, day)
    if found is not None:
        return found
    cases = [{"id": row.id, "code": row.code, "seq": row.audit_seq, "head": row.audit_head}
             for row in ctx.session.execute(sa.select(_CASES.id, _CASES.code, _CASES.audit_seq, _CASES.audit_head)
                                            .where(_CASES.audit_seq > 0).order_by(_CASES.id))]
    raw = raw_public(key.public_key())
    document: dict[str, Any] = {
        "format": FORMAT, "date": day.isoformat(), "moment": audit.json_ready(ctx.now),
        "recorded_at": audit.json_ready(ctx.written_at), "count": len(cases), "cases": cases,
        "people": people_head(ctx.session),
        "digest": hashlib.sha256(canonical(cases)).hexdigest(), "fingerprint": fingerprint_of(raw),
        "public_key": base64.b64encode(raw).decode(),
    }
    document["signature"] = base64.b64encode(key.sign(canonical({k: document[k] for k in SIGNED}))).decode()
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    table = AuditAnchor.__table__
    from sqlalchemy.dialects import postgresql, sqlite

    insert = (postgresql.insert if ctx.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)
    written = ctx.session.execute(insert.values(
        day=day, made_at=ctx.now, recorded_at=ctx.written_at, cases=len(cases), digest=document["digest"],
        fingerprint=document["fingerprint"], document=text).on_conflict_do_nothing(index_elements=["day"])
        .returning(table.c.day)).first()
    if written is None:
        return _found(ctx, day)  # another tick's, committed while this one waited on the day's key
    # In the anchor's transaction: the notifications send it to the city's portal (notifications/outbox.py).
    events.publish(ctx, events.AnchorMade(document))
    return Anchor(day, True, text)


def people_head(session) -> dict[str, Any] | None:
    """The people chain's head as the engine keeps it (``engine_settings.people_chain``): {"seq", "head"}, or None
    while the registry has no record."""
    from models.settings import EngineSetting
    from states.people import HEAD_KEY

    settings = EngineSetting.__table__
    value = session.execute(sa.select(settings.c.value).where(settings.c.key == HEAD_KEY)).scalar()
    if value is None:
        return None
    seq, head = value.split(":", 1)
    return {"seq": int(seq), "head": head}


def anchored_heads(document: dict) -> list[dict]:
    """Every head an anchor signs, as {"code", "seq", "head"}: the cases', then the people chain's (code
    ``people``) when the anchor has one (format 2)."""
    people = document.get("people") if document.get("format") != "coop-anchor/1" else None
    return [*document["cases"], *([{"code": PEOPLE, **people}] if people else [])]


def _found(ctx: Context, day: date) -> Anchor | None:
    text = ctx.session.execute(sa.select(AuditAnchor.__table__.c.document)
                               .where(AuditAnchor.__table__.c.day == day)).scalar()
    return None if text is None else Anchor(day, False, text)


def publish(directory: Path, anchor: Anchor) -> Path:
    """The day's file, written whole or not at all (a temporary file renamed); an existing one is kept."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{anchor.day.isoformat()}.json"
    if target.exists():
        return target
    temporary = directory / f".{anchor.day.isoformat()}.{uuid.uuid4().hex}.tmp"  # several workers may share it
    temporary.write_text(anchor.document, encoding="utf-8")
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)
    return target


def daily_anchor(moment: datetime | None = None, *, url: str | None = None, key_file: Path | None = None,
                 directory: Path | None = None) -> dict[str, Any]:
    """The tick's part: the day's anchor made (once, whichever tick comes first), its file written and, with
    ``COOP_TSA_URL``, timestamped (states/timestamps.py). Cheap on every other tick: the day's file (and its
    timestamp) are there, one ``stat`` each. Never raises a refusal: the tick has fired its deadlines already;
    what stopped the anchor is returned (and the tick logs it)."""
    from states.timestamps import stamp, tsa_url

    key_file = key_file or key_path()
    directory = directory or anchors_dir()
    day = local_date(moment or datetime.now(UTC))
    target = directory / f"{day.isoformat()}.json"
    result: dict[str, Any] = {"status": "published", "date": day.isoformat()}
    if not target.exists():
        if not key_file.exists():
            return {"status": "no_key", "message": str(tr(
                "No daily anchor: no signing key at {path} (make one with `coop audit anchor-key init`, or set "
                "{variable}).", path=str(key_file), variable=KEY_ENV))}
        try:
            key = load_key(key_file)
            anchor = execute(make_anchor, key, actor=SCHEDULER, at=moment, url=url, retry_conflicts=True,
                             reason="", keyed=False)
            target = publish(directory, anchor)
        except (DomainError, OSError) as error:
            text = error.message() if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
            return {"status": "failed", "message": str(tr("No daily anchor: {error}", error=text))}
        if anchor.made:
            result = {"status": "made", "digest": json.loads(anchor.document)["digest"], "date": day.isoformat()}
        result["file"] = str(target)
    tsa = tsa_url()
    if tsa is not None and not target.with_suffix(".tsr").exists():
        try:
            result["timestamp"] = str(stamp(target, tsa))
        except OSError as error:
            result.update(timestamp="failed", message=str(tr("No timestamp of the daily anchor: {error}",
                                                             error=str(error))))
    return result


# --- checking a history against published anchors -----------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    """The public keys an auditor trusts: given as PEM files or fingerprints, never taken from the anchors."""

    fingerprints: frozenset[str]

    @classmethod
    def of(cls, public_keys: list[Path], fingerprints: list[str]) -> Pin:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        pinned = {f.strip().lower().replace(":", "") for f in fingerprints}
        for path in public_keys:
            try:
                public = serialization.load_pem_public_key(path.read_bytes())
            except (OSError, ValueError) as error:
                raise InvalidInput("anchor_public_key", tr("Cannot read the public key {path}: {error}",
                                                           path=str(path), error=str(error))) from None
            if not isinstance(public, Ed25519PublicKey):
                raise InvalidInput("anchor_public_key", tr("{path} is not an Ed25519 public key.", path=str(path)))
            pinned.add(fingerprint_of(raw_public(public)))
        if not pinned:
            raise InvalidInput("anchor_key_not_pinned", tr(
                "Give the anchors' public key (--public-key FILE, or --fingerprint HEX) from the city, not from the "
                "anchors' folder: a key taken from the folder would verify anchors forged with any key."))
        return cls(frozenset(pinned))


def read_anchor(path: Path, pin: Pin) -> tuple[dict | None, str | None]:
    """(the anchor, None) when its file is whole, signed by a pinned key; else (None, why not)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        fields = SIGNED_BY_FORMAT.get(document.get("format")) if isinstance(document, dict) else None
        if fields is None:
            return None, f"unknown format {document.get('format') if isinstance(document, dict) else None!r}"
        signed = canonical({k: document[k] for k in fields})
        raw = base64.b64decode(document["public_key"], validate=True)
        signature = base64.b64decode(document["signature"], validate=True)
        cases = document["cases"]
        people = document.get("people") if fields is SIGNED else None
        if people is not None and not (isinstance(people.get("seq"), int) and isinstance(people.get("head"), str)):
            raise ValueError("people is not {seq, head}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return None, f"cannot be read as an anchor: {type(error).__name__}: {error}"
    if fingerprint_of(raw) != document["fingerprint"]:
        return None, "its public key does not match its fingerprint"
    if document["fingerprint"] not in pin.fingerprints:
        return None, f"signed by a key that is not pinned (fingerprint {document['fingerprint']})"
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, signed)
    except (InvalidSignature, ValueError):
        return None, "the signature does not verify: the anchor was forged or altered"
    if hashlib.sha256(canonical(cases)).hexdigest() != document["digest"] or len(cases) != document["count"]:
        return None, "the case heads do not match the signed digest: the anchor was altered"
    return document, None


def read_anchors(directory: Path, pin: Pin) -> tuple[list[dict], list[dict]]:
    """Every anchor file of the folder (``*.json``), oldest first: those that verify, and those that do not."""
    if not directory.is_dir():
        raise NotFound("anchors_dir", tr("No folder of anchors at {path}.", path=str(directory)))
    good, bad = [], []
    for path in sorted(directory.glob("*.json")):
        document, problem = read_anchor(path, pin)
        if document is None:
            bad.append({"file": path.name, "reason": problem})
        else:
            good.append(document)
    return good, bad


def missing_days(anchors: list[dict]) -> list[str]:
    """The days between the first and the last anchor with no anchor that verifies: a tick that did not run,
    a worker without the key, or a file taken away. Not a break of the history; said so an auditor can ask."""
    if not anchors:
        return []
    present = {document["date"] for document in anchors}
    first, last = date.fromisoformat(anchors[0]["date"]), date.fromisoformat(anchors[-1]["date"])
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day.isoformat() for day in days if day.isoformat() not in present]


def compare_with_anchors(heads: dict[tuple[str, int], str], lengths: dict[str, int], anchors: list[dict],
                         codes: set[str] | None = None) -> list[dict]:
    """What the history holds now against every anchored head: ``heads`` maps (case code, seq) to the record's
    hash now, ``lengths`` a case code to its records now. One finding per case, at its first anchor that no
    longer matches, naming the case, the anchor's date and the record."""
    broken: dict[str, dict] = {}
    for document in anchors:
        for entry in anchored_heads(document):
            code, seq = entry["code"], entry["seq"]
            if code in broken or (codes is not None and code not in codes):
                continue
            if code not in lengths:
                reason = (f"anchored on {document['date']} with {seq} records, missing now: the case was deleted or "
                          "renamed" if code != PEOPLE else f"anchored on {document['date']} with {seq} records, "
                          "none now: the people chain was deleted")
            elif lengths[code] < seq:
                reason = (f"anchored on {document['date']} with {seq} records, {lengths[code]} now: "
                          "records were deleted")
            elif heads.get((code, seq)) != entry["head"]:
                reason = (f"record #{seq} does not match the head anchored on {document['date']}: the history was "
                          "rewritten after it was anchored")
            else:
                continue
            broken[code] = {"case": code, "record": seq, "anchor": document["date"], "reason": reason}
    return list(broken.values())


def verify_anchored(ctx: Context, command: tuple[list[dict], str | None]) -> list[dict]:
    """The database's history against verified anchors: the anchored records' hashes read in one query."""
    anchors, code = command
    wanted = {(e["code"], e["seq"]) for d in anchors for e in d["cases"] if code is None or e["code"] == code}
    people = _people_now(ctx, anchors) if code is None else ({}, {})  # the whole database: the people chain too
    if not wanted:
        return compare_with_anchors(*people, anchors, {PEOPLE}) if code is None else []
    log = AuditRecord.__table__
    seqs = sorted({seq for _, seq in wanted})
    heads: dict[tuple[str, int], str] = {}
    query = (sa.select(_CASES.code, log.c.seq, log.c.hash).join_from(log, Case.__table__, _CASES.id == log.c.case_id)
             .where(log.c.seq.in_(sa.bindparam("seqs", expanding=True))))
    if code is not None:
        query = query.where(_CASES.code == code)
    for start in range(0, len(seqs), 500):
        for row in ctx.session.execute(query, {"seqs": seqs[start:start + 500]}):
            if (row.code, row.seq) in wanted:
                heads[(row.code, row.seq)] = row.hash
    # the records present now (not the head kept on the case row, which a rewrite may set to anything)
    counted = dict(ctx.session.execute(sa.select(_CASES.code, sa.func.count(log.c.id))
                                       .join_from(Case.__table__, log, _CASES.id == log.c.case_id, isouter=True)
                                       .where(_CASES.code == code if code is not None else sa.true())
                                       .group_by(_CASES.code)).all())
    heads.update(people[0])
    counted.update(people[1])
    return compare_with_anchors(heads, counted, anchors, None if code is None else {code})


def _people_now(ctx: Context, anchors: list[dict]) -> tuple[dict[tuple[str, int], str], dict[str, int]]:
    """The people chain now, for its anchored heads: each anchored record's hash, and how many records it holds."""
    from models.people_tables import PeopleRecord

    seqs = sorted({d["people"]["seq"] for d in anchors if d.get("people") and d["format"] != "coop-anchor/1"})
    if not seqs:
        return {}, {}
    log = PeopleRecord.__table__
    heads = {(PEOPLE, row.seq): row.hash for start in range(0, len(seqs), 500)
             for row in ctx.session.execute(sa.select(log.c.seq, log.c.hash).where(log.c.seq.in_(seqs[start:start + 500])))}
    count = ctx.session.execute(sa.select(sa.func.count()).select_from(log)).scalar_one()
    return heads, ({PEOPLE: count} if count else {})
