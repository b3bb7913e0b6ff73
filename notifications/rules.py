"""Who must be told what: one table of rules, matched against every audit record.

A rule matches a record by (case kind, event, subject kind, target state) and does one thing:
- ``message``: enqueue ``template`` to an ``audience`` (applicant, applicants, member, scorers, officers, public);
- ``reminder``: enqueue ``template`` to an audience with a not-before time derived from a deadline
  (``timing``), tagged so that it is cancelled when what it reminds of is done;
- ``cancel``: cancel the pending reminders with the tags ``cancels`` computes;
- ``notice``: render the public notice of a publication subject into ``Publication.text``.
Another procedure adds its rows to ``RULES``; its builders and timings register in the dicts below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlmodel import select

from models.tables import AuditRecord, Case, CommitteeMember, ConflictDeclaration, Offer, Organisation, Score
from states import calendar
from states.text import Text

# Categories: opt-out is possible only for reminders and information (never for legal calls, decisions,
# results or a member's duties).
OPTIONAL_CATEGORIES = frozenset({"reminder", "information"})


@dataclass(frozen=True)
class TemplateSpec:
    category: str
    description: Text


TEMPLATES: dict[str, TemplateSpec] = {
    "announcement_notice": TemplateSpec("notice", Text("ogłoszenie otwartego konkursu ofert",
                                                       "announcement of the open call")),
    "results_notice": TemplateSpec("notice", Text("ogłoszenie wyników konkursu", "results of the call")),
    "invalidation_notice": TemplateSpec("notice", Text("ogłoszenie o unieważnieniu konkursu",
                                                       "invalidation of the call")),
    "member_appointed": TemplateSpec("task", Text("powołanie do komisji konkursowej", "appointment to the committee")),
    "scoring_to_do": TemplateSpec("task", Text("oferty do oceny", "offers to score")),
    "scoring_reminder": TemplateSpec("reminder", Text("przypomnienie o ocenie ofert", "reminder to score")),
    "correction_requested": TemplateSpec("legal", Text("wezwanie do uzupełnienia braków formalnych",
                                                       "call to correct formal defects")),
    "offer_rejected": TemplateSpec("legal", Text("odrzucenie oferty z przyczyn formalnych",
                                                 "offer rejected on formal grounds")),
    "offer_decision": TemplateSpec("legal", Text("rozstrzygnięcie w sprawie oferty", "decision on the offer")),
    "results_published": TemplateSpec("legal", Text("ogłoszenie wyników i prawo do uzasadnienia",
                                                    "results published, right to a justification")),
    "call_invalidated": TemplateSpec("legal", Text("unieważnienie konkursu", "the call invalidated")),
    "contract_signed": TemplateSpec("information", Text("zawarcie umowy i terminy", "contract signed, its dates")),
    "report_due_reminder": TemplateSpec("reminder", Text("przypomnienie o sprawozdaniu", "report reminder")),
    "report_overdue_call": TemplateSpec("legal", Text("wezwanie do złożenia sprawozdania", "call to file the report")),
    "report_corrections_requested": TemplateSpec("legal", Text("wezwanie do poprawienia sprawozdania",
                                                               "call to correct the report")),
    "report_accepted": TemplateSpec("information", Text("przyjęcie sprawozdania", "report accepted")),
    "offer_settled": TemplateSpec("legal", Text("rozliczenie dotacji", "grant settled")),
    "officer_formal_review": TemplateSpec("task", Text("ocena formalna do wykonania", "formal review to do")),
    "officer_publish": TemplateSpec("task", Text("ogłoszenie do opublikowania", "notice to publish")),
    "officer_report_submitted": TemplateSpec("task", Text("sprawozdanie do sprawdzenia", "report to review")),
    "small_grant_offer_notice": TemplateSpec("notice", Text("oferta z pominięciem konkursu do uwag (art. 19a)",
                                                            "offer outside competition open for comments")),
    "small_grant_decision": TemplateSpec("legal", Text("przyznanie dotacji lub odmowa (art. 19a)",
                                                       "grant awarded or refused (art. 19a)")),
}

INVALIDATION_REASONS = {
    "art. 18a ust. 1 pkt 1": Text("nie złożono żadnej oferty", "no offer was filed"),
    "art. 18a ust. 1 pkt 2": Text("żadna ze złożonych ofert nie spełnia wymogów zawartych w ogłoszeniu",
                                  "no offer met the requirements of the announcement"),
}


@dataclass(frozen=True)
class Rule:
    kind: str
    event: str
    action: str  # message | reminder | cancel | notice
    template: str = ""
    audience: str = ""
    subject: str = "*"  # case | offer | member | * (any)
    to_state: str | None = None
    timing: str = ""  # reminders: a key of TIMINGS
    cancels: str = ""  # cancel: a key of CANCELLERS
    notice: str = ""  # notice: the publication subject (announcement, results, invalidation)
    when: str = ""  # optional extra condition: a key of CONDITIONS
    why: Text = field(default=Text("", ""))  # the README table's "why"


OC = "open_call"
SG = "small_grant"
RULES: tuple[Rule, ...] = (
    # --- the open call (art. 11-18a) ---
    Rule(OC, "announce", "notice", notice="announcement", template="announcement_notice", audience="public",
         why=Text("art. 13 ust. 3: ogłoszenie w BIP, na tablicy i na stronie", "art. 13 ust. 3: published in 3 channels")),
    Rule(OC, "appoint_member", "message", "member_appointed", "member", subject="member",
         why=Text("art. 15 ust. 2a: członek komisji musi wiedzieć o powołaniu", "art. 15 ust. 2a: the member is appointed")),
    Rule(OC, "close_offers", "message", "officer_formal_review", "officers", to_state="formal_review",
         why=Text("art. 15 ust. 1: oferty czekają na ocenę formalną", "art. 15 ust. 1: offers await the formal review")),
    Rule(OC, "request_correction", "message", "correction_requested", "applicant", subject="offer",
         why=Text("ogłoszenie: wezwanie do uzupełnienia braków w terminie", "the call: defects to correct in time")),
    Rule(OC, "reject_formally", "message", "offer_rejected", "applicant", subject="offer",
         why=Text("oferent musi znać przyczynę odrzucenia", "the applicant must know why")),
    Rule(OC, "correction_expired", "message", "offer_rejected", "applicant", subject="offer",
         why=Text("braki nieuzupełnione w terminie", "defects not corrected in time")),
    Rule(OC, "finish_formal_review", "message", "scoring_to_do", "scorers", to_state="substantive_review",
         why=Text("art. 15 ust. 1, 2d; KPA art. 24: oświadczenia i ocena ofert", "art. 15 ust. 1: scoring to do")),
    Rule(OC, "finish_formal_review", "reminder", "scoring_reminder", "scorers", to_state="substantive_review",
         timing="scoring", why=Text("przypomnienie przed terminem wyboru ofert", "reminder before the selection date")),
    Rule(OC, "score", "cancel", cancels="member_done", subject="offer"),
    Rule(OC, "declare_conflicts", "cancel", cancels="member_done", subject="member"),
    Rule(OC, "select_offers", "cancel", cancels="all_scoring"),
    Rule(OC, "decide", "message", "offer_decision", "applicant", subject="offer",
         why=Text("art. 15 ust. 2g: wybór ofert i kwota dotacji", "art. 15 ust. 2g: the choice and the amount")),
    Rule(OC, "select_offers", "message", "officer_publish", "officers", to_state="selected",
         why=Text("art. 15 ust. 2h: wyniki do ogłoszenia", "art. 15 ust. 2h: results to publish")),
    Rule(OC, "publish_results", "notice", notice="results", template="results_notice", audience="public",
         why=Text("art. 15 ust. 2h-2i: wyniki w trzech miejscach", "art. 15 ust. 2h-2i: results in 3 channels")),
    Rule(OC, "publish_results", "message", "results_published", "applicants", to_state="results_published",
         why=Text("art. 15 ust. 2j: 30 dni na żądanie uzasadnienia", "art. 15 ust. 2j: 30 days to ask why")),
    Rule(OC, "close_offers", "message", "officer_publish", "officers", to_state="invalidated",
         why=Text("art. 18a ust. 2: unieważnienie do ogłoszenia", "art. 18a ust. 2: invalidation to publish")),
    Rule(OC, "finish_formal_review", "message", "officer_publish", "officers", to_state="invalidated"),
    Rule(OC, "select_offers", "message", "officer_publish", "officers", to_state="invalidated"),
    Rule(OC, "finish_formal_review", "message", "call_invalidated", "applicants", to_state="invalidated",
         why=Text("art. 18a: konkurs unieważniony", "art. 18a: the call is invalidated")),
    Rule(OC, "select_offers", "message", "call_invalidated", "applicants", to_state="invalidated"),
    Rule(OC, "publish_invalidation", "notice", notice="invalidation", template="invalidation_notice",
         audience="public", why=Text("art. 18a ust. 2: ogłoszenie o unieważnieniu", "art. 18a ust. 2: published")),
    Rule(OC, "sign_contract", "message", "contract_signed", "applicant", subject="offer",
         why=Text("art. 16, 18: umowa, termin sprawozdania i zwrotu", "art. 16, 18: the contract's dates")),
    Rule(OC, "sign_contract", "reminder", "report_due_reminder", "applicant", subject="offer", timing="report",
         why=Text("art. 18 ust. 1: sprawozdanie za 7 dni i w dniu terminu", "art. 18 ust. 1: report due in 7 days, today")),
    Rule(OC, "submit_report", "cancel", cancels="report", subject="offer"),
    Rule(OC, "report_overdue", "message", "report_overdue_call", "applicant", subject="offer",
         why=Text("umowa: pisemne wezwanie do złożenia sprawozdania w 7 dni", "the contract: 7-day written call")),
    Rule(OC, "submit_report", "message", "officer_report_submitted", "officers", subject="offer",
         why=Text("art. 18: sprawozdanie do sprawdzenia", "art. 18: a report to review")),
    Rule(OC, "request_report_corrections", "message", "report_corrections_requested", "applicant", subject="offer",
         why=Text("art. 18: wezwanie do poprawienia sprawozdania", "art. 18: the report needs corrections")),
    Rule(OC, "accept_report", "message", "report_accepted", "applicant", subject="offer",
         why=Text("art. 18: sprawozdanie przyjęte", "art. 18: the report is accepted")),
    Rule(OC, "settle", "message", "offer_settled", "applicant", subject="offer",
         why=Text("ufp art. 251-252: rozliczenie, ewentualne odsetki", "ufp art. 251-252: settlement, interest")),
    # --- the small grant outside competition (art. 19a) ---
    Rule(SG, "publish", "notice", notice="offer", template="small_grant_offer_notice", audience="public",
         why=Text("art. 19a ust. 3-4: oferta w trzech miejscach, 7 dni na uwagi", "art. 19a ust. 3-4: 7 days for comments")),
    Rule(SG, "decide", "message", "small_grant_decision", "applicant",
         why=Text("art. 19a ust. 5: przyznanie dotacji albo odmowa", "art. 19a ust. 5: awarded or refused")),
    Rule(SG, "sign_contract", "reminder", "report_due_reminder", "applicant", timing="report",
         why=Text("art. 18 ust. 1: sprawozdanie za 7 dni i w dniu terminu", "art. 18 ust. 1: report due in 7 days, today")),
    Rule(SG, "submit_report", "cancel", cancels="report"),
    Rule(SG, "report_overdue", "message", "report_overdue_call", "applicant",
         why=Text("umowa: pisemne wezwanie do złożenia sprawozdania", "the contract: written call for the report")),
    Rule(SG, "accept_report", "message", "report_accepted", "applicant",
         why=Text("art. 18: sprawozdanie przyjęte", "art. 18: the report is accepted")),
)


def rules_by_event() -> dict[tuple[str, str], list[Rule]]:
    index: dict[tuple[str, str], list[Rule]] = {}
    for rule in RULES:
        index.setdefault((rule.kind, rule.event), []).append(rule)
    return index


def subject_kind(subject: str) -> str:
    return subject.split(":", 1)[0]


def matches(rule: Rule, record: AuditRecord) -> bool:
    if rule.subject != "*" and subject_kind(record.subject) != rule.subject:
        return False
    return rule.to_state is None or record.to_state == rule.to_state


# --- recipients -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    audience: str
    ref: str  # part of the idempotency key: unique among the recipients of one record and template
    address: str
    name: str
    data: dict[str, Any] = field(default_factory=dict)


def offer_by_subject(ctx, case: Case, subject: str) -> Offer | None:
    if subject_kind(subject) != "offer":
        return None
    number = int(subject.split(":", 1)[1])
    return ctx.session.exec(select(Offer).where(Offer.case_id == case.id, Offer.number == number)).first()


def offer_data(ctx, offer: Offer) -> dict[str, Any]:
    org = ctx.session.get(Organisation, offer.organisation_id)
    return {"number": offer.number, "title": offer.title, "organisation": org.name if org else "",
            "requested": str(offer.requested_grant)}


def _applicant(ctx, offer: Offer) -> Recipient:
    org = ctx.session.get(Organisation, offer.organisation_id)
    return Recipient("applicant", f"offer:{offer.number}", org.email if org else "", org.name if org else "",
                     {"offer": offer_data(ctx, offer)})


def small_grant_offer_data(ctx, case: Case) -> dict[str, Any]:
    from states.small_grant import offer_of

    offer = offer_of(ctx.session, case)
    org = ctx.session.get(Organisation, offer.organisation_id)
    return {"title": offer.title, "organisation": org.name if org else "", "requested": str(offer.requested_grant),
            "task_start": offer.task_start.isoformat(), "task_end": offer.task_end.isoformat(),
            "email": org.email if org else ""}


def _small_grant_applicant(ctx, case: Case) -> Recipient:
    offer = small_grant_offer_data(ctx, case)
    return Recipient("applicant", "applicant", offer["email"], offer["organisation"], {"offer": offer})


def _member(member: CommitteeMember) -> Recipient:
    return Recipient("member", f"member:{member.name}", member.email or "", member.name)


def recipients(ctx, case: Case, record: AuditRecord, audience: str, settings) -> list[Recipient]:
    from states.open_call import excluded_member, members_of, offers_of, organisations_in_call

    if audience == "applicant":
        if case.kind == SG:
            return [_small_grant_applicant(ctx, case)]
        offer = offer_by_subject(ctx, case, record.subject)
        return [_applicant(ctx, offer)] if offer else []
    if audience == "applicants":
        return [_applicant(ctx, o) for o in offers_of(ctx.session, case)]
    if audience == "member":
        name = record.subject.split(":", 1)[1]
        member = ctx.session.exec(select(CommitteeMember).where(CommitteeMember.case_id == case.id,
                                                                CommitteeMember.name == name)).first()
        return [_member(member)] if member else []
    if audience == "scorers":
        in_call = organisations_in_call(ctx.session, case)
        return [_member(m) for m in members_of(ctx.session, case) if not excluded_member(m, in_call)]
    if audience == "officers":
        return [Recipient("officers", "officers", settings.officers_email, settings.office_name)]
    if audience == "public":
        return [Recipient("public", "public", settings.webhook_url, "")] if settings.webhook_url else []
    raise KeyError(f"unknown audience {audience!r}")


# --- template data --------------------------------------------------------------------------------------------


def _moment(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def case_data(case: Case) -> dict[str, Any]:
    return {"code": case.code, "title": case.title, "kind": case.kind, "task_area": case.task_area,
            "budget": str(case.budget), "offer_deadline": _moment(case.offer_deadline),
            "selection_date": case.selection_date.isoformat() if case.selection_date else None}


def _ranking(ctx, case: Case) -> list[dict[str, Any]]:
    from states.open_call import ranking_rows

    return [{"rank": r["rank"], "offer": r["offer"], "organisation": r["organisation"], "title": r["title"],
             "percent": str(r["percent"]), "granted": str(r["granted"]) if r["granted"] else None}
            for r in ranking_rows(ctx.session, case)]


def _invalidation_reason(ctx, case: Case) -> dict[str, str]:
    row = ctx.session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id,
                                                     AuditRecord.to_state == "invalidated",
                                                     AuditRecord.subject == "case")).first()
    basis = row.basis if row else "art. 18a"
    reason = INVALIDATION_REASONS.get(basis, Text("", ""))
    return {"basis": basis, "pl": reason.pl, "en": reason.en}


def _publish_data(ctx, case: Case, record: AuditRecord) -> dict[str, Any]:
    if record.to_state == "invalidated":
        return {"notice": "invalidation", "reason": _invalidation_reason(ctx, case), "notice_basis": "art. 18a ust. 2"}
    return {"notice": "results", "reason": {"basis": "", "pl": "", "en": ""}, "notice_basis": "art. 15 ust. 2h"}


def _scoring_data(ctx, case: Case, record: AuditRecord) -> dict[str, Any]:
    from states.open_call import offers_of

    offers = [offer_data(ctx, o) for o in offers_of(ctx.session, case) if o.state == "formally_accepted"]
    return {"offers": offers}


def _report_overdue_data(ctx, case: Case, record: AuditRecord) -> dict[str, Any]:
    days = int(record.payload.get("call_days", 7))
    call = calendar.period_deadline(ctx.now, days, "days", party=True,
                                    basis="umowa (wezwanie do złożenia sprawozdania); KC art. 115")
    return {"call_days": days, "call_until": call.due.isoformat()}


def _results_data(ctx, case: Case, record: AuditRecord) -> dict[str, Any]:
    return {"justification_until": case.data.get("justification_until"), "ranking": _ranking(ctx, case)}


def _announcement_data(ctx, case: Case, record: AuditRecord) -> dict[str, Any]:
    return {"execution_start": case.data.get("execution_start"), "execution_end": case.data.get("execution_end"),
            "grant_rules": case.data.get("grant_rules", ""), "prior_funding": case.data.get("prior_funding", ""),
            "pass_threshold_percent": str(int(float(case.settings.get("pass_threshold", "0")) * 100))}


# Extra data per template (beyond case, step, payload, recipient): a function of (ctx, case, record).
DATA_BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "announcement_notice": _announcement_data,
    "results_notice": _results_data,
    "results_published": _results_data,
    "invalidation_notice": lambda ctx, case, record: {"reason": _invalidation_reason(ctx, case)},
    "call_invalidated": lambda ctx, case, record: {"reason": _invalidation_reason(ctx, case)},
    "officer_publish": _publish_data,
    "scoring_to_do": _scoring_data,
    "officer_formal_review": lambda ctx, case, record: {"offers": record.payload.get("offers", 0)},
    "report_overdue_call": _report_overdue_data,
    "offer_rejected": lambda ctx, case, record: {"defects": _defects(ctx, case, record)},
    "small_grant_offer_notice": lambda ctx, case, record: {"offer": small_grant_offer_data(ctx, case),
                                                           "comments_until": case.data.get("comments_until")},
}


def _defects(ctx, case: Case, record: AuditRecord) -> list[str]:
    """The defects named now, or (when the correction window expired) those named in the call to correct."""
    if record.payload.get("defects"):
        return list(record.payload["defects"])
    offer = offer_by_subject(ctx, case, record.subject)
    return list(offer.formal_defects) if offer else []


def template_data(ctx, case: Case, record: AuditRecord, template: str, recipient: Recipient | None,
                  settings) -> dict[str, Any]:
    data: dict[str, Any] = {
        "office": settings.office_name,
        "case": case_data(case),
        "step": {"event": record.event, "at": ctx.now.isoformat(), "basis": record.basis,
                 "to_state": record.to_state or ""},
        "payload": dict(record.payload or {}),
        "recipient": {"name": recipient.name if recipient else "", "audience": recipient.audience if recipient else ""},
    }
    offer = offer_by_subject(ctx, case, record.subject)
    if offer is not None:  # officers, too, need to know which offer a step was about
        data["offer"] = offer_data(ctx, offer)
    if recipient is not None:
        data.update(recipient.data)
    builder = DATA_BUILDERS.get(template)
    if builder is not None:
        data.update(builder(ctx, case, record))
    return data


# --- reminders: when they are due, and what cancels them ---------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    not_before: datetime
    tag: str
    data: dict[str, Any]


def _at_hour(day, hour: int) -> datetime:
    return calendar.end_of_day(day, time(hour, 0))


def _report_timing(ctx, case: Case, record: AuditRecord, recipient: Recipient, rules) -> list[Reminder]:
    from datetime import date

    due = date.fromisoformat(record.payload["report_due"])
    tag = f"report:{record.subject}"
    lead = rules.report_reminder_days_before
    out = [Reminder(_at_hour(calendar.add_days(due, -lead), rules.reminder_hour), tag,
                    {"report_due": due.isoformat(), "days_left": lead})]
    if rules.report_reminder_on_due_day:
        out.append(Reminder(_at_hour(due, rules.reminder_hour), tag, {"report_due": due.isoformat(), "days_left": 0}))
    return out


def _scoring_timing(ctx, case: Case, record: AuditRecord, recipient: Recipient, rules) -> list[Reminder]:
    if case.selection_date is None:
        return []
    day = calendar.add_working_days(case.selection_date, -rules.scoring_reminder_working_days_before)
    return [Reminder(_at_hour(day, rules.reminder_hour), f"scoring:{recipient.ref}",
                     {"selection_date": case.selection_date.isoformat(),
                      "working_days_left": rules.scoring_reminder_working_days_before})]


TIMINGS: dict[str, Callable[..., list[Reminder]]] = {"report": _report_timing, "scoring": _scoring_timing}


def member_has_work(ctx, case: Case, member: CommitteeMember) -> bool:
    """Whether the member still has an offer to declare for or to score in the substantive review."""
    from states.open_call import offers_of

    declared = {d.offer_id: d.conflict for d in ctx.session.exec(
        select(ConflictDeclaration).where(ConflictDeclaration.member_id == member.id))}
    scored = set(ctx.session.exec(select(Score.offer_id).where(Score.member_id == member.id)))
    for offer in offers_of(ctx.session, case):
        if offer.state != "formally_accepted":
            continue
        if offer.id not in declared or (not declared[offer.id] and offer.id not in scored):
            return True
    return False


def _member_done(ctx, case: Case, record: AuditRecord) -> list[str]:
    name = record.payload.get("member") if subject_kind(record.subject) == "offer" else record.subject.split(":", 1)[1]
    member = ctx.session.exec(select(CommitteeMember).where(CommitteeMember.case_id == case.id,
                                                            CommitteeMember.name == name)).first()
    if member is None or member_has_work(ctx, case, member):
        return []
    return [f"scoring:member:{name}"]


CANCELLERS: dict[str, Callable[..., list[str]]] = {
    "report": lambda ctx, case, record: [f"report:{record.subject}"],
    "member_done": _member_done,
    "all_scoring": lambda ctx, case, record: ["scoring:*"],
}
