"""Bad input never half-writes (invariant 7): property-based tests over every command's input model and over
the CLI. Random and hostile text, huge and negative amounts, amounts with more than two decimals, malformed
KRS numbers, impossible dates, naive moments, unicode and SQL-like strings: each is refused with a message
naming the field, a non-zero exit and no traceback, and the database is unchanged.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import typing
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel
from typer.testing import CliRunner

import coop.commands  # noqa: F401  (registers the command groups on the app)
from coop.cli import app
from states import commands as c
from states import open_call_commands as oc
from states.commands import KRS_PATTERN, Command
from states.engine import execute
from states.errors import DomainError, InvalidInput
from tests.conftest import dump, empty_tables
from tests.test_open_call_guards import OFFICER, announced_call, appoint, file

try:  # the other procedures' inputs, when they exist
    from states import procedure_commands as pc
except ImportError:  # pragma: no cover
    pc = None

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def command_models() -> list[type[Command]]:
    modules = [c] + ([pc] if pc else [])
    found = {obj for module in modules for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, Command) and obj is not Command}
    return sorted(found, key=lambda m: m.__name__)


MODELS = command_models()


# --- what a field is, read from its annotation ----------------------------------------------------------------


def _walk(annotation, metadata: list, leaves: list) -> None:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        for item in extra:
            metadata.extend(getattr(item, "metadata", None) or [item])
        _walk(base, metadata, leaves)
    elif origin in (typing.Union, __import__("types").UnionType):
        for arg in typing.get_args(annotation):
            _walk(arg, metadata, leaves)
    elif origin is None:
        leaves.append(annotation)
    else:
        leaves.append(origin)  # a container (dict, tuple): its items are not classified here


def kind_of(model: type[BaseModel], name: str) -> str | None:
    info = model.model_fields[name]
    metadata, leaves = list(info.metadata), []
    _walk(info.annotation, metadata, leaves)
    leaves = [leaf for leaf in leaves if leaf is not type(None)]
    if any(getattr(m, "decimal_places", None) == 2 for m in metadata) and Decimal in leaves:
        return "amount"
    if any(getattr(m, "pattern", None) == KRS_PATTERN for m in metadata):
        return "krs"
    if leaves == [datetime] and any(isinstance(m, AfterValidator) for m in metadata):
        return "moment"
    if leaves == [date]:
        return "date"
    if leaves == [str] and any(isinstance(m, AfterValidator) for m in metadata):
        return "text"
    return None


FIELDS = [(model, name, kind) for model in MODELS for name in model.model_fields
          if (kind := kind_of(model, name)) is not None]


def test_every_command_model_is_covered():
    """The classification above must keep finding the fields it fuzzes, or the properties below prove nothing."""
    kinds = {kind for _, _, kind in FIELDS}
    assert kinds == {"amount", "krs", "moment", "date", "text"}
    assert len(MODELS) >= 20 and {m.__name__ for m in MODELS} >= {"FileOffer", "ScoreOffer", "CreateOpenCall"}


# --- hostile values, each certainly invalid for its kind ------------------------------------------------------

digits = st.integers(0, 10**6)
BAD_AMOUNT = st.one_of(
    st.builds(lambda i, d, last: f"{i}.{d:02d}{last}", digits, st.integers(0, 99), st.integers(1, 9)),  # 3+ decimals
    st.decimals(max_value=Decimal("-0.01"), places=2, allow_nan=False).map(str),  # negative
    st.integers(10**9, 10**40).map(str),  # more than 999 999 999.99
    st.sampled_from(["NaN", "inf", "-inf", "1e400", "", "1,50", "12 000,00", "0x10", "dziesięć", "1.2.3",
                     "'; DROP TABLE cases; --", "100 zł", "-0.001", "1e-7"]),
)
BAD_KRS = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=30).filter(lambda s: not (len(s.strip()) == 10 and s.strip().isascii()
                                                                              and s.strip().isdigit())),
    st.integers(0, 10**9 - 1).map(str),  # too short
    st.integers(10**10, 10**15).map(str),  # too long
    st.sampled_from(["000010000a", "0000-10000", "0000 100001", "' OR 1=1 --", "0000100001; DROP TABLE x"]),
)
# Digits of other scripts: \d in pydantic's (Rust) regex is Unicode-aware, so these slip past ^\d{10}$.
FOREIGN_DIGIT_KRS = ["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "०१२३४५६७८९"]
BAD_DATE = st.one_of(
    st.sampled_from(["2026-02-29", "2026-02-30", "2027-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                     "31.12.2026", "jutro", "", "2026/01/02", "0000-01-01", "2026-1-2x"]),
    st.text(max_size=12).filter(lambda s: not _is_iso_date(s)),
)
BAD_MOMENT = st.one_of(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(datetime.isoformat),  # naive
    st.sampled_from(["2026-01-02T25:00+01:00", "2026-02-30T10:00+01:00", "2026-01-02T10:00+25:00", "wczoraj",
                     "2026-01-02 10:00", ""]),
)
BAD_TEXT = st.one_of(
    st.builds(lambda a, ctl, b: a + ctl + b, st.text(max_size=20), st.sampled_from(["\x00", "\x07", "\x1b[31m", "\x7f"]),
              st.text(max_size=20)),
    st.builds(lambda n, tail: "ż" * n + tail, st.integers(5001, 5100), st.text(max_size=10)),  # far too long
    st.sampled_from(["", "   ", "\t\n"]),
)
BAD = {"amount": BAD_AMOUNT, "krs": BAD_KRS, "date": BAD_DATE, "moment": BAD_MOMENT, "text": BAD_TEXT}


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _refused_naming(model: type[Command], name: str, value: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        model.parse(**{name: value})
    message = info.value.message()
    assert (f"{name}: " in message or f"{name}." in message) and f"{name}: Field required" not in message, message
    return info.value


@pytest.mark.parametrize(("model", "name", "kind"), FIELDS, ids=[f"{m.__name__}.{n}" for m, n, _ in FIELDS])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_bad_value_in_any_field_is_refused_naming_the_field(model, name, kind, data):
    value = data.draw(BAD[kind])
    if kind == "text" and not value.strip():
        info = model.model_fields[name]
        metadata: list = list(info.metadata)
        _walk(info.annotation, metadata, [])
        if not any(getattr(m, "min_length", 0) for m in metadata):
            return  # an empty optional text (a note, a summary) is lawful
    _refused_naming(model, name, value)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@FUZZ
@given(values=st.dictionaries(st.text(max_size=12), st.one_of(
    st.none(), st.text(max_size=40), st.integers(), st.floats(), st.decimals(), st.booleans(),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)),
    max_size=5))
def test_any_input_is_either_a_valid_command_or_an_invalid_input_error(model, values):
    """Nothing a caller types escapes as a raw pydantic, ValueError or TypeError: a model, or InvalidInput."""
    try:
        command = model.parse(**values)
    except InvalidInput as error:
        assert error.rule == "invalid_input" and error.message().startswith("Niepoprawne dane wejściowe — ")
        assert "Traceback" not in error.message()
    else:
        assert isinstance(command, model)


@pytest.mark.parametrize("krs", FOREIGN_DIGIT_KRS)
def test_a_krs_in_foreign_digits_is_refused(krs):
    _refused_naming(c.RegisterOrganisation, "krs", krs)


def test_foreign_time_zones_are_the_same_instant_and_naive_ones_are_refused():
    published = {"bip": "2026-01-02T03:00-05:00", "board": "2026-01-02T17:00+09:00", "website": "2026-01-02T08:00Z"}
    command = c.Publish.parse(code="OK/2026/001", subject="results", published=published)
    assert {ch: m.utcoffset() is not None for ch, m in command.published.items()} == dict.fromkeys(published, True)
    assert command.published["bip"] == command.published["board"] == command.published["website"]
    error = _refused_naming(c.Publish, "published", {"bip": "2026-01-02T09:00"})
    assert "time zone" in error.message() or "strefy" in error.message()


# --- the handlers: what gets past the models is still refused without a write ---------------------------------


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory) -> dict[str, str]:
    """One announced call with one offer on a SQLite file shared by the module's fuzzing (set up once)."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'coop.db'}"
    empty_tables(url)
    code = announced_call(url)
    appoint(url, code)
    file(url, code, 0)
    return {"url": url, "code": code}


