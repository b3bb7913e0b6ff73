"""What a step is about: the case itself, or one thing in it (an offer, a committee member, a comment, ...).

An audit record keeps its subject as text, ``"case"``, ``"offer:3"``, ``"member:Jan Kowalski"``, and that text is
hashed into the case's chain (states/audit.py): its form never changes. ``Subject`` is the one place that
writes and reads that form; the handlers make subjects with the constructors below, and whoever reads a record
(the notifications' routing, the Prefect events, the auditor's checks, the labels) parses it here instead of
splitting the text itself.
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str  # "case", "offer", "member", "comment", "micro_grant", "sub_call", "rdpp"
    key: str | None = None  # which one of its kind: an offer's number, a member's name, a micro-grant's case code

    def __post_init__(self) -> None:
        if not self.kind or SEPARATOR in self.kind:
            raise ValueError(f"a subject's kind is a word without {SEPARATOR!r}: {self.kind!r}")

    @classmethod
    def parse(cls, text: str) -> Subject:
        """``"offer:3"`` -> Subject("offer", "3"); ``"case"`` -> Subject("case"). Everything after the first
        separator is the key (a member's name may hold one)."""
        kind, separator, key = text.partition(SEPARATOR)
        return cls(kind, key if separator else None)

    def __str__(self) -> str:
        return self.kind if self.key is None else f"{self.kind}{SEPARATOR}{self.key}"

    @property
    def number(self) -> int | None:
        """The key as a number (an offer's, a comment's), or None when it is not one (as ``int`` reads digits)."""
        return int(self.key) if self.key is not None and self.key.isdecimal() else None

    @classmethod
    def offer(cls, number: int) -> Subject:
        return cls("offer", str(number))

    @classmethod
    def member(cls, name: str) -> Subject:
        return cls("member", name)

    @classmethod
    def comment(cls, number: int) -> Subject:
        return cls("comment", str(number))

    @classmethod
    def micro_grant(cls, code: str) -> Subject:
        return cls("micro_grant", code)


CASE = Subject("case")
SUB_CALL = Subject("sub_call")  # regranting: the operator's call for implementers
RDPP = Subject("rdpp")  # consultation: the Public Benefit Council's opinion


def kind_of(text: str) -> str:
    """The kind of a stored subject: ``"offer"`` for ``"offer:3"``."""
    return text.partition(SEPARATOR)[0]
