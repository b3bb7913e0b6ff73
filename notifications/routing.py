"""Who must be told what: the rules, matched against every audit record.

Each procedure declares its templates and routing rows as plain data in its package
(``states/procedures/<slug>/notices.py``: ``TEMPLATES``, ``RULES``; states/notices.py says what a row means);
this module collects them through the registry (``TEMPLATES``, ``RULES``) and does what the rows name: the
audiences (``recipients``), each template's data (``DATA_BUILDERS``), the reminders' timings (``TIMINGS``), the
cancellers (``CANCELLERS``) and the extra conditions (``CONDITIONS``). A row matches a record by (case kind,
event, subject kind, target state) and does one thing:
- ``message``: enqueue ``template`` to an ``audience`` (applicant, applicants, member, scorers, officers, public);
- ``reminder``: enqueue ``template`` to an audience with a not-before time derived from a deadline
  (``timing``), tagged so that it is cancelled when what it reminds of is done;
- ``cancel``: cancel the pending reminders with the tags ``cancels`` computes;
- ``notice``: render the public notice of a publication subject into ``Publication.text``.
A new procedure's rows go in its package; a new audience, data builder, timing or canceller registers here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlmodel import select

from models.tables import AuditRecord, Case, CommitteeMember, Offer, Organisation
from notifications.outbox import never_pending
from states import calendar, periods
from states.cases import first_record, organisation, row_by_id
from states.notices import Rule, TemplateSpec
from states.procedures import PROCEDURES, notification_rules, notification_templates
from states.procedures.open_call.names import CallState, OfferState
from states.subjects import CASE, Subject, kind_of
from states.text import tr

# Categories: opt-out is possible only for reminders and information (never for legal calls, decisions,
# results or a member's duties).
OPTIONAL_CATEGORIES = frozenset({"reminder", "information"})


# Every procedure's templates (its package's notices.py, read through the registry), and the one of no procedure:
# the day's signed anchor of every case's history, for the public portal (states/anchors.py).
TEMPLATES: dict[str, TemplateSpec] = {
    **notification_templates(PROCEDURES),
    "audit_anchor_notice": TemplateSpec("notice", tr("the daily anchor of the case histories")),
    "portal_email_confirmation": TemplateSpec("task", tr("the link that confirms a portal account's e-mail address")),
    "portal_comment_link": TemplateSpec("task", tr("the link that files a public comment sent from the portal")),
    "portal_password_reset": TemplateSpec("task", tr("the link that sets a new password of a portal account")),
    "portal_password_changed": TemplateSpec("notice", tr("the notice that a portal account's password was changed")),
}
# Templates no rule of a case's step produces.
UNRULED_TEMPLATES = frozenset({"audit_anchor_notice", "portal_email_confirmation", "portal_comment_link",
                               "portal_password_reset", "portal_password_changed"})

INVALIDATION_REASONS = {
    "art. 18a ust. 1 pkt 1": tr("no offer was filed"),
    "art. 18a ust. 1 pkt 2": tr("no offer met the requirements of the announcement"),
}


OC = "open_call"
SG = "small_grant"
KO = "consultation"
LI = "local_initiative"
RG = "regranting"
MG = "micro_grant"

# The routing rows: every procedure's (its package's notices.py, read through the registry).
RULES: tuple[Rule, ...] = notification_rules(PROCEDURES)

# Extra conditions of a rule (``Rule.when``), on the audit record alone.
CONDITIONS: dict[str, Callable[[AuditRecord], bool]] = {
    "rdpp_delivered": lambda record: (record.payload or {}).get("rdpp_due") is not None,
    # an offer (or a report) filed on its form: it gets a receipt (states/offer_filings.py, states/report_filings.py)
    "filed_on_form": lambda record: bool((record.payload or {}).get("on_form")),
}


def rules_by_event() -> dict[tuple[str, str], list[Rule]]:
    index: dict[tuple[str, str], list[Rule]] = {}
    for rule in RULES:
        index.setdefault((rule.kind, rule.event), []).append(rule)
    return index


subject_kind = kind_of  # "offer" for "offer:3" (states/subjects.py)


def matches(rule: Rule, record: AuditRecord) -> bool:
    if rule.subject != "*" and subject_kind(record.subject) != rule.subject:
        return False
    if rule.when and not CONDITIONS[rule.when](record):
        return False
    return rule.to_state is None or record.to_state == rule.to_state


# --- recipients -----------------------------------------------------------------------------------------------


# The city's portal, reached by the webhook of the settings: a row names the channel, never its URL, which
# carries a token (invariant 12); the dispatcher reads the URL at send time.
PUBLIC_PORTAL = "public-portal"


@dataclass(frozen=True)
class Recipient:
    audience: str
    ref: str  # part of the idempotency key: unique among the recipients of one record and template
    address: str
    name: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Told:
    """One audit record as the rules read it: the step's context, its case and record, and an open call's facts
    (``call``: states.procedures.open_call.machine.CallFacts) — those the step read and passed with the record,
    or read here once for the record's rules when it passed none; None for a case that is not a call."""

    ctx: Any
    case: Case
    record: AuditRecord
    call: Any = None


