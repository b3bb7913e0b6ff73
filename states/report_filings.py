"""Reports filed on the model form and their receipts (issue 22): the organisation's partial or final report on the
2018 model (states/model_forms/report.py), its sums checked against the contract, kept with its SHA-256 and a
receipt.

The open call's handler ``file_report_form`` (states/procedures/open_call/handlers.py) reads the offer and its
contract and calls ``file_report`` here in the step's transaction:

1. the form is checked against what the case knows (``terms_of``: the grant awarded, the task's period, the
   contract's number; the cost estimate of the offer's latest version filed on the form): ``InvalidInput`` naming
   the first broken rule (states/model_forms/report.py ``RULES``), nothing written;
2. a **final** report goes through the tail's own step (states/contract_tail_steps.py ``submit_report``: the
   machine says when a report may be filed, the funds used are the grant spent, the task's end and the report's
   deadline are cancelled); a **partial** report (art. 18 ust. 3) is allowed where the machine allows a report,
   changes no state and is recorded as ``submit_partial_report``;
3. the canonical content is kept in the contract's ``reports`` row (its ``content``: the form, its ``sha256``, the
   ``receipt`` number, the moment of receipt and who filed it) and the audit record of the step carries the same
   hash and receipt number: the hash-chained history proves the receipt.

A report's receipt number is ``<case code>/<offer number>-S<k>``, k counting the contract's reports from 1
(``OK/2026/002/3-S1``): the offer's receipts are ``…/3-1``, ``…/3-2``, so the two never meet.

The reads (the officer, the auditor, the offer's organisation's representative, the call's committee):
``offer_reports`` (the offer's contract, what a report starts from and its reports) and ``report_receipt`` (one
report's receipt with its content).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import func, select

from kernel.errors import NotFound, RuleViolation
from kernel.text import tr
from models.filing_tables import OfferVersion
from models.tables import Case, Contract, Offer, Organisation, Report
from states.cases import load_case
from states.inputs import CaseCode, Command, Ordinal
from states.model_forms.canonical import content_sha256
from states.model_forms.report import ContractTerms, ReportForm, check_against_contract, parse_report_form

PARTIAL_BASIS = "art. 18 ust. 3; Dz.U. 2018 poz. 2057 zał. 5"


class FileReportForm(Command):
    code: CaseCode
    number: Ordinal
    form: ReportForm

    @classmethod
    def parse(cls, **values: object):
        """The form is parsed first, so that its refusal names the form's broken rule (``parse_report_form``)."""
        if values.get("form") is not None:
            values = {**values, "form": parse_report_form(values["form"])}
        return super().parse(**values)


class OfferReportsRef(Command):
    code: CaseCode
    number: Ordinal


class ReportReceiptRef(Command):
    code: CaseCode
    number: Ordinal
    report: Ordinal  # k of the receipt's S<k>


def receipt_number(code: str, offer: int, sequence: int) -> str:
    return f"{code}/{offer}-S{sequence}"


def _latest_version(session, offer: Offer) -> OfferVersion | None:
    return session.exec(select(OfferVersion).where(OfferVersion.offer_id == offer.id)
                        .order_by(OfferVersion.version.desc())).first()


def terms_of(session, offer: Offer, contract: Contract) -> ContractTerms:
    """What the report is checked against: the contract, and the offer's latest version filed on the model form
    (its V.B total and grant, its offerors); an offer recorded from paper has no estimate to compare."""
    version = _latest_version(session, offer)
    sources = (version.content.get("sources") or {}) if version is not None else {}
    offerors = len(version.content.get("offerors") or []) if version is not None else 1
    return ContractTerms(granted=contract.amount, task_start=contract.task_start, task_end=contract.task_end,
                         contract_number=contract.number,
                         offer_total=Decimal(sources["total"]) if "total" in sources else None,
                         offer_grant=Decimal(sources["grant"]) if "grant" in sources else None,
                         offerors=max(offerors, 1))


def _reports(session, contract: Contract) -> list[Report]:
    return list(session.exec(select(Report).where(Report.contract_id == contract.id).order_by(Report.id)))


def require_report_allowed(machine: Any, state: str, subject: str) -> None:
    """The machine's rule of when a report may be filed (its ``submit_report`` transitions), for a partial report
    too, which fires nothing: refused, as ``fire`` refuses a step, in the states' words."""
    from states import labels

    allowed = machine.states_allowing("submit_report")
    if state not in allowed:
        raise RuleViolation("event_not_allowed", tr(
            "{subject}: a report cannot be filed in the state {before}; only in the states {allowed}.",
            subject=subject, before=labels.state(machine, state), allowed=labels.states(machine, allowed)),
            basis="art. 18")


