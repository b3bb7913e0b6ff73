"""Read-only queries behind the officer's and the auditor's commands. None of them writes."""

from __future__ import annotations

from sqlmodel import select

from models.tables import AuditRecord, Case, Organisation
from states import audit
from states.cases import load_case, pending_deadlines
from states.engine import Context
from states.procedures.open_call.machine import offers_of
from states.rule_sets import DEFAULT_RULE_SET
from states.rulebook import find_rule_set, list_versions


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


def verify_cases(ctx: Context, code: str | None = None) -> dict:
    cases = [load_case(ctx.session, code)] if code else list(ctx.session.exec(select(Case).order_by(Case.code)))
    broken = []
    for case in cases:
        records = ctx.session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq, AuditRecord.id))
        rows = ({**r.model_dump(), "case_code": case.code} for r in records)
        failure = audit.verify_chain(case.code, rows, head=case.audit_head, length=case.audit_seq)
        if failure:
            broken.append({"case": case.code, "record": failure.seq, "reason": failure.reason})
    result = {"verified": len(cases) - len(broken), "broken": broken}
    if code is None:  # the whole database: the people chain too (grants, revocations, tokens issued)
        from states.people import PEOPLE_CHAIN, verify_people_chain

        length, failure = verify_people_chain(ctx.session)
        if failure:
            broken.append({"case": PEOPLE_CHAIN, "record": failure.seq, "reason": failure.reason})
        if length or failure:
            result["people_records"] = length
    return result


def rule_set_versions(ctx: Context) -> list[dict]:
    return [{"version": v, "default": v == DEFAULT_RULE_SET, "description": find_rule_set(ctx.session, v).description}
            for v in list_versions(ctx.session)]


def rule_set_body(ctx: Context, version: str | None = None) -> dict:
    """One version's settings; without a version, the default one (the one a new case pins)."""
    return find_rule_set(ctx.session, version).model_dump(mode="json")
