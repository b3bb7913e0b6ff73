"""The local initiative's notifications (art. 19b-19h): the residents' representative or the NGO, and the
officers; templates and routing rows (states/notices.py)."""

from __future__ import annotations

from kernel.text import tr
from states.notices import Rule, TemplateSpec
from states.procedures.local_initiative.names import InitiativeState

TEMPLATES: dict[str, TemplateSpec] = {
    "initiative_formal_check": TemplateSpec("legal", tr("formal check of the local initiative")),
    "initiative_decision": TemplateSpec("legal", tr("decision on the local initiative")),
    "initiative_plan": TemplateSpec("information", tr("the initiative's schedule and estimate")),
    "initiative_contract": TemplateSpec("information", tr("the local initiative's contract")),
    "initiative_report_reminder": TemplateSpec("reminder", tr("initiative report reminder")),
    "initiative_report_overdue": TemplateSpec("legal", tr("initiative report overdue")),
    "initiative_receipt": TemplateSpec("legal", tr("receipt of a local initiative application filed through the portal")),
    "initiative_report_receipt": TemplateSpec("legal", tr("receipt of a local initiative report filed through the portal")),
    "initiative_report_accepted": TemplateSpec("legal", tr("the local initiative's report accepted")),
    "initiative_report_corrections": TemplateSpec("legal", tr("corrections of the local initiative's report requested")),
    "initiative_representative_named": TemplateSpec(
        "legal", tr("the residents' representative of a local initiative on the portal named")),
    "officer_initiative_filed": TemplateSpec("task", tr("local initiative: formal check to do")),
    "officer_initiative_plan": TemplateSpec("task", tr("local initiative: schedule and estimate to agree")),
    "officer_initiative_report": TemplateSpec("task", tr("local initiative: report to review")),
}

LI = "local_initiative"

RULES: tuple[Rule, ...] = (
    # --- local initiative (art. 19b-19h): the residents' representative or the NGO ---
    Rule(LI, "file", "message", "officer_initiative_filed", "officers",
         why=tr("art. 19b-19c: a formal check to do")),
    Rule(LI, "decide", "message", "officer_initiative_plan", "officers", to_state=InitiativeState.accepted,
         why=tr("art. 19e-19f: schedule and estimate to agree")),
    Rule(LI, "submit_report", "message", "officer_initiative_report", "officers",
         why=tr("art. 19e (the contract): a report to review")),
    Rule(LI, "file", "message", "initiative_receipt", "initiator", when="filed_on_form",
         why=tr("art. 19b: the receipt proves what was filed, and when")),
    Rule(LI, "pass_formal_check", "message", "initiative_formal_check", "initiator",
         why=tr("art. 19b-19c: the formal check")),
    Rule(LI, "fail_formal_check", "message", "initiative_formal_check", "initiator",
         why=tr("art. 19b-19c: formal defects")),
    Rule(LI, "decide", "message", "initiative_decision", "initiator",
         why=tr("art. 19c, 19e: accepted or rejected")),
    Rule(LI, "plan", "message", "initiative_plan", "initiator",
         why=tr("art. 19e-19f: schedule, estimate")),
    Rule(LI, "sign_contract", "message", "initiative_contract", "initiator",
         why=tr("art. 19e: the contract, the report date")),
    Rule(LI, "sign_contract", "reminder", "initiative_report_reminder", "initiator", timing="report",
         why=tr("the contract: report due in 7 days, today")),
    Rule(LI, "submit_report", "cancel", cancels="report"),
    Rule(LI, "submit_report", "message", "initiative_report_receipt", "filer", when="filed_on_form",
         why=tr("art. 19e (the contract): the receipt proves what was reported, and when")),
    # the review (the tail's, states/contract_tail.py): the applicants and the person who filed the report on the
    # portal (the record names them, ``filed_by``) are told; a call for corrections says what and by when
    Rule(LI, "accept_report", "message", "initiative_report_accepted", "filer",
         why=tr("art. 19e (the contract): the report is accepted")),
    Rule(LI, "request_report_corrections", "message", "initiative_report_corrections", "filer",
         why=tr("art. 19e (the contract): the report needs corrections")),
    # the officer names the portal account of a paper application's residents' group: that person is told, at
    # the address they proved on the portal, that they now file the case's report there
    Rule(LI, "name_representative", "message", "initiative_representative_named", "representative",
         why=tr("art. 19b ust. 1: the residents' representative files the report on the portal")),
    Rule(LI, "report_overdue", "message", "initiative_report_overdue", "initiator",
         why=tr("art. 19e (the contract): report overdue")),
)
