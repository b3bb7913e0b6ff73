"""Regranting's notifications (art. 16a): the operator is chosen in an ordinary open call and told the same
things (the open call's rows, under this kind); its micro-grants tell the operator; its sub-call and selection
are made public. Templates and routing rows (states/notices.py)."""

from __future__ import annotations

from dataclasses import replace

from kernel.text import tr
from states.notices import Rule, TemplateSpec
from states.procedures.open_call.notices import RULES as OPEN_CALL_RULES

TEMPLATES: dict[str, TemplateSpec] = {
    "micro_grant_contracted": TemplateSpec("information", tr("micro-grant: transfer and report dates")),
    "micro_grant_transfer_overdue": TemplateSpec("legal", tr("micro-grant: transfer overdue")),
    "micro_grant_report_reminder": TemplateSpec("reminder", tr("micro-grant: implementer's report reminder")),
    "sub_call_notice": TemplateSpec("notice", tr("the operator's call for implementers (art. 16a)")),
    "sub_selection_notice": TemplateSpec("notice", tr("the operator's choice of implementers (art. 16a)")),
    "officer_micro_report": TemplateSpec("task", tr("micro-grant: implementer's report to review")),
}

RG = "regranting"
MG = "micro_grant"

RULES: tuple[Rule, ...] = (
    # the operator is chosen in an ordinary open call, told the same things
    *(replace(rule, kind=RG) for rule in OPEN_CALL_RULES),
    # --- regranting's micro-grants (art. 16a): the operator, who transfers the funds and collects the reports ---
    Rule(MG, "create", "message", "micro_grant_contracted", "operator",
         why=tr("art. 16a: the transfer date")),
    Rule(MG, "create", "reminder", "micro_grant_report_reminder", "operator", timing="micro_report",
         why=tr("the operator's contract: implementer's report")),
    Rule(MG, "transfer_due_passed", "message", "micro_grant_transfer_overdue", "operator",
         why=tr("art. 16a: transfer overdue")),
    Rule(MG, "submit_report", "cancel", cancels="report"),
    Rule(MG, "submit_report", "message", "officer_micro_report", "officers",
         why=tr("art. 16a: the implementer's report to review and settle")),
    # --- regranting's sub-call (art. 16a): the operator's call and its choice of implementers, made public ---
    Rule(RG, "announce_sub_call", "notice", notice="sub_call", template="sub_call_notice", audience="public",
         why=tr("art. 16a: the sub-call published")),
    Rule(RG, "publish_selection", "notice", notice="sub_selection", template="sub_selection_notice", audience="public",
         why=tr("art. 16a: the selection made public")),
)
