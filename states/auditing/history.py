"""The history of a case, nested cases included, and its export for verification outside the engine.

The export carries every hashed field exactly as it was hashed (moments as UTC ``...Z`` strings), so that
``tools/verify_chain.py`` can recompute each chain with nothing but the standard library.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from pydantic import Field
from sqlmodel import Session, select

from models.tables import AuditRecord, Case
from states import audit, calendar
from states.cases import load_case
from states.clock import day_in_range, parse_moment
from states.engine import Context
from states.errors import InvalidInput
from states.inputs import Command, SingleLine
from states.text import tr

EXPORT_FORMAT = "coop-audit-export/1"
EXPORTED_FIELDS = (*(f for f in audit.HASHED_FIELDS if f != "case_code"), "prev_hash", "hash")
CSV_COLUMNS = ("case", "seq", "at", "actor", "role", "event", "subject", "from", "to", "basis", "payload", "hash")


def case_tree(session: Session, case: Case) -> list[Case]:
    """The case and every case nested under it (regranting: the operator's sub-calls and micro-grants)."""
    tree, frontier = [case], [case.id]
    while frontier:
        children = list(session.exec(select(Case).where(Case.parent_id.in_(frontier)).order_by(Case.code)))
        tree.extend(children)
        frontier = [c.id for c in children]
    return tree


def records_of(session: Session, case: Case) -> list[AuditRecord]:
    return list(session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id)
                             .order_by(AuditRecord.seq, AuditRecord.id)))


def exported_record(record: AuditRecord) -> dict:
    """One record as it was hashed: the hashed fields in their canonical plain form, plus the two hashes."""
    plain = audit.jsonable(record.model_dump(include=set(EXPORTED_FIELDS)))
    return {name: plain.get(name) for name in EXPORTED_FIELDS}


def _bound(value: str | None, what: str, *, end: bool) -> datetime | None:
    """A date means the whole day in Warsaw (from its start, or to its end); a moment must carry its zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return parse_moment(value, what)
    problem = day_in_range(day, tr("The date {what}", what=what))
    if problem:  # 0001-01-01 in Warsaw is before year 1 in UTC: an OverflowError traceback
        raise InvalidInput("date_out_of_range", problem)
    return calendar.end_of_day(day) if end else calendar.end_of_day(day, time(0, 0))


class HistoryQuery(Command):
    code: Annotated[SingleLine, Field(min_length=1)]
    since: SingleLine | None = None
    until: SingleLine | None = None
    actor: SingleLine | None = None
    event: SingleLine | None = None

    def window(self) -> tuple[datetime | None, datetime | None]:
        since, until = _bound(self.since, "--since", end=False), _bound(self.until, "--until", end=True)
        if since and until and until < since:
            raise InvalidInput("empty_window", tr("--until ({until}) is earlier than --since ({since})", until=self.until, since=self.since))
        return since, until


def case_history_tree(ctx: Context, query: HistoryQuery) -> list[dict]:
    """Every record of the case and its nested cases, oldest first, filtered by time, actor and event."""
    since, until = query.window()
    case = load_case(ctx.session, query.code)
    rows = []
    for depth, member in enumerate(case_tree(ctx.session, case)):
        for r in records_of(ctx.session, member):
            if (since and r.at < since) or (until and r.at > until):
                continue
            if (query.actor and r.actor != query.actor) or (query.event and r.event != query.event):
                continue
            rows.append((r.at, depth, member.code, r.seq, {
                "case": member.code, "seq": r.seq, "at": r.at.astimezone(calendar.WARSAW), "actor": r.actor,
                "role": r.role, "event": r.event, "subject": r.subject, "from": r.from_state, "to": r.to_state,
                "basis": r.basis, "payload": r.payload, "hash": r.hash}))
    return [row for *_, row in sorted(rows, key=lambda item: item[:4])]


def export_history(ctx: Context, code: str) -> dict:
    """The case's chains (its own and its nested cases'), each with the head kept on the case row."""
    case = load_case(ctx.session, code)
    return {
        "format": EXPORT_FORMAT,
        "algorithm": "sha256(prev_hash + '\\n' + canonical JSON of the hashed fields); see docs/audit.md",
        "hashed_fields": list(audit.HASHED_FIELDS),
        "genesis": audit.GENESIS,
        "exported_at": audit.jsonable(ctx.now),
        # Whether its moments were claimed freely (a simulation) or bounded (a real database): coop audit check
        # --file reads it to say what the difference between ``at`` and ``recorded_at`` means.
        "clock": "simulation" if ctx.simulation else "real",
        "case": case.code,
        "chains": [{"case_code": member.code, "kind": member.kind, "parent": parent_code(ctx.session, member),
                    "rule_set": member.rule_set_version, "length": member.audit_seq, "head": member.audit_head,
                    "records": [exported_record(r) for r in records_of(ctx.session, member)]}
                   for member in case_tree(ctx.session, case)],
    }


def parent_code(session: Session, case: Case) -> str | None:
    if case.parent_id is None:
        return None
    parent = session.get(Case, case.parent_id)
    return parent.code if parent else None
