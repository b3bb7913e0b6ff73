"""One text policy for every input (invariant 7, issue 18): each rule lives here, once.

- Every text is NFC-normalised, so one name typed two ways (``ó`` or ``o`` + combining acute) is one name.
- A single-line field (a name, a title, an address, a decision's number) refuses control characters, line
  breaks (CR, LF, NEL, U+2028/9), bidirectional controls (U+202A-202E, U+2066-2069, U+200E/F, U+061C) and
  invisible format characters (zero-width U+200B-200D, U+2060, U+FEFF, soft hyphen, ...): a CR/LF turns
  ``"Fundacja X\\r\\nBcc: victim@evil.org"`` into an e-mail header, U+202E shows an officer text other
  than what is stored, U+200B makes two different names look the same.
- A multi-line field (a description, a comment, an opinion, a reason) also allows the newline; CR/LF and a
  lone CR become LF; the rest is refused as above.
- Amounts and numbers take the ASCII digits 0-9 only: ``Decimal('١٠٠٠')`` is 1000.
- E-mail addresses go through email-validator (no display name, no ``<>``, no ``;``).
- Undecodable bytes (a non-UTF-8 argument or environment value, which Python carries as U+DC80-U+DCFF) are
  refused wherever they arrive, naming the byte.

Nothing here imports pydantic at module level: ``states.actors`` uses it on the CLI's quick path. The
pydantic types built on these rules are in ``states.inputs`` (SingleLine, MultiLine, Email, amounts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from states.text import Message, tr

# Line breaks by any other name: str.splitlines() breaks on every one of these.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
BIDI_CONTROLS = frozenset(map(chr, (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))))
_SURROGATE = re.compile("[\ud800-\udfff]")  # how Python carries an undecodable byte, and lone halves
_SHORT_NAMES = {0x00: "NUL", 0x09: "TAB", 0x0A: "LF", 0x0B: "VT", 0x0C: "FF", 0x0D: "CR", 0x1B: "ESC",
                0x7F: "DEL", 0x85: "NEL"}

_KINDS = {
    "undecodable": tr("a byte that is not valid UTF-8"),
    "line_break": tr("line break"),
    "bidi": tr("bidirectional control character"),
    "control": tr("control character"),
    "invisible": tr("invisible format character"),
}
_RULES = {
    False: tr("a single-line field takes visible text on one line only, without control characters, line "
              "breaks, bidirectional controls or invisible characters"),
    True: tr("a multi-line field takes visible text and the newline (LF), without other control "
             "characters, bidirectional controls or invisible characters"),
}


def char_label(ch: str) -> str:
    """``U+000D (CR)``, ``U+202E (RIGHT-TO-LEFT OVERRIDE)``: never the character itself, which could reorder or
    hide the message that names it."""
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # how Python carries an undecodable byte (surrogateescape)
        return f"0x{code - 0xDC00:02X}"
    name = _SHORT_NAMES.get(code) or unicodedata.name(ch, "")
    return f"U+{code:04X} ({name})" if name else f"U+{code:04X}"


def shown(value: str, limit: int = 40) -> str:
    """A text as a message may quote it: each forbidden character escaped (``\\r``, ``\\u202e``), and cut."""
    text = "".join(ch if kind_of(ch) is None else ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for ch in value[:limit])
    return text + ("…" if len(value) > limit else "")


def kind_of(ch: str) -> str | None:
    """Why this character may not stand in a text field, or None if it may."""
    if ch in LINE_BREAKS:
        return "line_break"
    category = unicodedata.category(ch)
    if category == "Cs":
        return "undecodable"
    if ch in BIDI_CONTROLS:
        return "bidi"
    if category == "Cc":
        return "control"
    if category == "Cf":
        return "invisible"
    return None


def violation(value: str, *, multiline: bool = False) -> Message | None:
    """The first forbidden character of ``value`` and the rule it breaks, or None when the text is lawful."""
    # Every forbidden character is one str.isprintable() refuses (categories C* and the line and paragraph
    # separators), so a printable text, most of them, is passed at C speed; the rest is read one character at a
    # time to find the first offender.
    if (value.replace("\n", "") if multiline else value).isprintable():
        return None
    for position, ch in enumerate(value, start=1):
        if ch.isprintable() or (multiline and ch == "\n"):
            continue
        kind = kind_of(ch)
        if kind is not None:
            what, rule = _KINDS[kind], _RULES[multiline]
            label = char_label(ch)
            return tr("forbidden {what} {label} at position {position}; {rule}", what=what, label=label, position=position, rule=rule)
    return None


def normalise(value: str, *, multiline: bool = False) -> str:
    """NFC, and for a multi-line text every CR/LF or lone CR as LF. An undecodable byte is left for
    ``violation`` to name (NFC would keep it anyway)."""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _SURROGATE.search(value):
        return value
    return unicodedata.normalize("NFC", value)


def checked(value: str, *, multiline: bool = False) -> tuple[str, Message | None]:
    """The normalised text and, when it breaks the policy, why."""
    value = normalise(value, multiline=multiline)
    return value, violation(value, multiline=multiline)


# --- pydantic validators (the error carries its message; states/input_errors.py renders it) -----------------


def policy_error(text: Message, kind: str = "text_policy") -> Exception:
    from pydantic_core import PydanticCustomError

    # The message itself rides in the error's context; states/input_errors.py renders it in the run's language.
    return PydanticCustomError(kind, "{message}", {"message": text})


def single_line(value: str) -> str:
    value, problem = checked(value)
    if problem:
        raise policy_error(problem)
    return value


def multi_line(value: str) -> str:
    value, problem = checked(value, multiline=True)
    if problem:
        raise policy_error(problem)
    return value


def _surrogates_first(value: object, multiline: bool) -> object:
    # Before pydantic's own str check, which refuses a surrogate as "unable to parse raw data as a unicode
    # string" without saying which byte or why.
    if isinstance(value, str) and _SURROGATE.search(value):
        raise policy_error(violation(value, multiline=multiline))
    return value


def single_line_input(value: object) -> object:
    return _surrogates_first(value, False)


def multi_line_input(value: object) -> object:
    return _surrogates_first(value, True)


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _foreign_digit(value: str) -> str | None:
    return next((ch for ch in value if ch.isdigit() and not ch.isascii()), None)


def _ascii_number(value: object, pattern: re.Pattern[str], example: str) -> object:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if pattern.fullmatch(text):
        return text
    foreign = _foreign_digit(text)
    if foreign is not None:
        label = char_label(foreign)
        raise policy_error(tr("digit {label} is not one of 0-9; numbers and amounts take the ASCII digits "
                              "0-9, e.g. {example}", label=label, example=example), "ascii_digits")
    if "." in example:
        raise policy_error(tr("not a number written with the digits 0-9 and a decimal point, e.g. {example} (no "
                              "spaces, commas, underscores or exponent)", example=example), "ascii_digits")
    raise policy_error(tr("not a number written with the digits 0-9, e.g. {example} (no spaces, commas, "
                          "underscores or exponent)", example=example), "ascii_digits")


def ascii_decimal(value: object) -> object:
    """Before pydantic's Decimal: a string must be 0-9 with an optional sign and decimal point."""
    return _ascii_number(value, _DECIMAL, "1000.50")


