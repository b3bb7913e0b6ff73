"""What people read, read as a Polish (or English) reader reads it.

- the catalogue: every message in the code (and every help text) has its Polish translation, plural messages
  have Polish's three forms, the committed ``.mo`` is what the ``.po`` compiles to, translations name the same
  parameters as their English text and hold no English word;
- plural forms, checked against Polish grammar for 1, 2, 5, 12, 22 and 25;
- every refusal site in the code: its text is translated and does not repeat the legal basis that the
  refusal appends (every refusal the test suite provokes is checked once more as it is raised: tests/conftest.py
  sets ``COOP_STRICT_MESSAGES``, see kernel/errors.py);
- a corpus of refusals through the CLI, in both languages: no Python repr, no English word in Polish, the basis
  once;
- every help text (commands, groups, options, arguments) in both languages.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import string
import subprocess
import sys
import traceback
from decimal import Decimal
from pathlib import Path

import pytest
import typer.main
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import coop.audit_cli  # noqa: F401  (registers the command groups on the app)
import coop.core_cli  # noqa: F401
import coop.notify_cli  # noqa: F401
import coop.procedures_cli  # noqa: F401
import coop.serve  # noqa: F401
import coop.settings_cli  # noqa: F401
from coop.cli import app
from states import errors, labels
from states.text import LOCALE_DIR, Message, Money, catalogue, ntr, tr
from tests.cli_runner import CliRunner
from tests.sources import walked

ROOT = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "pl" / "LC_MESSAGES" / "coop.po"
MO = PO.with_suffix(".mo")
CODE_DIRS = ("coop", "states", "flows", "notifications", "models", "web")
# babel.cfg's methods: the code, and the desk's templates (they call tr() as the code does)
METHODS = [("**.py", "tools.babel_extract:extract"), ("**.html", "jinja2")]
KEYWORDS = {"tr": None, "ntr": (1, 2), "ptr": ((1, "c"), 2)}
DOMAIN_ERRORS = {"DomainError", "RuleViolation", "InvalidInput", "NotFound", "ConcurrentChange", "NotPermitted"}

# Words that give an English sentence away; CLI tokens (accept, received, true …) are not among them.
STOP_WORDS = {"the", "of", "must", "should", "input", "valid", "and", "is", "not", "field", "be", "or", "with",
              "has", "have", "this", "that", "are", "for", "from", "value", "missing", "required", "invalid",
              "unknown", "only", "cannot", "may", "already", "than", "into", "error", "day", "days", "offer",
              "offers", "none", "at", "by", "an", "it", "its", "in", "was", "were", "will", "would",
              "show", "message", "exit", "options", "commands", "arguments", "usage", "default", "try", "help"}
REPR_MARKERS = ("['", "[\"", "{'", "{\"", "Decimal(", "None", "True", "False", "datetime.", "<", "object at")


def english_words(text: str) -> set[str]:
    """The stop words of ``text``, leaving out what is code rather than prose: `commands`, {placeholders},
    --options, identifiers and KEY=VALUE tokens, rich markup."""
    text = re.sub(r"`[^`]*`|„[^”]*”|“[^”]*”", " ", text)  # code and quoted tokens
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[/?[a-z ]*\]", " ", text)
    text = re.sub(r"--?[a-z][\w-]*", " ", text)
    text = re.sub(r"\S*[_=/][\S]*", " ", text)
    return {word for word in re.findall(r"[^\W\d_]+", text) if word.lower() in STOP_WORDS}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.fixture(scope="module")
def po():
    with PO.open("rb") as f:
        return read_po(f, locale="pl")


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str | None, str], tuple]:
    """Every message of the code, as Babel extracts it (babel.cfg's extractor, the Makefile's keywords)."""
    sys.path.insert(0, str(ROOT))
    found: dict[tuple[str | None, str], tuple] = {}
    for directory in CODE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
                ROOT / directory, METHODS, keywords=KEYWORDS):
            msgid = message if isinstance(message, str) else message[0]
            found[(context, msgid)] = (f"{directory}/{filename}:{lineno}", message)
    return found


# --- the catalogue ------------------------------------------------------------------------------------------------


def test_every_message_of_the_code_has_its_polish_translation(po, extracted):
    assert len(extracted) > 700
    missing = []
    for (context, msgid), (where, message) in extracted.items():
        entry = po.get(msgid, context=context)
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            missing.append(f"{where}: {msgid}")
        elif isinstance(message, tuple) != isinstance(entry.id, tuple):
            missing.append(f"{where}: {msgid} (plural in one, singular in the other)")
    assert missing == [], "run `make messages` and translate:\n" + "\n".join(missing)
    obsolete = [m.id for m in po if m.id and (m.context, m.id if isinstance(m.id, str) else m.id[0]) not in extracted]
    assert obsolete == [], "messages no longer in the code (run `make messages`)"


@pytest.mark.fast
def test_polish_plural_entries_have_three_forms_and_the_cldr_rule(po):
    assert po.num_plurals == 3
    assert "n == 1 ? 0" in po.plural_expr or "n==1 ? 0" in po.plural_expr.replace(" ", "")
    plural = [m for m in po if isinstance(m.id, tuple)]
    assert len(plural) >= 20
    for m in plural:
        assert isinstance(m.string, tuple) and len(m.string) == 3 and all(m.string), m.id


def test_the_committed_mo_is_the_compiled_po(po):
    compiled = io.BytesIO()
    write_mo(compiled, po)
    assert MO.read_bytes() == compiled.getvalue(), "states/locale/pl/LC_MESSAGES/coop.mo is stale: `make messages`"


@pytest.mark.fast
def test_translations_name_the_parameters_of_their_english_text(po):
    wrong = []
    for m in po:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        expected = set().union(*(placeholders(i) for i in ids))
        for s in strings:
            if placeholders(s) - expected or (len(ids) == 1 and placeholders(s) != expected):
                wrong.append((m.id, s))
    assert wrong == []


def test_no_english_word_in_the_polish_catalogue(po):
    found = {}
    for m in po:
        if not m.id:
            continue
        for s in (m.string if isinstance(m.string, tuple) else (m.string,)):
            words = english_words(s)
            if words:
                found[s] = words
    assert found == {}


# --- plural forms ------------------------------------------------------------------------------------------------

COMMITTEE = ("The committee has {n} member able to score; at least {minimum} are required",
             "The committee has {n} members able to score; at least {minimum} are required")


@pytest.mark.parametrize(("n", "polish", "english"), [
    (1, "Komisja konkursowa ma 1 członka mogącego oceniać oferty", "The committee has 1 member able to score"),
    (2, "Komisja konkursowa ma 2 członków mogących oceniać oferty", "The committee has 2 members able to score"),
    (5, "Komisja konkursowa ma 5 członków mogących oceniać oferty", "The committee has 5 members able to score"),
    (12, "Komisja konkursowa ma 12 członków mogących oceniać oferty", "The committee has 12 members able to score"),
    (22, "Komisja konkursowa ma 22 członków mogących oceniać oferty", "The committee has 22 members able to score"),
    (25, "Komisja konkursowa ma 25 członków mogących oceniać oferty", "The committee has 25 members able to score"),
])
@pytest.mark.fast
def test_the_committee_counts_its_members_in_polish(n, polish, english):
    message = ntr(*COMMITTEE, n, minimum=3)
    assert message.in_language("pl") == f"{polish}; wymagana liczba członków: co najmniej 3"
    assert message.in_language("en") == f"{english}; at least 3 are required"


# The other plural messages, with Polish's forms for 1, 2-4 (and 22-24), and 5-21 (and 25-31): the noun (and
# the verb) as a Polish reader expects them.
PLURALS = {
    ("{n} day from {trigger} (the day of the event is not counted): {nominal}",
     "{n} days from {trigger} (the day of the event is not counted): {nominal}"):
        ("termin {n} dnia od", "termin {n} dni od", "termin {n} dni od"),
    ("{n} month from {trigger} ends on the same day of the month as the event: {nominal}",
     "{n} months from {trigger} ends on the same day of the month as the event: {nominal}"):
        ("termin {n} miesiąca od", "termin {n} miesięcy od", "termin {n} miesięcy od"),
    ("The contract period {task_start} – {task_end} is invalid (at most {n} year)",
     "The contract period {task_start} – {task_end} is invalid (at most {n} years)"):
        ("(najwyżej {n} rok)", "(najwyżej {n} lata)", "(najwyżej {n} lat)"),
    ("{code}: no offer {numbers}", "{code}: no offers {numbers}"):
        ("nie ma oferty nr", "nie ma ofert nr", "nie ma ofert nr"),
    ("The task {start} – {end} lasts {n} day (the first and the last day counted); the limit in days: {max_days}",
     "The task {start} – {end} lasts {n} days (the first and the last day counted); the limit in days: {max_days}"):
        ("trwa {n} dzień", "trwa {n} dni", "trwa {n} dni"),
    ("may have at most {n} character", "may have at most {n} characters"):
        ("najwyżej {n} znak", "najwyżej {n} znaki", "najwyżej {n} znaków"),
    ("may have at most {n} digit after the decimal point", "may have at most {n} digits after the decimal point"):
        ("najwyżej {n} cyfrę po przecinku", "najwyżej {n} cyfry po przecinku", "najwyżej {n} cyfr po przecinku"),
    ("The consultation report leaves comment {numbers} unanswered",
     "The consultation report leaves comments {numbers} unanswered"):
        ("na uwagę nr", "na uwagi nr", "na uwagi nr"),
}
FORM_OF = {1: 0, 2: 1, 3: 1, 4: 1, 22: 1, 24: 1, 0: 2, 5: 2, 11: 2, 12: 2, 14: 2, 25: 2, 112: 2, 122: 1}


@pytest.mark.parametrize("forms", list(PLURALS), ids=lambda f: f[0][:40])
@pytest.mark.parametrize("n", [1, 2, 5, 12, 22, 25])
@pytest.mark.fast
def test_polish_plural_forms(forms, n):
    params = dict.fromkeys(("trigger", "nominal", "task_start", "task_end", "start", "end", "code", "max_days"), "X")
    text = ntr(*forms, n, numbers=[n], **params).in_language("pl")
    assert PLURALS[forms][FORM_OF[n]].format(n=n) in text


@pytest.mark.fast
def test_every_plural_entry_follows_the_polish_rule(po):
    """The header's rule picks form 0 for 1, form 1 for 2-4 and 22-24 (not 12-14), form 2 otherwise."""
    polish = catalogue("pl")
    for m in (m for m in po if isinstance(m.id, tuple)):
        for n, form in FORM_OF.items():
            if m.context:
                assert polish.npgettext(m.context, m.id[0], m.id[1], n) == m.string[form]
            else:
                assert polish.ngettext(m.id[0], m.id[1], n) == m.string[form]


