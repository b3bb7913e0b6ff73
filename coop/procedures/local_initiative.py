"""The CLI of the local initiative (art. 19b-19h): `coop initiative ...`."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import command, group, lazy_module, run, show
from coop.procedures.options import Code

inputs = lazy_module("states.inputs")
local_initiative_handlers = lazy_module("states.procedures.local_initiative.handlers")
local_initiative_inputs = lazy_module("states.procedures.local_initiative.inputs")

initiative_app = group("initiative", "Local initiative (art. 19b-19h).")


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


@command(initiative_app, "representative")
def initiative_representative(code: Code, account: Annotated[str, typer.Option(
        help="The portal account (login or e-mail) representing the residents' group.")]) -> None:
    """Name the residents' portal representative: they file the report through the portal."""
    show(run(local_initiative_handlers.name_representative,
             local_initiative_inputs.NameRepresentative.parse(code=code, account=account)))


@command(initiative_app, "accept-report")
def initiative_accept_report(code: Code) -> None:
    """Accept the initiative's report (art. 19e, the agreement); the case may then be closed."""
    show(run(local_initiative_handlers.review_report,
             local_initiative_inputs.ReviewInitiativeReport.parse(code=code, accept=True)))


@command(initiative_app, "request-report-corrections")
def initiative_request_report_corrections(
        code: Code, reason: Annotated[str, typer.Option(help="What the report lacks.")]) -> None:
    """Call for corrections of the initiative's report, with the reason: the group files a corrected report."""
    show(run(local_initiative_handlers.review_report,
             local_initiative_inputs.ReviewInitiativeReport.parse(code=code, accept=False, reason=reason)))


@command(initiative_app, "close")
def initiative_close(code: Code) -> None:
    """Close the initiative, once its report is accepted."""
    show(run(local_initiative_handlers.close, inputs.CaseRef.parse(code=code)))


@command(initiative_app, "show")
def initiative_show(code: Code) -> None:
    """The initiative, its estimate and the city's purchases."""
    show(run(local_initiative_handlers.show, inputs.CaseRef.parse(code=code), readonly=True))
