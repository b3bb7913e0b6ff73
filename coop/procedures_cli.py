"""CLI groups of the small grant, consultation, local initiative and regranting, in the style of coop/core_cli.py."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import command, group, lazy_module, moments, run, show

consultation_handlers = lazy_module("states.procedures.consultation.handlers")
consultation_inputs = lazy_module("states.procedures.consultation.inputs")
inputs = lazy_module("states.inputs")
local_initiative_handlers = lazy_module("states.procedures.local_initiative.handlers")
local_initiative_inputs = lazy_module("states.procedures.local_initiative.inputs")
open_call_inputs = lazy_module("states.procedures.open_call.inputs")
regranting_handlers = lazy_module("states.procedures.regranting.handlers")
regranting_inputs = lazy_module("states.procedures.regranting.inputs")
small_grant_handlers = lazy_module("states.procedures.small_grant.handlers")
small_grant_inputs = lazy_module("states.procedures.small_grant.inputs")

grant_app = group("grant", "Small grant outside competition (art. 19a).")
consult_app = group("consult", "Consultation of draft acts (art. 5, 41i).")
initiative_app = group("initiative", "Local initiative (art. 19b-19h).")
regrant_app = group("regrant", "Regranting (art. 16a).")

Code = Annotated[str, typer.Argument(help="Case code, e.g. MG/2026/001.")]
Bip = Annotated[str | None, typer.Option("--bip", help="Published in BIP at (ISO 8601 with offset).")]
Board = Annotated[str | None, typer.Option("--board", help="Published on the notice board at.")]
Website = Annotated[str | None, typer.Option("--website", help="Published on the city's website at.")]
Channel = Annotated[list[str] | None, typer.Option("--channel", help="CHANNEL=MOMENT, e.g. ngo_portal=2026-10-01T09:00+02:00 (repeatable).")]


def _channels(bip: str | None, board: str | None, website: str | None, extra: list[str] | None) -> dict[str, str]:
    published = moments(bip=bip, board=board, website=website)
    for item in extra or []:
        channel, _, moment = item.partition("=")
        published[channel.strip()] = moment.strip()
    return published


# --- small grant (art. 19a) ----------------------------------------------------------------------------------


@command(grant_app, "budget")
def grant_budget(year: Annotated[int, typer.Argument(help="Budget year.")],
                 planned: Annotated[str | None, typer.Option(help="Planned funds for NGO grants, PLN.")] = None) -> None:
    """Record (with --planned) or show the year's planned NGO grant funds and its ceiling of 20 per cent (art. 19a ust. 7)."""
    if planned is not None:
        run(small_grant_handlers.record_budget, small_grant_inputs.RecordGrantBudget.parse(year=year, planned=planned))
    show(run(small_grant_handlers.show_budget, year, readonly=True))


@command(grant_app, "file")
def grant_file(krs: Annotated[str, typer.Option(help="The organisation's KRS number.")],
               title: Annotated[str, typer.Option()], amount: Annotated[str, typer.Option(help="Requested grant, PLN.")],
               start: Annotated[str, typer.Option(help="Task start (YYYY-MM-DD).")],
               end: Annotated[str, typer.Option(help="Task end (YYYY-MM-DD).")],
               own: Annotated[str, typer.Option(help="Own contribution, PLN.")] = "0",
               received: Annotated[str | None, typer.Option(help="Received at (default: --at).")] = None,
               rules: Annotated[str | None, typer.Option(help="Rule-set version.")] = None) -> None:
    """Receive a simplified offer and run the preliminary check (art. 19a ust. 1, 6-7)."""
    show(run(small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant.parse(organisation_krs=krs, title=title, requested_grant=amount,
                                                    own_contribution=own, task_start=start, task_end=end,
                                                    received_at=received, rule_set=rules)))


@command(grant_app, "publish")
def grant_publish(code: Code, bip: Bip = None, board: Board = None, website: Website = None) -> None:
    """Record the offer's publication; in all three channels it opens the 7-day comment period (art. 19a ust. 3)."""
    show(run(small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice.parse(code=code, published=_channels(bip, board, website, None))))


@command(grant_app, "comment")
def grant_comment(code: Code, author: Annotated[str, typer.Option()], text: Annotated[str, typer.Option()],
                  submitted: Annotated[str | None, typer.Option(help="Submitted at (default: --at).")] = None) -> None:
    """Record a comment on the published offer: anyone may comment (art. 19a ust. 4)."""
    show(run(small_grant_handlers.add_comment, small_grant_inputs.AddComment.parse(code=code, author=author, text=text, submitted_at=submitted)))


