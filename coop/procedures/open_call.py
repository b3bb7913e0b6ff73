"""The CLI of the open call (art. 11-15): `coop call`, `committee`, `offer`, `contract`, `report`. The groups are
declared in coop/core_cli.py (their place in `coop --help`); their commands are here."""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import command, lazy_module, moments, run, show
from coop.core_cli import (
    Code,
    call_app,
    committee_app,
    contract_app,
    offer_app,
    report_app,
)
from coop.output import show_receipt
from coop.procedures.options import form_file
from states.text import tr

inputs = lazy_module("states.inputs")
open_call_handlers = lazy_module("states.procedures.open_call.handlers")
open_call_inputs = lazy_module("states.procedures.open_call.inputs")
offer_filings = lazy_module("states.offer_filings")

Number = Annotated[int, typer.Argument(help="Offer number within the call.")]
Bip = Annotated[str | None, typer.Option("--bip", help="Published in BIP at (ISO 8601 with offset).")]
Board = Annotated[str | None, typer.Option("--board", help="Published on the notice board at.")]
Website = Annotated[str | None, typer.Option("--website", help="Published on the city's website at.")]


@command(call_app, "create")
def call_create(title: Annotated[str, typer.Option()], area: Annotated[str, typer.Option(help="Public-task area.")],
                budget: Annotated[str, typer.Option(help="Funds in PLN, e.g. 120000.00.")],
                mode: Annotated[str, typer.Option(help="support | entrustment")] = "support",
                receipt_rule: Annotated[str, typer.Option(help="received | postmarked")] = "received",
                rules: Annotated[str | None, typer.Option(help="Rule-set version.")] = None) -> None:
    """Create a draft open call."""
    show(run(open_call_handlers.create_call, open_call_inputs.CreateOpenCall.parse(title=title, task_area=area, budget=budget, mode=mode,
                                                    receipt_rule=receipt_rule, rule_set=rules)))


@command(call_app, "announce")
def call_announce(code: Code, offer_deadline: Annotated[str, typer.Option(help="Last day for offers (YYYY-MM-DD).")],
                  selection_date: Annotated[str, typer.Option(help="Date of the choice (YYYY-MM-DD).")],
                  execution_start: Annotated[str, typer.Option()], execution_end: Annotated[str, typer.Option()],
                  bip: Bip = None, board: Board = None, website: Website = None,
                  grant_rules: Annotated[str, typer.Option()] = "", prior_funding: Annotated[str, typer.Option()] = "",
                  threshold: Annotated[str | None, typer.Option(help="Pass threshold, 0-1 (e.g. 0.6).")] = None,
                  criterion: Annotated[list[str] | None, typer.Option(
                      help="KEY=MAX[:WEIGHT], e.g. capacity=20:2 (repeatable).")] = None) -> None:
    """Announce the call: its publications in BIP, on the board and the website (art. 13)."""
    criteria = None
    if criterion:
        criteria = []
        for item in criterion:
            key, _, rest = item.partition("=")
            maximum, _, weight = rest.partition(":")
            criteria.append({"key": key.strip(), "max_points": maximum or "0", "weight": weight or "1"})
    show(run(open_call_handlers.announce_call, open_call_inputs.AnnounceCall.parse(
        code=code, offer_deadline=offer_deadline, selection_date=selection_date, execution_start=execution_start,
        execution_end=execution_end, published=moments(bip=bip, board=board, website=website),
        grant_rules=grant_rules, prior_funding=prior_funding, pass_threshold=threshold, criteria=criteria)))


@command(call_app, "close-review")
def call_close_review(code: Code) -> None:
    """End the formal review: on to the committee, or invalidate when no offer is valid (art. 18a)."""
    show(run(open_call_handlers.finish_formal_review, inputs.CaseRef.parse(code=code)))


@command(call_app, "ranking")
def call_ranking(code: Code) -> None:
    """The committee's ranking and the officer's default proposal of grants."""
    show(run(open_call_handlers.show_ranking, inputs.CaseRef.parse(code=code), readonly=True))


@command(call_app, "select")
def call_select(code: Code, decision: Annotated[str, typer.Option(help="The Mayor's order, e.g. 'Zarządzenie nr 12/2026'.")],
                grant: Annotated[list[str] | None, typer.Option(help="OFFER=AMOUNT (repeatable).")] = None) -> None:
    """Record the Mayor's choice of offers and grants (art. 15 ust. 2g)."""
    grants = {}
    for item in grant or []:
        number, _, amount = item.partition("=")
        grants[number.strip()] = amount.strip()
    show(run(open_call_handlers.select_offers, open_call_inputs.SelectOffers.parse(code=code, grants=grants, decision_ref=decision)))