CALL_KINDS = (OC, RG)  # cases run by the open call's machines: their rules read the call's facts


def call_of(ctx, case: Case, facts: dict[str, Any]) -> Any:
    """The call's facts the step passed with its record, or new ones (each kind read once, when first asked)."""
    if case.kind not in CALL_KINDS:
        return None
    call = facts.get("call")
    if call is None:
        from states.procedures.open_call.machine import CallFacts

        call = CallFacts(ctx.session, case)
    return call


def offer_by_subject(told: Told) -> Offer | None:
    if told.call is None or subject_kind(told.record.subject) != "offer":
        return None
    return told.call.offer(Subject.parse(told.record.subject).number)


def offer_data(told: Told, offer: Offer) -> dict[str, Any]:
    org = told.call.applicant(offer)
    return {"number": offer.number, "title": offer.title, "organisation": org.name if org else "",
            "requested": str(offer.requested_grant)}


def _applicant(told: Told, offer: Offer) -> Recipient:
    org = told.call.applicant(offer)
    return Recipient("applicant", str(Subject.offer(offer.number)), org.email if org else "", org.name if org else "",
                     {"offer": offer_data(told, offer)})


def _filer(told: Told, offer: Offer) -> list[Recipient]:
    """Who filed an offer (or its report) on the model form: the organisation (its registry address, where its
    representative is reached) and the contact (``_with_contact``), once each."""
    return _with_contact(told, _applicant(told, offer))


def _with_contact(told: Told, first: Recipient) -> list[Recipient]:
    """``first`` and the filing's contact, once each: the form's contact person (an offer's II.2 e-mail, kept in the
    filing's audit record), or, on a form that names none (a report), the person who filed it (``filed_by``) at the
    address they proved on the portal (an officer filing for the organisation has none)."""
    payload = told.record.payload or {}
    contact, name = str(payload.get("contact_email") or ""), str(payload.get("contact_name") or "")
    if not contact and payload.get("filed_by"):
        contact, name = _portal_address(told.ctx.session, str(payload["filed_by"]))
    if not contact or contact.lower() == first.address.lower():
        return [first]
    return [first, Recipient("applicant", f"{first.ref}:contact", contact, name or first.name, first.data)]


def _portal_address(session, login: str) -> tuple[str, str]:
    """A person's confirmed portal e-mail address and name (models/portal_tables.py), or ("", "")."""
    from models.people_tables import Person
    from models.portal_tables import PortalAccount

    found = session.exec(select(PortalAccount.email, Person.display_name)
                         .join(Person, Person.id == PortalAccount.person_id)
                         .where(Person.login == login, PortalAccount.email_confirmed_at.is_not(None))).first()
    return (found[0], found[1]) if found else ("", "")


def small_grant_offer_data(ctx, case: Case) -> dict[str, Any]:
    from states.procedures.small_grant.machine import offer_of

    offer = offer_of(ctx.session, case)
    org = organisation(ctx.session, offer.organisation_id)
    return {"title": offer.title, "organisation": org.name if org else "", "requested": str(offer.requested_grant),
            "task_start": offer.task_start.isoformat(), "task_end": offer.task_end.isoformat(),
            "email": org.email if org else ""}


def _small_grant_applicant(ctx, case: Case) -> Recipient:
    offer = small_grant_offer_data(ctx, case)
    return Recipient("applicant", "applicant", offer["email"], offer["organisation"], {"offer": offer})


