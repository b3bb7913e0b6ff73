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
report's receipt with its content); ``receipt_by_number`` finds any report filed on a form by its receipt number (the
receipt e-mail's PDF, notifications/attachments.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import insert
from sqlmodel import func, select

from kernel.errors import NotFound, RuleViolation
from kernel.text import tr
from models.filing_tables import OfferVersion
from models.procedures.small_grant import SmallGrantOffer
from models.tables import AuditRecord, Case, Contract, Offer, Organisation, Report
from states.cases import load_case, one_case_row
from states.inputs import CaseCode, Command, Ordinal
from states.model_forms.canonical import content_sha256
from states.model_forms.report import ContractTerms, ReportForm, check_against_contract, parse_report_form
from states.model_forms.simplified_report import SimplifiedReportForm, parse_simplified_report
from states.offer_filings import SMALL_GRANT, SMALL_GRANT_OFFER

LOCAL_INITIATIVE = "local_initiative"  # its case's reports are the application's (``initiative_reported``)

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


class FileSimplifiedReport(Command):
    """A small grant's report on the simplified form (Dz.U. 2018 poz. 2055 zał. 2): its case, its offer 1."""

    code: CaseCode
    number: Literal[1] = 1  # its one offer: what the reads and the organisation's check name (offer_filings.py)
    form: SimplifiedReportForm

    @classmethod
    def parse(cls, **values: object):
        """The form is parsed first, so that its refusal names the form's broken rule."""
        if values.get("form") is not None:
            values = {**values, "form": parse_simplified_report(values["form"])}
        return super().parse(**values)


class OfferReportsRef(Command):
    code: CaseCode
    number: Ordinal


class ReportReceiptRef(Command):
    code: CaseCode
    number: Ordinal
    report: Ordinal  # k of the receipt's S<k>


def receipt_number(code: str, offer: int | None, sequence: int) -> str:
    """``<case>/<offer>-S<k>``; a case with no offer (the local initiative): ``<case>-S<k>``, beside its
    application's receipts ``<case>-<version>``."""
    return f"{code}-S{sequence}" if offer is None else f"{code}/{offer}-S{sequence}"


def _latest_version(session, offer: Any) -> OfferVersion | None:
    owner = (OfferVersion.small_grant_offer_id == offer.id if isinstance(offer, SmallGrantOffer)
             else OfferVersion.offer_id == offer.id)
    return session.exec(select(OfferVersion).where(owner).order_by(OfferVersion.version.desc())).first()


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


def small_grant_terms(offer: SmallGrantOffer) -> ContractTerms:
    """A small grant's contract as its offer row keeps it (the grant decided, the task's period, the number the
    contract was signed under); its offer's estimate is not compared (the simplified offer's is its own)."""
    return ContractTerms(granted=offer.granted_amount or Decimal(0), task_start=offer.task_start,
                         task_end=offer.task_end, contract_number=offer.contract_number or "")


@dataclass(frozen=True)
class Reported:
    """What a report is about: an open call's offer and its ``Contract``, a small grant's one offer (number 1 of
    its case), whose row keeps its contract, or a local initiative's application (no offer: ``number`` None), whose
    row keeps its agreement. ``owner``: the ``reports`` column and value its reports are kept under; ``contract``:
    the contract's facts (None: no contract yet)."""

    case: Case
    offer: Any
    number: int | None
    state: str
    owner: tuple[Any, int]
    contract: dict[str, Any] | None
    form: str  # "report" (Dz.U. 2018 poz. 2057 zał. 5), "simplified" (poz. 2055 zał. 2) or "initiative"

    def reports(self, session) -> list[Report]:
        column, value = self.owner
        return list(session.exec(select(Report).where(column == value).order_by(Report.id)))

    def add(self, session, **values: Any) -> None:
        """Keep a report row under its owner; a small grant's or an initiative's through the table (its owner is a
        column of the table only, models/tables.py)."""
        column, value = self.owner
        if self.form != "report":
            session.execute(insert(Report.__table__).values(**values, **{column.key: value}))
        else:
            session.add(Report(**values, **{column.key: value}))


def _contract_facts(contract: Contract) -> dict[str, Any]:
    return {"number": contract.number, "amount": str(contract.amount), "granted": contract.amount,
            "signed_at": contract.signed_at, "task_start": contract.task_start, "task_end": contract.task_end,
            "report_due": contract.report_due}


def _small_grant_contract(offer: SmallGrantOffer, signed_at: datetime | None = None) -> dict[str, Any] | None:
    if offer.contract_number is None:
        return None
    return {"number": offer.contract_number, "amount": str(offer.granted_amount), "granted": offer.granted_amount,
            "signed_at": signed_at, "task_start": offer.task_start, "task_end": offer.task_end,
            "report_due": offer.report_due}


def open_call_reported(case: Case, offer: Offer, contract: Contract | None) -> Reported:
    return Reported(case, offer, offer.number, offer.state, (Report.contract_id, contract.id if contract else 0),
                    _contract_facts(contract) if contract else None, "report")


