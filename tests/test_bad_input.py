"""Bad input never half-writes (invariant 7): property-based tests over every command's input model and over
the CLI. Random and hostile text, huge and negative amounts, amounts with more than two decimals, malformed
KRS numbers, impossible dates, naive moments, unicode and SQL-like strings: each is refused with a message
naming the field, a non-zero exit and no traceback, and the database is unchanged. The last part holds every
text field to the one text policy (states/text_policy.py) and runs issue 18's input cases through the CLI.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import typing
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel

import coop.core_cli  # noqa: F401  (registers the command groups on the app)
from coop.cli import app
from states import inputs, labels
from states.engine import execute
from states.errors import DomainError, InvalidInput
from states.inputs import KRS_PATTERN, Command
from states.procedures import PROCEDURES
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from tests.cli_runner import CliRunner
from tests.conftest import dump, empty_tables
from tests.test_open_call_guards import OFFICER, announced_call, appoint, file

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def command_models() -> list[type[Command]]:
    modules = [inputs] + [procedure.inputs for procedure in PROCEDURES]
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


@pytest.mark.fast
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
    label = str(labels.field(name))  # the field as the reader names it, e.g. "kwota dotacji"
    assert (f"{label}: " in message or f"{label} › " in message) and f"{label}: brak wartości" not in message, message
    return info.value


@pytest.mark.parametrize(("model", "name", "kind"), FIELDS, ids=[f"{m.__name__}.{n}" for m, n, _ in FIELDS])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
@pytest.mark.fast
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
@pytest.mark.fast
def test_a_krs_in_foreign_digits_is_refused(krs):
    _refused_naming(inputs.RegisterOrganisation, "krs", krs)


@pytest.mark.fast
def test_foreign_time_zones_are_the_same_instant_and_naive_ones_are_refused():
    published = {"bip": "2026-01-02T03:00-05:00", "board": "2026-01-02T17:00+09:00", "website": "2026-01-02T08:00Z"}
    command = open_call_inputs.Publish.parse(code="OK/2026/001", subject="results", published=published)
    assert {ch: m.utcoffset() is not None for ch, m in command.published.items()} == dict.fromkeys(published, True)
    assert command.published["bip"] == command.published["board"] == command.published["website"]
    error = _refused_naming(open_call_inputs.Publish, "published", {"bip": "2026-01-02T09:00"})
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
        result = execute(open_call_handlers.appoint_member, open_call_inputs.AppointMember.parse(code=code, name=text), actor=OFFICER,
                         at="2026-01-12T12:00+01:00", url=url)
    except DomainError:
        assert dump(url) == before
        return
    after = dump(url)
    stored = unicodedata.normalize("NFC", text.strip())  # the text policy's one change: NFC
    assert result["member"] == stored
    added = [row for row in after["committee_members"] if row not in before["committee_members"]]
    assert len(added) == 1 and stored in added[0]  # verbatim, as one bound value
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
    assert "numer KRS organizacji: musi mieć dokładnie 10 cyfr" in result.stderr


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
    (["--grant", "-5"], 2, ("wnioskowana kwota dotacji: musi przekraczać 0",)),
    (["--grant", "1000.001"], 2, ("wnioskowana kwota dotacji: może mieć najwyżej 2 cyfry po przecinku",)),
    (["--organisation", "12345"], 2, ("numer KRS organizacji: musi mieć dokładnie 10 cyfr",)),
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


# --- the text policy (states/text_policy.py, issue 18) ---------------------------------------------------------
#
# One rule for every text: NFC; a single-line field refuses control characters, line breaks (CR, LF, NEL,
# U+2028/9), bidirectional controls and invisible characters; a multi-line field allows the newline too.
# Amounts and numbers take the digits 0-9 only; e-mail addresses go through email-validator.

import coop.audit_cli  # noqa: E402,F401  (registers `coop audit history`)
from notifications import handlers as notification_handlers  # noqa: E402
from notifications import setting_handlers  # noqa: E402
from states import text_policy  # noqa: E402
from states.auditing.history import HistoryQuery  # noqa: E402

POLICY_MODELS = sorted({*MODELS, HistoryQuery, *(obj for module in (notification_handlers, setting_handlers) for obj in vars(module).values()
                                                 if inspect.isclass(obj) and issubclass(obj, Command)
                                                 and obj is not Command)},
                       key=lambda m: m.__name__)


def _policies(annotation, found: list, shape: str = "plain") -> None:
    """Every (text rule, where it sits) in an annotation: the field itself, a tuple's items, a dict's keys."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        for item in args[1:]:
            func = getattr(item, "func", None)
            if func in (text_policy.single_line, text_policy.multi_line):
                found.append((func.__name__, shape))
            if func is text_policy.email_address:
                found.append(("email", shape))
        _policies(args[0], found, shape)
    elif origin in (typing.Union, __import__("types").UnionType):
        for arg in args:
            _policies(arg, found, shape)
    elif origin is tuple:
        _policies(args[0], found, "tuple")
    elif origin is dict:
        _policies(args[0], found, "key")


