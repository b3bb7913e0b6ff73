"""The CLI of the consultation of draft acts (art. 5, 5a, 41i): `coop consult ...`."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import command, group, lazy_module, run, show
from coop.procedures.options import Bip, Board, Channel, Code, published_channels

consultation_handlers = lazy_module("states.procedures.consultation.handlers")
consultation_inputs = lazy_module("states.procedures.consultation.inputs")
inputs = lazy_module("states.inputs")

consult_app = group("consult", "Consultation of draft acts (art. 5, 41i).")
Summary = Annotated[str | None, typer.Option(
    "--summary", help="What the draft act is about, in plain text (at most 1000 characters): shown on the portal's public page.")]


@command(consult_app, "create")
def consult_create(title: Annotated[str, typer.Option()],
                   field: Annotated[str, typer.Option(help="The act's field, so the right NGOs are invited.")],
                   kind: Annotated[str, typer.Option(help="programme | resolution | strategy | other")] = "resolution",
                   year: Annotated[int | None, typer.Option(help="For the annual programme: the year it governs.")] = None,
                   session: Annotated[str | None, typer.Option(help="Planned council session (YYYY-MM-DD).")] = None,
                   rules: Annotated[str | None, typer.Option(help="Rule-set version.")] = None,
                   summary: Summary = None) -> None:
    """Register a draft act for consultation."""
    show(run(consultation_handlers.create, consultation_inputs.CreateConsultation.parse(title=title, field=field, act_kind=kind, programme_year=year,
                                                    council_session=session, rule_set=rules,
                                                    draft_summary=summary)))


@command(consult_app, "open")
def consult_open(code: Code, channel: Channel = None, bip: Bip = None, board: Board = None,
                 rdpp: Annotated[str | None, typer.Option(help="Delivered to the RDPP at (art. 41i).")] = None,
                 summary: Summary = None) -> None:
    """Publish the draft in the rule set's channels and start the period (and the RDPP's 14 days)."""
    show(run(consultation_handlers.open_consultation, consultation_inputs.OpenConsultation.parse(code=code, published=published_channels(bip, board, None, channel),
                                                             rdpp_delivered=rdpp, draft_summary=summary)))


@command(consult_app, "comment")
def consult_comment(code: Code, author: Annotated[str, typer.Option()], text: Annotated[str, typer.Option()],
                    kind: Annotated[str, typer.Option(help="ngo | resident | other")] = "ngo",
                    provision: Annotated[str | None, typer.Option(help="The provision concerned.")] = None,
                    submitted: Annotated[str | None, typer.Option(help="Submitted at (default: --at).")] = None,
                    email: Annotated[str | None, typer.Option(
                        help="The author's e-mail: told how the comment was considered.")] = None) -> None:
    """Record a comment with its author and time; late ones are refused."""
    show(run(consultation_handlers.add_comment, consultation_inputs.ConsultationCommentInput.parse(code=code, author=author, author_kind=kind, text=text,
                                                               provision=provision, submitted_at=submitted,
                                                               email=email)))


@command(consult_app, "rdpp-opinion")
def consult_rdpp(code: Code, opinion: Annotated[str, typer.Option()]) -> None:
    """Record the Public Benefit Council's opinion (within 14 days of delivery, art. 41i ust. 2)."""
    show(run(consultation_handlers.rdpp_opinion, consultation_inputs.RdppOpinion.parse(code=code, opinion=opinion)))


@command(consult_app, "report")
def consult_report(code: Code, answer: Annotated[list[str] | None, typer.Option(
                       help="N=accepted|partly_accepted|rejected:REASON (repeatable).")] = None,
                   channel: Channel = None, bip: Bip = None, board: Board = None,
                   summary: Annotated[str, typer.Option()] = "") -> None:
    """Publish the consultation report answering every comment."""
    answers = []
    for item in answer or []:
        number, _, rest = item.partition("=")
        verdict, _, reason = rest.partition(":")
        answers.append({"number": number.strip(), "answer": verdict.strip(), "reason": reason.strip()})
    show(run(consultation_handlers.publish_report, consultation_inputs.ConsultationReport.parse(code=code, answers=answers, summary=summary,
                                                            published=published_channels(bip, board, None, channel))))


@command(consult_app, "send")
def consult_send(code: Code, reference: Annotated[str, typer.Option(help="The council's print number.")],
                 on: Annotated[str | None, typer.Option()] = None) -> None:
    """Send the draft to the council."""
    show(run(consultation_handlers.send_to_council, consultation_inputs.CouncilStep.parse(code=code, reference=reference, on=on)))


@command(consult_app, "adopt")
def consult_adopt(code: Code, reference: Annotated[str, typer.Option(help="The resolution's number.")],
                  on: Annotated[str | None, typer.Option()] = None) -> None:
    """Record the council's adoption (the programme: by 30 November, art. 5a ust. 1)."""
    show(run(consultation_handlers.adopt, consultation_inputs.CouncilStep.parse(code=code, reference=reference, on=on)))


@command(consult_app, "show")
def consult_show(code: Code) -> None:
    """The consultation, its comments and the RDPP's opinion."""
    show(run(consultation_handlers.show, inputs.CaseRef.parse(code=code), readonly=True))