def file_report(ctx: Any, case: Case, offer: Offer, contract: Contract, form: ReportForm, *, tail: Any,
                submit: Any, machine: Any, received_at: datetime) -> dict[str, Any]:
    """File ``form`` for ``offer``'s ``contract`` (the steps above). ``tail``: the offer's Tail
    (states/contract_tail_steps.py); ``submit``: the tail's ``submit_report``; ``machine``: the class whose
    ``submit_report`` says when a report may be filed. Returns the receipt as the doors show it."""
    # the machine's refusal first: a report where none may be filed is refused as such, whatever its sums
    require_report_allowed(machine, offer.state, tr("{code}: offer {number}", code=case.code, number=offer.number))
    check_against_contract(form, terms_of(ctx.session, offer, contract))
    content = form.content()
    sha256 = content_sha256(content)
    count = ctx.session.exec(select(func.count()).select_from(Report).where(Report.contract_id == contract.id)).one()
    sequence = count + 1
    receipt = receipt_number(case.code, offer.number, sequence)
    filed_by = (ctx.actor.person or ctx.actor.name)[:64]
    proof = {"kind": form.header.kind, "receipt": receipt, "sha256": sha256, "on_form": True, "filed_by": filed_by,
             "period_start": form.header.period_start, "period_end": form.header.period_end,
             "grant_spent": form.funding.spent_grant, "total_spent": form.funding.spent_total}
    late = False
    if form.final:
        late = submit(ctx, tail, summary=form.summary(), funds_used=form.funding.spent_grant, filed=proof)
    else:
        from states.engine import record

        record(ctx, case, "submit_partial_report", subject=tail.subject, basis=PARTIAL_BASIS, state=offer.state,
               payload={**proof, "summary": form.summary()})
    ctx.session.add(Report(contract_id=contract.id, kind=form.header.kind, submitted_at=received_at, content={
        "funds_used": str(form.funding.spent_grant), "summary": form.summary(), "form": content, "sha256": sha256,
        "receipt": receipt, "sequence": sequence, "received_at": received_at.isoformat(), "filed_by": filed_by}))
    return {"code": case.code, "offer": offer.number, "state": offer.state, "kind": form.header.kind,
            "report": sequence, "receipt": receipt, "sha256": sha256, "received_at": received_at.isoformat(),
            "late": late}


# --- the reads ---------------------------------------------------------------------------------------------------


def _offer_and_contract(session, cmd: Any) -> tuple[Case, Offer, Contract | None]:
    case = load_case(session, cmd.code)
    offer = session.exec(select(Offer).where(Offer.case_id == case.id, Offer.number == cmd.number)).first()
    if offer is None:
        raise NotFound("unknown_offer", tr("{code}: no offer {number}", code=case.code, number=cmd.number))
    contract = session.exec(select(Contract).where(Contract.offer_id == offer.id)).first()
    return case, offer, contract


def _receipt(case: Case, offer: Offer, contract: Contract, row: Report) -> dict[str, Any]:
    content = row.content or {}
    return {"number": content.get("receipt"), "report": content.get("sequence"), "kind": row.kind,
            "received_at": content.get("received_at") or row.submitted_at.isoformat(), "sha256": content.get("sha256"),
            "filed_by": content.get("filed_by"), "outcome": row.outcome, "case_code": case.code,
            "case_title": case.title, "offer": offer.number, "offer_title": offer.title,
            "contract": contract.number, "funds_used": content.get("funds_used"),
            "grant_spent": Decimal(content["funds_used"]) if content.get("funds_used") not in (None, "None") else None,
            "summary": content.get("summary"),
            "content": content.get("form")}


def offer_reports(ctx: Any, cmd: OfferReportsRef) -> dict[str, Any]:
    """The offer, its contract (None: no contract yet), what a new report starts from, and its reports oldest
    first (a report an officer typed in has no form, no receipt and no hash)."""
    case, offer, contract = _offer_and_contract(ctx.session, cmd)
    organisation = ctx.session.get(Organisation, offer.organisation_id)
    version = _latest_version(ctx.session, offer)
    reports = [_receipt(case, offer, contract, row) for row in _reports(ctx.session, contract)] if contract else []
    return {"code": case.code, "case_title": case.title, "offer": offer.number, "title": offer.title,
            "state": offer.state, "organisation": organisation.name if organisation else "",
            "organisation_krs": organisation.krs if organisation else None,
            "organisation_address": organisation.address if organisation else "",
            "contract": None if contract is None else {
                "number": contract.number, "amount": str(contract.amount), "granted": contract.amount,
                "signed_at": contract.signed_at,
                "task_start": contract.task_start, "task_end": contract.task_end, "report_due": contract.report_due},
            "offer_content": version.content if version is not None else None,
            "reports": reports}


def report_receipt(ctx: Any, cmd: ReportReceiptRef) -> dict[str, Any]:
    """One report's receipt (``S<k>``) with the content it proves."""
    case, offer, contract = _offer_and_contract(ctx.session, cmd)
    rows = _reports(ctx.session, contract) if contract else []
    for row in rows:
        if (row.content or {}).get("sequence") == cmd.report and (row.content or {}).get("form") is not None:
            return _receipt(case, offer, contract, row)
    raise NotFound("unknown_report", tr("{code}: offer {number} has no report S{report} filed on the model form.",
                                        code=case.code, number=offer.number, report=cmd.report))
