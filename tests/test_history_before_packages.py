"""Histories of every procedure written by the engine before the procedures moved into packages (states/procedures/,
commit e418bc5) verify, export bit for bit and give the same compliance findings with the engine after the move
(tests/data/procedures_before_packages.py says how the file was made)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.db import get_engine, normalise_url
from models.tables import Case
from states.auditing.compliance import check_export
from states.auditing.history import export_history
from states.engine import execute
from tests.test_audit_verify_outside import AUDITOR, _restore, verify, write

BEFORE = Path(__file__).resolve().parent / "data" / "procedures_before_packages.json"
DATA = json.loads(BEFORE.read_text(encoding="utf-8"))


def test_the_file_holds_every_procedure():
    kinds = {chain["kind"] for export in DATA["exports"].values() for chain in export["chains"]}
    assert kinds == {"open_call", "small_grant", "consultation", "local_initiative", "regranting", "micro_grant"}


def restore(url: str, export: dict) -> None:
    """The export's rows back in a database (tests/test_audit_verify_outside.py), nested cases under their parent."""
    _restore(url, export)
    cases = Case.__table__
    with get_engine(normalise_url(url)).begin() as connection:
        for chain in export["chains"]:
            if chain["parent"]:
                parent = sa.select(cases.c.id).where(cases.c.code == chain["parent"]).scalar_subquery()
                connection.execute(cases.update().where(cases.c.code == chain["case_code"]).values(parent_id=parent))


@pytest.mark.parametrize("code", sorted(DATA["exports"]))
def test_a_history_written_before_the_packages_verifies_and_exports_bit_identically(db_url, tmp_path, code):
    from states.queries import verify_cases

    before = DATA["exports"][code]
    restore(db_url, before)
    for chain in before["chains"]:
        assert execute(verify_cases, chain["case_code"], actor=AUDITOR, url=db_url, readonly=True)["broken"] == []
    now = execute(export_history, code, actor=AUDITOR, url=db_url, readonly=True, at="2026-12-01T10:00+01:00")
    assert json.dumps(now, ensure_ascii=False, indent=1) == json.dumps(before, ensure_ascii=False, indent=1)
    result = verify(write(tmp_path, before))
    assert result.returncode == 0, result.stdout + result.stderr
    assert [f.as_dict() for f in check_export(before)] == DATA["findings"][code]