def small_grant_reported(case: Case, offer: SmallGrantOffer, signed_at: datetime | None = None) -> Reported:
    return Reported(case, offer, SMALL_GRANT_OFFER, case.state, (Report.__table__.c.small_grant_offer_id, offer.id),
                    _small_grant_contract(offer, signed_at), "simplified")


def initiative_reported(case: Case, application: Any, signed_at: datetime | None = None) -> Reported:
    """A local initiative's report (art. 19e): about its application row, which keeps the agreement (its number,
    the joint schedule's period); no grant in money."""
    contract = None if application.contract_number is None else {
        "number": application.contract_number, "amount": None, "granted": None, "signed_at": signed_at,
        "task_start": application.task_start, "task_end": application.task_end,
        "report_due": case.data.get("report_due")}
    return Reported(case, application, None, case.state, (Report.__table__.c.local_initiative_id, application.id),
                    contract, "initiative")


def note_review(session, owner: tuple[Any, int], *, accept: bool, now: datetime) -> None:
    """The latest report row of its owner (``Reported.owner``: a contract's, or a small grant offer's) keeps the
    outcome the machine's review gave it; a report typed in by an officer before the forms has no row."""
    column, value = owner
    # the last written (as the step's record names it, states/procedures/local_initiative): a report typed in from
    # paper afterwards may carry an earlier moment of submission
    report = session.exec(select(Report).where(column == value).order_by(Report.id.desc())).first()
    if report is None:
        return
    if accept:
        report.outcome, report.accepted_at = "accepted", now
    else:
        report.outcome = "corrections_requested"
    session.add(report)


def contract_signed_at(session, case: Case) -> datetime | None:
    """When a small grant's contract (or an initiative's agreement) was signed: its ``sign_contract`` record (the
    offer row, the application row keep no date)."""
    return session.exec(select(AuditRecord.at).where(AuditRecord.case_id == case.id,
                                                     AuditRecord.event == "sign_contract")
                        .order_by(AuditRecord.seq.desc())).first()


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
    """File an open call's ``form`` for ``offer``'s ``contract`` (``file_on_form``), checked against the contract
    and the offer's estimate (``terms_of``)."""
    return file_on_form(ctx, open_call_reported(case, offer, contract), form,
                        check=lambda: check_against_contract(form, terms_of(ctx.session, offer, contract)),
                        tail=tail, submit=submit, machine=machine, received_at=received_at)


def file_on_form(ctx: Any, reported: Reported, form: Any, *, check: Any, tail: Any, submit: Any, machine: Any,
                 received_at: datetime) -> dict[str, Any]:
    """File ``form`` (a ``ReportForm`` or a small grant's ``SimplifiedReportForm``) about ``reported`` (the steps
    above). ``check``: the form against the contract, raising its rule; ``tail``: the Tail
    (states/contract_tail_steps.py); ``submit``: the tail's ``submit_report``; ``machine``: the class whose
    ``submit_report`` says when a report may be filed. Returns the receipt as the doors show it."""
    case = reported.case
    # the machine's refusal first: a report where none may be filed is refused as such, whatever its sums
    require_report_allowed(machine, reported.state, case.code if reported.number is None else tr(
        "{code}: offer {number}", code=case.code, number=reported.number))
    check()
    content = form.content()
    sha256 = content_sha256(content)
    column, value = reported.owner
    count = ctx.session.exec(select(func.count()).select_from(Report).where(column == value)).one()
    sequence = count + 1
    receipt = receipt_number(case.code, reported.number, sequence)
    filed_by = (ctx.actor.person or ctx.actor.name)[:64]
    # a grant's report proves the grant spent; the local initiative's (no money, art. 19e) its own figures
    funding = getattr(form, "funding", None)
    sums = (form.sums() if funding is None else
            {"grant_spent": funding.spent_grant, "total_spent": funding.spent_total})
    kind = "final" if form.final else form.header.kind
    proof = {"kind": kind, "receipt": receipt, "sha256": sha256, "on_form": True, "filed_by": filed_by,
             "received_at": received_at, "period_start": form.header.period_start, "period_end": form.header.period_end, **sums}
    if reported.form != "report":
        proof["form"] = reported.form
    late = False
    if funding is None:
        late = submit(ctx, tail, summary=form.summary(), filed=proof)
    elif form.final:
        late = submit(ctx, tail, summary=form.summary(), funds_used=funding.spent_grant, filed=proof)
    else:
        from states.engine import record

        record(ctx, case, "submit_partial_report", subject=tail.subject, basis=PARTIAL_BASIS,
               state=reported.offer.state, payload={**proof, "summary": form.summary()})
    reported.add(ctx.session, kind=kind, submitted_at=received_at, outcome="submitted", content={
        "funds_used": None if funding is None else str(funding.spent_grant), "summary": form.summary(),
        "form": content, "sha256": sha256, "receipt": receipt, "sequence": sequence,
        "received_at": received_at.isoformat(), "filed_by": filed_by, "form_kind": reported.form})
    state = reported.offer.state if reported.form == "report" else case.state
    return {"code": case.code, "offer": reported.number, "state": state, "kind": kind,
            "report": sequence, "receipt": receipt, "sha256": sha256, "received_at": received_at.isoformat(),
            "late": late}


