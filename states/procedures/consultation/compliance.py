"""The auditor's compliance rules over a consultation's history (art. 5 ust. 5; run by
states/auditing/compliance.py)."""

from __future__ import annotations

from states.auditing.compliance import History, finding, moment, warsaw
from states.subjects import Subject
from states.text import ntr, tr

RESOLUTION = "art. 5 ust. 5 (uchwała rady o trybie konsultacji)"


@finding("consultation_too_short", RESOLUTION,
         tr("Consultation shorter than its rule set's minimum"),
         kinds=("consultation",))
def _consultation_too_short(h: History):
    from states.procedures.consultation.machine import closing

    opened = h.first("open_consultation")
    if opened is None or not opened.payload.get("published"):
        return
    latest = max(moment(v) for v in opened.payload["published"].values() if v)
    required = closing(latest, h.rules.consultation).due
    ends = [(moment(opened.payload.get("comments_until")), opened)]
    ends += [(r.at, r) for r in h.events("close")]
    for end, rec in ends:
        if end is not None and end < required:
            yield (ntr("The consultation ended {end}; the minimum of {n} day from the publication {latest} ends "
                       "{required}",
                       "The consultation ended {end}; the minimum of {n} days from the publication {latest} ends "
                       "{required}",
                       h.rules.consultation.period_days, end=warsaw(end), latest=warsaw(latest),
                       required=warsaw(required)), (opened, rec), None)
            return


@finding("comment_unanswered", RESOLUTION,
         tr("A comment left unanswered in the consultation report"),
         kinds=("consultation",))
def _comment_unanswered(h: History):
    for report in h.events("publish_report"):
        answers = {str(k): v for k, v in (report.payload.get("answers") or {}).items()}
        for comment in h.events("comment"):
            number = Subject.parse(comment.subject).key or ""
            answer = answers.get(number) or {}
            if comment.seq < report.seq and not (answer.get("answer") and str(answer.get("reason") or "").strip()):
                yield (tr("Comment {number} ({author}) has no reasoned answer in the report", number=number, author=comment.payload.get('author', '?')),
                       (comment, report), None)