@pytest.mark.fast
def test_parameters_read_as_people_write_them():
    message = tr("{items}; {amount}; {points}; {mapping}; {nothing}; {yes}",
                 items=["capacity", "costs"], amount=Money("25000"), points=Decimal("9.50"),
                 mapping={1: Money("25000.00")}, nothing=None, yes=True)
    assert message.in_language("pl") == "capacity, costs; 25 000,00 PLN; 9,50; 1: 25 000,00 PLN; —; tak"
    assert message.in_language("en") == "capacity, costs; PLN 25,000.00; 9.50; 1: PLN 25,000.00; —; yes"


@pytest.mark.fast
def test_every_input_field_has_a_label():
    import importlib

    from pydantic import BaseModel

    unlabelled = set()
    from states.procedures import PROCEDURES

    for name in ("states.inputs", *(procedure.inputs.__name__ for procedure in PROCEDURES), "notifications.handlers",
                 "states.auditing.history"):
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__:
                unlabelled |= {name for name in value.model_fields if name not in labels.FIELDS}
    assert unlabelled == set()


@pytest.mark.fast
def test_every_pydantic_error_type_of_the_inputs_has_a_polish_sentence():
    """Bad values of each kind, through the input models: the refusal names the field by its label and says what
    is wrong in Polish, never in pydantic's English."""
    from states.procedures.local_initiative import inputs as local_initiative_inputs
    from states.procedures.open_call import inputs as open_call_inputs
    from states.procedures.small_grant import inputs as small_grant_inputs

    cases = [
        (open_call_inputs.CreateOpenCall, dict(title="", task_area="x", budget="abc", mode="other")),
        (open_call_inputs.CreateOpenCall, dict(title="x" * 301, task_area="x", budget="-1", receipt_rule="x")),
        (open_call_inputs.CreateOpenCall, dict(title="a\x07b", task_area="x", budget="100.001")),
        (open_call_inputs.CreateOpenCall, dict(title="x", task_area="x", budget="1234567890123")),
        (open_call_inputs.AnnounceCall, dict(code="OK/2026/001", offer_deadline="23.01.2026", selection_date="2026-02-30",
                              execution_start="2026-03-01", execution_end=5,
                              published={"bip": "2026-01-02T09:00", "tv": "2026-01-02T09:00+01:00"},
                              criteria=[{"key": "capacity", "max_points": "x", "weight": "0"}], extra=1)),
        (open_call_inputs.ReviewOffer, dict(code="ok-1", number="pierwsza", decision="accept", defects="jeden")),
        (open_call_inputs.SelectOffers, dict(code="OK/2026/001", grants={"x": "5"}, decision_ref="Z")),
        (local_initiative_inputs.FormalCheck, dict(code="IL/2026/001", passed="może")),
        (small_grant_inputs.RecordGrantBudget, dict(year="dwa tysiące", planned="0")),
    ]
    for model, values in cases:
        with pytest.raises(errors.InvalidInput) as info:
            model.parse(**values)
        polish, english = info.value.message("pl"), info.value.message("en")
        assert polish.startswith("Niepoprawne dane wejściowe — ") and english.startswith("Invalid input — ")
        assert english_words(polish) == set(), polish  # the inputs above hold no English word either
        assert "Input should" not in polish and "Value error" not in polish and "Field required" not in polish
        assert not any(marker in polish for marker in ("['", "{'", "Decimal(")), polish
        assert polish.count(" — ") == 1 and english != polish


