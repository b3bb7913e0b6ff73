"""RFC 3161 timestamps of the daily anchors (optional): when ``COOP_TSA_URL`` names a timestamping authority, the
day's anchor file is sent to it (its SHA-256) and the authority's signed answer is kept beside the file as
``<date>.tsr``. The anchor's signature proves the city's key made it; the timestamp proves it existed at the
authority's time, so not even the key's holder can make an anchor for a past day afterwards.

The request is the smallest RFC 3161 ``TimeStampReq`` (version 1, a SHA-256 message imprint, a random nonce,
the authority's certificate asked for), encoded here in DER; the answer is kept as it came once its status says
granted. Checking it is OpenSSL's (its certificate chain is the authority's)::

    openssl ts -verify -data 2026-12-06.json -in 2026-12-06.tsr -CAfile tsa-ca.pem

Nothing here is needed for the anchors themselves: without ``COOP_TSA_URL`` no timestamp is asked for.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from pathlib import Path

TSA_ENV = "COOP_TSA_URL"
TIMEOUT_SECONDS = 10.0
_SHA256 = bytes.fromhex("300d06096086480165030402010500")  # AlgorithmIdentifier { id-sha256, NULL }


def tsa_url() -> str | None:
    return os.environ.get(TSA_ENV, "").strip() or None


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def request(data: bytes, nonce: int | None = None) -> bytes:
    """A DER ``TimeStampReq`` for ``data``'s SHA-256."""
    nonce = secrets.randbits(63) if nonce is None else nonce  # positive: its top bit clear
    imprint = _der(0x30, _SHA256 + _der(0x04, hashlib.sha256(data).digest()))
    nonce_bytes = nonce.to_bytes(8, "big")
    return _der(0x30, _der(0x02, b"\x01") + imprint + _der(0x02, nonce_bytes) + _der(0x01, b"\xff"))


def _read(der: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of its content, end of its content) of the DER element at ``at``."""
    tag, first = der[at], der[at + 1]
    if first < 0x80:
        return tag, at + 2, at + 2 + first
    count = first & 0x7F
    size = int.from_bytes(der[at + 2:at + 2 + count], "big")
    return tag, at + 2 + count, at + 2 + count + size


def status(answer: bytes) -> int:
    """The ``PKIStatus`` of a DER ``TimeStampResp``: 0 granted, 1 granted with modifications, 2+ refused."""
    tag, start, _ = _read(answer, 0)
    info_tag, info_start, _ = _read(answer, start)
    status_tag, status_start, status_end = _read(answer, info_start)
    if (tag, info_tag, status_tag) != (0x30, 0x30, 0x02):
        raise ValueError("not a TimeStampResp")
    return int.from_bytes(answer[status_start:status_end], "big")


def stamp(anchor_file: Path, url: str) -> Path:
    """Ask the authority at ``url`` for a timestamp of the file; keep its answer as ``<date>.tsr`` (written whole).
    Raises ``OSError`` (the authority out of reach, or its answer refused)."""
    import httpx

    target = anchor_file.with_suffix(".tsr")
    try:
        answer = httpx.post(url, content=request(anchor_file.read_bytes()), timeout=TIMEOUT_SECONDS,
                            headers={"Content-Type": "application/timestamp-query"})
    except httpx.HTTPError as error:
        raise OSError(f"timestamping authority: {type(error).__name__}") from None  # its URL may hold a token
    if answer.status_code != 200:
        raise OSError(f"timestamping authority answered {answer.status_code}")
    try:
        granted = status(answer.content)
    except (ValueError, IndexError):
        raise OSError("timestamping authority: not a timestamp response") from None
    if granted not in (0, 1):
        raise OSError(f"timestamping authority refused the request (status {granted})")
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(answer.content)
    os.replace(temporary, target)
    return target
