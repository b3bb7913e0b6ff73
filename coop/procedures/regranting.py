"""The CLI of regranting (art. 16a): `coop regrant ...`."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import command, group, lazy_module, run, show
from coop.procedures.options import Bip, Channel, Code, published_channels

inputs = lazy_module("states.inputs")
open_call_inputs = lazy_module("states.procedures.open_call.inputs")
regranting_handlers = lazy_module("states.procedures.regranting.handlers")
regranting_inputs = lazy_module("states.procedures.regranting.inputs")

regrant_app = group("regrant", "Regranting (art. 16a).")


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
                                                            published=published_channels(bip, None, None, channel))))


@command(regrant_app, "selection")
def regrant_selection(code: Code, chosen: Annotated[list[str], typer.Option("--chosen", help="An implementer (repeatable).")],
                      channel: Channel = None, bip: Bip = None) -> None:
    """Record the operator's published choice of implementers."""
    show(run(regranting_handlers.publish_selection, regranting_inputs.PublishSubSelection.parse(code=code, chosen=tuple(chosen),
                                                                published=published_channels(bip, None, None, channel))))


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


@command(regrant_app, "review")
def regrant_review(code: Code, accept: Annotated[bool, typer.Option("--accept/--correct", help="Accept the operator's report, or ask for corrections (with --reason).")],
                   reason: Annotated[str, typer.Option(help="What the report lacks (with --correct).")] = "",
                   number: Annotated[int, typer.Option(help="The operator's offer number.")] = 1) -> None:
    """Review the operator's report: accepted, or sent back, whence the operator reports again (`coop regrant report`)."""
    show(run(regranting_handlers.review_operator_report, open_call_inputs.ReviewReport.parse(code=code, number=number, accept=accept,
                                                                                           reason=reason)))


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