# --- the reads ---------------------------------------------------------------------------------------------------


def _reported(session, cmd: Any) -> Reported:
    """The offer the read names: an open call's offer n, or a small grant's offer 1."""
    case = load_case(session, cmd.code)
    if case.kind == SMALL_GRANT:
        offer = (session.exec(select(SmallGrantOffer).where(SmallGrantOffer.case_id == case.id)).first()
                 if cmd.number == SMALL_GRANT_OFFER else None)
        if offer is not None:
            return small_grant_reported(case, offer, contract_signed_at(session, case))
    else:
        offer = session.exec(select(Offer).where(Offer.case_id == case.id, Offer.number == cmd.number)).first()
        if offer is not None:
            return open_call_reported(case, offer, session.exec(select(Contract).where(
                Contract.offer_id == offer.id)).first())
    raise NotFound("unknown_offer", tr("{code}: no offer {number}", code=case.code, number=cmd.number))


def _receipt(session, reported: Reported, row: Report) -> dict[str, Any]:
    from states.people import person_name

    content = row.content or {}
    filed_by = content.get("filed_by")
    case, offer = reported.case, reported.offer
    return {"number": content.get("receipt"), "report": content.get("sequence"), "kind": row.kind,
            "received_at": content.get("received_at") or row.submitted_at.isoformat(), "sha256": content.get("sha256"),
            "filed_by": filed_by, "filed_by_name": person_name(session, filed_by) if filed_by else None,
            "outcome": row.outcome, "case_code": case.code,
            "case_title": case.title, "offer": reported.number, "offer_title": getattr(offer, "title", case.title),
            "contract": (reported.contract or {}).get("number"), "funds_used": content.get("funds_used"),
            "grant_spent": Decimal(content["funds_used"]) if content.get("funds_used") not in (None, "None") else None,
            "summary": content.get("summary"), "form_kind": reported.form,
            "content": content.get("form")}


def offer_reports(ctx: Any, cmd: OfferReportsRef) -> dict[str, Any]:
    """The offer, its contract (None: no contract yet), what a new report starts from, and its reports oldest
    first (a report an officer typed in has no form, no receipt and no hash). A small grant's case: its offer 1,
    its report on the simplified form (``form``)."""
    reported = _reported(ctx.session, cmd)
    case, offer = reported.case, reported.offer
    organisation = ctx.session.get(Organisation, offer.organisation_id)
    version = _latest_version(ctx.session, offer)
    reports = reports_of(ctx.session, reported)
    return {"code": case.code, "case_title": case.title, "offer": reported.number, "title": offer.title,
            "state": reported.state, "organisation": organisation.name if organisation else "",
            "organisation_krs": organisation.krs if organisation else None,
            "organisation_address": organisation.address if organisation else "",
            "contract": reported.contract, "procedure": case.kind, "form": reported.form,
            "offer_content": version.content if version is not None else None,
            "reports": reports}


def report_receipt(ctx: Any, cmd: ReportReceiptRef) -> dict[str, Any]:
    """One report's receipt (``S<k>``) with the content it proves."""
    reported = _reported(ctx.session, cmd)
    found = filed_report(ctx.session, reported, cmd.report)
    if found is None:
        raise NotFound("unknown_report", tr("{code}: offer {number} has no report S{report} filed on the model "
                                            "form.", code=reported.case.code, number=reported.number,
                                            report=cmd.report))
    return found


def reports_of(session, reported: Reported) -> list[dict[str, Any]]:
    """The reports kept under ``reported``, oldest first, each as its receipt (an officer's has no form)."""
    return [_receipt(session, reported, row) for row in reported.reports(session)] if reported.contract else []


def filed_report(session, reported: Reported, report: int) -> dict[str, Any] | None:
    """Report S<report> filed on a form, as its receipt with its content; None: no such report."""
    for row in (reported.reports(session) if reported.contract else []):
        if (row.content or {}).get("sequence") == report and (row.content or {}).get("form") is not None:
            return _receipt(session, reported, row)
    return None


def receipt_by_number(session, number: str) -> dict[str, Any] | None:
    """A report's receipt by its number (``receipt_number``: ``<case>/<offer>-S<k>``, an initiative's
    ``<case>-S<k>``) with the content it proves, or None: the e-mail's attachment (notifications/attachments.py)."""
    head, sep, sequence = number.rpartition("-S")
    if not sep or not sequence.isdigit():
        return None
    case = session.exec(select(Case).where(Case.code == head)).first()
    if case is not None and case.kind == LOCAL_INITIATIVE:
        from models.procedures.local_initiative import LocalInitiativeApplication

        application = one_case_row(session, LocalInitiativeApplication, case.id)
        reported = initiative_reported(case, application, contract_signed_at(session, case))
    else:
        code, _, offer = head.rpartition("/")
        if not offer.isdigit():
            return None
        try:
            reported = _reported(session, OfferReportsRef.model_construct(code=code, number=int(offer)))
        except NotFound:
            return None
    found = filed_report(session, reported, int(sequence))
    return found if found is not None and found["number"] == number else None
