"""B4: ``coop history`` and ``coop calendar`` answer without typer, SQLAlchemy or prefect (coop/quick.py), and
say exactly what typer's path says; anything the quick path does not read plainly is left to typer.

Figures live in ``python -m bench b4``; these tests check what the figures rest on: the same output, the same
declarations, no heavy import on the quick path, the same holidays, and a schema check that still migrates
what is behind and refuses what it does not know.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

import coop.core_cli  # noqa: F401  (registers the command groups on the app)
from coop import quick
from coop.cli import app
from coop.demo import OFFICER, run_open_call
from models.db import SCHEMA_REVISION, current_revision, normalise_url, plain_connection, upgrade
from states import calendar, cases, engine
from states.authorization import MATRIX
from states.engine import execute
from tests.cli_runner import CliRunner
from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[1]
# typer's path exactly as ``coop`` takes it when the quick path steps aside (coop.cli.main).
TYPER = ("from coop import audit_cli, core_cli, notify_cli, procedures_cli, serve, settings_cli\n"
         "from coop.cli import _app\n_app()(prog_name='coop')")
# psycopg 3 too: the quick path reads PostgreSQL through psycopg2, which imports in a quarter of the time.
HEAVY = ("prefect", "typer", "sqlalchemy", "sqlmodel", "pydantic", "alembic", "psycopg", "psycopg_binary")


def environment(url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(COOP_ACTOR="Anna Urzędniczka", PYTHONPATH=str(ROOT), **extra)
    if url:
        env["COOP_DATABASE_URL"] = url
    return env


def typer_path(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TYPER, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def quick_path(args: list[str], env: dict[str, str], monkeypatch) -> tuple[bool, str, str]:
    """``quick.answer`` in this process, on UTF-8 streams that are not terminals (as under a pipe)."""
    for name in [k for k in os.environ if k.startswith("COOP_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("COOP_"):
            monkeypatch.setenv(name, value)
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    try:
        answered = quick.answer(args)
    finally:
        monkeypatch.undo()
    out.flush()
    err.flush()
    return answered, out.buffer.getvalue().decode(), err.buffer.getvalue().decode()


def assert_same(args: list[str], env: dict[str, str], monkeypatch) -> None:
    answered, out, err = quick_path(args, env, monkeypatch)
    expected = typer_path(args, env)
    assert answered, f"the quick path stepped aside for {args}"
    assert expected.returncode == 0, expected.stderr
    assert (out, err) == (expected.stdout, expected.stderr)


# --- the same answers -------------------------------------------------------------------------------------------


@pytest.fixture
def open_call(db_url) -> tuple[str, str]:
    return db_url, run_open_call(db_url).code


def test_history_reads_what_the_engine_reads(open_call):
    url, code = open_call
    conn = plain_connection(normalise_url(url))
    try:
        rows = quick.history_rows(conn, code)
    finally:
        conn.close()
    assert rows == execute(cases.case_history, code, actor=OFFICER, url=url, readonly=True)
    assert len(rows) > 20 and {r["from"] for r in rows} != {None}


def test_history_prints_what_typer_prints(open_call, monkeypatch):
    url, code = open_call
    for args, extra in ((["history", code], {}),
                        (["history", "--json", code], {}),
                        (["history", "--role", "auditor", code, "--at=2027-01-04T10:00+01:00"], {}),
                        (["history", code], {"COOP_ROLE": "public", "COOP_NOW": "2027-01-04T10:00Z", "COOP_LANG": "en"})):
        assert_same(args, environment(url, **extra), monkeypatch)


@pytest.mark.parametrize(("args", "extra"), [
    (["calendar", "period", "2026-07-16", "30"], {}),
    (["calendar", "period", "2026-12-20", "5", "working_days", "--json"], {}),
    (["calendar", "period", "--office", "2026-01-31", "1", "months", "--closing", "15:30"], {}),
    (["calendar", "period", "2026-07-16T10:00+02:00", "2", "weeks"], {"COOP_LANG": "en"}),
    (["calendar", "day", "2026-12-24"], {}),
    (["calendar", "day", "2026-05-03", "--json", "--at", "2026-01-01T00:00Z"], {"COOP_LANG": "en"}),
], ids=["period", "working-days-json", "office-months-closing", "english-weeks", "day", "day-json-english"])
def test_calendar_prints_what_typer_prints(args, extra, monkeypatch):
    assert_same(args, environment(**extra), monkeypatch)


def test_the_installed_command_loads_no_prefect_typer_orm_or_psycopg3(open_call):
    url, code = open_call
    env = environment(url)
    for args in (["history", code], ["calendar", "period", "2026-07-16", "30"]):
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "coop", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()
                    if line.startswith("import time:")}
        assert "coop.quick" in imported
        assert sorted(m for m in imported if m.split(".")[0] in HEAVY) == []
        assert not any(m.startswith("holidays.countries.") and m != "holidays.countries.poland" for m in imported)
        assert done.stdout == typer_path(args, env).stdout  # and what it printed is typer's answer


# --- stepping aside ---------------------------------------------------------------------------------------------


def test_history_leaves_the_rest_to_typer_and_prints_nothing(open_call, monkeypatch):
    url, code = open_call
    for args in (["history"], ["history", code, "--help"], ["history", code, "extra"], ["history", code, "--json=1"],
                 ["history", code, "--verbose"], ["history", code, "--at"], ["history", code, "--at", "-5"],
                 ["history", "--", code], ["history", "OK/2099/999"], ["history", code, "--role", "nobody"],
                 ["history", code, "--at", "jutro"], ["history", code, "--at", "2026-05-01T10:00"],
                 ["--json", "history", code]):
        assert quick_path(args, environment(url), monkeypatch) == (False, "", ""), args


@pytest.mark.parametrize("args", [
    ["calendar"], ["calendar", "period"], ["calendar", "--help", "period"], ["calendar", "period", "2026-07-16"],
    *(["calendar", "period", "2026-07-16", amount] for amount in ("-1", "3651", "030", "1e3", "+5", " 5", "5.0")),
    ["calendar", "period", "2026-07-16", "30", "years"], ["calendar", "period", "2026-07-16", "30", "--closing", "25:00"],
    ["calendar", "period", "2026-07-16", "30", "--office=yes"], ["calendar", "period", "jutro", "30"],
    ["calendar", "period", "2026-07-16", "30", "days", "extra"], ["calendar", "day", "2026-02-30"],
    ["calendar", "day", "-"], ["calendar", "week", "2026-07-16"],
])
def test_calendar_leaves_the_rest_to_typer_and_prints_nothing(args, monkeypatch):
    assert quick_path(args, environment(), monkeypatch) == (False, "", "")


def test_without_an_actor_typer_decides(open_call, monkeypatch):
    url, code = open_call
    env = environment(url)
    del env["COOP_ACTOR"]
    assert quick_path(["history", code], env, monkeypatch) == (False, "", "")
    assert quick_path(["history", code, "--actor", "  "], environment(url), monkeypatch) == (False, "", "")


def test_a_terminal_that_cannot_write_polish_is_left_to_typer(monkeypatch):
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", ascii_out)
    assert quick.answer(["calendar", "day", "2026-12-24"]) is False
    monkeypatch.undo()
    assert ascii_out.buffer.getvalue() == b""


# --- one declaration --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(quick.FORMS), ids=" ".join)
def test_the_quick_forms_are_typers_declarations(path):
    from typer.main import get_command

    form = quick.FORMS[path]
    command = get_command(app)
    for name in path:
        command = command.commands[name]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    options = [p for p in command.params if p.param_type_name == "option"]
    assert tuple(p.name for p in arguments) == form.arguments
    assert sum(p.required for p in arguments) == (len(form.arguments) if form.required is None else form.required)
    assert {p.name: p.default for p in arguments if not p.required} == \
        {name: form.defaults[name] for name in form.arguments if name in form.defaults}
    assert {p.opts[0]: p.name for p in options if p.is_flag} == {**quick.COMMON_FLAGS, **form.flags}
    assert {p.opts[0]: p.name for p in options if not p.is_flag} == {**quick.COMMON_OPTIONS, **form.options}
    for p in options:
        assert (len(p.opts), p.secondary_opts, p.multiple, p.nargs) == (1, [], False, 1)
        assert p.envvar == quick.ENVVARS.get(p.name)
        assert p.default == form.defaults.get(p.name, False if p.is_flag else None)
    for p in command.params:
        info = p.type_descriptor
        if p.name == "amount":  # read by the quick path itself: an integer within the same bounds
            assert (info.annotation, info.parameter_info.min, info.parameter_info.max) == (int, 0, quick.PERIOD_LIMIT)
        else:
            assert info.annotation is (bool if getattr(p, "is_flag", False) else str)


def test_every_quick_reader_may_read_a_history():
    assert set(quick.HISTORY_READERS) <= set(engine.ROLES)
    assert set(quick.HISTORY_READERS) <= set(MATRIX["cases.case_history"])


def test_the_holidays_are_the_packages():
    import holidays

    # the quick loader is the one in use (the package's entry point would be a partial, and slow)
    assert isinstance(calendar._polish_holidays(), type) and calendar._polish_holidays().__name__ == "Poland"
    for year in range(1990, 2101):
        for language in ("pl", "en_US"):
            ours = dict(calendar._polish_holidays()(years=year, language=language).items())
            theirs = dict(holidays.country_holidays("PL", years=year, language=language).items())
            assert ours == theirs, (year, language)
    assert calendar.holiday_name(date(2026, 8, 15)) == "Wniebowzięcie Najświętszej Marii Panny"


# --- the schema check -------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"coop_b4_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, read without the engine (which would check the schema first)."""
    engine = sa.create_engine(normalise_url(url))
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {name: sorted(map(tuple, conn.execute(sa.select(table)).all()), key=repr)
                    for name, table in meta.tables.items()}
    finally:
        engine.dispose()


