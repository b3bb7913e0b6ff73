"""Read-only queries behind the officer's and the auditor's commands. None of them writes."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlmodel import select

from models.tables import AuditRecord, Case, Organisation
from states import audit, calendar
from states.cases import load_case, pending_deadlines
from states.clock import parse_moment
from states.engine import ANYONE, Context, permitted
from states.errors import InvalidInput
from states.open_call import offers_of
from states.rulebook import find_rule_set, list_versions
from states.text import Text


@permitted(*ANYONE)
def describe_case(ctx: Context, code: str) -> dict:
    case = load_case(ctx.session, code)
    organisations = {o.id: o.name for o in ctx.session.exec(select(Organisation))}
    return {
        "code": case.code, "kind": case.kind, "title": case.title, "state": case.state, "budget": case.budget,
        "mode": case.mode, "rule_set": case.rule_set_version, "offer_deadline": case.offer_deadline,
        "offers": [{"number": o.number, "organisation": organisations.get(o.organisation_id), "state": o.state,
                    "requested": o.requested_grant, "granted": o.granted_amount, "percent": o.score_percent,
                    "defects": "; ".join(o.formal_defects)} for o in offers_of(ctx.session, case)],
        "deadlines": pending_deadlines(ctx.session, case),
    }


@permitted(*ANYONE)
def verify_cases(ctx: Context, code: str | None = None) -> dict:
    cases = [load_case(ctx.session, code)] if code else list(ctx.session.exec(select(Case).order_by(Case.code)))
    broken = []
    for case in cases:
        records = ctx.session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq, AuditRecord.id))
        rows = ({**r.model_dump(), "case_code": case.code} for r in records)
        failure = audit.verify_chain(case.code, rows, head=case.audit_head, length=case.audit_seq)
        if failure:
            broken.append({"case": case.code, "record": failure.seq, "reason": failure.reason})
    return {"verified": len(cases) - len(broken), "broken": broken}


@permitted(*ANYONE)
def rule_set_versions(ctx: Context) -> list[dict]:
    return [{"version": v, "description": find_rule_set(ctx.session, v).description} for v in list_versions(ctx.session)]


@permitted(*ANYONE)
def rule_set_body(ctx: Context, version: str | None) -> dict:
    return find_rule_set(ctx.session, version).model_dump(mode="json")


def _parse_trigger(value: str) -> date | datetime:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return parse_moment(value, "trigger")


def compute_period(trigger: str, amount: int, unit: str, *, party: bool, closing: str) -> dict:
    if unit not in calendar.UNITS:
        raise InvalidInput("unknown_unit", Text(f"Nieznana jednostka {unit!r}; dozwolone: {', '.join(calendar.UNITS)}",
                                                f"Unknown unit {unit!r}; allowed: {', '.join(calendar.UNITS)}"))
    try:
        closing_time = time.fromisoformat(closing)
    except ValueError:
        raise InvalidInput("bad_time", Text(f"Niepoprawna godzina {closing!r}", f"Invalid time {closing!r}")) from None
    result = calendar.period_deadline(_parse_trigger(trigger), amount, unit, party=party, closing_time=closing_time)
    return {"last_day": result.last_day, "due": result.due.isoformat(), "shifted": result.shifted,
            "basis": result.basis, "explanation": [str(step) for step in result.steps]}


def describe_day(value: str) -> dict:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("bad_date", Text(f"Niepoprawna data {value!r} (RRRR-MM-DD)", f"Invalid date {value!r} (YYYY-MM-DD)")) from None
    return {"date": day, "weekday": calendar.weekday_name(day, "pl"), "holiday": calendar.holiday_name(day),
            "working_day": calendar.is_working_day(day), "party_day_off": calendar.is_party_day_off(day)}