@FUZZ
@given(title=st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=60)
       .filter(str.strip),
       sql=st.sampled_from(["'; DROP TABLE cases; --", "Robert'); DELETE FROM audit_records;--", "\" OR \"\"=\"",
                            "%_\\", "Zażółć gęślą jaźń 🦊 ١٢٣", "\u202eRTL\u202c", "NULL"]))
def test_unicode_and_sql_like_text_is_stored_verbatim_or_refused(fuzz_db, title, sql):
    """Text is data, never SQL: it is stored exactly as typed (bound parameters), the other tables untouched."""
    url, code = fuzz_db["url"], fuzz_db["code"]
    before = dump(url)
    text = f"{title} {sql}"[:300]
    try:
        result = execute(oc.appoint_member, c.AppointMember.parse(code=code, name=text), actor=OFFICER,
                         at="2026-01-12T12:00+01:00", url=url)
    except DomainError:
        assert dump(url) == before
        return
    after = dump(url)
    assert result["member"] == text.strip()
    added = [row for row in after["committee_members"] if row not in before["committee_members"]]
    assert len(added) == 1 and text.strip() in added[0]  # verbatim, as one bound value
    # nothing was dropped or deleted: every earlier row (but the case's, whose head moved) is still there
    assert after.keys() == before.keys()
    for table, rows in before.items():
        if table != "cases":
            assert all(row in after[table] for row in rows), table


# --- the CLI --------------------------------------------------------------------------------------------------

runner = CliRunner()


def invoke(url: str, *args: str, at: str | None = "2026-01-12T12:00+01:00"):
    env = {"COOP_DATABASE_URL": url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": "officer", "COOP_LANG": "pl",
           "COOP_NOW": at}
    return runner.invoke(app, list(args), env=env)