def _member(member: CommitteeMember) -> Recipient:
    return Recipient("member", str(Subject.member(member.name)), member.email or "", member.name)


def _registry(ctx, case: Case) -> list[Recipient]:
    """Every organisation of the registry. The registry records no field of activity, so none can be matched to
    the act's field (``Case.task_area``): all registered organisations are invited (art. 5 ust. 2 pkt 3)."""
    return [Recipient("registry", f"organisation:{org.id}", org.email, org.name)
            for org in ctx.session.exec(select(Organisation).order_by(Organisation.id))]


def _initiator(ctx, case: Case) -> Recipient:
    """The NGO that filed the initiative (registry e-mail), or the residents' representative (the e-mail given
    with the application; none given: the row fails visibly with "no address")."""
    from states.procedures.local_initiative.machine import application_of

    application = application_of(ctx.session, case)
    if application.organisation_id is not None:
        org = organisation(ctx.session, application.organisation_id)
        return Recipient("initiator", "initiator", org.email, org.name)
    filed = first_record(ctx.session, case, "file")
    email = ((filed.payload if filed else {}) or {}).get("representative_email") or ""
    return Recipient("initiator", "initiator", email, application.representative)


def _operator(ctx, case: Case) -> Recipient:
    """A micro-grant's operator: the organisation contracted in its parent (regranting) case."""
    from states.procedures.regranting.machine import operator_offer

    parent = row_by_id(ctx.session, Case, case.parent_id)
    found = operator_offer(ctx.session, parent) if parent else None
    org = organisation(ctx.session, found[0].organisation_id) if found else None
    return Recipient("operator", "operator", org.email if org else "", org.name if org else "")


COMMENT_ANSWERS = {"accepted": tr("accepted"),
                   "partly_accepted": tr("partly accepted"),
                   "rejected": tr("rejected")}


def _commenters(ctx, case: Case) -> list[Recipient]:
    """Each commenter who gave an address with the comment (kept in the comment's audit record only); one
    without an address is reached by the published report alone, so nothing is owed to them here."""
    from states.procedures.consultation.machine import comments_of

    given = {row.subject: (row.payload or {}).get("email") for row in ctx.session.exec(
        select(AuditRecord).where(AuditRecord.case_id == case.id, AuditRecord.event == "comment"))}
    out = []
    for c in comments_of(ctx.session, case):
        email = given.get(str(Subject.comment(c.number)))
        if email:
            answer = COMMENT_ANSWERS.get(c.answer or "", tr("not answered in the report"))
            out.append(Recipient("commenter", str(Subject.comment(c.number)), email, c.author, {"comment": {
                "number": c.number, "author": c.author, "provision": c.provision, "text": c.text,
                "submitted_at": c.submitted_at.isoformat(), "answer": c.answer or "",
                "answer_pl": answer.in_language("pl"), "answer_en": answer.in_language("en"), "reason": c.reason or ""}}))
    return out


def recipients(told: Told, audience: str, settings) -> list[Recipient]:
    ctx, case, record, call = told.ctx, told.case, told.record, told.call
    if audience == "applicant":
        if case.kind == SG:
            return [_small_grant_applicant(ctx, case)]
        offer = offer_by_subject(told)
        return [_applicant(told, offer)] if offer else []
    if audience == "applicants":
        return [_applicant(told, o) for o in call.offers]
    if audience == "filer":
        if case.kind == SG:  # a small grant's offer filed on the form: its organisation and the form's contact
            return _with_contact(told, _small_grant_applicant(ctx, case))
        if case.kind == LI:  # an initiative's report filed on its form: the applicants and the person filing
            return _with_contact(told, _initiator(ctx, case))
        offer = offer_by_subject(told)
        return _filer(told, offer) if offer else []
    if audience == "member":
        member = call.member(Subject.parse(record.subject).key)
        return [_member(member)] if member else []
    if audience == "scorers":
        return [_member(m) for m in call.able()]
    if audience == "officers":
        return [Recipient("officers", "officers", settings.officers_email, settings.office_name)]
    if audience == "public":
        return [Recipient("public", "public", PUBLIC_PORTAL, "")] if settings.webhook_url.get_secret_value() else []
    if audience == "registry":
        return _registry(ctx, case)
    if audience == "rdpp":
        return [Recipient("rdpp", "rdpp", settings.rdpp_email, settings.rdpp_name)]
    if audience == "initiator":
        return [_initiator(ctx, case)]
    if audience == "representative":  # the person the officer named (``name_representative``): the portal address
        address, name = _portal_address(ctx.session, str((record.payload or {}).get("account") or ""))
        return [Recipient("representative", "representative", address, name or str(record.payload.get("name") or ""))]
    if audience == "operator":
        return [_operator(ctx, case)]
    if audience == "commenters":
        return _commenters(ctx, case)
    raise KeyError(f"unknown audience {audience!r}")


