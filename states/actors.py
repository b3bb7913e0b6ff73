"""Who acts: an actor, its role and, when proven, the person and their grants. No database here, so any path may
read it cheaply; who may run which command is states/authorization.py."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field, replace

from states import labels, text_policy
from states.errors import InvalidInput
from states.text import tr

# The longest name an actor may act under: a committee member acts under the name they were appointed with
# (ShortText in states/inputs.py, at most 300 characters), so no shorter. Every record stores it in full.
ACTOR_MAX_LENGTH = 300

ROLES = ("officer", "committee_member", "auditor", "scheduler", "applicant", "public", "administrator")
# The role a proven person acts in when they name none: the first of theirs, in this order, that the command
# admits (states/authorization.py); every active person may act as the public.
ROLE_ORDER = ("officer", "committee_member", "applicant", "auditor", "administrator", "scheduler", "public")


# Held only by this module: an Actor carries it when an authentication function proved who it is (``_proven``).
# Any other Actor, made from a name someone typed, is a claim: a real database refuses it (states/engine.py).
_SEAL = object()


@dataclass(frozen=True)
class Grant:
    """A role a person holds: everywhere (``case`` and ``organisation`` None), for one case (its code) or for
    one organisation (its id)."""

    role: str
    case: str | None = None
    organisation: int | None = None


@dataclass(frozen=True)
class Actor:
    name: str
    role: str = "officer"
    # Who the actor is, when proven: the person's login, how it was proven (``token``: a personal token;
    # ``engine``: the engine's own worker, by its database credentials; ``form``: a signed form-answer proof)
    # and every grant the person holds. A claimed actor (a simulation's --actor) has none of them.
    person: str | None = None
    proof: str | None = None
    grants: tuple[Grant, ...] = ()
    role_given: bool = True  # False: a proven person named no role (--role); the command picks among theirs
    _seal: object = field(default=None, repr=False, compare=False)

    @property
    def proven(self) -> bool:
        """Made by an authentication function (states/people.py), not from a typed name."""
        return self._seal is _SEAL and self.proof is not None

    @classmethod
    def from_environment(cls, name: str | None = None, role: str | None = None) -> Actor:
        name = (name or os.environ.get("COOP_ACTOR") or getpass.getuser() or "").strip()
        role = (role or os.environ.get("COOP_ROLE") or "officer").strip()
        if not name:
            raise InvalidInput("actor_required", tr("Say who acts (--actor)."))
        name = actor_name(name)
        if role not in ROLES:
            raise InvalidInput(
                "unknown_role",
                tr("Unknown role “{role}”; allowed: {roles}.", role=role, roles=labels.roles(ROLES)),
            )
        return cls(name, role)


    def checked(self) -> Actor:
        """This actor with its name held to the text policy (NFC, one line, not too long), or InvalidInput."""
        name = actor_name(self.name)
        return self if name == self.name else replace(self, name=name)


def actor_name(name: str) -> str:
    """The name as it will be recorded: one line of visible text (states/text_policy.py), at most
    ACTOR_MAX_LENGTH characters. A name with CR/LF or U+202E would forge or hide what a history shows."""
    name, problem = text_policy.checked(name.strip())
    if problem is None and not name:
        problem = tr("the name is empty")
    if problem is None and len(name) > ACTOR_MAX_LENGTH:
        problem = tr("the name has {count} characters, at most {ACTOR_MAX_LENGTH}", count=len(name), ACTOR_MAX_LENGTH=ACTOR_MAX_LENGTH)
    if problem:
        raise InvalidInput("invalid_actor", tr("Invalid actor name (--actor / COOP_ACTOR): {problem}", problem=problem))
    return name


def _proven(name: str, role: str, *, person: str | None, proof: str, grants: tuple[Grant, ...] = (),
            role_given: bool = True) -> Actor:
    """A proven actor. Called only by the functions that verified something: states/people.py (a personal
    token, a form-answer proof) and, below, the engine's own principals (tests/test_people.py checks that no
    other module calls it)."""
    return Actor(actor_name(name), role, person=person, proof=proof, grants=grants, role_given=role_given,
                 _seal=_SEAL)


# The engine's own principal: the tick and the housekeeping inside the engine's worker. What proves it is the
# worker's database credentials: whoever can connect as the engine's database user can write any row anyway,
# so a token would prove nothing more there (docs/trust-model.md).
SCHEDULER = _proven("scheduler", "scheduler", person=None, proof="engine")


def engine_principal(name: str, role: str) -> Actor:
    """Another engine-internal principal (the annual report, the summaries a worker writes): proven by the
    worker's database credentials like the scheduler. Only code run inside the engine's worker uses it."""
    return _proven(name, role, person=None, proof="engine")