@command(call_app, "publish")
def call_publish(code: Code, subject: Annotated[str, typer.Argument(help="results | invalidation")],
                 bip: Bip = None, board: Board = None, website: Website = None) -> None:
    """Record the publication of the results or of the invalidation in one or more channels."""
    show(run(open_call_handlers.publish, open_call_inputs.Publish.parse(code=code, subject=subject,
                                         published=moments(bip=bip, board=board, website=website))))


@command(call_app, "show")
def call_show(code: Code) -> None:
    """The call, its offers and its next deadlines."""
    from states.queries import describe_case

    show(run(describe_case, code, readonly=True))


# --- committee ------------------------------------------------------------------------------------------------


@command(committee_app, "appoint")
def committee_appoint(code: Code, name: Annotated[str, typer.Option(
                          help="The login of a person of the registry (granted the seat on this call); a typed "
                               "name only on a simulation database.")],
                      email: Annotated[str | None, typer.Option()] = None,
                      affiliation: Annotated[str, typer.Option(help="city | ngo")] = "city",
                      organisation: Annotated[str | None, typer.Option(help="KRS of the nominating NGO.")] = None) -> None:
    """Appoint a committee member (art. 15 ust. 2a)."""
    show(run(open_call_handlers.appoint_member, open_call_inputs.AppointMember.parse(code=code, name=name, email=email, affiliation=affiliation,
                                                      organisation_krs=organisation)))


@command(committee_app, "declare")
def committee_declare(code: Code, member: Annotated[str, typer.Option()],
                      conflict: Annotated[list[int] | None, typer.Option(help="Offer number in conflict (repeatable).")] = None,
                      note: Annotated[str, typer.Option()] = "") -> None:
    """A member's conflict-of-interest declarations for every offer (KPA art. 24)."""
    show(run(open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts.parse(code=code, member=member, conflicts=conflict or (), note=note)))


# --- offers ---------------------------------------------------------------------------------------------------


@command(offer_app, "file")
def offer_file(code: Code, organisation: Annotated[str, typer.Option(help="KRS of the organisation.")],
               title: Annotated[str, typer.Option()], grant: Annotated[str, typer.Option(help="Requested grant, PLN.")],
               task_start: Annotated[str, typer.Option()], task_end: Annotated[str, typer.Option()],
               own_funds: Annotated[str, typer.Option()] = "0", in_kind: Annotated[str, typer.Option()] = "0",
               volunteer_work: Annotated[str, typer.Option()] = "0",
               received_at: Annotated[str | None, typer.Option(help="Receipt time (default: --at).")] = None,
               postmarked_on: Annotated[str | None, typer.Option(help="Postmark date (KPA art. 57 §5).")] = None) -> None:
    """Record an offer as received."""
    show(run(open_call_handlers.file_offer, open_call_inputs.FileOffer.parse(
        code=code, organisation_krs=organisation, title=title, requested_grant=grant, own_funds=own_funds,
        non_financial_contribution=in_kind, volunteer_work=volunteer_work, task_start=task_start, task_end=task_end,
        received_at=received_at, postmarked_on=postmarked_on)))


@command(offer_app, "file-form")
def offer_file_form(code: Code, form: Annotated[str, typer.Option("--form", help="The offer on the model form: a JSON file.")],
                    organisation: Annotated[str, typer.Option(help="KRS of the organisation filing (the form's lead offeror).")]) -> None:
    """File an offer on the model form for your organisation; prints its receipt (number, moment, SHA-256)."""
    show_receipt(run(open_call_handlers.file_offer_form, open_call_inputs.SubmitOfferForm.parse(
        code=code, organisation_krs=organisation, form=form_file(form))), tr("Offer filed (art. 14)"), kind="offer")


@command(offer_app, "correct-form")
def offer_correct_form(code: Code, number: Number,
                       form: Annotated[str, typer.Option("--form", help="The corrected offer: the whole form, a JSON file.")]) -> None:
    """File the corrected offer within its correction window; prints the new version's receipt."""
    show_receipt(run(open_call_handlers.correct_offer_form, open_call_inputs.CorrectOfferForm.parse(
        code=code, number=number, form=form_file(form))), tr("Corrected offer filed"), kind="offer")


@command(offer_app, "receipt")
def offer_receipt(code: Code, number: Number,
                  version: Annotated[int | None, typer.Option(help="The version (default: the latest).")] = None,
                  pdf: Annotated[str | None, typer.Option("--pdf", help="Write the receipt as a PDF to this file.")] = None) -> None:
    """The receipt of an offer filed on the model form: its number, moment of receipt and SHA-256 (and the PDF)."""
    receipt = run(offer_filings.offer_receipt, offer_filings.ReceiptRef.parse(code=code, number=number, version=version),
                  readonly=True)
    content = receipt.pop("content")
    if pdf is not None:
        from pathlib import Path

        from notifications.offer_pdf import offer_pdf

        Path(pdf).write_bytes(offer_pdf(content, receipt))
        receipt["pdf"] = pdf
    show(receipt)


