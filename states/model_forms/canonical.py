"""The canonical content of a filed form and its SHA-256: the receipt's hash, recomputable by anyone.

Canonical JSON: UTF-8, keys sorted, no insignificant whitespace, amounts as strings with two decimals, dates in
ISO 8601 (``model_dump(mode="json")``). tools/verify_receipt.py recomputes it with the standard library alone.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_bytes(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(content)).hexdigest()
