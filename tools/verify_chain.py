#!/usr/bin/env python3
"""Verify an exported case history (``coop audit export CODE``) without the engine or its database.

Standard library only, on purpose (``cryptography`` for ``--anchors`` alone, below): anyone can read this file
and check the chain. The algorithm
(docs/audit.md) is implemented here independently of ``states/audit.py``:

    content = JSON of the hashed fields (case_code, seq, at, recorded_at, actor, role, event, subject,
              from_state, to_state, basis, payload), keys sorted, separators "," and ":", UTF-8,
              non-ASCII characters kept as they are
    hash    = hex sha256 of (prev_hash + "\\n" + content); the first record's prev_hash is 64 zeros

Usage: python tools/verify_chain.py EXPORT.json [--head CODE=HASH ...]
                                     [--anchors DIR (--public-key FILE | --fingerprint HEX) ...]
Exit 0 when every chain verifies, 1 naming the first broken record, 2 when the file cannot be read.
``--head`` compares a chain's last hash with one published elsewhere (e.g. in BIP), which also catches
records cut from the end of an export whose stated length was edited too.

``--anchors DIR`` checks each chain against the city's signed daily anchors (``<date>.json``, docs/audit.md):
every head anchored for a case of the export must still be the hash of that record, so a record rewritten
and every later hash recomputed after the day of an anchor is found, naming the case and the anchor's date.
An anchor counts only when signed by a key given here (``--public-key`` the PEM file the city published, or
``--fingerprint`` its SHA-256 in hex), never by the key the anchor file carries; a forged or altered anchor
file is reported and fails the check. Checking a signature needs the ``cryptography`` package (Ed25519): it
is imported for ``--anchors`` only; without it the tool stays standard library only.

The people chain (grants, revocations, tokens issued: ``coop audit export-people``) is checked the same way,
as a chain whose code is ``people``, against the people head each anchor of format 2 signs.

Anchor document: "cases" a list of {"id", "code", "seq", "head"}; "people" {"seq", "head"} of the people
chain, or null (format ``coop-anchor/2``; an anchor of format ``coop-anchor/1`` has none); "digest" the hex
sha256 of the canonical JSON of "cases"; "signature" base64 Ed25519 over the canonical JSON of the fields count,
date, digest, fingerprint, format, moment, recorded_at, and people (format 2 only); "fingerprint" the hex
sha256 of the raw 32-byte public key ("public_key", base64). Canonical JSON: keys sorted, separators "," and
":", UTF-8, non-ASCII kept.
"""

import base64
import glob
import hashlib
import json
import os
import sys

GENESIS = "0" * 64
HASHED = ("case_code", "seq", "at", "recorded_at", "actor", "role", "event", "subject",
          "from_state", "to_state", "basis", "payload")


def record_hash(prev_hash, case_code, record):
    content = {name: record.get(name) for name in HASHED}
    content["case_code"] = case_code
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + text).encode("utf-8")).hexdigest()


def verify_chain(chain, published_head=None):
    """Return None, or (seq or None, reason) for the first broken record of one chain."""
    code = chain["case_code"]
    prev, expected = GENESIS, 1
    for record in chain["records"]:
        seq = record.get("seq")
        if seq != expected:
            return seq, f"expected record #{expected}: a record was deleted or reordered"
        if record.get("prev_hash") != prev:
            return seq, "prev_hash does not match the previous record's hash"
        if record_hash(prev, code, record) != record.get("hash"):
            return seq, "content does not match its hash: the record was edited"
        prev, expected = record["hash"], expected + 1
    if chain.get("length") is not None and chain["length"] != expected - 1:
        return None, f"{chain['length']} records stated, {expected - 1} found: records were deleted"
    if chain.get("head") is not None and chain["head"] != prev:
        return None, "the last record's hash does not match the stated chain head"
    if published_head is not None and published_head != prev:
        return None, "the last record's hash does not match the published head"
    return None


ANCHOR_SIGNED_V1 = ("count", "date", "digest", "fingerprint", "format", "moment", "recorded_at")
# coop-anchor/2 also signs "people", the people chain's head; an anchor of format 1 (older) still verifies.
ANCHOR_SIGNED = {"coop-anchor/1": ANCHOR_SIGNED_V1, "coop-anchor/2": ANCHOR_SIGNED_V1 + ("people",)}
PEOPLE = "people"  # the people chain's code (coop audit export-people); no case has it


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def pinned_fingerprints(public_key_files, fingerprints):
    """The fingerprints of the keys the auditor trusts: from PEM files (read with ``cryptography``) or given."""
    from cryptography.hazmat.primitives import serialization  # only for --anchors (see the docstring)

    pinned = {f.strip().lower().replace(":", "") for f in fingerprints}
    for path in public_key_files:
        with open(path, "rb") as handle:
            public = serialization.load_pem_public_key(handle.read())
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        pinned.add(hashlib.sha256(raw).hexdigest())
    return pinned


def check_anchor(document, pinned):
    """None when the anchor is whole and signed by a pinned key, else why not."""
    from cryptography.exceptions import InvalidSignature  # only for --anchors (see the docstring)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    fields = ANCHOR_SIGNED.get(document.get("format"))
    if fields is None:
        return f"unknown format {document.get('format')!r}"
    try:
        signed = canonical({name: document[name] for name in fields})
        raw = base64.b64decode(document["public_key"], validate=True)
        signature = base64.b64decode(document["signature"], validate=True)
        cases = document["cases"]
        people = document["people"] if "people" in fields else None
        if people is not None and not (isinstance(people.get("seq"), int) and isinstance(people.get("head"), str)):
            raise ValueError("people is not {seq, head}")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return f"not an anchor: {type(error).__name__}: {error}"
    if hashlib.sha256(raw).hexdigest() != document["fingerprint"]:
        return "its public key does not match its fingerprint"
    if document["fingerprint"] not in pinned:
        return f"signed by a key that is not pinned (fingerprint {document['fingerprint']})"
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, signed)
    except (InvalidSignature, ValueError):
        return "the signature does not verify: the anchor was forged or altered"
    if hashlib.sha256(canonical(cases)).hexdigest() != document["digest"] or len(cases) != document["count"]:
        return "the case heads do not match the signed digest: the anchor was altered"
    return None