@command(grant_app, "consider")
def grant_consider(code: Code, number: Annotated[int, typer.Argument(help="Comment number.")],
                   how: Annotated[str, typer.Option(help="How the comment was considered.")]) -> None:
    """Record how a comment was considered (art. 19a ust. 5)."""
    show(run(small_grant_handlers.consider_comment, small_grant_inputs.ConsiderComment.parse(code=code, number=number, consideration=how)))


@command(grant_app, "decide")
def grant_decide(code: Code, decision: Annotated[str, typer.Option(help="The Mayor's order.")],
                 grant: Annotated[str | None, typer.Option(help="Granted amount; omit to refuse.")] = None,
                 reason: Annotated[str, typer.Option()] = "") -> None:
    """The decision after the comment period; the ceilings are checked under the year's lock."""
    show(run(small_grant_handlers.decide, small_grant_inputs.DecideSmallGrant.parse(code=code, grant=grant, decision_ref=decision, reason=reason)))


@command(grant_app, "contract")
def grant_contract(code: Code, number: Annotated[str, typer.Option(help="Contract number.")]) -> None:
    """Sign the contract (art. 19a ust. 5); the simplified report falls due 30 days after the task ends."""
    show(run(small_grant_handlers.sign_contract, small_grant_inputs.SignSmallGrant.parse(code=code, contract_number=number)))


@command(grant_app, "report")
def grant_report(code: Code, used: Annotated[str, typer.Option(help="Funds used, PLN.")],
                 summary: Annotated[str, typer.Option()] = "") -> None:
    """Record the simplified report."""
    show(run(small_grant_handlers.submit_report, small_grant_inputs.SmallGrantReport.parse(code=code, funds_used=used, summary=summary)))


@command(grant_app, "review-report")
def grant_review_report(code: Code, accept: Annotated[bool, typer.Option("--accept/--reject")] = True,
                        reason: Annotated[str, typer.Option()] = "") -> None:
    """Accept the report, or ask for corrections."""
    show(run(small_grant_handlers.review_report, small_grant_inputs.ReviewSmallGrantReport.parse(code=code, accept=accept, reason=reason)))


@command(grant_app, "settle")
def grant_settle(code: Code, returned: Annotated[str, typer.Option(help="Unused funds returned, PLN.")] = "0",
                 returned_on: Annotated[str | None, typer.Option(help="Date of the return.")] = None) -> None:
    """Settle the grant (ufp art. 251-252)."""
    show(run(small_grant_handlers.settle, small_grant_inputs.SettleSmallGrant.parse(code=code, returned_amount=returned, returned_on=returned_on)))


@command(grant_app, "show")
def grant_show(code: Code) -> None:
    """The offer, its deadlines and its comments."""
    show(run(small_grant_handlers.show, inputs.CaseRef.parse(code=code), readonly=True))


# --- consultation of draft acts (art. 5, 5a, 41i) ------------------------------------------------------------


@command(consult_app, "create")
def consult_create(title: Annotated[str, typer.Option()],
                   field: Annotated[str, typer.Option(help="The act's field, so the right NGOs are invited.")],
                   kind: Annotated[str, typer.Option(help="programme | resolution | strategy | other")] = "resolution",
                   year: Annotated[int | None, typer.Option(help="For the annual programme: the year it governs.")] = None,
                   session: Annotated[str | None, typer.Option(help="Planned council session (YYYY-MM-DD).")] = None,
                   rules: Annotated[str | None, typer.Option(help="Rule-set version.")] = None) -> None:
    """Register a draft act for consultation."""
    show(run(consultation_handlers.create, consultation_inputs.CreateConsultation.parse(title=title, field=field, act_kind=kind, programme_year=year,
                                                    council_session=session, rule_set=rules)))


@command(consult_app, "open")
def consult_open(code: Code, channel: Channel = None, bip: Bip = None, board: Board = None,
                 rdpp: Annotated[str | None, typer.Option(help="Delivered to the RDPP at (art. 41i).")] = None) -> None:
    """Publish the draft in the rule set's channels and start the period (and the RDPP's 14 days)."""
    show(run(consultation_handlers.open_consultation, consultation_inputs.OpenConsultation.parse(code=code, published=_channels(bip, board, None, channel),
                                                             rdpp_delivered=rdpp)))


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
                                                            published=_channels(bip, board, None, channel))))


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


# --- local initiative (art. 19b-19h) -------------------------------------------------------------------------