# --- template data --------------------------------------------------------------------------------------------


def _moment(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def case_data(case: Case) -> dict[str, Any]:
    return {"code": case.code, "title": case.title, "kind": case.kind, "task_area": case.task_area,
            "budget": str(case.budget), "offer_deadline": _moment(case.offer_deadline),
            "selection_date": case.selection_date.isoformat() if case.selection_date else None}


def _ranking(told: Told) -> list[dict[str, Any]]:
    from states.procedures.open_call.machine import ranking_rows

    return [{"rank": r["rank"], "offer": r["offer"], "organisation": r["organisation"], "title": r["title"],
             "percent": str(r["percent"]), "granted": str(r["granted"]) if r["granted"] else None}
            for r in ranking_rows(told.ctx.session, told.case, told.call)]


def _invalidation_reason(ctx, case: Case) -> dict[str, str]:
    # The transition into "invalidated" carries the reason (art. 18a ust. 1 pkt 1 or 2); later records of the
    # invalidated case (its publication) also end in that state, so pick the transition itself.
    row = ctx.session.exec(select(AuditRecord).where(AuditRecord.case_id == case.id,
                                                     AuditRecord.to_state == CallState.invalidated,
                                                     AuditRecord.from_state != CallState.invalidated,
                                                     AuditRecord.subject == str(CASE))
                           .order_by(AuditRecord.seq)).first()
    basis = row.basis if row else "art. 18a"
    reason = INVALIDATION_REASONS.get(basis)
    # The outbox row is rendered later, in each recipient's language: it keeps both.
    return {"basis": basis, "pl": reason.in_language("pl") if reason else "",
            "en": reason.in_language("en") if reason else ""}


def _publish_data(told: Told) -> dict[str, Any]:
    ctx, case, record = told.ctx, told.case, told.record
    if record.to_state == CallState.invalidated:
        return {"notice": "invalidation", "reason": _invalidation_reason(ctx, case), "notice_basis": "art. 18a ust. 2"}
    return {"notice": "results", "reason": {"basis": "", "pl": "", "en": ""}, "notice_basis": "art. 15 ust. 2h"}


def _scoring_data(told: Told) -> dict[str, Any]:
    accepted = [o for o in told.call.offers if o.state == OfferState.formally_accepted]
    return {"offers": [offer_data(told, o) for o in accepted]}


def _report_overdue_data(told: Told) -> dict[str, Any]:
    """The written call as the domain recorded it (states.procedures.open_call.machine.report_call)."""
    record = told.record
    return {"call_days": record.payload["call_days"], "call_until": record.payload["call_until"]}


def _results_data(told: Told) -> dict[str, Any]:
    case = told.case
    return {"justification_until": case.data.get("justification_until"), "ranking": _ranking(told)}


def _announcement_data(told: Told) -> dict[str, Any]:
    case = told.case
    return {"execution_start": case.data.get("execution_start"), "execution_end": case.data.get("execution_end"),
            "grant_rules": case.data.get("grant_rules", ""), "prior_funding": case.data.get("prior_funding", ""),
            "pass_threshold_percent": str(int(float(case.settings.get("pass_threshold", "0")) * 100))}


def _consultation_data(told: Told) -> dict[str, Any]:
    ctx, case = told.ctx, told.case
    from states.procedures.consultation.machine import comments_of

    rdpp = case.data.get("rdpp") or {}
    comments = [{"number": c.number, "author": c.author, "kind": c.author_kind, "provision": c.provision,
                 "text": c.text, "answer": c.answer or "", "reason": c.reason or ""}
                for c in comments_of(ctx.session, case)]
    return {"consultation": {"act_kind": case.data.get("act_kind") or "other",
                             "programme_year": case.data.get("programme_year"),
                             "comments_until": case.data.get("comments_until"),
                             "rdpp_status": rdpp.get("status") or "", "rdpp_due": rdpp.get("due"),
                             "rdpp_delivered": rdpp.get("delivered"), "rdpp_opinion": rdpp.get("opinion") or ""},
            "comments": comments}


def _initiative_data(told: Told) -> dict[str, Any]:
    ctx, case, record = told.ctx, told.case, told.record
    from states.procedures.local_initiative.machine import application_of, costs_by_party

    application = application_of(ctx.session, case)
    org = organisation(ctx.session, application.organisation_id) if application.organisation_id else None
    costs = costs_by_party(ctx.session, case)
    return {"initiative": {
        "applicant_kind": application.applicant_kind, "representative": application.representative,
        "organisation": org.name if org else "", "sphere": application.sphere, "location": application.location,
        "percent": str(application.score_percent) if application.score_percent is not None else None,
        "task_start": application.task_start.isoformat() if application.task_start else None,
        "task_end": application.task_end.isoformat() if application.task_end else None,
        "costs": {party: str(costs.get(party, 0)) for party in ("city", "work", "cash", "goods")},
        "report_due": (record.payload or {}).get("report_due") or case.data.get("report_due")}}


def micro_report_due(ctx, case: Case, grant) -> calendar.ComputedDeadline:
    """An implementer's report: N days (the operator's contract) after its task ends, moved off holidays."""
    from states.rulebook import rules_for

    days = rules_for(ctx.session, case).regranting.micro_report_days
    return periods.MICRO_REPORT.count(grant.task_end, days)


def _micro_grant(ctx, case: Case):
    from states.procedures.regranting.machine import micro_grant_of

    return micro_grant_of(ctx.session, case)


def _micro_grant_data(told: Told) -> dict[str, Any]:
    ctx, case = told.ctx, told.case
    grant = _micro_grant(ctx, case)
    parent = row_by_id(ctx.session, Case, case.parent_id)
    return {"micro": {"implementer": grant.implementer, "address": grant.address, "scope": grant.scope,
                      "amount": str(grant.amount), "contract": grant.contract_number,
                      "signed_on": grant.signed_on.isoformat(), "task_start": grant.task_start.isoformat(),
                      "task_end": grant.task_end.isoformat(), "transfer_due": grant.transfer_due.isoformat(),
                      "report_due": micro_report_due(ctx, case, grant).last_day.isoformat(),
                      "parent": parent.code if parent else ""}}


def _small_grant_settlement_data(told: Told) -> dict[str, Any]:
    """The settlement's facts as the domain recorded them (states.procedures.open_call.machine.settlement_facts)."""
    record = told.record
    payload = record.payload or {}
    return {"settlement": {"usage_deadline": payload.get("usage_deadline"), "return_due": payload.get("return_due"), "return_basis": payload.get("return_basis", ""),
                           "late": bool(payload.get("late")), "interest_from": payload.get("interest_from")}}


def _sub_call_data(told: Told) -> dict[str, Any]:
    ctx, case = told.ctx, told.case
    from states.procedures.regranting.machine import operator_offer

    found = operator_offer(ctx.session, case)
    org = organisation(ctx.session, found[0].organisation_id) if found else None
    sub_call = case.data.get("sub_call") or {}
    return {"sub_call": {"operator": org.name if org else "", "contract": found[1].number if found else "",
                         "amount": str(found[1].amount) if found else "0",
                         "deadline": sub_call.get("deadline"), "chosen": list(sub_call.get("chosen") or [])}}


def _filer_data(told: Told) -> dict[str, Any]:
    """Who filed a form through the portal, as its receipt names her: the people registry's name of the login the
    filing's record keeps (``filed_by``), states/people.py ``person_name``."""
    from states.people import person_name

    login = (told.record.payload or {}).get("filed_by") or ""
    return {"filed_by_name": person_name(told.ctx.session, login) if login else ""}


def _report_receipt_data(told: Told) -> dict[str, Any]:
    """A report's receipt: who filed it, and where its portal page and the content it hashes are (the report S<k>
    its receipt number names, states/report_filings.py ``receipt_number``)."""
    from notifications.settings import session_settings

    case, payload = told.case, told.record.payload or {}
    sequence = str(payload.get("receipt") or "").rpartition("-S")[2]
    if case.kind == LI:
        path = f"/portal/inicjatywa/sprawozdanie/{case.code}/{sequence}"
    else:
        offer = Subject.parse(told.record.subject).number if subject_kind(told.record.subject) == "offer" else 1
        path = f"/portal/sprawozdania/{case.code}/{offer}/{sequence}"
    return {**_filer_data(told), "report": {"sequence": sequence, "page": path + "/pokwitowanie",
                                            "content": path + "/tresc.json"},
            "portal_url": session_settings(told.ctx.session).portal_url}


def _initiative_review_data(told: Told) -> dict[str, Any]:
    """The review of an initiative's report: the initiative, who filed the report, and the portal's page where the
    group files the corrected report."""
    from notifications.settings import session_settings

    return {**_initiative_data(told), **_filer_data(told), "portal_url": session_settings(told.ctx.session).portal_url,
            "report_form": f"/portal/inicjatywa/sprawozdanie/{told.case.code}/nowe"}


def _representative_data(told: Told) -> dict[str, Any]:
    """The residents' representative named on the portal: the initiative, and the portal's pages where she reads
    the case's reports and files its report."""
    from notifications.settings import session_settings

    return {**_initiative_data(told), "portal_url": session_settings(told.ctx.session).portal_url,
            "initiatives_page": "/portal/inicjatywa",
            "report_form": f"/portal/inicjatywa/sprawozdanie/{told.case.code}/nowe"}


# Extra data per template (beyond case, step, payload, recipient): a function of the record as told (``Told``).
DATA_BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "announcement_notice": _announcement_data,
    "results_notice": _results_data,
    "results_published": _results_data,
    "invalidation_notice": lambda told: {"reason": _invalidation_reason(told.ctx, told.case)},
    "call_invalidated": lambda told: {"reason": _invalidation_reason(told.ctx, told.case)},
    "officer_publish": _publish_data,
    "scoring_to_do": _scoring_data,
    "officer_formal_review": lambda told: {"offers": told.record.payload.get("offers", 0)},
    "report_overdue_call": _report_overdue_data,
    "offer_rejected": lambda told: {"defects": _defects(told)},
    "small_grant_offer_notice": lambda told: {"offer": small_grant_offer_data(told.ctx, told.case),
                                              "comments_until": told.case.data.get("comments_until")},
    **dict.fromkeys(("consultation_draft_notice", "consultation_invitation", "rdpp_opinion_request",
                     "officer_rdpp_waived", "officer_consultation_closed", "consultation_report_notice"),
                    _consultation_data),
    **dict.fromkeys(("initiative_formal_check", "initiative_decision", "initiative_plan", "initiative_contract",
                     "initiative_report_reminder", "initiative_report_overdue"),
                    _initiative_data),
    "initiative_receipt": lambda told: {**_initiative_data(told), **_filer_data(told)},
    "offer_receipt": _filer_data,
    "small_grant_offer_receipt": _filer_data,
    **dict.fromkeys(("report_receipt", "small_grant_report_receipt"), _report_receipt_data),
    "initiative_report_receipt": lambda told: {**_initiative_data(told), **_report_receipt_data(told)},
    "initiative_report_accepted": _initiative_review_data,
    "initiative_report_corrections": _initiative_review_data,
    "initiative_representative_named": _representative_data,
    **dict.fromkeys(("micro_grant_contracted", "micro_grant_transfer_overdue", "micro_grant_report_reminder",
                     "officer_micro_report"), _micro_grant_data),
    **dict.fromkeys(("officer_initiative_filed", "officer_initiative_plan", "officer_initiative_report"),
                    _initiative_data),
    "small_grant_settled": _small_grant_settlement_data,
    **dict.fromkeys(("sub_call_notice", "sub_selection_notice"), _sub_call_data),
    "comment_considered": lambda told: {"consultation": _consultation_data(told)["consultation"]},
}


