"""Where rule sets are kept: built-in versions in code, every version used by a case pinned in the database."""

from __future__ import annotations

from sqlmodel import Session, select

from models.tables import Case, RuleSetVersion
from states.errors import NotFound, RuleViolation
from states.rule_sets import BUILTIN_RULE_SETS, DEFAULT_RULE_SET, RuleSet
from states.text import tr

_CACHE: dict[str, RuleSet] = {}


def find_rule_set(session: Session, version: str | None) -> RuleSet:
    version = version or DEFAULT_RULE_SET
    if version in _CACHE:
        return _CACHE[version]
    row = session.get(RuleSetVersion, version)
    if row is not None:
        rule_set = RuleSet.model_validate(row.body)
    elif version in BUILTIN_RULE_SETS:
        rule_set = BUILTIN_RULE_SETS[version]
    else:
        raise NotFound(
            "unknown_rule_set",
            tr("No rule set “{version}”; available: {versions}", version=version, versions=list_versions(session)),
        )
    _CACHE[version] = rule_set  # versions are immutable, so caching them is safe
    return rule_set


def list_versions(session: Session) -> list[str]:
    stored = set(session.exec(select(RuleSetVersion.version)))
    return sorted(stored | set(BUILTIN_RULE_SETS))


def store_rule_set(session: Session, rule_set: RuleSet, now) -> RuleSetVersion:
    """Keep a version in the database; a stored version can never be changed, only superseded."""
    existing = session.get(RuleSetVersion, rule_set.version)
    body = rule_set.model_dump(mode="json")
    if existing is not None:
        # Compared as rules, not as text: a version stored before a field was added reads with that field's
        # default, which is what it meant (a built-in version stays itself on a database that pinned it earlier).
        if RuleSet.model_validate(existing.body) != rule_set:
            raise RuleViolation(
                "rule_set_immutable",
                tr("Rule set {version} already exists and cannot change: give it a new version", version=rule_set.version),
                basis="invariant 6 (DESIGN.md)",
            )
        return existing
    row = RuleSetVersion(version=rule_set.version, body=body, created_at=now)
    session.add(row)
    session.flush()  # the case's foreign key needs the row first; no relationship orders the inserts
    return row


def pin(session: Session, case: Case, version: str | None, now) -> RuleSet:
    rule_set = find_rule_set(session, version)
    store_rule_set(session, rule_set, now)
    case.rule_set_version = rule_set.version
    return rule_set


def pinned_rule_set(session: Session, case: Case) -> RuleSet:
    return find_rule_set(session, case.rule_set_version or case.data.get("rule_set") or DEFAULT_RULE_SET)


def rules_for(session: Session, case: Case) -> RuleSet:
    """The rule set a case runs under: the one pinned to it when it was announced (invariant 6)."""
    return pinned_rule_set(session, case)
