"""The registry of procedures (states/procedures/__init__.py): one package and one descriptor per procedure, and
everything that must know every procedure reads the registry."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

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
        assert procedure.notices is None or (ROOT / "states" / "procedures" / procedure.slug / "notices.py").is_file()
        assert procedure.machine.CODE_PREFIX == procedure.code_prefix
        assert procedure.machine.KIND == procedure.slug


def test_the_registry_is_found_in_the_packages_in_its_order():
    """``PROCEDURES`` is each package's ``PROCEDURE``, found, in the descriptors' ``order``: the five of today in
    the order every reader (diagrams, CLI, routing rows, docs/authorization.md) had when they were listed."""
    import importlib

    packages = sorted(m.name for m in pkgutil.iter_modules(registry.__path__) if m.ispkg)
    declared = [importlib.import_module(f"states.procedures.{name}").PROCEDURE for name in packages]
    assert sorted(PROCEDURES, key=lambda p: p.slug) == declared
    assert registry.discover(registry.__name__, registry.__path__) == PROCEDURES
    assert [p.slug for p in PROCEDURES] == ["open_call", "small_grant", "consultation", "local_initiative",
                                            "regranting"]
    assert len({p.order for p in PROCEDURES}) == len(PROCEDURES)


def test_discovery_takes_only_packages_that_define_a_procedure(tmp_path, monkeypatch):
    """A plain module (as descriptor.py) is not even imported, a package without ``PROCEDURE`` (a helper) is not
    taken; the order is ``order``, then the slug."""
    root = tmp_path / "fake_procedures"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "descriptor.py").write_text("raise AssertionError('a plain module is imported')\n")
    (root / "helpers").mkdir()
    (root / "helpers" / "__init__.py").write_text("VALUE = 1\n")
    for slug, order in (("zeta", 10), ("beta", None), ("alpha", None), ("gamma", 20)):
        (root / slug).mkdir()
        given = f", order={order}" if order is not None else ""
        (root / slug / "__init__.py").write_text(
            "from states.procedures.descriptor import Procedure\n"
            f"PROCEDURE = Procedure(slug={slug!r}, title={slug!r}, code_prefix='X', package=__name__, machines={{}},"
            f" diagrams=(){given})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("fake_procedures")]:
        monkeypatch.delitem(sys.modules, name)
    found = registry.discover("fake_procedures", [str(root)])
    assert [p.slug for p in found] == ["zeta", "gamma", "alpha", "beta"]
    assert "fake_procedures.descriptor" not in sys.modules and "fake_procedures.helpers" in sys.modules
    for name in [m for m in sys.modules if m.startswith("fake_procedures")]:
        monkeypatch.delitem(sys.modules, name)


def test_every_table_module_is_a_procedures_and_the_schema_finds_them_all():
    """models/procedures/<slug>.py holds a registered procedure's tables; models/schema.py (the migrations'
    metadata, the tests' empty tables) imports every one of them with no list to edit."""
    import models.procedures

    modules = {m.name for m in pkgutil.iter_modules(models.procedures.__path__)}
    assert modules and modules <= {p.slug for p in PROCEDURES}
    code = ("import sys, models.schema\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith('models.procedures.'))))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert set(out.split()[0].split(",")) == {f"models.procedures.{name}" for name in modules}


def test_every_template_a_procedure_names_has_its_text_in_both_languages():
    """Each template a procedure's ``notices.py`` names (its ``TEMPLATES``, and those its routing rows send, which
    may be another procedure's: the contract tail's reports) has its text in notifications/templates/pl/ and en/
    (docs/notifications.md)."""
    templates = ROOT / "notifications" / "templates"
    for procedure in PROCEDURES:
        named = set(procedure.notification_templates())
        named |= {rule.template for rule in procedure.notification_rules() if rule.template}
        for template in named:
            for lang in ("pl", "en"):
                assert (templates / lang / f"{template}.j2").is_file(), (procedure.slug, lang, template)


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


def test_each_procedures_commands_are_declared_in_its_package_not_in_the_central_matrix():
    """The matrix is the commands of no procedure and each descriptor's ``access``: a procedure's commands are
    declared by its package only, and every handler of its package has its entry there (tests/test_authorization.py
    sweeps them all through the one writer)."""
    from states import authorization

    slugs = {p.slug for p in PROCEDURES}
    assert not {name for name in authorization.COMMON if name.split(".")[0] in slugs}
    assert authorization.MATRIX == authorization.collect(PROCEDURES)
    for procedure in PROCEDURES:
        assert procedure.access, procedure.slug
        for handler in procedure.access:
            assert callable(getattr(procedure.handlers, handler, None)), (procedure.slug, handler)


def test_notification_rows_name_only_registered_kinds_and_every_kind_has_some():
    from notifications.routing import RULES

    named = {rule.kind for rule in RULES}
    assert named == set(registry.case_kinds())


# --- a sixth procedure: one package declares its commands' access and its notifications --------------------------


def _sixth_procedure(monkeypatch, rules=None) -> Procedure:
    """A fake sixth procedure, "permits": its descriptor declares who may run its commands, and its notices module
    (put where its package would be) its template and routing rows, the way a real package does."""
    from types import ModuleType

    from states.access import ANY, CASE, EVERYONE, OFFICER
    from states.notices import Rule, TemplateSpec
    from states.text import tr

    notices = ModuleType("tests.sixth_procedure.notices")
    notices.TEMPLATES = {"permit_granted": TemplateSpec("legal", tr("permit granted"))}
    notices.RULES = rules if rules is not None else (
        Rule("permit", "grant", "message", "permit_granted", "applicant", to_state="granted", why=tr("permit granted")),
        Rule("permit", "revoke", "cancel", cancels="report"),
    )
    monkeypatch.setitem(sys.modules, "tests.sixth_procedure.notices", notices)
    return Procedure(slug="permit", title="Permits", code_prefix="PE", package="tests.sixth_procedure",
                     machines={"permit": "PermitMachine"}, diagrams=(),
                     access={"grant": OFFICER, "show": EVERYONE, "inspect": {"officer": ANY, "committee_member": CASE}})


def _handler(name):
    """A function that is a handler of the sixth procedure by its module, as ``command_name`` reads it."""

    def handler(ctx, command=None):
        return "reached"

    handler.__name__ = name
    handler.__module__ = "states.procedures.permit.handlers"
    return handler


def test_a_sixth_procedures_access_entries_are_collected_and_enforced(monkeypatch):
    from states import authorization
    from states.actors import Actor
    from states.errors import NotPermitted

    sixth = _sixth_procedure(monkeypatch)
    matrix = authorization.collect((*PROCEDURES, sixth))
    assert {name for name in matrix if name.startswith("permit.")} == {"permit.grant", "permit.show",
                                                                        "permit.inspect"}
    assert {k: v for k, v in matrix.items() if not k.startswith("permit.")} == authorization.MATRIX
    monkeypatch.setattr(authorization, "MATRIX", matrix)
    command = SimpleNamespace(code="PE/2026/001")
    assert authorization.authorize(_handler("grant"), command, Actor("Olga", "officer"))[1] == "any"
    with pytest.raises(NotPermitted) as refused:
        authorization.authorize(_handler("grant"), command, Actor("Ktoś", "public"))
    assert refused.value.rule == "role_not_permitted"
    assert authorization.authorize(_handler("show"), command, Actor("Ktoś", "public"))[1] == "any"
    assert "`permit.inspect`" in authorization.markdown()


def test_a_command_declared_twice_in_the_matrix_is_refused(monkeypatch):
    """Twice by one procedure, or by a procedure and the commands of none: the collection refuses it."""
    from states import authorization
    from states.access import OFFICER

    sixth = _sixth_procedure(monkeypatch)
    with pytest.raises(AssertionError, match="permit.grant"):
        authorization.collect((sixth, sixth))
    with pytest.raises(AssertionError, match="permit.show"):
        authorization.collect((sixth,), {**authorization.COMMON, "permit.show": OFFICER})


def test_a_sixth_procedures_routing_rows_and_templates_are_routed(monkeypatch):
    from notifications import routing

    sixth = _sixth_procedure(monkeypatch)
    templates = registry.notification_templates((*PROCEDURES, sixth))
    assert templates["permit_granted"].category == "legal"
    rules = registry.notification_rules((*PROCEDURES, sixth))
    assert rules[:len(routing.RULES)] == routing.RULES
    monkeypatch.setattr(routing, "RULES", rules)
    index = routing.rules_by_event()
    granted = index[("permit", "grant")]
    assert [(r.action, r.template, r.audience) for r in granted] == [("message", "permit_granted", "applicant")]
    record = SimpleNamespace(subject="case", to_state="granted", payload={})
    assert routing.matches(granted[0], record)
    assert not routing.matches(granted[0], SimpleNamespace(subject="case", to_state="refused", payload={}))
    assert [r.cancels for r in index[("permit", "revoke")]] == ["report"]


def test_a_procedures_routing_rows_name_only_its_own_kinds(monkeypatch):
    from states.notices import Rule

    sixth = _sixth_procedure(monkeypatch, rules=(Rule("open_call", "announce", "cancel", cancels="report"),))
    with pytest.raises(AssertionError, match="permit's notification rows name other procedures' kinds"):
        registry.notification_rules((*PROCEDURES, sixth))
    with pytest.raises(AssertionError, match="templates declared twice"):
        registry.notification_templates((sixth, sixth))


TABLE_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in [*(ROOT / "models").glob("*.py"), *(ROOT / "models" / "procedures").glob("*.py")]
    if "table=True" in path.read_text(encoding="utf-8"))


def test_every_table_module_is_read():
    assert {"models.tables", "models.filing_tables", "models.procedures.local_initiative"} <= set(TABLE_MODULES)


def test_a_process_that_imports_one_table_module_resolves_every_foreign_key():
    """A command loads only the modules its code imports: the tables its rows point at must come with them (the
    README's walkthrough once failed `coop report submit` on ``reports.local_initiative_id``)."""
    check = ("import importlib, sys\n"
             "from sqlmodel import SQLModel\n"
             "importlib.import_module(sys.argv[1])\n"
             "for table in SQLModel.metadata.tables.values():\n"
             "    for key in table.foreign_keys:\n"
             "        key.column\n")
    unresolved = {}
    for module in TABLE_MODULES:
        done = subprocess.run([sys.executable, "-c", check, module], cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            unresolved[module] = done.stderr.strip().splitlines()[-1]
    assert not unresolved, unresolved