def ascii_integer(value: object) -> object:
    """Before pydantic's int (which already refuses other scripts' digits but takes ``1_000``)."""
    return _ascii_number(value, _INTEGER, "12")


def email_address(value: str) -> str:
    """A deliverable-looking address by email-validator's rules, normalised (NFC, the domain in lower case).
    Not pydantic's EmailStr: it accepts ``Jan <a@b.pl>`` and ``<a@b.pl>`` and keeps only the address, so what
    the officer typed is silently rewritten; here it is refused."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        # email-validator says why in English only; the rule below says what a valid address looks like.
        raise policy_error(tr("not a valid e-mail address — write it as name@domain.pl, without a display "
                              "name, <>, spaces or semicolons"), "email") from None


# --- undecodable arguments and environment values -------------------------------------------------------------


def _first_undecodable(value: str) -> tuple[int, str] | None:
    return next(((i, ch) for i, ch in enumerate(value, start=1) if 0xD800 <= ord(ch) <= 0xDFFF), None)


def undecodable_input(argv: Iterable[str], environ: Mapping[str, str], prefix: str = "COOP_") -> Message | None:
    """The first argument or ``COOP_*`` variable that is not valid UTF-8, named without its value (it may be a
    password), or None. Python decodes argv and the environment with surrogateescape, so a byte such as 0xFF
    arrives as U+DCFF and would fail only later, when the text is hashed or written."""
    argv = list(argv)
    for index, arg in enumerate(argv):
        found = _first_undecodable(arg)
        if found is None:
            continue
        position, ch = found
        name, equals, _ = arg.partition("=")
        if arg.startswith("--") and equals and position > len(name) + 1:
            where = tr("the value of {name}", name=name)
            position -= len(name) + 1
        elif index and argv[index - 1].startswith("-") and "=" not in argv[index - 1] and not arg.startswith("-"):
            where = tr("argument {index} (the value of {argv})", index=index + 1, argv=argv[index - 1])
        else:
            where = tr("argument {index}", index=index + 1)
        return _undecodable(where, ch, position)
    for name in sorted(environ):
        if name.startswith(prefix):
            found = _first_undecodable(environ[name])
            if found is not None:
                return _undecodable(tr("the environment variable {name}", name=name),
                                    found[1], found[0])
    return None


def _undecodable(where: Message, ch: str, position: int) -> Message:
    label = char_label(ch)
    return tr("{where} is not valid UTF-8 text: byte {label} at position {position}; give it in UTF-8", where=where, label=label, position=position)
