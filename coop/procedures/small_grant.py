"""The CLI of the small grant outside competition (art. 19a): `coop grant ...`. An offer and its report on the
simplified model forms (Dz.U. 2018 poz. 2055 zał. 1 and 2) are filed from a JSON file (`grant file-form`,
`grant report-form`), validated by the same pydantic models and filed by the same handlers as the portal's pages
and its JSON door (states/procedures/small_grant/handlers.py ``file_offer_form``, ``file_report_form``)."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import command, group, lazy_module, run, show
from coop.output import show_receipt
from coop.procedures.options import Bip, Board, Code, Website, form_file, published_channels
from states.text import tr

inputs = lazy_module("states.inputs")
small_grant_handlers = lazy_module("states.procedures.small_grant.handlers")
small_grant_inputs = lazy_module("states.procedures.small_grant.inputs")
report_filings = lazy_module("states.report_filings")

grant_app = group("grant", "Small grant outside competition (art. 19a).")


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


@command(grant_app, "file-form")
def grant_file_form(organisation: Annotated[str, typer.Option(help="KRS of the organisation filing (the form's lead offeror).")],
                    form: Annotated[str, typer.Option("--form", help="The offer on the simplified model form: a JSON file.")]) -> None:
    """File a small-grant offer on the simplified model form (art. 19a ust. 1; Dz.U. 2018 poz. 2055, annex 1) for
    your organisation: the case is made, the preliminary check run; prints its receipt (number, moment, SHA-256)."""
    show_receipt(run(small_grant_handlers.file_offer_form, small_grant_inputs.FileSmallGrantForm.parse(
        organisation_krs=organisation, form=form_file(form))), tr("Small-grant offer filed (art. 19a)"),
        kind="small_grant")


@command(grant_app, "report-form")
def grant_report_form(code: Code,
                      form: Annotated[str, typer.Option("--form", help="The report on the simplified model form: a JSON file.")]) -> None:
    """File the small grant's report on the simplified model form (Dz.U. 2018 poz. 2055, annex 2), its sums checked
    against the contract; prints its receipt (number, moment, SHA-256)."""
    show_receipt(run(small_grant_handlers.file_report_form, report_filings.FileSimplifiedReport.parse(
        code=code, form=form_file(form))), tr("Small grant's report filed"), kind="small_grant")


@command(grant_app, "publish")
def grant_publish(code: Code, bip: Bip = None, board: Board = None, website: Website = None) -> None:
    """Record the offer's publication; in all three channels it opens the 7-day comment period (art. 19a ust. 3)."""
    show(run(small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice.parse(code=code, published=published_channels(bip, board, website, None))))


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