def read_anchors(directory, pinned):
    """(anchors that verify, oldest first; [(file name, why not)] for those that do not)."""
    good, bad = [], []
    for path in sorted(glob.glob(os.path.join(glob.escape(directory), "*.json"))):
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError) as error:
            bad.append((os.path.basename(path), f"cannot be read: {error}"))
            continue
        problem = check_anchor(document, pinned) if isinstance(document, dict) else "not an anchor"
        if problem is None:
            good.append(document)
        else:
            bad.append((os.path.basename(path), problem))
    return good, bad


def missing_days(anchors):
    """Days between the first and the last anchor with no anchor that verifies (said, not a break)."""
    import datetime

    present = {document["date"] for document in anchors}
    first = datetime.date.fromisoformat(anchors[0]["date"])
    last = datetime.date.fromisoformat(anchors[-1]["date"])
    days = (first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    return [day.isoformat() for day in days if day.isoformat() not in present]


def anchored_heads(document):
    """Every head an anchor signs, as {"code", "seq", "head"}: the cases', then the people chain's (format 2)."""
    people = document.get("people") if document.get("format") != "coop-anchor/1" else None
    return list(document["cases"]) + ([dict(people, code=PEOPLE)] if people else [])


def against_anchors(chain, anchors):
    """None, or (seq, reason) for the first anchor of the chain's case (or of the people chain) that the chain no
    longer matches."""
    code = chain["case_code"]
    hashes = {record.get("seq"): record.get("hash") for record in chain["records"]}
    for document in anchors:
        for entry in anchored_heads(document):
            if entry.get("code") != code:
                continue
            seq = entry["seq"]
            if seq not in hashes:
                return seq, (f"anchored on {document['date']} with {seq} records, {len(hashes)} in the export: "
                             "records were deleted")
            if hashes[seq] != entry["head"]:
                return seq, (f"does not match the head anchored on {document['date']}: the history was rewritten "
                             "after it was anchored")
    return None


def parse(argv):
    """(export path, heads, anchors dir, public key files, fingerprints), or raise ValueError."""
    path, heads, anchors, keys, fingerprints = argv[0], {}, None, [], []
    rest = argv[1:]
    while rest:
        if len(rest) < 2:
            raise ValueError(" ".join(rest))
        option, value = rest[0], rest[1]
        if option == "--head" and "=" in value:
            code, head = value.split("=", 1)
            heads[code] = head
        elif option == "--anchors":
            anchors = value
        elif option == "--public-key":
            keys.append(value)
        elif option == "--fingerprint":
            fingerprints.append(value)
        else:
            raise ValueError(" ".join(rest))
        rest = rest[2:]
    return path, heads, anchors, keys, fingerprints


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    try:
        path, heads, anchors_dir, keys, fingerprints = parse(argv)
    except ValueError as error:
        print(f"unexpected arguments: {error}", file=sys.stderr)
        return 2
    anchors = []
    broken = 0
    if anchors_dir is not None:
        if not keys and not fingerprints:
            print("--anchors needs the city's public key: --public-key FILE or --fingerprint HEX (a key taken from "
                  "the anchors themselves would accept anchors forged with any key)", file=sys.stderr)
            return 2
        if not os.path.isdir(anchors_dir):
            print(f"no folder of anchors at {anchors_dir}", file=sys.stderr)
            return 2
        try:
            pinned = pinned_fingerprints(keys, fingerprints)
        except ImportError:
            print("--anchors needs the cryptography package (pip install cryptography)", file=sys.stderr)
            return 2
        except (OSError, ValueError) as error:
            print(f"cannot read the public key: {error}", file=sys.stderr)
            return 2
        anchors, bad = read_anchors(anchors_dir, pinned)
        for name, reason in bad:
            print(f"FORGED anchor {name}: {reason}")
            broken += 1
        print(f"anchors: {len(anchors)} verified" + (f", {anchors[0]['date']} to {anchors[-1]['date']}" if anchors else ""))
        if anchors and missing_days(anchors):
            print(f"anchors: none for {', '.join(missing_days(anchors))} (a tick that did not run, or a file removed)")
    elif keys or fingerprints:
        print("--public-key and --fingerprint go with --anchors DIR", file=sys.stderr)
        return 2
    try:
        with open(path, encoding="utf-8") as handle:
            export = json.load(handle)
        chains = export["chains"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"cannot read {path}: {error}", file=sys.stderr)
        return 2
    for chain in chains:
        failure = verify_chain(chain, heads.pop(chain["case_code"], None))
        if failure is None and anchors:
            failure = against_anchors(chain, anchors)
        if failure is None:
            print(f"OK     {chain['case_code']}: {len(chain['records'])} records, head {chain.get('head')}")
        else:
            seq, reason = failure
            where = f"record #{seq}" if seq is not None else "end of chain"
            print(f"BROKEN {chain['case_code']}: {where}: {reason}")
            broken += 1
    for code in heads:
        print(f"BROKEN {code}: no such chain in the export")
        broken += 1
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