# --- every refusal site -----------------------------------------------------------------------------------------


def raise_sites() -> list[tuple[str, int, int, str | None, list[ast.Call]]]:
    """(file, first line, last line, literal basis, the tr/ntr/ptr calls of its message) of every ``raise`` of a
    domain error in the code."""
    sites = []
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            for node in walked(path):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                    continue
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name not in DOMAIN_ERRORS:
                    continue
                args = node.exc.args
                message = args[1] if len(args) > 1 else next((k.value for k in node.exc.keywords if k.arg == "text"), None)
                basis = next((k.value for k in node.exc.keywords if k.arg == "basis"), args[2] if len(args) > 2 else None)
                literal_basis = basis.value if isinstance(basis, ast.Constant) else None
                calls = [n for n in ast.walk(message) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                         and n.func.id in KEYWORDS] if message is not None else []
                sites.append((str(path.relative_to(ROOT)), node.lineno, node.end_lineno, literal_basis, calls))
    return sites


SITES = raise_sites()


def _msgid(call: ast.Call) -> tuple[str | None, str]:
    literal = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return (literal[0], literal[1]) if call.func.id == "ptr" else (None, literal[0])


def test_every_refusal_site_is_translated_and_says_its_basis_once(po):
    assert len(SITES) > 120
    problems = []
    for path, line, _, basis, calls in SITES:
        for call in calls:
            context, msgid = _msgid(call)
            entry = po.get(msgid, context=context)
            if entry is None or not entry.string:
                problems.append(f"{path}:{line}: untranslated {msgid!r}")
                continue
            texts = [*(entry.id if isinstance(entry.id, tuple) else (entry.id,)),
                     *(entry.string if isinstance(entry.string, tuple) else (entry.string,))]
            if basis and any(basis in text for text in texts):
                problems.append(f"{path}:{line}: {msgid!r} cites its basis {basis!r}, which the refusal appends")
    assert problems == []
    # A refusal whose text is built elsewhere (a helper's message, pydantic's errors): few, and known.
    built_elsewhere = sorted(f"{path}:{line}" for path, line, _, _, calls in SITES if not calls)
    assert len(built_elsewhere) <= 8, built_elsewhere


