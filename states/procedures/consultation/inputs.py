"""Validated inputs of the consultation's commands (art. 5, 5a, 41i; invariant 7)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from states.inputs import (
    CaseCode,
    ChannelName,
    Command,
    Day,
    Email,
    LongText,
    Moment,
    MultiLine,
    Number,
    ShortText,
    Year,
)

# --- consultation (art. 5, 5a, 41i) --------------------------------------------------------------------------

# What the draft act is about, in a few sentences of plain text, shown on the portal's public page of the
# consultation (web/portal_comments.py) above its comment form: the office's own words, not the act itself (which is
# published in the BIP). Short: at most this many characters.
DRAFT_SUMMARY_MAX = 1000
DraftSummary = Annotated[MultiLine, Field(min_length=1, max_length=DRAFT_SUMMARY_MAX)]


class CreateConsultation(Command):
    title: ShortText
    field: ShortText  # the statutory field of the act, so the right NGOs are invited (art. 5 ust. 2 pkt 3)
    act_kind: Literal["programme", "resolution", "strategy", "other"] = "resolution"
    programme_year: Year | None = None  # for the annual programme: the year it governs (art. 5a ust. 1)
    council_session: Day | None = None  # the planned council session
    rule_set: ShortText | None = None
    draft_summary: DraftSummary | None = None  # what the draft act is about (the public page shows it)


class OpenConsultation(Command):
    code: CaseCode
    published: dict[ChannelName, Moment]
    rdpp_delivered: Moment | None = None  # the draft delivered to the RDPP (art. 41i ust. 2)
    draft_summary: DraftSummary | None = None  # given: replaces the one set when the consultation was made


class ConsultationCommentInput(Command):
    code: CaseCode
    author: ShortText
    author_kind: Literal["ngo", "resident", "other"] = "ngo"
    provision: ShortText | None = None
    text: LongText = Field(min_length=1)
    submitted_at: Moment | None = None
    email: Email | None = None  # optional: where the commenter is told how the comment was considered (audit only)


class RdppOpinion(Command):
    code: CaseCode
    opinion: LongText = Field(min_length=1)


class CommentAnswer(Command):
    number: Number
    answer: Literal["accepted", "partly_accepted", "rejected"]
    reason: LongText = Field(min_length=1)


class ConsultationReport(Command):
    code: CaseCode
    answers: tuple[CommentAnswer, ...] = ()
    published: dict[ChannelName, Moment]
    summary: LongText = ""


class CouncilStep(Command):
    code: CaseCode
    reference: ShortText  # the council's print number or the adopted resolution's number
    on: Day | None = None
