"""Typed domain errors. Every refusal names the rule it enforces and, where there is one, its legal basis."""

from __future__ import annotations

from states.text import Message, language, render


class DomainError(Exception):
    """A command was refused; nothing was written."""

    exit_code = 2

    def __init__(self, rule: str, text: Message, basis: str | None = None, **details: object) -> None:
        self.rule = rule
        self.text = text
        self.basis = basis
        self.details = details
        super().__init__(self.message())

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