# --- a corpus of refusals through the CLI ----------------------------------------------------------------------

ORG = ["org", "add", "--name", "Stowarzyszenie Przyjaciół Leszna", "--legal-form", "stowarzyszenie",
       "--address", "Leszno, Rynek 1", "--email", "biuro@example.org", "--contact", "Jan Prezes", "--krs", "0000100001"]
CREATE = ["call", "create", "--title", "Aktywność lokalna", "--area", "pożytek publiczny", "--budget", "100000.00"]
ANNOUNCE = ["--offer-deadline", "2026-01-23", "--selection-date", "2026-02-13", "--execution-start", "2026-03-01",
            "--execution-end", "2026-11-30", "--bip", "2026-01-02T09:00+01:00", "--board", "2026-01-02T10:00+01:00",
            "--website", "2026-01-02T11:00+01:00"]
OFFER = ["--organisation", "0000100001", "--title", "Aktywny senior", "--grant", "25000", "--task-start",
         "2026-04-01", "--task-end", "2026-06-30"]


def _with(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(option) + 1] = value
    return out


# (what it shows, the command, the moment, what the Polish message must say)
SETUP = [
    (ORG, "2026-01-02T08:00+01:00"),
    (CREATE, "2026-01-02T08:30+01:00"),
]
REFUSALS = [
    ("KRS of 9 digits", _with(ORG, "--krs", "123456789"), "2026-01-02T08:00+01:00", "numer KRS: musi mieć dokładnie 10 cyfr"),
    ("amount not a number", _with(CREATE, "--budget", "sto tysięcy"), "2026-01-02T08:30+01:00",
     "środki: to nie jest liczba zapisana cyframi 0-9"),
    ("amount below zero", _with(CREATE, "--budget", "-5"), "2026-01-02T08:30+01:00", "środki: musi przekraczać 0"),
    ("amount with 3 decimals", _with(CREATE, "--budget", "100.001"), "2026-01-02T08:30+01:00",
     "najwyżej 2 cyfry po przecinku"),
    ("mode not allowed", [*CREATE, "--mode", "dotacja"], "2026-01-02T08:30+01:00", "dozwolone wartości: support, entrustment"),
    ("empty title", _with(CREATE, "--title", " "), "2026-01-02T08:30+01:00", "tytuł: wymaga wartości"),
    ("unknown case", ["call", "show", "OK/2026/999"], "2026-01-02T12:00+01:00", "Nie ma sprawy OK/2026/999"),
    ("offer deadline too short", ["call", "announce", "OK/2026/001", *_with(ANNOUNCE, "--offer-deadline", "2026-01-22")],
     "2026-01-02T12:00+01:00", "jest krótszy niż 21 dni od ostatniej publikacji"),
    ("a channel missing", ["call", "announce", "OK/2026/001", *ANNOUNCE[:-2]], "2026-01-02T12:00+01:00",
     "brak: strona internetowa urzędu"),
    ("an unknown criterion", ["call", "announce", "OK/2026/001", *ANNOUNCE, "--criterion", "urok=10"],
     "2026-01-02T12:00+01:00", "Nieznane kryterium „urok”; kryteria ustawowe: capacity (możliwość realizacji"),
    ("scoring before its time", ["offer", "score", "OK/2026/001", "1", "--member", "Jan Kowalski", "--points",
                                 "capacity=5"], "2026-01-02T12:00+01:00", "czynność „ocena merytoryczna” jest możliwa"),
    ("a role that may not", [*CREATE, "--role", "auditor"], "2026-01-02T12:00+01:00",
     "Rola auditor (audytor) nie może wykonać tego polecenia (dozwolone: officer (urzędnik))"),
    ("a naive moment", CREATE, "2026-01-02T10:00", "Moment --at bez strefy czasowej jest niejednoznaczny"),
    ("a calendar unit", ["calendar", "period", "2026-07-16", "30", "lata"], None, "Nieznana jednostka „lata”"),
    ("no rule set", ["rules", "show", "Leszno-1999"], None, "Nie ma zestawu reguł „Leszno-1999”"),
    ("no notification", ["notifications", "retry", "999"], "2026-01-02T12:00+01:00", "Nie ma powiadomienia nr 999"),
    ("a small grant too large", ["grant", "file", "--krs", "0000100001", "--title", "Za duża", "--amount",
                                 "10500", "--start", "2026-05-01", "--end", "2026-05-30"],
     "2026-01-03T10:00+01:00", "10 500,00 PLN > 10 000,00 PLN"),
    ("a check of nothing", ["audit", "check"], "2026-01-03T10:00+01:00",
     "Podaj dokładnie jedno: kod sprawy, --year albo --file"),
    ("an open-data format", ["open-data", "results", "--format", "xml"], "2026-01-03T10:00+01:00",
     "Nieznany format „xml”"),
    ("an empty window", ["audit", "history", "OK/2026/001", "--since", "2026-02-01", "--until", "2026-01-01"],
     "2026-01-03T10:00+01:00", "jest wcześniejsze niż --since"),
    ("a programme without its year", ["consult", "create", "--title", "Program współpracy", "--field", "pożytek",
                                      "--kind", "programme"], "2026-01-03T10:00+01:00",
     "Podaj rok, na który jest program współpracy"),
    ("a sphere of no initiative", ["initiative", "file", "--title", "Skwer", "--representative", "Jan Prezes",
                                   "--sphere", "astronautyka", "--location", "Leszno", "--owner", "Miasto",
                                   "--description", "Zieleń", "--resident", "Jan Prezes"],
     "2026-01-03T10:00+01:00", "Sfera „astronautyka” nie należy do sfer inicjatywy lokalnej"),
    ("an opt-out of a decision", ["notifications", "prefer", "biuro@example.org", "--template", "offer_decision",
                                  "--opt-out"], "2026-01-03T10:00+01:00",
     "Z powiadomienia „offer_decision” nie można zrezygnować"),
]
BEFORE_REVIEW = [
    ("a rejection without defects", ["offer", "review", "OK/2026/001", "1", "reject"], "2026-01-24T08:10+01:00",
     "Wymień braki formalne oferty"),
    ("the same member twice", ["committee", "appoint", "OK/2026/001", "--name", "Jan Kowalski"],
     "2026-01-24T08:10+01:00", "Jan Kowalski jest już członkiem komisji"),
    ("a member nobody appointed", ["committee", "declare", "OK/2026/001", "--member", "Ewa Nowak"],
     "2026-01-24T08:10+01:00", "OK/2026/001: Ewa Nowak nie jest członkiem komisji"),
    ("offers still under review", ["call", "close-review", "OK/2026/001"], "2026-01-24T08:10+01:00",
     "oferty bez rozstrzygnięcia: nr 1"),
]
AFTER_ANNOUNCE = [
    ("one member of two", ["call", "close-review", "OK/2026/001"], "2026-01-24T09:00+01:00",
     "Komisja konkursowa ma 1 członka mogącego oceniać oferty; wymagana liczba członków: co najmniej 2"),
    ("no such offer", ["offer", "review", "OK/2026/001", "7", "accept"], "2026-01-24T09:00+01:00",
     "OK/2026/001: nie ma oferty nr 7"),
    ("a late offer", ["offer", "file", "OK/2026/001", *OFFER], "2026-01-24T09:00+01:00",
     "po terminie składania ofert 2026-01-23 23:59:59 (+01:00) (liczy się data wpływu do urzędu)"),
    ("declaring offers that are not there", ["committee", "declare", "OK/2026/001", "--member", "Jan Kowalski",
                                             "--conflict", "8", "--conflict", "9"], "2026-01-24T09:00+01:00",
     "OK/2026/001: nie ma ofert nr 8, 9"),
    ("a second review", ["offer", "review", "OK/2026/001", "1", "accept"], "2026-01-24T09:00+01:00",
     "tego kroku nie można wykonać w stanie „poprawna formalnie”; można go wykonać tylko w stanach:"),
]


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    """Every refusal of the corpus in both languages (message, basis), with the raise sites they reached."""
    url = f"sqlite:///{tmp_path_factory.mktemp('messages') / 'coop.db'}"
    runner = CliRunner()
    reached: set[tuple[str, int]] = set()
    original = errors.DomainError.__init__

    def recording(self, *args, **kwargs):
        for frame in reversed(traceback.extract_stack()[:-1]):
            path = Path(frame.filename).resolve()
            if ROOT in path.parents and "tests" not in path.parts and path.name != "errors.py":
                reached.add((str(path.relative_to(ROOT)), frame.lineno))
                break
        original(self, *args, **kwargs)

    def run(args, at, lang="pl", json_output=True):
        env = {"COOP_DATABASE_URL": url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_LANG": lang, "COOP_NOW": at or ""}
        if at is None:
            env.pop("COOP_NOW")
        result = runner.invoke(app, [*args, *(["--json"] if json_output else [])], env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    errors.DomainError.__init__ = recording
    try:
        assert run(["db", "upgrade"], None).exit_code == 0
        for args, at in SETUP:
            assert run(args, at).exit_code == 0
        found = {}
        for name, args, at, _ in REFUSALS:
            found[name] = {lang: run(args, at, lang) for lang in ("pl", "en")}
            found[name]["plain"] = run(args, at, "pl", json_output=False)
        assert run(["call", "announce", "OK/2026/001", *ANNOUNCE], "2026-01-02T12:00+01:00").exit_code == 0
        assert run(["committee", "appoint", "OK/2026/001", "--name", "Jan Kowalski"], "2026-01-05T09:00+01:00").exit_code == 0
        assert run(["offer", "file", "OK/2026/001", *OFFER], "2026-01-12T10:00+01:00").exit_code == 0
        assert run(["tick"], "2026-01-24T08:00+01:00").exit_code == 0
        for name, args, at, _ in BEFORE_REVIEW:
            found[name] = {lang: run(args, at, lang) for lang in ("pl", "en")}
            found[name]["plain"] = run(args, at, "pl", json_output=False)
        assert run(["offer", "review", "OK/2026/001", "1", "accept"], "2026-01-24T08:30+01:00").exit_code == 0
        for name, args, at, _ in AFTER_ANNOUNCE:
            found[name] = {lang: run(args, at, lang) for lang in ("pl", "en")}
            found[name]["plain"] = run(args, at, "pl", json_output=False)
    finally:
        errors.DomainError.__init__ = original
    return found, reached


@pytest.mark.parametrize(("name", "expected"), [(name, expected) for name, _, _, expected in REFUSALS + BEFORE_REVIEW + AFTER_ANNOUNCE])
def test_a_refusal_reads_well_in_both_languages(refusals, name, expected):
    found, _ = refusals
    polish, english, plain = found[name]["pl"], found[name]["en"], found[name]["plain"]
    assert polish.exit_code in (2, 3, 5) and polish.stdout == "" and "Traceback" not in polish.output
    error_pl, error_en = json.loads(polish.stderr), json.loads(english.stderr)
    message_pl, message_en, basis = error_pl["message"], error_en["message"], error_pl["basis"]
    assert expected in message_pl, message_pl
    assert plain.stderr.startswith("błąd: ") and message_pl in plain.stderr
    for message in (message_pl, message_en):
        assert not any(marker in message for marker in REPR_MARKERS), message
        if basis:
            assert message.count(basis) == 1 and message.endswith(f"({basis})"), message
    assert english_words(message_pl) == set(), message_pl
    # one language a run: the English message is not the Polish one, and says no Polish sentence
    assert message_en != message_pl
    assert not re.search(r"\b(jest|nie|oraz|musi|może)\b", message_en.replace(basis or "", "")), message_en


def test_the_corpus_reaches_refusal_sites_across_the_engine(refusals):
    _, reached = refusals
    hit = {(path, first) for path, first, last, _, _ in SITES
           if any(p == path and first <= line <= last for p, line in reached)}
    assert len(hit) >= 20, sorted(hit)
    assert len({path for path, _ in hit}) >= 8


# --- help texts ---------------------------------------------------------------------------------------------------


def _commands(command, path=()):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def _built(lang: str, monkeypatch) -> dict[tuple, object]:
    monkeypatch.setenv("COOP_LANG", lang)
    return dict(_commands(typer.main.get_command(app)))


def test_every_help_text_is_translated(monkeypatch, po):
    english, polish = _built("en", monkeypatch), _built("pl", monkeypatch)
    assert english.keys() == polish.keys() and len(english) > 90
    untranslated = []
    for path, command in english.items():
        pl_command = polish[path]
        pairs = [(command.help, pl_command.help)]
        pairs += [(p.help, q.help) for p, q in zip(command.params, pl_command.params, strict=True)
                  if getattr(p, "help", None)]
        for source, translated in pairs:
            if not source:
                untranslated.append((path, "a command without help"))
                continue
            entry = po.get(source)
            if entry is not None and translated != entry.string:
                untranslated.append((path, source))
            elif entry is None and translated == source:  # a help made of a field's label is translated too
                untranslated.append((path, source))
            elif english_words(translated):
                untranslated.append((path, translated))
    assert untranslated == []


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_every_help_page_is_in_one_language(lang, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("COOP_LANG", lang)
    pages = 0
    for path, _ in _commands(typer.main.get_command(app)):
        result = runner.invoke(app, [*path, "--help"], env={"COOP_LANG": lang})
        assert result.exit_code == 0, (path, result.output)
        # typer's own frame (the usage line, metavars, panel titles) is checked in a real run below
        text = "\n".join(line for line in result.output.splitlines() if "Usage:" not in line)
        text = re.sub(r"\[[^\]]*\]", " ", text)  # defaults, env vars, [required]: typer's own, checked below
        text = re.sub(r"│\s*\*?\s*[\w-]+", " ", text)  # the first column: command names, options, arguments
        text = re.sub(r"<[^>]*>|\[OPTIONS\]|COMMAND|\[ARGS\]|─|│|╭|╮|╰|╯|Options|Commands|Arguments", " ", text)
        text = text.replace("Show this message and exit.", "" if lang == "en" else "Show this message and exit.")
        if lang == "pl":
            assert english_words(text) == set(), (path, result.output)
        else:
            assert not re.search(r"[ąćęłńśźż]", text.replace("Zarządzenie", "")), (path, result.output)
        pages += 1
    assert pages > 90


def test_the_frame_of_the_help_speaks_the_run_s_language():
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_") and k != "LANGUAGE"}
    outputs = {}
    for lang in ("pl", "en"):
        done = subprocess.run([sys.executable, "-m", "coop", "call", "announce", "--help"], cwd=ROOT,
                              env={**env, "COOP_LANG": lang}, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outputs[lang] = done.stdout
    assert "Opcje" in outputs["pl"] and "Argumenty" in outputs["pl"] and "Pokaż tę pomoc i zakończ." in outputs["pl"]
    assert "[wymagane]" in outputs["pl"] and "Ogłoszenie konkursu" in outputs["pl"]
    assert "Options" in outputs["en"] and "Show this message and exit." in outputs["en"]
    assert "Announce the call" in outputs["en"] and "[required]" in outputs["en"]


@pytest.mark.fast
def test_a_message_renders_in_the_run_s_language(monkeypatch):
    message: Message = tr("No case {code}", code="OK/2026/001")
    monkeypatch.setenv("COOP_LANG", "en")
    assert str(message) == "No case OK/2026/001"
    monkeypatch.setenv("COOP_LANG", "pl")
    assert str(message) == "Nie ma sprawy OK/2026/001"


@pytest.mark.parametrize(("args", "polish", "english"), [
    (["grant", "file", "--grant", "5"], "Nie ma opcji --grant (czy chodziło o: --amount, --at?)",
     "No such option: --grant (did you mean: --amount, --at?)"),
    (["grant", "file", "--krs"], "Opcja --krs wymaga wartości.", "The option --krs needs a value."),
    (["history"], "Brak wymaganego argumentu 'code'.", "Missing argument 'code'."),
    (["calendar", "period", "2026-01-01", "trzy"], "Niepoprawna wartość 'amount': oczekiwano liczby całkowitej.",
     "Invalid value for 'amount': expected a whole number."),
    (["calendar", "period", "2026-01-01", "99999"], "Niepoprawna wartość 'amount': najwyżej 3650.",
     "Invalid value for 'amount': at most 3650."),
    (["history", "OK/2026/001", "nadmiar"], "Nadmiarowe argumenty: nadmiar", "Unexpected extra arguments: nadmiar"),
])
def test_a_mistyped_command_line_is_told_in_the_run_s_language(args, polish, english, monkeypatch):
    runner = CliRunner()
    for lang, expected in (("pl", polish), ("en", english)):
        monkeypatch.setenv("COOP_LANG", lang)
        result = runner.invoke(app, args, env={"COOP_LANG": lang})
        assert result.exit_code == 2
        assert expected in " ".join(result.output.replace("│", " ").split()), result.output