@command(offer_app, "review")
def offer_review(code: Code, number: Number, decision: Annotated[str, typer.Argument(help="accept | reject | correct")],
                 defect: Annotated[list[str] | None, typer.Option(help="A formal defect (repeatable).")] = None) -> None:
    """Formal review of one offer."""
    show(run(open_call_handlers.review_offer, open_call_inputs.ReviewOffer.parse(code=code, number=number, decision=decision, defects=defect or ())))


@command(offer_app, "score")
def offer_score(code: Code, number: Number, member: Annotated[str, typer.Option()],
                points: Annotated[list[str], typer.Option("--points", help="CRITERION=POINTS (repeatable).")]) -> None:
    """A committee member's scores for one offer (art. 15 ust. 1)."""
    parsed = {}
    for item in points:
        key, _, value = item.partition("=")
        parsed[key.strip()] = value.strip()
    show(run(open_call_handlers.score_offer, open_call_inputs.ScoreOffer.parse(code=code, number=number, member=member, points=parsed)))


@command(offer_app, "withdraw")
def offer_withdraw(code: Code, number: Number) -> None:
    """The organisation declines the grant before the contract."""
    show(run(open_call_handlers.withdraw_offer, inputs.OfferRef.parse(code=code, number=number)))


# --- contracts, reports ---------------------------------------------------------------------------------------


@command(contract_app, "sign")
def contract_sign(code: Code, number: Number, contract_number: Annotated[str, typer.Option("--contract")],
                  amount: Annotated[str, typer.Option()], task_start: Annotated[str, typer.Option()],
                  task_end: Annotated[str, typer.Option()]) -> None:
    """Sign the contract for a selected offer (art. 16)."""
    show(run(open_call_handlers.sign_contract, open_call_inputs.SignContract.parse(code=code, number=number, contract_number=contract_number,
                                                    amount=amount, task_start=task_start, task_end=task_end)))


@command(contract_app, "settle")
def contract_settle(code: Code, number: Number, returned: Annotated[str, typer.Option()] = "0",
                    returned_on: Annotated[str | None, typer.Option()] = None) -> None:
    """Settle a contract: unused funds returned on time or late (ufp art. 251)."""
    show(run(open_call_handlers.settle_offer, open_call_inputs.Settle.parse(code=code, number=number, returned_amount=returned,
                                             returned_on=returned_on)))


@command(report_app, "submit")
def report_submit(code: Code, number: Number, funds_used: Annotated[str, typer.Option()],
                  summary: Annotated[str, typer.Option()] = "") -> None:
    """Record the final report (art. 18)."""
    show(run(open_call_handlers.submit_report, open_call_inputs.SubmitReport.parse(code=code, number=number, funds_used=funds_used, summary=summary)))


@command(report_app, "file-form")
def report_file_form(code: Code, number: Number,
                     form: Annotated[str, typer.Option("--form", help="The report on the model form: a JSON file.")]) -> None:
    """File a partial or final report on the model form (art. 18; Dz.U. 2018 poz. 2057, annex 5), its sums checked
    against the contract; prints its receipt (number, moment, SHA-256)."""
    from states.report_filings import FileReportForm

    show_receipt(run(open_call_handlers.file_report_form, FileReportForm.parse(code=code, number=number,
                                                                               form=form_file(form))),
                 tr("Report filed (art. 18)"), kind="offer")


@command(report_app, "receipt")
def report_receipt(code: Code, number: Number,
                   report: Annotated[int, typer.Argument(help="The report's number k of its receipt …-S<k>.")],
                   pdf: Annotated[str | None, typer.Option("--pdf", help="Write the report as a PDF to this file.")] = None) -> None:
    """The receipt of a report filed on the model form: its number, moment of receipt and SHA-256 (and the PDF)."""
    from states.report_filings import ReportReceiptRef
    from states.report_filings import report_receipt as read_receipt

    receipt = run(read_receipt, ReportReceiptRef.parse(code=code, number=number, report=report), readonly=True)
    content = receipt.pop("content")
    if pdf is not None:
        from pathlib import Path

        from notifications.report_pdf import report_pdf

        Path(pdf).write_bytes(report_pdf(content, receipt))
        receipt["pdf"] = pdf
    show(receipt)


@command(report_app, "accept")
def report_accept(code: Code, number: Number) -> None:
    """Accept the report."""
    show(run(open_call_handlers.review_report, open_call_inputs.ReviewReport.parse(code=code, number=number, accept=True)))


@command(report_app, "correct")
def report_correct(code: Code, number: Number, reason: Annotated[str, typer.Option()]) -> None:
    """Ask for corrections to the report (a new call with the contract's period)."""
    show(run(open_call_handlers.review_report, open_call_inputs.ReviewReport.parse(code=code, number=number, accept=False, reason=reason)))