def text_fields(rule: str) -> list[tuple[type[Command], str, str]]:
    fields = []
    for model in POLICY_MODELS:
        for name, info in model.model_fields.items():
            found: list = []
            _policies(typing.Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation, found)
            shapes = {shape for kind, shape in found if kind == rule}
            kinds = {kind for kind, _ in found}
            if shapes and not (rule == "single_line" and "email" in kinds):
                fields.append((model, name, shapes.pop()))
    return fields


SINGLE_LINE_FIELDS = [*text_fields("single_line"), (open_call_inputs.AnnounceCall, "criteria", "criterion")]  # a nested model's key
MULTI_LINE_FIELDS = text_fields("multi_line")
EMAIL_FIELDS = [(m, n) for m, n, _ in text_fields("email")]


@pytest.mark.fast
def test_every_text_field_of_every_input_model_is_held_to_the_policy():
    """No str field escapes: each is single-line, multi-line, an e-mail, an ASCII pattern or a Literal."""
    covered = {(m, n) for m, n, _ in SINGLE_LINE_FIELDS + MULTI_LINE_FIELDS} | set(EMAIL_FIELDS)
    loose = []
    for model in POLICY_MODELS:
        for name, info in model.model_fields.items():
            metadata, leaves = list(info.metadata), []
            _walk(info.annotation, metadata, leaves)
            if str in leaves and (model, name) not in covered and not any(getattr(m, "pattern", None) for m in metadata):
                loose.append(f"{model.__name__}.{name}")
    assert loose == []
    assert len(SINGLE_LINE_FIELDS) >= 50 and len(MULTI_LINE_FIELDS) >= 15 and len(EMAIL_FIELDS) >= 5
    assert {shape for _, _, shape in SINGLE_LINE_FIELDS} == {"plain", "tuple", "key", "criterion"}


# Every character the policy forbids: the categories, and by name the ones the issue found accepted.
NAMED_FORBIDDEN = ["\r", "\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\t", "\x00", "\x1b", "\x7f",
                   *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f",
                   "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\udcff"]