@command(initiative_app, "file")
def initiative_file(title: Annotated[str, typer.Option()],
                    representative: Annotated[str, typer.Option(help="The group's representative.")],
                    sphere: Annotated[str, typer.Option(help="An art. 19b sphere, e.g. greenery, culture, sport.")],
                    location: Annotated[str, typer.Option()], owner: Annotated[str, typer.Option(help="Property owner.")],
                    description: Annotated[str, typer.Option()],
                    resident: Annotated[list[str] | None, typer.Option(help="A member of the group (repeatable).")] = None,
                    krs: Annotated[str | None, typer.Option(help="Filed through an NGO: its KRS.")] = None,
                    received: Annotated[str | None, typer.Option()] = None,
                    rules: Annotated[str | None, typer.Option(help="Rule-set version.")] = None) -> None:
    """File a local initiative (residents with a representative, or an NGO)."""
    show(run(local_initiative_handlers.file, local_initiative_inputs.FileInitiative.parse(title=title, applicant_kind="ngo" if krs else "residents",
                                              representative=representative, residents=tuple(resident or ()),
                                              organisation_krs=krs, sphere=sphere, location=location,
                                              property_owner=owner, description=description, received_at=received,
                                              rule_set=rules)))


@command(initiative_app, "check")
def initiative_check(code: Code, passed: Annotated[bool, typer.Option("--pass/--fail")] = True,
                     defect: Annotated[list[str] | None, typer.Option(help="A formal defect (repeatable).")] = None) -> None:
    """The formal check."""
    show(run(local_initiative_handlers.formal_check, local_initiative_inputs.FormalCheck.parse(code=code, passed=passed, defects=tuple(defect or ()))))


@command(initiative_app, "evaluate")
def initiative_evaluate(code: Code, points: Annotated[list[str], typer.Option(
                            "--points", help="CRITERION=POINTS (repeatable), e.g. social_work=9.")]) -> None:
    """Score the resolution's criteria (the residents' social work weighs most, art. 19c)."""
    parsed = dict(item.split("=", 1) for item in points if "=" in item)
    show(run(local_initiative_handlers.evaluate, local_initiative_inputs.EvaluateInitiative.parse(code=code, points=parsed)))


@command(initiative_app, "decide")
def initiative_decide(code: Code, decision: Annotated[str, typer.Option(help="The Mayor's order.")],
                      accept: Annotated[bool, typer.Option("--accept/--reject")] = True,
                      reason: Annotated[str, typer.Option()] = "") -> None:
    """Accept or reject the initiative."""
    show(run(local_initiative_handlers.decide, local_initiative_inputs.DecideInitiative.parse(code=code, accept=accept, decision_ref=decision, reason=reason)))


@command(initiative_app, "plan")
def initiative_plan(code: Code, start: Annotated[str, typer.Option()], end: Annotated[str, typer.Option()],
                    cost: Annotated[list[str], typer.Option(
                        help="PARTY:DESCRIPTION=AMOUNT, or work:DESCRIPTION=HOURSh (repeatable); "
                             "parties: city, work, cash, goods.")]) -> None:
    """The joint schedule and cost estimate by party."""
    lines = []
    for item in cost:
        head, _, value = item.rpartition("=")
        party, _, description = head.partition(":")
        if value.endswith("h"):
            lines.append({"party": party, "description": description, "hours": value[:-1]})
        else:
            lines.append({"party": party, "description": description, "amount": value})
    show(run(local_initiative_handlers.plan, local_initiative_inputs.PlanInitiative.parse(code=code, task_start=start, task_end=end, costs=lines)))


@command(initiative_app, "contract")
def initiative_contract(code: Code, number: Annotated[str, typer.Option(help="Contract number.")]) -> None:
    """Sign the contract (no grant is transferred)."""
    show(run(local_initiative_handlers.sign_contract, local_initiative_inputs.SignInitiative.parse(code=code, contract_number=number)))


@command(initiative_app, "purchase")
def initiative_purchase(code: Code, description: Annotated[str, typer.Option()], supplier: Annotated[str, typer.Option()],
                        amount: Annotated[str, typer.Option()]) -> None:
    """Record the city's own purchase against the estimate's city share."""
    show(run(local_initiative_handlers.record_purchase, local_initiative_inputs.RecordPurchase.parse(code=code, description=description, supplier=supplier,
                                                         amount=amount)))


@command(initiative_app, "report")
def initiative_report(code: Code, hours: Annotated[str, typer.Option(help="Social work hours given.")],
                      summary: Annotated[str, typer.Option()]) -> None:
    """The final report."""
    show(run(local_initiative_handlers.submit_report, local_initiative_inputs.InitiativeReport.parse(code=code, work_hours=hours, summary=summary)))


@command(initiative_app, "close")
def initiative_close(code: Code) -> None:
    """Close the initiative."""
    show(run(local_initiative_handlers.close, inputs.CaseRef.parse(code=code)))


@command(initiative_app, "show")
def initiative_show(code: Code) -> None:
    """The initiative, its estimate and the city's purchases."""
    show(run(local_initiative_handlers.show, inputs.CaseRef.parse(code=code), readonly=True))


