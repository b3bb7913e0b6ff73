"""The small grant's notifications (art. 19a): its templates and routing rows (states/notices.py). Its contract
and report reuse the open call's templates (report reminders and calls)."""

from __future__ import annotations

from kernel.text import tr
from states.notices import Rule, TemplateSpec

TEMPLATES: dict[str, TemplateSpec] = {
    "small_grant_offer_notice": TemplateSpec("notice", tr("offer outside competition open for comments")),
    "small_grant_decision": TemplateSpec("legal", tr("grant awarded or refused (art. 19a)")),
    "small_grant_settled": TemplateSpec("legal", tr("grant settled (art. 19a)")),
    "small_grant_offer_receipt": TemplateSpec("legal", tr("receipt of a small-grant offer filed on the model form")),
    "small_grant_report_receipt": TemplateSpec("legal", tr("receipt of a small-grant report filed on the simplified form")),
}

SG = "small_grant"

RULES: tuple[Rule, ...] = (
    # --- the small grant outside competition (art. 19a) ---
    Rule(SG, "file_offer", "message", "small_grant_offer_receipt", "filer", when="filed_on_form",
         why=tr("art. 19a ust. 1: the receipt proves what was filed, and when")),
    Rule(SG, "publish", "notice", notice="offer", template="small_grant_offer_notice", audience="public",
         why=tr("art. 19a ust. 3-4: 7 days for comments")),
    Rule(SG, "decide", "message", "small_grant_decision", "applicant",
         why=tr("art. 19a ust. 5: awarded or refused")),
    Rule(SG, "sign_contract", "reminder", "report_due_reminder", "applicant", timing="report",
         why=tr("art. 18 ust. 1: report due in 7 days, today")),
    Rule(SG, "submit_report", "cancel", cancels="report"),
    Rule(SG, "submit_report", "message", "small_grant_report_receipt", "filer", when="filed_on_form",
         why=tr("art. 18: the receipt proves what was reported, and when")),
    Rule(SG, "report_overdue", "message", "report_overdue_call", "applicant",
         why=tr("the contract: written call for the report")),
    Rule(SG, "accept_report", "message", "report_accepted", "applicant",
         why=tr("art. 18: the report is accepted")),
    Rule(SG, "request_report_corrections", "message", "report_corrections_requested", "applicant",
         why=tr("art. 18: the report needs corrections")),
    Rule(SG, "settle", "message", "small_grant_settled", "applicant",
         why=tr("ufp art. 251: settlement, interest")),
)
