"""Offers filed on the model form and their receipts (issue 22): the versions an organisation filed, each with its
canonical content, SHA-256, receipt number and moment of receipt (models/filing_tables.py ``OfferVersion``).

The open call's handlers ``file_offer_form`` and ``correct_offer_form`` (states/procedures/open_call/handlers.py)
write a version with ``add_version`` in the step's transaction and put ``version_payload`` in the step's audit
record: the hash in the case's chain is the hash on the receipt, so the receipt proves what was filed. The reads
below answer the organisation's portal, the officer and ``coop offer receipt``:

- ``offer_versions``: every version of one offer (content, sha256, receipt, received_at);
- ``offer_receipt``: one version's receipt (the latest unless asked), as ``notifications/offer_pdf.py`` takes it;
- ``organisation_offers``: the offers one organisation filed, with their latest receipts.

A receipt number is ``<case code>/<offer number>-<version>`` (``OK/2026/002/3-1``): the case's code, the offer's
number within it and the version are unique, so the number is too (a unique index keeps it so), and a person reads
from it where the offer is without another sequence to keep.

A small grant (art. 19a) is filed on the same model form: its case has one offer (``SmallGrantOffer``), number 1
here (``MG/2026/001/1-1``), and its state is the case's. The same functions write and read its versions (its
handler ``file_offer_form``, states/procedures/small_grant/handlers.py), so the portal's receipt pages, the PDF,
the e-mail's attachment and the desk's offer page serve both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import func, select

from kernel.errors import NotFound, NotPermitted, RuleViolation
from kernel.text import tr
from models.filing_tables import OfferVersion
from models.procedures.small_grant import SmallGrantOffer
from models.tables import Case, Offer, Organisation
from states.cases import load_case
from states.inputs import CaseCode, Command, Krs, Ordinal
from states.model_forms.canonical import content_sha256
from states.people import person_name

# The basis of a filing on the model form: the offer's form is the regulation's (art. 14 ust. 1, the 2018 model).
FORM_BASIS = "art. 14 ust. 1; Dz.U. 2018 poz. 2057 zał. 1"


class OfferVersionsRef(Command):
    code: CaseCode
    number: Ordinal


class ReceiptRef(Command):
    code: CaseCode
    number: Ordinal
    version: Ordinal | None = None  # None: the latest


class OrganisationOffers(Command):
    organisation_krs: Krs


# The kind of a small grant's case (states/procedures/small_grant), whose one offer is number 1 here.
SMALL_GRANT, SMALL_GRANT_OFFER = "small_grant", 1

FiledOffer = Offer | SmallGrantOffer  # an open call's offer or a small grant's


def receipt_number(code: str, offer: int, version: int) -> str:
    return f"{code}/{offer}-{version}"


def offer_number(offer: FiledOffer) -> int:
    return offer.number if isinstance(offer, Offer) else SMALL_GRANT_OFFER


def offer_state(case: Case, offer: FiledOffer) -> str:
    """An open call's offer has its own machine; a small grant's offer is its case (the case's state)."""
    return offer.state if isinstance(offer, Offer) else case.state


def versions_of(offer: FiledOffer) -> Any:
    """The versions of ``offer``: its column in ``offer_versions`` (models/filing_tables.py)."""
    column = OfferVersion.offer_id if isinstance(offer, Offer) else OfferVersion.small_grant_offer_id
    return column == offer.id



# Whom the form's lead offeror must be: the open call's offer, single or joint (art. 14 ust. 1-2), on its model form.
LEAD_OFFEROR_BASIS = "art. 14 ust. 1-2; Dz.U. 2018 poz. 2057 zał. 1 (II.1)"


def require_lead_offeror(summary: Any, krs: str, basis: str = LEAD_OFFEROR_BASIS) -> None:
    """The form's lead offeror (the first of its offerors) is the organisation the offer is filed for: the person
    filing represents that organisation (states/authorization.py checks the grant), so the form must name it first.
    ``basis``: the filing's law and form (a small grant's: art. 19a and the simplified form, poz. 2055)."""
    lead = summary.registry_numbers[0] if summary.registry_numbers else ""
    if lead != krs:
        raise RuleViolation(
            "lead_offeror_not_organisation",
            tr("The form's lead offeror (registry number {lead}) is not the organisation the offer is filed for "
               "(KRS {krs}); the first offeror of the form must be that organisation.", lead=lead or "—", krs=krs),
            basis=basis,
        )


def summary_payload(summary: Any) -> dict[str, Any]:
    """What the audit record keeps of the form (the offer's row's terms): the whole content is hashed, not copied."""
    return {"title": summary.title, "requested_grant": str(summary.requested_grant),
            "own_funds": str(summary.own_funds), "non_financial_contribution": str(summary.non_financial_contribution),
            "volunteer_work": str(summary.volunteer_work), "task_start": summary.task_start.isoformat(),
            "task_end": summary.task_end.isoformat(), "registry_numbers": list(summary.registry_numbers)}


# How much earlier than the database's time of writing the door's moment of arrival may be, and still be the moment
# of receipt: the rush's queue at the door, not a clock someone set back.
ARRIVAL_SKEW = timedelta(minutes=2)


def receipt_moment(arrived: datetime | None, written: datetime) -> datetime:
    """When a filing entered the authority's system (KPA art. 57 § 5): the moment its door received it
    (``arrived``: ``Context.arrived_at``, the server's clock), so an offer that arrived before the deadline and
    waited its turn in the deadline's rush is on time; ``written``, the step's moment (the database's time of
    writing) when no door says it, or when the door's moment is after it or more than ``ARRIVAL_SKEW`` before it
    (a clock that is wrong, not a queue)."""
    if arrived is None or not written - ARRIVAL_SKEW <= arrived <= written:
        return written
    return arrived


def add_version(ctx: Any, case: Case, offer: FiledOffer, form: Any, *, received_at: datetime) -> OfferVersion:
    """The next version of ``offer``: the form's canonical content, its hash and receipt, in the step's
    transaction. The offer is written first when it is new (the version's row names it)."""
    from states import offer_attachments

    latest = None  # an offer written by this step has no version yet: nothing to read
    if offer.id is None:
        ctx.session.flush()  # the version names the offer: no relationship orders the inserts
    else:
        latest = ctx.session.exec(select(func.max(OfferVersion.version)).where(versions_of(offer))).one()
    content = form.content()
    version = (latest or 0) + 1
    # The files attached to the draft are filed with it: the content lists each one's hash, so the receipt's hash
    # proves them too (an offer without files keeps the form's content alone, as before attachments existed). A
    # small grant's draft keeps its files under its organisation alone (no case yet): they are filed the same way.
    files = offer_attachments.file_with_version(ctx.session, case, offer, version)
    if files:
        content = {**content, "attachments": offer_attachments.describe(files)}
    owner = ({"offer_id": offer.id} if isinstance(offer, Offer) else {"small_grant_offer_id": offer.id})
    row = OfferVersion(**owner, version=version, content=content, sha256=content_sha256(content),
                       receipt=receipt_number(case.code, offer_number(offer), version), received_at=received_at,
                       written_at=ctx.written_at, filed_by=(ctx.actor.person or ctx.actor.name)[:64])
    ctx.session.add(row)
    if files:
        ctx.session.flush()  # the files name the version
        offer_attachments.link(ctx.session, files, row.id)
    return row


def version_payload(row: OfferVersion) -> dict[str, Any]:
    """What the step's audit record says of the version: its number, receipt and hash (the receipt's proof)."""
    return {"version": row.version, "receipt": row.receipt, "sha256": row.sha256, "on_form": True,
            "filed_by": row.filed_by}


def receipt_answer(case: Case, offer: FiledOffer, row: OfferVersion) -> dict[str, Any]:
    """A filing command's answer (the receipt as the doors show it)."""
    return {"code": case.code, "offer": offer_number(offer), "state": offer_state(case, offer), "version": row.version,
            "receipt": row.receipt, "sha256": row.sha256, "received_at": row.received_at.isoformat()}


def receipt_of(session, case: Case, offer: FiledOffer, row: OfferVersion) -> dict[str, Any]:
    """One version's receipt, with the keys ``notifications/offer_pdf.py: offer_pdf(content, receipt)`` takes: who
    filed it by login (``filed_by``, what the row keeps) and by the people registry's name (``filed_by_name``)."""
    return {"number": row.receipt, "received_at": row.received_at.isoformat(), "sha256": row.sha256,
            "case_code": case.code, "case_title": case.title, "version": row.version, "offer": offer_number(offer),
            "state": offer_state(case, offer), "kind": case.kind, "filed_by": row.filed_by,
            "filed_by_name": person_name(session, row.filed_by), "content": row.content}


def filed_offer(session, case: Case, number: int) -> FiledOffer:
    """Offer ``number`` of ``case``: a call's, or a small grant's one offer (number 1), or ``NotFound``."""
    return _offer(session, case, number)


def _offer(session, case: Case, number: int) -> FiledOffer:
    if case.kind == SMALL_GRANT:
        offer = (session.exec(select(SmallGrantOffer).where(SmallGrantOffer.case_id == case.id)).first()
                 if number == SMALL_GRANT_OFFER else None)
    else:
        offer = session.exec(select(Offer).where(Offer.case_id == case.id, Offer.number == number)).first()
    if offer is None:
        raise NotFound("unknown_offer", tr("{code}: no offer {number}", code=case.code, number=number))
    return offer


def _versions(session, offer: FiledOffer) -> list[OfferVersion]:
    return list(session.exec(select(OfferVersion).where(versions_of(offer)).order_by(OfferVersion.version)))


def offer_versions(ctx: Any, cmd: OfferVersionsRef) -> dict[str, Any]:
    """Every version of one offer filed on the form, oldest first (none: an offer recorded from paper)."""
    case = load_case(ctx.session, cmd.code)
    offer = _offer(ctx.session, case, cmd.number)
    return {"code": case.code, "offer": offer_number(offer), "state": offer_state(case, offer), "kind": case.kind,
            "terms": terms_of(ctx.session, offer),
            "versions": [receipt_of(ctx.session, case, offer, row) for row in _versions(ctx.session, offer)]}


def other_sources_of(session: Any, offer: SmallGrantOffer) -> Any:
    """A small grant's other sources (the simplified form's section IV, kept apart from the own contribution;
    models/procedures/small_grant.py ``SMALL_GRANT_OTHER_SOURCES``), or None when not stated (an offer recorded
    from paper)."""
    from models.procedures.small_grant import SMALL_GRANT_OTHER_SOURCES

    table = SmallGrantOffer.__table__
    return session.execute(select(SMALL_GRANT_OTHER_SOURCES).where(table.c.id == offer.id)).scalar_one_or_none()


def keep_other_sources(session: Any, offer: SmallGrantOffer, amount: Any) -> None:
    """Write a small grant's other sources on its offer row (written already: the caller flushed it)."""
    import sqlalchemy as sa

    table = SmallGrantOffer.__table__
    session.execute(sa.update(table).where(table.c.id == offer.id).values(other_sources=amount))


def terms_of(session: Any, offer: FiledOffer) -> dict[str, Any] | None:
    """A small grant's terms as its offer row keeps them: the grant asked, the own contribution and, apart from it,
    the simplified form's other sources (section IV; they are not the offeror's own); None for a call's offer, whose
    page shows its sources in the form's section V.B."""
    if isinstance(offer, Offer):
        return None
    return {"requested_grant": offer.requested_grant, "own_contribution": offer.own_contribution,
            "other_sources": other_sources_of(session, offer)}


def offer_receipt(ctx: Any, cmd: ReceiptRef) -> dict[str, Any]:
    """One version's receipt (the latest unless ``version``), with the content it proves."""
    case = load_case(ctx.session, cmd.code)
    offer = _offer(ctx.session, case, cmd.number)
    versions = _versions(ctx.session, offer)
    if not versions:
        raise NotFound("no_form_filed", tr("{code}: offer {number} was not filed on the model form; it has no "
                                           "receipt.", code=case.code, number=offer_number(offer)))
    if cmd.version is None:
        return receipt_of(ctx.session, case, offer, versions[-1])
    for row in versions:
        if row.version == cmd.version:
            return receipt_of(ctx.session, case, offer, row)
    raise NotFound("unknown_version", tr("{code}: offer {number} has no version {version} (versions 1-{latest}).",
                                         code=case.code, number=offer_number(offer), version=cmd.version,
                                         latest=versions[-1].version))


def organisation_offers(ctx: Any, cmd: OrganisationOffers) -> dict[str, Any]:
    """The offers one organisation filed (any call, and its small grants), newest first, each with its latest
    receipt if it has one."""
    organisation = ctx.session.exec(select(Organisation).where(Organisation.krs == cmd.organisation_krs)).first()
    if organisation is None:
        raise NotFound("unknown_organisation", tr("No organisation with KRS {krs} in the registry",
                                                  krs=cmd.organisation_krs))
    latest = (select(OfferVersion.offer_id, func.max(OfferVersion.version).label("version"))
              .group_by(OfferVersion.offer_id).subquery())
    rows = ctx.session.exec(
        select(Offer, Case.code, Case.title, OfferVersion)
        .join(Case, Case.id == Offer.case_id)
        .outerjoin(latest, latest.c.offer_id == Offer.id)
        .outerjoin(OfferVersion, (OfferVersion.offer_id == Offer.id) & (OfferVersion.version == latest.c.version))
        .where(Offer.organisation_id == organisation.id)
        .order_by(Offer.received_at.desc(), Offer.id.desc())).all()
    # its small grants (art. 19a): a case each, the case's state the offer's; a small grant has one version
    # (no correction round), an officer's paper offer none
    small = ctx.session.exec(
        select(SmallGrantOffer, Case, OfferVersion)
        .join(Case, Case.id == SmallGrantOffer.case_id)
        .outerjoin(OfferVersion, OfferVersion.small_grant_offer_id == SmallGrantOffer.id)
        .where(SmallGrantOffer.organisation_id == organisation.id)
        .order_by(SmallGrantOffer.id, OfferVersion.version)).all()
    last = {offer.id: (offer, case, row) for offer, case, row in small}  # the latest version wins
    listed = [(offer, code, title, offer.state, row, "open_call") for offer, code, title, row in rows]
    listed += [(offer, case.code, case.title, case.state, row, SMALL_GRANT) for offer, case, row in last.values()]
    listed.sort(key=lambda item: (item[0].received_at, item[0].id), reverse=True)
    return {"organisation_krs": cmd.organisation_krs, "organisation": organisation.name, "offers": [
        {"code": code, "case_title": title, "offer": offer_number(offer), "title": offer.title, "kind": kind,
         "state": state, "received_at": offer.received_at, "requested_grant": str(offer.requested_grant),
         "version": row.version if row else None, "receipt": row.receipt if row else None,
         "sha256": row.sha256 if row else None}
        for offer, code, title, state, row, kind in listed]}


def receipt_by_number(session, number: str) -> dict[str, Any] | None:
    """A receipt by its number (the e-mail's attachment, notifications/attachments.py), or None."""
    row = session.exec(select(OfferVersion).where(OfferVersion.receipt == number)).first()
    if row is None:
        return None
    offer = (session.get(Offer, row.offer_id) if row.offer_id is not None
             else session.get(SmallGrantOffer, row.small_grant_offer_id))
    return receipt_of(session, session.get(Case, offer.case_id), offer, row)


# --- the submissions' rate limit: the JSON door's (web/portal_api.py) and the browser's (web/portal_attachments.py) --

KEEP_ATTEMPTS = timedelta(days=1)


def note_submission(person: str, *, limit: int, window: int, url: str | None = None,
                    now: datetime | None = None) -> None:
    """Count one submission of ``person`` (through the JSON door, or the portal's filing and upload), or refuse it when ``limit`` were counted in the
    last ``window`` seconds (as the desk counts login attempts: a row each, read by every process alike). Its own
    short transaction, before the command: a refused submission is counted too, a flood stays refused."""
    import sqlalchemy as sa

    from models.db import get_engine
    from models.filing_tables import SubmissionAttempt

    now = now or datetime.now(UTC)
    table = SubmissionAttempt.__table__
    with get_engine(url).begin() as connection:
        recent = connection.execute(sa.select(func.count()).select_from(table).where(
            table.c.person == person, table.c.at > now - timedelta(seconds=window))).scalar_one()
        if recent >= limit:
            raise NotPermitted("submission_rate_limited", tr(
                "Too many submissions from {person}: at most {limit} a minute. Wait a minute and send it again: "
                "the same page, or the same Idempotency-Key, files it once.", person=person, limit=limit),
                basis="DESIGN inv. 10")
        connection.execute(table.insert().values(person=person, at=now))
        if recent == 0:  # the table stays small: a person's rows older than a day count for nothing
            connection.execute(table.delete().where(table.c.person == person, table.c.at < now - KEEP_ATTEMPTS))
