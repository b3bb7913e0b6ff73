#!/usr/bin/env python3
"""Verify an exported case history (``coop audit export CODE``) without the engine or its database.

Standard library only, on purpose: anyone can read this file and check the chain. The algorithm
(docs/audit.md) is implemented here independently of ``states/audit.py``:

    content = JSON of the hashed fields (case_code, seq, at, recorded_at, actor, role, event, subject,
              from_state, to_state, basis, payload), keys sorted, separators "," and ":", UTF-8,
              non-ASCII characters kept as they are
    hash    = hex sha256 of (prev_hash + "\\n" + content); the first record's prev_hash is 64 zeros

Usage: python tools/verify_chain.py EXPORT.json [--head CODE=HASH ...]
Exit 0 when every chain verifies, 1 naming the first broken record, 2 when the file cannot be read.
``--head`` compares a chain's last hash with one published elsewhere (e.g. in BIP), which also catches
records cut from the end of an export whose stated length was edited too.
"""

import hashlib
import json
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


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    path, heads = argv[0], {}
    rest = argv[1:]
    while rest:
        if rest[0] != "--head" or len(rest) < 2 or "=" not in rest[1]:
            print(f"unexpected arguments: {' '.join(rest)}", file=sys.stderr)
            return 2
        code, head = rest[1].split("=", 1)
        heads[code] = head
        rest = rest[2:]
    try:
        with open(path, encoding="utf-8") as handle:
            export = json.load(handle)
        chains = export["chains"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"cannot read {path}: {error}", file=sys.stderr)
        return 2
    broken = 0
    for chain in chains:
        failure = verify_chain(chain, heads.pop(chain["case_code"], None))
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