FORBIDDEN = st.one_of(st.sampled_from(NAMED_FORBIDDEN), st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Cs"]))


def _valid(model: type[Command], name: str) -> str:
    if (model, name) in EMAIL_FIELDS:
        return "biuro.fundacji@example.org"
    return "Fundacja Zdrowy Senior"


def _shaped(value: str, shape: str) -> object:
    if shape == "tuple":
        return (value,)
    if shape == "key":
        return {value: "1"}
    if shape == "criterion":
        return ({"key": value, "max_points": "10"},)
    return value


@pytest.mark.fast
def test_forbidden_characters_are_what_the_policy_names():
    for ch in NAMED_FORBIDDEN:
        assert text_policy.kind_of(ch) is not None, repr(ch)
    for ch in "aZ0 ąęłóżźćńśĄĘŁÓŻŹĆŃŚ-.,;:/'\"()@€§١٢٣🦊\u00a0\u0301":
        assert text_policy.kind_of(ch) is None, repr(ch)


@pytest.mark.fast
def test_every_forbidden_character_is_one_str_isprintable_refuses():
    """``violation`` passes a printable text without reading it character by character: that is sound only while
    every character ``kind_of`` forbids, in all of Unicode, is one ``str.isprintable`` refuses."""
    printable_yet_forbidden = [f"U+{code:04X}" for code in range(0x110000)
                               if chr(code).isprintable() and text_policy.kind_of(chr(code)) is not None]
    assert printable_yet_forbidden == []
    assert text_policy.violation("Fundacja „Ład” – Żółć\u00a0№ 5 🦊") is None
    assert text_policy.violation("a\u00a0b\u200bc") is not None  # NBSP is not printable: the slow path finds U+200B


@pytest.mark.parametrize(("model", "name", "shape"), SINGLE_LINE_FIELDS,
                         ids=[f"{m.__name__}.{n}" for m, n, _ in SINGLE_LINE_FIELDS])
@settings(max_examples=30, deadline=None)
@given(ch=FORBIDDEN, cut=st.integers(1, 17))
@pytest.mark.fast
def test_no_single_line_field_accepts_a_forbidden_character(model, name, shape, ch, cut):
    """Inside the text (where stripping cannot remove it): refused, naming the field, the character and the rule."""
    base = _valid(model, name)
    value = base[:cut] + ch + base[cut:]
    with pytest.raises(InvalidInput) as info:
        model.parse(**{name: _shaped(value, shape)})
    message = info.value.message("en")
    label = labels.field(name).in_language("en")  # the field as the reader names it
    assert (f"{label}: " in message or f"{label} › " in message) and "a single-line field takes visible text on one line only" in message, message
    label = text_policy.char_label(ch)
    assert label in message and ch not in message  # named by its code, never shown (U+202E would reorder it)


@pytest.mark.parametrize(("model", "name", "shape"), MULTI_LINE_FIELDS,
                         ids=[f"{m.__name__}.{n}" for m, n, _ in MULTI_LINE_FIELDS])
@settings(max_examples=20, deadline=None)
@given(ch=FORBIDDEN.filter(lambda ch: ch not in "\r\n"), cut=st.integers(1, 17))
@pytest.mark.fast
def test_a_multi_line_field_allows_newlines_only(model, name, shape, ch, cut):
    base = "Pierwszy wiersz\r\ndrugi\rtrzeci\nczwarty"
    with pytest.raises(InvalidInput) as info:
        model.parse(**{name: base[:cut] + ch + base[cut:]})
    message = info.value.message("en")
    label = labels.field(name).in_language("en")
    assert (f"{label}: " in message or f"{label} › " in message) and "a multi-line field takes visible text and the newline (LF)" in message, message


@pytest.mark.fast
def test_a_multi_line_field_keeps_its_lines_as_lf():
    assert text_policy.multi_line("Pierwszy\r\ndrugi\rtrzeci\nczwarty") == "Pierwszy\ndrugi\ntrzeci\nczwarty"
    command = open_call_inputs.SubmitReport.parse(code="OK/2026/001", number=1, funds_used="10", summary="a\r\nb\rc\n d")
    assert command.summary == "a\nb\nc\n d"


@settings(max_examples=100, deadline=None)
@given(text=st.text(st.characters(exclude_categories=["Cc", "Cf", "Zl", "Zp", "Cs"]), min_size=1, max_size=40)
       .filter(str.strip))
@pytest.mark.fast
def test_every_text_is_stored_nfc(text):
    """Two spellings of one name (ó, or o and a combining acute) are one name once validated."""
    for form in ("NFC", "NFD"):
        typed = unicodedata.normalize(form, text)
        command = open_call_inputs.AppointMember.parse(code="OK/2026/001", name=typed)
        assert command.name == unicodedata.normalize("NFC", typed.strip())
        assert unicodedata.is_normalized("NFC", command.name)


FOREIGN_DIGITS = st.characters(categories=["Nd"]).filter(lambda ch: not ch.isascii())
AMOUNT_FIELDS = [(m, n) for m, n, kind in FIELDS if kind == "amount"]
ORDINAL_FIELDS = [(m, n) for m in POLICY_MODELS for n, info in m.model_fields.items()
                  if any(getattr(x, "func", None) is text_policy.ascii_integer for x in info.metadata)]


@pytest.mark.parametrize(("model", "name"), AMOUNT_FIELDS + ORDINAL_FIELDS,
                         ids=[f"{m.__name__}.{n}" for m, n in AMOUNT_FIELDS + ORDINAL_FIELDS])
@settings(max_examples=20, deadline=None)
@given(digit=FOREIGN_DIGITS, ascii_digits=st.text("0123456789", max_size=3))
@pytest.mark.fast
def test_amounts_and_numbers_take_ascii_digits_only(model, name, digit, ascii_digits):
    """Decimal('١٠٠٠') is 1000 and int() reads every script's digits: the models read 0-9 only."""
    assert digit.isdigit() and Decimal(digit) == int(unicodedata.digit(digit))  # what Python would have taken
    with pytest.raises(InvalidInput) as info:
        model.parse(**{name: "1" + ascii_digits + digit})
    message = info.value.message("en")
    label = labels.field(name).in_language("en")
    assert (f"{label}: " in message or f"{label} › " in message) and "the ASCII digits 0-9" in message and text_policy.char_label(digit) in message


@pytest.mark.fast
def test_ordinals_and_years_are_held_to_ascii_digits_too():
    assert len(ORDINAL_FIELDS) >= 10
    for value in ("١", "１", "1_0", "1 0", "0x1"):
        with pytest.raises(InvalidInput):
            inputs.OfferRef.parse(code="OK/2026/001", number=value)


BAD_EMAILS = ["<a@b.pl>", "a@b.pl;c", "Jan <a@b.pl>", "a@b.pl, c@d.pl", "a b@c.pl", "a@b", "@b.pl", "a@b..pl",
              "a@localhost", "a@b.pl\r\nBcc: victim@evil.org", "\"a\"@b.pl", "a@[127.0.0.1]"]


@pytest.mark.parametrize(("model", "name"), EMAIL_FIELDS, ids=[f"{m.__name__}.{n}" for m, n in EMAIL_FIELDS])
@pytest.mark.fast
def test_email_fields_take_addresses_only(model, name):
    for value in BAD_EMAILS:
        with pytest.raises(InvalidInput) as info:
            model.parse(**{name: value})
        message = info.value.message()
        label = str(labels.field(name))
        assert f"{label}: " in message and ("adres e-mail" in message or "pole jednowierszowe" in message), message
    for value, kept in (("biuro@example.org", "biuro@example.org"), ("Biuro.Fundacji@Example.ORG", "Biuro.Fundacji@example.org"),
                        ("jan@łódź.pl", "jan@łódź.pl")):
        try:
            command = model.parse(**{name: value})
        except InvalidInput as error:  # refused for another field: the address itself was taken
            assert f"{labels.field(name)}:" not in error.message(), error.message()
        else:
            assert getattr(command, name) == kept


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00+01:00", "0001-01-01T00:00Z",
                                   "3000-01-01T00:00Z", "1899-12-31T23:59Z"])
