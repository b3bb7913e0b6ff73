"""What people read, in their language: gettext catalogues with plural rules, rendered lazily.

Messages are written in English in the code (``tr("No case {code}", code=...)``) and translated in the
catalogue ``states/locale/<lang>/LC_MESSAGES/coop.po`` (compiled to ``coop.mo``, read by the standard library's
``gettext``; docs/messages.md says how to add one). The language is chosen per run with ``COOP_LANG``
(``pl``, the default, or ``en``), so the domain never needs to know who is reading: a message is an object
that renders itself when it is turned into a string, or in any language with ``in_language``.

Parameters are formatted for people, never as Python reprs: lists and sets joined with ", ", mappings as
"key: value", amounts and numbers in the reader's notation, moments in Warsaw time, other messages in the
same language.
"""

from __future__ import annotations

import gettext
import os
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path, PurePath
from typing import Any

from kernel.local_time import moment_text as _moment_text

LANGUAGES = ("pl", "en")
SOURCE_LANGUAGE = "en"  # msgids are English: an English run needs no catalogue
DOMAIN = "coop"
# The catalogues stay where the message tools write them (Makefile ``messages``, docs/messages.md); shipped as
# the states package's data (pyproject.toml).
LOCALE_DIR = Path(__file__).resolve().parents[1] / "states" / "locale"


# The language of one request (the desk, web/: a cookie or ``?lang=``), set for the request's context only, so two
# readers served at once by one process each read their own; unset: the run's ``COOP_LANG``.
_REQUEST_LANGUAGE: ContextVar[str | None] = ContextVar("coop_request_language", default=None)


def current_language() -> str:
    chosen = _REQUEST_LANGUAGE.get()
    if chosen is not None:
        return chosen
    lang = os.environ.get("COOP_LANG", "pl").strip().lower()[:2]
    return lang if lang in LANGUAGES else "pl"


@contextmanager
def language_override(lang: str | None) -> Iterator[str]:
    """Within the block (one request), messages render in ``lang`` (None: the run's language)."""
    token = _REQUEST_LANGUAGE.set(None if lang is None else language(lang))
    try:
        yield current_language()
    finally:
        _REQUEST_LANGUAGE.reset(token)


def language(lang: str | None) -> str:
    """``lang`` as one of LANGUAGES (``None``: the run's language)."""
    if lang is None:
        return current_language()
    if lang in LANGUAGES:  # already one of them: the common case, as a message renders its parameters
        return lang
    return "en" if lang.strip().lower().startswith("en") else "pl"


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()  # English plural rule (n != 1) and the msgids themselves
    # A missing catalogue is a packaging fault, not a reason to answer a Polish reader in English.
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


class Message:
    """A message not yet rendered: its English msgid (and plural with the count), and its parameters."""

    __slots__ = ("msgid", "plural", "n", "context", "params")

    def __init__(self, msgid: str, params: dict[str, Any], plural: str | None = None, n: int | None = None,
                 context: str | None = None) -> None:
        self.msgid, self.plural, self.n, self.context, self.params = msgid, plural, n, context, params

    def in_language(self, lang: str) -> str:
        lang = language(lang)
        translations = catalogue(lang)
        if self.plural is not None:
            if self.context is not None:
                template = translations.npgettext(self.context, self.msgid, self.plural, self.n)
            else:
                template = translations.ngettext(self.msgid, self.plural, self.n)
        elif self.context is not None:
            template = translations.pgettext(self.context, self.msgid)
        else:
            template = translations.gettext(self.msgid)
        if not self.params and self.plural is None:
            return template.replace("{{", "{").replace("}}", "}")
        params = dict(self.params)
        if self.plural is not None:
            params.setdefault("n", self.n)
        names = _plain_fields(template)
        if names is None:
            return _Formatter(lang).vformat(template, (), params)
        return template.format_map({name: render(params[name], lang) for name in names})

    def __str__(self) -> str:
        return self.in_language(current_language())

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (self.msgid, self.plural, self.n, self.context, self.params) == (
            other.msgid, other.plural, other.n, other.context, other.params)

    __hash__ = None  # type: ignore[assignment]  (parameters may be lists)

    def __add__(self, other: object) -> Message:
        """``message + "; more"`` or ``message + other_message``: both rendered in the same language."""
        return Message("{first}{second}", {"first": self, "second": other})

    def __radd__(self, other: object) -> Message:
        return Message("{first}{second}", {"first": other, "second": self})


def tr(msgid: str, /, **params: Any) -> Message:
    """A message: ``tr("No offer {number}", number=3)``. The msgid is English; ``{name}`` placeholders."""
    return Message(msgid, params)


