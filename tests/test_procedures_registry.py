"""The registry of procedures (states/procedures/__init__.py): one package and one descriptor per procedure, and
everything that must know every procedure reads the registry."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import states.procedures as registry
from states.procedures import PROCEDURES
from states.procedures.descriptor import Procedure

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_a_registered_procedure_with_its_parts():
    packages = {m.name for m in pkgutil.iter_modules(registry.__path__) if m.ispkg}
    assert packages == {p.slug for p in PROCEDURES}
    for procedure in PROCEDURES:
        assert isinstance(procedure, Procedure)
        assert procedure.package == f"states.procedures.{procedure.slug}"
        assert procedure.slug in procedure.case_kinds
        for part in ("machine", "inputs", "handlers"):
            assert (ROOT / "states" / "procedures" / procedure.slug / f"{part}.py").is_file(), (procedure.slug, part)
        assert procedure.compliance is None or procedure.has_compliance
        assert procedure.machine.CODE_PREFIX == procedure.code_prefix
        assert procedure.machine.KIND == procedure.slug


def test_case_kinds_and_code_prefixes_are_unique():
    kinds = registry.case_kinds()
    assert len(kinds) == len(set(kinds))
    assert set(kinds) == {"open_call", "small_grant", "consultation", "local_initiative", "regranting", "micro_grant"}
    prefixes = [p.code_prefix for p in PROCEDURES]
    assert len(prefixes) == len(set(prefixes))


def test_the_tick_reads_every_procedures_deadline_handlers():
    handlers = registry.deadline_handlers()
    for procedure in PROCEDURES:
        own = procedure.handlers.DEADLINE_HANDLERS
        assert own, procedure.slug
        assert {kind: handlers[kind] for kind in own} == own


def test_every_machine_a_kind_names_is_in_its_package():
    for kind in (*registry.case_kinds(), "offer"):
        machine = registry.machine_of_kind(kind)
        assert machine is not None and hasattr(machine, "states"), kind
    assert registry.machine_of_kind("no_such_kind") is None


def test_one_procedures_command_loads_neither_the_others_nor_prefect():
    """Invariant 5: an officer's command on the open call imports its own package, not the four others (the
    registry holds light descriptors), and never prefect."""
    code = ("import sys\n"
            "import states.procedures.open_call.handlers, states.procedures.open_call.inputs\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('states.procedures.') and m.count('.') == 3)\n"
            "print(','.join(loaded)); print('prefect' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    loaded, prefect = out.split()
    assert set(loaded.split(",")) == {"states.procedures.open_call.handlers", "states.procedures.open_call.inputs",
                                      "states.procedures.open_call.machine", "states.procedures.open_call.names"}
    assert prefect == "False"


def test_the_compliance_check_reads_every_procedures_rules():
    from states.auditing.compliance import rules

    found = rules()
    for procedure in PROCEDURES:
        own = [r for r in found.values() if r.check.__module__ == f"{procedure.package}.compliance"]
        assert bool(own) == procedure.has_compliance, procedure.slug
        assert all(r.kinds and set(r.kinds) <= set(procedure.case_kinds) for r in own), procedure.slug


def test_every_procedure_has_its_cli_module_registered_through_the_registry():
    import coop.procedures_cli  # noqa: F401

    for procedure in PROCEDURES:
        assert (ROOT / "coop" / "procedures" / f"{procedure.slug}.py").is_file(), procedure.slug
        assert f"coop.procedures.{procedure.slug}" in sys.modules, procedure.slug


def test_notification_rows_name_only_registered_kinds_and_every_kind_has_some():
    from notifications.routing import RULES

    named = {rule.kind for rule in RULES}
    assert named == set(registry.case_kinds())