def _defects(told: Told) -> list[str]:
    """The defects named now, or (when the correction window expired) those named in the call to correct."""
    record = told.record
    if record.payload.get("defects"):
        return list(record.payload["defects"])
    offer = offer_by_subject(told)
    return list(offer.formal_defects) if offer else []


def template_data(told: Told, template: str, recipient: Recipient | None,
                  settings) -> dict[str, Any]:
    ctx, case, record = told.ctx, told.case, told.record
    data: dict[str, Any] = {
        "office": settings.office_name,
        "case": case_data(case),
        "step": {"event": record.event, "at": ctx.now.isoformat(), "basis": record.basis,
                 "to_state": record.to_state or ""},
        "payload": dict(record.payload or {}),
        "recipient": {"name": recipient.name if recipient else "", "audience": recipient.audience if recipient else ""},
    }
    offer = offer_by_subject(told)
    if offer is not None:  # officers, too, need to know which offer a step was about
        data["offer"] = offer_data(told, offer)
    if recipient is not None:
        data.update(recipient.data)
    builder = DATA_BUILDERS.get(template)
    if builder is not None:
        data.update(builder(told))
    return data


# --- reminders: when they are due, and what cancels them ---------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    not_before: datetime
    tag: str
    data: dict[str, Any]


def _at_hour(day, hour: int) -> datetime:
    return calendar.end_of_day(day, time(hour, 0))


