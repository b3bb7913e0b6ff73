"""Typed domain errors. Every refusal names the rule it enforces and, where there is one, its legal basis."""

from __future__ import annotations

import os

from kernel.text import LANGUAGES, Message, language, render


class DomainError(Exception):
    """A command was refused; nothing was written."""

    exit_code = 2

    def __init__(self, rule: str, text: Message, basis: str | None = None, **details: object) -> None:
        self.rule = rule
        self.text = text
        self.basis = basis
        self.details = details
        if os.environ.get("COOP_STRICT_MESSAGES") == "1":  # the tests (tests/conftest.py)
            self._check()
        super().__init__(self.message())

    def _check(self) -> None:
        """A refusal reads well in every language and says its basis once: rendering it fails on a parameter
        with no human form or a translation naming a parameter that is not there; a text that cites the basis
        itself would print it twice (the basis is appended by ``message``)."""
        for lang in LANGUAGES:
            body = self.text.in_language(lang)
            if self.basis and self.basis in body:
                raise AssertionError(f"{self.rule}: the basis {self.basis!r} would be printed twice: {body}")

    def message(self, lang: str | None = None) -> str:
        body = self.text.in_language(lang) if lang else str(self.text)
        return f"{body} ({self.basis})" if self.basis else body

    def as_dict(self, lang: str | None = None) -> dict[str, object]:
        return {
            "error": self.rule,
            "message": self.message(lang),
            "basis": self.basis,
            "details": {k: render(v, language(lang)) for k, v in self.details.items()},
        }


class RuleViolation(DomainError):
    """The law or the pinned rule set forbids what was asked."""


class InvalidInput(DomainError):
    """The input itself is malformed (validated at the edge)."""


class NotFound(DomainError):
    exit_code = 3


class ConcurrentChange(DomainError):
    """Someone else changed the case between our read and our write: check and retry."""

    exit_code = 4


class NotPermitted(DomainError):
    """The actor's role may not do this."""

    exit_code = 5
