"""Who acts, and which roles may run which command: no database here, so any path may check it cheaply."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from states.errors import InvalidInput, NotPermitted
from states.text import Text

R = TypeVar("R")

ROLES = ("officer", "committee_member", "auditor", "scheduler", "applicant", "public")
ANYONE = ROLES  # for read-only commands: every role may read
# Anyone may comment (art. 19a ust. 4; a consultation's public): but an auditor only reads and the scheduler
# only fires deadlines, so neither may write a comment.
COMMENTERS = ("officer", "committee_member", "applicant", "public")


@dataclass(frozen=True)
class Actor:
    name: str
    role: str = "officer"

    @classmethod
    def from_environment(cls, name: str | None = None, role: str | None = None) -> Actor:
        name = (name or os.environ.get("COOP_ACTOR") or getpass.getuser() or "").strip()
        role = (role or os.environ.get("COOP_ROLE") or "officer").strip()
        if not name:
            raise InvalidInput("actor_required", Text("Podaj, kto działa (--actor).", "Say who acts (--actor)."))
        if role not in ROLES:
            raise InvalidInput(
                "unknown_role",
                Text(f"Nieznana rola {role!r}; dozwolone: {', '.join(ROLES)}.",
                     f"Unknown role {role!r}; allowed: {', '.join(ROLES)}."),
            )
        return cls(name, role)


SCHEDULER = Actor("scheduler", "scheduler")


def permitted(*roles: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Declare which roles may run a command handler."""

    def mark(handler: Callable[..., R]) -> Callable[..., R]:
        handler.roles = frozenset(roles)  # type: ignore[attr-defined]
        return handler

    return mark


def check_role(handler: Callable[..., Any], actor: Actor) -> None:
    roles = getattr(handler, "roles", frozenset({"officer"}))
    if actor.role not in roles:
        raise NotPermitted(
            "role_not_permitted",
            Text(f"Rola {actor.role!r} nie może wykonać tego polecenia (dozwolone: {', '.join(sorted(roles))}).",
                 f"Role {actor.role!r} may not run this command (allowed: {', '.join(sorted(roles))})."),
        )