def _report_timing(told: Told, recipient: Recipient, rules) -> list[Reminder]:
    record = told.record
    from datetime import date

    return _due_reminders(date.fromisoformat(record.payload["report_due"]), f"report:{record.subject}", rules)


def _scoring_timing(told: Told, recipient: Recipient, rules) -> list[Reminder]:
    case = told.case
    if case.selection_date is None:
        return []
    day = calendar.add_working_days(case.selection_date, -rules.scoring_reminder_working_days_before)
    return [Reminder(_at_hour(day, rules.reminder_hour), f"scoring:{recipient.ref}",
                     {"selection_date": case.selection_date.isoformat(),
                      "working_days_left": rules.scoring_reminder_working_days_before})]


def _due_reminders(due, tag: str, rules) -> list[Reminder]:
    lead = rules.report_reminder_days_before
    out = [Reminder(_at_hour(calendar.add_days(due, -lead), rules.reminder_hour), tag,
                    {"report_due": due.isoformat(), "days_left": lead})]
    if rules.report_reminder_on_due_day:
        out.append(Reminder(_at_hour(due, rules.reminder_hour), tag, {"report_due": due.isoformat(), "days_left": 0}))
    return out


def _micro_report_timing(told: Told, recipient: Recipient, rules) -> list[Reminder]:
    ctx, case, record = told.ctx, told.case, told.record
    due = micro_report_due(ctx, case, _micro_grant(ctx, case)).last_day
    return _due_reminders(due, f"report:{record.subject}", rules)


