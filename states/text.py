"""Bilingual text: what officers, NGOs and the public read is Polish by default, English on request.

The language is chosen per process with ``COOP_LANG`` (``pl`` or ``en``), so the domain never needs to
know who is reading; a ``Text`` renders itself in the current language when turned into a string.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

LANGUAGES = ("pl", "en")


def current_language() -> str:
    lang = os.environ.get("COOP_LANG", "pl").strip().lower()[:2]
    return lang if lang in LANGUAGES else "pl"


@dataclass(frozen=True)
class Text:
    pl: str
    en: str

    def in_language(self, lang: str) -> str:
        return self.en if lang == "en" else self.pl

    def __str__(self) -> str:
        return self.in_language(current_language())

    def format(self, **params: object) -> Text:
        return Text(self.pl.format(**params), self.en.format(**params))