def set_revision(url: str, revision: str | None) -> None:
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            if revision is None:
                conn.execute(sa.text("DELETE FROM alembic_version"))
            else:
                conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        engine.dispose()


def test_a_database_not_yet_created_or_migrated_is_migrated_by_the_engine(fresh_url, monkeypatch):
    env = environment(fresh_url)
    if fresh_url.startswith("sqlite"):
        assert quick_path(["history", "OK/2026/001"], env, monkeypatch) == (False, "", "")
        assert not Path(fresh_url.removeprefix("sqlite:///")).exists(), "the quick path created the file"
    assert quick_path(["history", "OK/2026/001"], env, monkeypatch) == (False, "", "")
    result = CliRunner().invoke(app, ["history", "OK/2026/001"], env=env)
    assert result.exit_code == 3 and "Nie ma sprawy OK/2026/001" in result.stderr
    engine = sa.create_engine(normalise_url(fresh_url))
    try:
        assert current_revision(engine) == SCHEMA_REVISION
    finally:
        engine.dispose()


def test_a_database_at_an_unknown_revision_is_refused_and_left_alone(fresh_url, monkeypatch):
    engine = sa.create_engine(normalise_url(fresh_url))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    set_revision(fresh_url, "9f3e2d1c0b")
    before = snapshot(fresh_url)
    env = environment(fresh_url)
    assert quick_path(["history", "OK/2026/001"], env, monkeypatch) == (False, "", "")
    for args in (["history", "OK/2026/001"], ["list"], ["db", "upgrade"]):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "„9f3e2d1c0b”" in result.stderr and "nie zna" in result.stderr and "Traceback" not in result.output
    english = CliRunner().invoke(app, ["history", "OK/2026/001", "--json"], env={**env, "COOP_LANG": "en"})
    assert english.exit_code == 2 and '"error": "unknown_schema_revision"' in english.stderr
    assert snapshot(fresh_url) == before


def test_an_empty_sqlite_file_is_left_to_the_engine(tmp_path, monkeypatch):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    assert quick_path(["history", "X"], environment(f"sqlite:///{path}"), monkeypatch) == (False, "", "")
