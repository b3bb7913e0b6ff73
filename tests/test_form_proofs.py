"""Proofs of who answered a form (states/form_proofs.py) and ``coop form proof``: no Prefect, no database.

The flows' use of them (refusals shown in the next form, nothing recorded) is tested in tests/test_flows.py and,
under a real deployment, tests/test_forms_suspended.py."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from states.errors import DomainError
from states.form_proofs import issue_form_proof, read_form_proof, signing_key, verify_form_proof

ROOT = Path(__file__).resolve().parents[1]
RUN = str(uuid.uuid4())
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture()
def key_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "keys" / "form-proof-key"
    monkeypatch.setenv("COOP_FORM_PROOF_KEY_FILE", str(path))
    return path


def refusal(code: str | None, **kwargs) -> str:
    with pytest.raises(DomainError) as refused:
        verify_form_proof(code, **{"flow_run_id": RUN, "form_key": "score-2", "now": NOW, **kwargs})
    return refused.value.rule


def test_a_proof_binds_person_run_form_and_expiry_and_the_key_is_made_private(key_file):
    code = issue_form_proof("Ewa Nowak", RUN, "score-2", NOW, timedelta(minutes=15), role="committee_member")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() not in code  # the code carries what it binds, never the key
    proof = verify_form_proof(code, flow_run_id=RUN, form_key="score-2", now=NOW + timedelta(minutes=14),
                              person="Ewa Nowak")
    assert (proof.person, proof.role, proof.flow_run_id, proof.form_key) == ("Ewa Nowak", "committee_member", RUN,
                                                                             "score-2")
    assert proof.expires_at == NOW + timedelta(minutes=15)
    assert refusal(code, now=NOW + timedelta(minutes=15)) == "form_proof_expired"
    assert refusal(code, flow_run_id=str(uuid.uuid4())) == "form_proof_other_run"
    assert refusal(code, form_key="score-3") == "form_proof_other_form"
    assert refusal(code, person="Jan Kowalski") == "form_proof_other_person"
    assert refusal("") == "form_proof_missing" and refusal(None) == "form_proof_missing"


def test_a_changed_or_foreign_proof_is_forged(key_file):
    code = issue_form_proof("Ewa Nowak", RUN, "score-2", NOW)
    head, payload, mac = code.split(".")
    other = issue_form_proof("Jan Kowalski", RUN, "score-2", NOW).split(".")[1]
    assert refusal(f"{head}.{other}.{mac}") == "form_proof_forged"  # another person's payload, this MAC
    assert refusal(f"{head}.{payload}.{mac[::-1]}") == "form_proof_forged"
    assert refusal("coop1.e30.AAAA") == "form_proof_forged" and refusal("nonsense") == "form_proof_forged"
    foreign = issue_form_proof("Ewa Nowak", RUN, "score-2", NOW, key=b"another engine's key, 32 bytes or more")
    assert refusal(foreign) == "form_proof_forged"
    assert read_form_proof(code).person == "Ewa Nowak"


def test_a_key_others_may_read_is_refused_and_a_missing_one_verifies_nothing(key_file):
    assert refusal("coop1.e30.AAAA") == "form_proof_key_missing"  # no key yet: made on the first issue only
    with pytest.raises(DomainError) as missing:
        signing_key()
    assert missing.value.rule == "form_proof_key_missing" and not key_file.exists()
    code = issue_form_proof("Ewa Nowak", RUN, "score-2", NOW)
    key_file.chmod(0o640)
    with pytest.raises(DomainError) as exposed:
        verify_form_proof(code, flow_run_id=RUN, form_key="score-2", now=NOW)
    assert exposed.value.rule == "form_proof_key_exposed" and "chmod 600" in exposed.value.message()


def test_coop_form_proof_prints_a_code_for_the_cli_person_and_refuses_bad_input(key_file):
    env = {**os.environ, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": "officer"}
    made = subprocess.run([sys.executable, "-m", "coop", "form", "proof", RUN, "review-1", "--minutes", "5"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    proof = verify_form_proof(made.stdout.strip(), flow_run_id=RUN, form_key="review-1", now=datetime.now(UTC))
    assert (proof.person, proof.role) == ("Anna Urzędniczka", "officer")
    assert proof.expires_at <= datetime.now(UTC) + timedelta(minutes=5)
    assert "Anna Urzędniczka" in made.stderr and "review-1" in made.stderr  # for whom, which form, until when
    for args in (["not-a-run", "review-1"], [RUN, "review 1; rm"], [RUN, "review-1", "--minutes", "0"]):
        bad = subprocess.run([sys.executable, "-m", "coop", "form", "proof", *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr and not bad.stdout.strip(), args