@pytest.mark.fast
def test_moments_outside_the_engines_range_are_refused(value):
    from states.clock import parse_moment

    with pytest.raises(InvalidInput) as info:
        parse_moment(value)
    assert info.value.rule == "moment_out_of_range" and "1900-01-01" in info.value.message()
    _refused_naming(open_call_inputs.FileOffer, "received_at", value)
    _refused_naming(open_call_inputs.Publish, "published", {"bip": value})
    _refused_naming(open_call_inputs.FileOffer, "task_end", value[:10])


# --- through the CLI, on both backends: exit 2, a message naming the rule, no traceback, nothing written --------

ORG = ["org", "add", "--legal-form", "fundacja", "--address", "Leszno", "--contact", "Jan Prezes"]
BAD_NAME = {"crlf": ("Fundacja X\r\nBcc: victim@evil.org", "U+000D (CR)"),
            "rlo": ("Fundacja \u202eX", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
            "zwsp": ("Fundacja\u200bX", "U+200B (ZERO WIDTH SPACE)"),
            "nel": ("Fundacja\x85X", "U+0085 (NEL)"),
            "ls": ("Fundacja\u2028X", "U+2028 (LINE SEPARATOR)")}


def _pl(name: str) -> str:
    """A field as a Polish refusal names it (states/labels.py)."""
    return labels.field(name).in_language("pl")


def cli_cases(code: str) -> list[tuple[str, list[str], tuple[str, ...]]]:
    """(what, arguments, words the refusal must contain)."""
    cases = []
    for what, (name, label) in BAD_NAME.items():
        cases.append((f"org add --name {what}", [*ORG, "--name", name, "--email", "a@example.org", "--krs", "0000200001"],
                      (_pl("name"), label, "pole jednowierszowe")))
        cases.append((f"committee appoint --name {what}", ["committee", "appoint", code, "--name", name], (_pl("name"), label)))
        cases.append((f"offer file --title {what}", offer_args(code, title=name), (_pl("title"), label)))
        cases.append((f"--actor {what}", ["committee", "appoint", code, "--name", "Jan Nowy", "--actor", name],
                      ("--actor", label)))
    for email in ("<a@b.pl>", "a@b.pl;c", "Jan <a@b.pl>"):
        cases.append((f"org add --email {email}", [*ORG, "--name", "Fundacja", "--email", email, "--krs", "0000200001"],
                      (_pl("email"), "niepoprawny adres e-mail")))
        cases.append((f"committee appoint --email {email}", ["committee", "appoint", code, "--name", "Jan Nowy",
                                                              "--email", email], (_pl("email"), "niepoprawny adres e-mail")))
    for field, amount in (("grant", "١٠٠٠"), ("grant", "１０００"), ("own_funds", "٥٠"), ("grant", "1e3")):
        cases.append((f"offer file --{field} {amount}", offer_args(code, **{field: amount}),
                      (_pl(field if field != "grant" else "requested_grant"), "0-9")))
    cases += [
        ("--actor of 128 KB", ["committee", "appoint", code, "--name", "Jan Nowy", "--actor", "A" * 131072],
         ("--actor", "131072 znaków, najwyżej 300")),
        ("--at 9999-12-31T23:59:59-23:59", [*offer_args(code), "--at", "9999-12-31T23:59:59-23:59"],
         ("--at", "poza zakresem")),
        ("--at in year 1", [*offer_args(code), "--at", "0001-01-01T00:00+01:00"], ("--at", "poza zakresem")),
        ("--at in year 1, UTC", [*offer_args(code), "--at", "0001-01-01T00:00Z"], ("--at", "poza zakresem")),
        ("--at with a +24:00 offset", [*offer_args(code), "--at", "2026-01-12T12:00+24:00"], ("--at", "ISO 8601")),
        ("--task-end 9999-12-31", offer_args(code, task_end="9999-12-31"), (_pl("task_end"), "poza zakresem")),
        ("--received-at in year 1", offer_args(code, received_at="0001-01-01T00:00+01:00"),
         (_pl("received_at"), "poza zakresem")),
        ("offer number in Arabic-Indic digits", ["offer", "review", code, "١", "accept"], ("'number'", "liczby całkowitej")),
        ("a multi-line note with U+2029", ["committee", "declare", code, "--member", "Jan Kowalski", "--note",
                                            "a\u2029b"], (_pl("note"), "U+2029", "pole wielowierszowe")),
        ("calendar period 9999-12-20", ["calendar", "period", "9999-12-20", "30"], ("9999-12-20", "poza zakresem")),
        ("audit history --since 0001-01-01", ["audit", "history", code, "--since", "0001-01-01"],
         ("--since", "poza zakresem")),
    ]
    return cases


def test_the_cli_refuses_every_input_case_of_issue_18_and_writes_nothing(db_url):
    code = announced_call(db_url)
    appoint(db_url, code)
    before = dump(db_url)
    for what, args, words in cli_cases(code):
        result = invoke(db_url, *args)
        assert result.exit_code == 2, (what, result.exit_code, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (what, repr(result.exception))
        assert "Traceback" not in result.output, what
        for word in words:
            assert word in result.stderr, (what, word, result.stderr)
        assert dump(db_url) == before, what


def test_the_cli_stores_text_as_the_policy_normalises_it(db_url):
    """What passes is stored NFC, an address as email-validator normalises it, both as one bound value."""
    decomposed = unicodedata.normalize("NFD", "Fundacja Łódź Żółć")
    result = invoke(db_url, *ORG, "--name", decomposed, "--email", "Biuro@Example.ORG", "--krs", "0000200001", "--json")
    assert result.exit_code == 0, result.output
    rows = dump(db_url)["organisations"]
    assert len(rows) == 1
    assert "Fundacja Łódź Żółć" in rows[0] and decomposed not in rows[0] and "Biuro@example.org" in rows[0]


def _bytes_env(url: str, **extra: bytes) -> dict[bytes, bytes]:
    env = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update({b"COOP_DATABASE_URL": os.fsencode(url), b"COOP_ACTOR": "Anna Urzędniczka".encode(),
                b"COOP_NOW": b"2026-01-12T12:00+01:00", b"COOP_LANG": b"pl"})
    env.update({k.encode(): v for k, v in extra.items()})
    return env


def test_the_installed_coop_refuses_arguments_and_variables_that_are_not_utf8(db_url):
    """Bytes that are not UTF-8 (Latin-2 'ł' is 0xB3) in argv or COOP_*: exit 2 naming where, no traceback."""
    code = announced_call(db_url)
    before = dump(db_url)
    appoint_args = [os.fsencode(str(COOP)), b"committee", b"appoint", code.encode(), b"--name"]
    runs = [
        ([*appoint_args, b"Jan Nowy", b"--actor", b"\xff"], {}, "argument nr 7 (wartość opcji --actor)", "0xFF"),
        ([*appoint_args, b"Pawe\xb3 Nowak"], {}, "argument nr 5 (wartość opcji --name)", "0xB3"),
        ([*appoint_args, b"Jan Nowy", b"--actor=Pawe\xb3"], {}, "wartość opcji --actor", "0xB3"),
        ([*appoint_args, b"Jan Nowy"], {"COOP_ACTOR": b"Pawe\xb3"}, "zmienna środowiskowa COOP_ACTOR", "0xB3"),
        ([*appoint_args, b"Jan Nowy"], {"COOP_NOW": b"2026-01-12T12:00\xff"}, "zmienna środowiskowa COOP_NOW", "0xFF"),
    ]
    for args, extra, where, byte in runs:
        done = subprocess.run(args, env=_bytes_env(db_url, **extra), capture_output=True, timeout=60)
        stderr = done.stderr.decode()
        assert done.returncode == 2, (args, stderr)
        assert "Traceback" not in stderr and done.stdout == b""
        assert where in stderr and f"bajt {byte}" in stderr and "UTF-8" in stderr, stderr
        assert "\xb3" not in stderr and "Pawe" not in stderr  # the value itself is never echoed (it may be a secret)
        assert dump(db_url) == before


@pytest.mark.parametrize("value", ["0", "1700000000", 0, 1.5, "jutro"])
@pytest.mark.fast
def test_a_moment_is_iso_text_never_a_unix_timestamp(value):
    """pydantic reads "0" as 1970-01-01T00:00Z (aware and in range): `--received-at 0` was accepted."""
    from pydantic import BaseModel, ValidationError

    from states.inputs import Moment

    class Claim(BaseModel):
        at: Moment

    with pytest.raises(ValidationError):
        Claim(at=value)
    assert Claim(at=" 2026-01-02T10:00+01:00").at.isoformat() == "2026-01-02T10:00:00+01:00"