def ntr(singular: str, plural: str, n: int, /, **params: Any) -> Message:
    """A message whose words follow the count ``n`` (``{n}`` in the text), with the language's plural rule:
    Polish has three forms (1 członka; 2, 3, 4, 22 członków... or 2 oferty; 5, 12, 25 ofert)."""
    return Message(singular, params, plural=plural, n=n)


def ptr(context: str, msgid: str, /, **params: Any) -> Message:
    """A message whose translation depends on where it stands (e.g. a weekday after "from" and after "to")."""
    return Message(msgid, params, context=context)


class Localized:
    """A value the catalogue cannot hold but that depends on the language (e.g. a holiday's name from the
    ``holidays`` package): rendered by ``render(lang)``."""

    __slots__ = ("render",)

    def __init__(self, render: Callable[[str], str]) -> None:
        self.render = render

    def in_language(self, lang: str) -> str:
        return self.render(language(lang))

    def __str__(self) -> str:
        return self.in_language(current_language())


class Joined:
    """Items joined with a separator other than ", " (e.g. "; " between whole sentences)."""

    __slots__ = ("items", "separator")

    def __init__(self, items: Iterable[Any], separator: str) -> None:
        self.items, self.separator = list(items), separator

    def in_language(self, lang: str) -> str:
        return self.separator.join(render(item, language(lang)) for item in self.items)

    def __str__(self) -> str:
        return self.in_language(current_language())


def capitalized(message: Any) -> Localized:
    """A message that starts a sentence: its first letter in upper case, in whatever language it renders."""

    def render_capitalized(lang: str) -> str:
        text = render(message, lang)
        return text[:1].upper() + text[1:]

    return Localized(render_capitalized)


class Money:
    """An amount in złoty: 10 500,00 PLN for a Polish reader, PLN 10,500.00 for an English one."""

    __slots__ = ("value",)

    def __init__(self, value: Decimal | int | str) -> None:
        self.value = Decimal(value)

    def in_language(self, lang: str) -> str:
        number = number_text(self.value.quantize(Decimal("0.01")), language(lang))
        return f"{number} PLN" if language(lang) == "pl" else f"PLN {number}"

    def __str__(self) -> str:
        return self.in_language(current_language())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def money(value: Decimal | int | str) -> Money:
    return Money(value)


def number_text(value: Decimal | int | float, lang: str) -> str:
    """Digits as the reader writes them: 25 000,5 in Polish (a space between thousands), 25,000.5 in English."""
    if isinstance(value, int) and not isinstance(value, bool):
        grouped = f"{value:,d}"
    else:
        value = Decimal(str(value)) if isinstance(value, float) else value
        grouped = f"{value:,f}"
    if lang == "pl":  # as the notifications and the annual report write amounts: 4 800,00
        return grouped.replace(",", " ").replace(".", ",")
    return grouped


def moment_text(value: datetime) -> str:
    """A moment as people read it, as everything shows one (kernel/local_time.py): 2026-01-23 23:59:59 (+01:00)."""
    return _moment_text(value)


def render(value: Any, lang: str) -> str:
    """Any parameter of a message, as a person reads it in ``lang``."""
    if isinstance(value, str):
        return value
    if hasattr(value, "in_language"):
        return value.in_language(lang)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return (tr("yes") if value else tr("no")).in_language(lang)
    if isinstance(value, int):
        return str(value)  # numbers of things (offers, years, days) are written without grouping
    if isinstance(value, Decimal | float):
        return number_text(value, lang)
    if isinstance(value, datetime):
        return moment_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return ", ".join(f"{render(k, lang)}: {render(v, lang)}" for k, v in value.items())
    if isinstance(value, set | frozenset):
        return ", ".join(render(v, lang) for v in sorted(value, key=str))
    if isinstance(value, Iterable):
        return ", ".join(render(v, lang) for v in value)
    if isinstance(value, PurePath | BaseException | time):
        return str(value)  # a file name, an error's own message, a time of day
    if os.environ.get("COOP_STRICT_MESSAGES") == "1":  # the tests: an object nobody taught to read itself
        raise TypeError(f"a message parameter of type {type(value).__name__} has no human form: {value!r}")
    return str(value)


@lru_cache(maxsize=8192)
def _plain_fields(template: str) -> tuple[str, ...] | None:
    """The names ``template`` refers to when each is a plain ``{name}`` (no format, conversion, index or attribute),
    as nearly all are: such a template is filled by ``str.format_map`` with its parameters rendered, at C speed;
    None sends it through ``_Formatter``, which also renders each parameter."""
    names = []
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if spec or conversion or not field.isidentifier():
            return None
        names.append(field)
    return tuple(dict.fromkeys(names))


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec:  # an explicit format (e.g. a percentage's digits): the value as it is
            if isinstance(value, Decimal | float) and self.lang == "pl":
                return format(value, format_spec).replace(".", ",")
            return format(value, format_spec)
        return render(value, self.lang)