def assert_refused(url: str, before: dict, result) -> None:
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.strip(), "a refusal must say why"
    assert dump(url) == before


OFFER_ARGS = dict(organisation="0000100002", title="Zadanie", grant="1000.00", task_start="2026-04-01",
                  task_end="2026-06-30")


def offer_args(code: str, **changes: str) -> list[str]:
    values = {**OFFER_ARGS, **changes}
    return ["offer", "file", code, *[item for k, v in values.items() for item in (f"--{k.replace('_', '-')}", v)]]


@FUZZ
@given(field=st.sampled_from(["grant", "own_funds", "volunteer_work"]), amount=BAD_AMOUNT)
def test_cli_refuses_bad_amounts(fuzz_db, field, amount):
    before = dump(fuzz_db["url"])
    result = invoke(fuzz_db["url"], *offer_args(fuzz_db["code"], **{field: amount}))
    assert_refused(fuzz_db["url"], before, result)
    assert result.exit_code == 2 and "Niepoprawne dane wejściowe" in result.stderr


@FUZZ
@given(krs=BAD_KRS.filter(lambda s: not s.startswith("-") and "\x00" not in s))
def test_cli_refuses_malformed_krs_numbers(fuzz_db, krs):
    before = dump(fuzz_db["url"])
    result = invoke(fuzz_db["url"], *offer_args(fuzz_db["code"], organisation=krs))
    assert_refused(fuzz_db["url"], before, result)
    assert "organisation_krs" in result.stderr and "10 cyfr" in result.stderr


@FUZZ
@given(field=st.sampled_from(["task_start", "task_end", "received_at"]), value=st.one_of(BAD_DATE, BAD_MOMENT))
def test_cli_refuses_impossible_dates_and_naive_moments(fuzz_db, field, value):
    if field == "received_at" and value == "":
        return  # an empty --received-at means "now"
    if field != "received_at" and _is_iso_date(value.split("T")[0]) and "T" not in value and len(value) == 10:
        return
    before = dump(fuzz_db["url"])
    result = invoke(fuzz_db["url"], *offer_args(fuzz_db["code"], **{field: value}))
    assert_refused(fuzz_db["url"], before, result)


@FUZZ
@given(at=BAD_MOMENT.filter(lambda s: s.strip() != ""))
def test_cli_refuses_a_naive_or_malformed_clock(fuzz_db, at):
    before = dump(fuzz_db["url"])
    result = invoke(fuzz_db["url"], *offer_args(fuzz_db["code"]), at=at)
    assert_refused(fuzz_db["url"], before, result)
    assert result.exit_code == 2 and ("--at" in result.stderr or "COOP_NOW" in result.stderr)


@FUZZ
@given(code=st.one_of(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
                      .filter(lambda s: s.strip() and not s.startswith("-") and "\x00" not in s),
                      st.sampled_from(["OK/2026/001'; DROP TABLE cases;--", "OK/2026/001 OR 1=1", "ok/2026/001",
                                       "OK/２０２６/001", "../../etc/passwd", "OK/2026/1"])))
def test_cli_refuses_hostile_case_codes(fuzz_db, code):
    before = dump(fuzz_db["url"])
    result = invoke(fuzz_db["url"], "call", "close-review", code)
    assert_refused(fuzz_db["url"], before, result)
    assert result.exit_code in (2, 3)


@FUZZ
@given(number=st.one_of(st.integers(max_value=0).map(str), st.integers(min_value=2).map(str),
                        st.sampled_from(["1.5", "jeden", "1e3", "0x1", ""])))
def test_cli_refuses_unknown_or_malformed_offer_numbers(fuzz_db, number):
    before = dump(fuzz_db["url"])
    result = invoke(fuzz_db["url"], "offer", "review", fuzz_db["code"], number, "accept")
    assert_refused(fuzz_db["url"], before, result)


# --- the installed command, as a user starts it (a few runs: each costs ~0.7 s) -------------------------------

COOP = Path(sys.executable).with_name("coop")


@pytest.mark.parametrize(("args", "code", "words"), [
    (["--grant", "-5"], 2, ("requested_grant", "greater than 0")),
    (["--grant", "1000.001"], 2, ("requested_grant", "decimal")),
    (["--organisation", "12345"], 2, ("organisation_krs", "10 cyfr")),
], ids=["negative", "three-decimals", "short-krs"])
def test_the_installed_coop_refuses_bad_input_without_a_traceback(fuzz_db, args, code, words):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(COOP_DATABASE_URL=fuzz_db["url"], COOP_ACTOR="Anna Urzędniczka", COOP_NOW="2026-01-12T12:00+01:00")
    base = offer_args(fuzz_db["code"])
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[base.index(flag) + 1] = value
    before = dump(fuzz_db["url"])
    done = subprocess.run([str(COOP), *base, "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == code and done.stdout == ""
    assert "Traceback" not in done.stderr
    error = json.loads(done.stderr)
    assert error["error"] == "invalid_input"
    for word in words:
        assert word in error["message"]
    assert dump(fuzz_db["url"]) == before