TIMINGS: dict[str, Callable[..., list[Reminder]]] = {"report": _report_timing, "scoring": _scoring_timing,
                                                     "micro_report": _micro_report_timing}


def member_has_work(call, member: CommitteeMember) -> bool:
    """Whether the member still has an offer to declare for or to score in the substantive review (``call``: the
    call's facts, states.procedures.open_call.machine.CallFacts)."""
    declared = {o: conflict for (m, o), conflict in call.declared.items() if m == member.id}
    scored = {o for m, o in call.scored if m == member.id}
    for offer in call.offers:
        if offer.state != OfferState.formally_accepted:
            continue
        if offer.id not in declared or (not declared[offer.id] and offer.id not in scored):
            return True
    return False


def _member_done(told: Told) -> list[str]:
    record = told.record
    name = record.payload.get("member") if subject_kind(record.subject) == "offer" else Subject.parse(record.subject).key
    member = told.call.member(name)
    if member is None or member_has_work(told.call, member):
        return []
    if never_pending(_member(member)):  # a member with no address (on paper): her reminders were never pending
        return []  # a member's address is given when she is appointed and never changes: none to look for
    return [f"scoring:member:{name}"]


CANCELLERS: dict[str, Callable[..., list[str]]] = {
    "report": lambda told: [f"report:{told.record.subject}"],
    "member_done": _member_done,
    "all_scoring": lambda told: ["scoring:*"],
}
