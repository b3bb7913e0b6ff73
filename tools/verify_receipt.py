#!/usr/bin/env python3
"""Check a filed offer against its receipt, without the engine: does this content hash to the receipt's SHA-256?

Standard library only, on purpose: anyone can read this file and check a receipt. The rule (docs/offer-form.md) is
implemented here independently of ``states/model_forms/canonical.py``:

    canonical = the content as JSON: keys sorted at every level, separators "," and ":" (no whitespace),
                non-ASCII characters kept as they are (not \\u-escaped), encoded in UTF-8
    sha256    = hex SHA-256 of those bytes

The content is the offer exactly as filed (the JSON the portal or ``coop offer receipt`` exports: amounts as
strings with two decimals, dates YYYY-MM-DD); it is read as it is, nothing is normalised, so a single changed
character changes the hash.

Usage: python tools/verify_receipt.py CONTENT.json (--sha256 HEX | --receipt RECEIPT.json) [--attachment FILE]...
       python tools/verify_receipt.py --receipt RECEIPT.json        (a receipt file that holds "content")

Attachments: the content lists each file filed with the offer under "attachments" (its kind, name, media type,
size and SHA-256), so the receipt's hash proves them too. ``--attachment FILE`` (repeatable) checks, after the
content, that FILE's size and SHA-256 are one of those listed: a downloaded statute is the one filed.

A receipt file is the receipt's JSON: its "sha256" (at the top or inside "receipt"), and optionally the
"content". Exit 0: match; 1: mismatch; 2: a file cannot be read, is not JSON or repeats a key, or the arguments
are wrong.
"""

import argparse
import hashlib
import json
import re
import sys

HEX64 = re.compile(r"[0-9a-f]{64}")


class Unreadable(Exception):
    pass


def _no_repeated_keys(pairs):
    # JSON would keep the last of two equal keys silently: the content shown and the content hashed could differ.
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise Unreadable(f"the key {repeated[0]!r} appears twice in one object")
    return dict(pairs)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, object_pairs_hook=_no_repeated_keys)
    except OSError as error:
        raise Unreadable(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise Unreadable(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise Unreadable(f"{path}: not JSON ({error.msg}, line {error.lineno} column {error.colno})") from None
    except Unreadable as error:
        raise Unreadable(f"{path}: {error}") from None


def canonical_bytes(content):
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_sha256(content):
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def receipt_hash(receipt):
    """The SHA-256 a receipt states: its "sha256", at the top or in its "receipt" object."""
    if isinstance(receipt, dict):
        for holder in (receipt, receipt.get("receipt")):
            if isinstance(holder, dict) and isinstance(holder.get("sha256"), str):
                return holder["sha256"]
    raise Unreadable("the receipt has no \"sha256\"")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="verify_receipt.py",
        description="Check that an offer's content hashes to the SHA-256 of its receipt (exit 0 match, 1 mismatch).")
    parser.add_argument("content", nargs="?", help="the offer's content as filed (JSON)")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--sha256", help="the receipt's SHA-256 (64 hex digits)")
    group.add_argument("--receipt", help="the receipt's JSON file")
    parser.add_argument("--attachment", action="append", default=[],
                        help="a file filed with the offer: its SHA-256 must be listed in the content (repeatable)")
    args = parser.parse_args(argv)
    try:
        receipt = load(args.receipt) if args.receipt else None
        expected = (args.sha256 if args.sha256 is not None else receipt_hash(receipt)).strip().lower()
        if not HEX64.fullmatch(expected):
            raise Unreadable("the receipt's SHA-256 is not 64 hexadecimal digits")
        if args.content:
            content = load(args.content)
        elif isinstance(receipt, dict) and "content" in receipt:
            content = receipt["content"]
        else:
            raise Unreadable("give the content file (or a receipt that holds \"content\")")
    except Unreadable as error:
        print(f"cannot check: {error}", file=sys.stderr)
        return 2
    try:
        files = [(path, file_digest(path)) for path in args.attachment]
    except Unreadable as error:
        print(f"cannot check: {error}", file=sys.stderr)
        return 2
    actual = content_sha256(content)
    if actual != expected:
        print(f"MISMATCH: the content hashes to {actual}, the receipt states {expected}")
        return 1
    print(f"match: the content hashes to {actual}, as the receipt states")
    listed = content.get("attachments") if isinstance(content, dict) else None
    listed = [entry for entry in listed if isinstance(entry, dict)] if isinstance(listed, list) else []
    failed = False
    for path, (size, digest) in files:
        found = next((e for e in listed if e.get("sha256") == digest and e.get("size") == size), None)
        if found is None:
            print(f"MISMATCH: {path} ({size} bytes, SHA-256 {digest}) is not an attachment the content lists")
            failed = True
        else:
            print(f"match: {path} is the attachment {found.get('name')!r} ({found.get('kind')}) the content lists")
    return 1 if failed else 0


def file_digest(path):
    """A file's size and hex SHA-256, read in blocks."""
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 16), b""):
                digest.update(block)
                size += len(block)
    except OSError as error:
        raise Unreadable(f"{path}: {error.strerror or error}") from None
    return size, digest.hexdigest()


if __name__ == "__main__":
    sys.exit(main())