# --- regranting (art. 16a) -----------------------------------------------------------------------------------


@command(regrant_app, "create")
def regrant_create(title: Annotated[str, typer.Option()], area: Annotated[str, typer.Option()],
                   budget: Annotated[str, typer.Option()],
                   rules: Annotated[str | None, typer.Option(help="Rule-set version.")] = None) -> None:
    """A draft open call for the operator: run it with `coop call ...` (announce, offers, committee, contract)."""
    show(run(regranting_handlers.create, regranting_inputs.CreateRegranting.parse(title=title, task_area=area, budget=budget, rule_set=rules)))


@command(regrant_app, "sub-call")
def regrant_sub_call(code: Code, deadline: Annotated[str, typer.Option()], channel: Channel = None,
                     bip: Bip = None) -> None:
    """Record the operator's own call for implementers."""
    show(run(regranting_handlers.announce_sub_call, regranting_inputs.AnnounceSubCall.parse(code=code, deadline=deadline,
                                                            published=_channels(bip, None, None, channel))))


@command(regrant_app, "selection")
def regrant_selection(code: Code, chosen: Annotated[list[str], typer.Option("--chosen", help="An implementer (repeatable).")],
                      channel: Channel = None, bip: Bip = None) -> None:
    """Record the operator's published choice of implementers."""
    show(run(regranting_handlers.publish_selection, regranting_inputs.PublishSubSelection.parse(code=code, chosen=tuple(chosen),
                                                                published=_channels(bip, None, None, channel))))


@command(regrant_app, "micro")
def regrant_micro(code: Code, implementer: Annotated[str, typer.Option()], address: Annotated[str, typer.Option()],
                  scope: Annotated[str, typer.Option()], amount: Annotated[str, typer.Option()],
                  contract: Annotated[str, typer.Option(help="Contract number.")],
                  start: Annotated[str, typer.Option()], end: Annotated[str, typer.Option()]) -> None:
    """Record an implementer's contract: a nested micro-grant case (MR/...)."""
    show(run(regranting_handlers.add_micro_grant, regranting_inputs.AddMicroGrant.parse(code=code, implementer=implementer, address=address, scope=scope,
                                                        amount=amount, contract_number=contract, task_start=start,
                                                        task_end=end)))


@command(regrant_app, "transfer")
def regrant_transfer(code: Annotated[str, typer.Argument(help="Micro-grant code, e.g. MR/2026/001.")],
                     amount: Annotated[str, typer.Option()], on: Annotated[str, typer.Option()]) -> None:
    """Record the transfer of funds to the implementer."""
    show(run(regranting_handlers.transfer, regranting_inputs.TransferMicroGrant.parse(code=code, amount=amount, on=on)))


@command(regrant_app, "micro-report")
def regrant_micro_report(code: Annotated[str, typer.Argument(help="Micro-grant code.")],
                         used: Annotated[str, typer.Option()], delivered: Annotated[str, typer.Option()]) -> None:
    """Record the implementer's report."""
    show(run(regranting_handlers.micro_report, regranting_inputs.MicroGrantReport.parse(code=code, funds_used=used, delivered=delivered)))


@command(regrant_app, "micro-settle")
def regrant_micro_settle(code: Annotated[str, typer.Argument(help="Micro-grant code.")],
                         returned: Annotated[str, typer.Option()] = "0") -> None:
    """Settle a micro-grant."""
    show(run(regranting_handlers.settle_micro, regranting_inputs.SettleMicroGrant.parse(code=code, returned_amount=returned)))


@command(regrant_app, "report")
def regrant_report(code: Code, own_costs: Annotated[str, typer.Option(help="The operator's own costs, PLN.")] = "0",
                   summary: Annotated[str, typer.Option()] = "") -> None:
    """The operator's report, listing every implementer from the nested micro-grants."""
    show(run(regranting_handlers.operator_report, regranting_inputs.OperatorReport.parse(code=code, own_costs=own_costs, summary=summary)))


@command(regrant_app, "settle")
def regrant_settle(code: Code, number: Annotated[int, typer.Option(help="The operator's offer number.")] = 1,
                   returned: Annotated[str, typer.Option()] = "0",
                   returned_on: Annotated[str | None, typer.Option()] = None) -> None:
    """Settle the operator, once every micro-grant is settled."""
    show(run(regranting_handlers.settle_operator, open_call_inputs.Settle.parse(code=code, number=number, returned_amount=returned,
                                              returned_on=returned_on)))


@command(regrant_app, "show")
def regrant_show(code: Code) -> None:
    """The operator's sub-call and its implementers."""
    show(run(regranting_handlers.show, inputs.CaseRef.parse(code=code), readonly=True))
