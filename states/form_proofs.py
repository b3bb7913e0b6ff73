"""Proof of who answered a form: a short-lived code the engine signs and verifies, Prefect never can.

A form waiting in a flow run (a formal review, a committee member's declaration or scores, an officer's step run
from the UI) is answered through Prefect's API, where anyone holding the server's auth string may submit
anything. So an answer is recorded only with a **proof**: a code issued to the authenticated person (``coop form
proof``, later the officers' desk) that binds

- the person (and the role they act in),
- the flow run (its id) and the form (its key, e.g. ``score-2``),
- an expiry (``DEFAULT_TTL`` after issue),

signed with HMAC-SHA256 under a key only the engine holds: a 0600 file in the user data directory
(``form-proof-key``) or at the path ``COOP_FORM_PROOF_KEY_FILE`` names (production:
``/etc/coop-engine/form-proof-key``, beside the workers' environment). The key is never a run parameter, a
row, a log line or anything in Prefect's database (invariant 12); the code carries no secret, only what it
binds, and is worthless for any other run, form or person, or after its expiry.

The code: ``coop1.<payload>.<mac>``, both parts base64url without padding; the payload is JSON
``{"p": person, "r": role, "run": flow run id, "f": form key, "exp": expiry as Unix seconds}``; the MAC is over
``coop-form-proof-v1.`` + the payload part. A person pastes it into the form's ``proof`` field.

This module imports nothing of Prefect: the desk issues codes with ``issue_form_proof`` and the flows verify
them with ``verify_form_proof`` before the engine executes anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kernel.private_files import create_private, exposed
from states.errors import InvalidInput, NotPermitted
from states.text import tr

PREFIX = "coop1"
_DOMAIN = b"coop-form-proof-v1."
DEFAULT_TTL = timedelta(minutes=15)
MAX_TTL = timedelta(hours=24)
KEY_ENV = "COOP_FORM_PROOF_KEY_FILE"
KEY_FILE_NAME = "form-proof-key"


@dataclass(frozen=True)
class FormProof:
    person: str
    role: str
    flow_run_id: str
    form_key: str
    expires_at: datetime


class KeyRefused(InvalidInput):
    """The engine's form-proof key is missing or readable by others: no proof can be issued or trusted."""


# --- the key ----------------------------------------------------------------------------------------------------


def key_path() -> Path:
    given = os.environ.get(KEY_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    from models.db import user_data_path

    return user_data_path() / KEY_FILE_NAME


def signing_key(*, create: bool = False) -> bytes:
    """The engine's key: made on first issue when ``create`` (0600 from creation), else read back. A file others
    may read is refused, not repaired: the key may have leaked, and every proof it signed could be forged."""
    path = key_path()
    if not path.exists():
        if not create:
            raise KeyRefused("form_proof_key_missing", tr(
                "The engine has no form-proof key ({path}): no proof can be verified; issue one first with "
                "coop form proof (it makes the key)", path=path))
        create_private(path, secrets.token_urlsafe(32) + "\n")  # made meanwhile by another process: theirs
    if exposed(path):
        raise KeyRefused("form_proof_key_exposed", tr(
            "{path} may be read by other users: the form-proof key must be private. Run: chmod 600 {path} (and "
            "replace the key if it may have leaked: delete the file; proofs issued before stop working)", path=path))
    value = path.read_text().strip()
    if len(value) < 32:
        raise KeyRefused("form_proof_key_missing", tr("{path} holds no usable key: delete it and issue a proof again",
                                                      path=path))
    return value.encode()


# --- issue and verify -------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, _DOMAIN + payload.encode(), hashlib.sha256).digest())


def issue_form_proof(person: str, flow_run_id: str, form_key: str, now: datetime, ttl: timedelta = DEFAULT_TTL, *,
                     role: str = "officer", key: bytes | None = None) -> str:
    """A proof that ``person`` (acting as ``role``) answers form ``form_key`` of flow run ``flow_run_id``, valid
    from ``now`` for ``ttl``. The caller has authenticated the person (the CLI's person, the desk's login)."""
    if not person.strip() or not str(flow_run_id).strip() or not form_key.strip():
        raise InvalidInput("form_proof_incomplete", tr("A proof names a person, a flow run and a form"))
    if not timedelta(0) < ttl <= MAX_TTL:
        raise InvalidInput("form_proof_ttl", tr("A proof is valid for more than 0 and at most {hours} hours",
                                                hours=int(MAX_TTL.total_seconds() // 3600)))
    expires = int((now + ttl).timestamp())
    payload = _b64(json.dumps({"p": person, "r": role, "run": str(flow_run_id), "f": form_key, "exp": expires},
                              ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode())
    return f"{PREFIX}.{payload}.{_mac(key if key is not None else signing_key(create=True), payload)}"


def read_form_proof(code: str | None, *, key: bytes | None = None) -> FormProof:
    """What a proof says, once its signature is checked; refused when missing or not signed by this engine."""
    code = (code or "").strip()
    if not code:
        raise InvalidInput("form_proof_missing", tr("No proof of who answers: paste the code printed by coop form "
                                                    "proof into the form's proof field"))
    forged = InvalidInput("form_proof_forged", tr("The proof is not valid: it was not issued by this engine or was "
                                                  "changed; ask for a new one with coop form proof"))
    parts = code.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise forged
    _, payload, mac = parts
    if not hmac.compare_digest(_mac(key if key is not None else signing_key(), payload), mac):
        raise forged
    try:
        data = json.loads(_unb64(payload))
        return FormProof(person=str(data["p"]), role=str(data["r"]), flow_run_id=str(data["run"]),
                         form_key=str(data["f"]), expires_at=datetime.fromtimestamp(int(data["exp"]), UTC))
    except (ValueError, KeyError, TypeError, binascii.Error):  # signed by us, so never; but never a traceback
        raise forged from None


def verify_form_proof(code: str | None, *, flow_run_id: str, form_key: str, now: datetime,
                      person: str | None = None, key: bytes | None = None, expired_ok: bool = False) -> FormProof:
    """The proof of the answer to form ``form_key`` of run ``flow_run_id``: signed by this engine, for this run
    and this form, not expired at ``now`` (real time, never a claimed moment), and, when the form is assigned to
    ``person``, that person's. Each refusal says which (a DomainError: nothing is recorded)."""
    proof = read_form_proof(code, key=key)
    if proof.flow_run_id != str(flow_run_id):
        raise InvalidInput("form_proof_other_run", tr(
            "The proof was issued for another flow run ({given}); ask for one for this run: coop form proof {run} {form}",
            given=proof.flow_run_id, run=flow_run_id, form=form_key))
    if proof.form_key != form_key:
        raise InvalidInput("form_proof_other_form", tr(
            "The proof was issued for another form ({given}); this form is {form}: coop form proof {run} {form}",
            given=proof.form_key, run=flow_run_id, form=form_key))
    if not expired_ok and now >= proof.expires_at:
        raise InvalidInput("form_proof_expired", tr(
            "The proof expired at {moment}; ask for a new one: coop form proof {run} {form}",
            moment=proof.expires_at, run=flow_run_id, form=form_key))
    if person is not None and proof.person != person:
        raise NotPermitted("form_proof_other_person", tr(
            "The proof is {given}'s, but this form is assigned to {person}: only they may answer it",
            given=proof.person, person=person))
    return proof
