"""The consultation's notifications (art. 5 ust. 2 pkt 3-4, ust. 5; art. 41i): templates and routing rows
(states/notices.py)."""

from __future__ import annotations

from kernel.text import tr
from states.notices import Rule, TemplateSpec
from states.procedures.consultation.names import ConsultationState

TEMPLATES: dict[str, TemplateSpec] = {
    "consultation_draft_notice": TemplateSpec("notice", tr("draft act open for consultation")),
    "consultation_invitation": TemplateSpec("legal", tr("invitation to the consultation of a draft act")),
    "rdpp_opinion_request": TemplateSpec("legal", tr("draft for the Public Benefit Council's opinion (art. "
                                                     "41i)")),
    "officer_rdpp_waived": TemplateSpec("task", tr("no RDPP opinion in time")),
    "officer_consultation_closed": TemplateSpec("task", tr("consultation closed, report to prepare")),
    "consultation_report_notice": TemplateSpec("notice", tr("consultation report")),
    "comment_considered": TemplateSpec("information", tr("how a consultation comment was considered")),
}

KO = "consultation"

RULES: tuple[Rule, ...] = (
    # --- consultation of draft acts (art. 5 ust. 2 pkt 3-4, ust. 5; art. 41i) ---
    Rule(KO, "open_consultation", "notice", notice="draft", template="consultation_draft_notice", audience="public",
         why=tr("the resolution: the draft published")),
    Rule(KO, "open_consultation", "message", "consultation_invitation", "registry", to_state=ConsultationState.open,
         why=tr("art. 5 ust. 2 pkt 3: NGOs consulted")),
    Rule(KO, "open_consultation", "message", "rdpp_opinion_request", "rdpp", to_state=ConsultationState.open, when="rdpp_delivered",
         why=tr("art. 41i ust. 1-2: the RDPP's opinion within 14 days")),
    Rule(KO, "rdpp_opinion_waived", "message", "officer_rdpp_waived", "officers",
         why=tr("art. 41i ust. 2: silence waives the opinion")),
    Rule(KO, "close", "message", "officer_consultation_closed", "officers", to_state=ConsultationState.closed,
         why=tr("the resolution: the report")),
    Rule(KO, "publish_report", "notice", notice="report", template="consultation_report_notice", audience="public",
         why=tr("the resolution: the report published")),
    Rule(KO, "publish_report", "message", "comment_considered", "commenters",
         why=tr("the resolution: the answer to a comment")),
)
