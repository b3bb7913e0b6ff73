"""Attachments to an offer on the model form (issue 22): the statute, the partnership agreement of a joint offer and
other files, attached to the organisation's draft and filed with the offer's version.

The 2018 model form (Dz.U. 2018 poz. 2057, zał. 1) lists no mandatory annex: its declaration VII.6 speaks of "the
offer and its annexes", and a call's announcement may ask for some (art. 13 ust. 2). So every kind is optional here
and offered: the statute (``statute``), the partnership agreement of a joint offer (``partnership_agreement``, art.
14 ust. 2: the form itself says in VI.2 who does what) and any other file (``other``).

What a file may be is the call's rule set's (``attachments``, invariant 6; ``limits_for``): its type is read from its
first bytes (PDF, PNG or JPEG, those the rule set accepts), not from its name or what the browser says; Leszno's:
at most 5 MB each and 10 per offer; the name is sanitised. A refused file
gets an ``InvalidInput`` naming the rule, and nothing is written.

A small grant's offer (art. 19a) is filed on the simplified form (Dz.U. 2018 poz. 2055 zał. 1), whose declaration 6
speaks of "the offer and its annexes" too: its draft takes files the same way, by these same handlers, under the same
limits (the rule set in force, which its filing pins to the case it makes). Its draft has no case yet
(``code`` None: ``case_id`` NULL, ``offer_number`` 0, one such draft an organisation, states/offer_drafts.py); the
filing makes the case, and the files filed with its version then name it.

A file belongs to the draft (the organisation, the call and the draft's purpose: ``offer_number`` 0 for a new offer,
N for the correction of offer N) until a version is filed: ``file_with_version`` (called by
states/offer_filings.py ``add_version`` in the filing's transaction) links the draft's files to the version and
returns their descriptions, which the version's canonical content lists under ``attachments``: kind, name, media
type, size and SHA-256. The receipt's hash is of that content, so it proves which files were filed, and
tools/verify_receipt.py ``--attachment FILE`` checks a file against it. A correction (version N+1) keeps the files
of version N and adds the correction draft's.

The handlers run through ``states.engine.execute``; the matrix (states/authorization.py) lets a draft's files be
changed and read by the organisation's representatives only, and a filed file be read by whoever may read the
filed offer (``FILED_OFFER``: the organisation, the officers, the auditors, the call's committee).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer
from sqlmodel import select

from models.attachment_tables import OfferAttachment
from models.filing_tables import OfferVersion
from models.tables import Case, Offer, Organisation
from states.cases import load_case
from states.errors import InvalidInput, NotFound
from states.inputs import CaseCode, Command, Krs, Ordinal
from states.rule_sets import MAX_ATTACHMENT_MEGABYTES, AttachmentRules
from states.rulebook import rules_for
from states.text import tr

Kind = Literal["statute", "partnership_agreement", "other"]


# media type -> the first bytes every file of that type begins with (its "magic"), and the name's extension
SIGNATURES: Mapping[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
}
MAX_NAME = 100  # characters of the sanitised name
# The most a file may be under any rule set: what the doors refuse before reading a body (web/security.py, the JSON
# door); the case's own limit is its rule set's (``limits_for``).
CEILING_BYTES = MAX_ATTACHMENT_MEGABYTES * 1024 * 1024


@dataclass(frozen=True)
class AttachmentLimits:
    """What a file attached to an offer may be in one call: its rule set's ``attachments`` (invariant 6: the
    size, the count and the types are the city's policy, pinned to the call), read by the handlers and the page."""

    rules: AttachmentRules = field(default_factory=AttachmentRules)

    @property
    def max_bytes(self) -> int:
        return self.rules.max_bytes

    @property
    def max_files(self) -> int:
        return self.rules.max_files

    @property
    def max_megabytes(self) -> int:
        return self.rules.max_megabytes

    @property
    def type_names(self) -> str:
        return ", ".join(media.split("/")[1].upper() for media in self.rules.media_types)

    @property
    def accept(self) -> str:
        """The file input's ``accept`` attribute: a hint to the browser; the server reads the bytes."""
        extensions = [SIGNATURES[media][1] for media in self.rules.media_types]
        extensions += [".jpeg"] if "image/jpeg" in self.rules.media_types else []
        return ",".join([*self.rules.media_types, *extensions])


def limits_for(session: Any, case: Case | None) -> AttachmentLimits:
    """The call's pinned rules; for a small grant's draft (no case yet) the rule set in force, which its filing
    pins to the case it makes."""
    if case is None:
        from states.rulebook import find_rule_set

        return AttachmentLimits(find_rule_set(session, None).attachments)
    return AttachmentLimits(rules_for(session, case).attachments)


BASIS = "art. 14 ust. 1-2; Dz.U. 2018 poz. 2057 zał. 1 (VII.6)"
# A small grant's offer: art. 19a ust. 1 and its simplified form, whose declaration 6 names the offer's annexes.
SMALL_GRANT_BASIS = "art. 19a ust. 1; Dz.U. 2018 poz. 2055 zał. 1 (V.6)"

KIND_LABELS = {"statute": tr("Statute"), "partnership_agreement": tr("Partnership agreement (joint offer)"),
               "other": tr("Other")}
KIND_PL = {"statute": "statut", "partnership_agreement": "umowa partnerska", "other": "inne"}  # the PDF's words


class DraftFiles(Command):
    code: CaseCode | None = None  # the call; None: the draft of a small-grant offer (art. 19a), whose filing makes the case
    organisation_krs: Krs  # the organisation (the matrix checks the person represents it)
    offer_number: int = Field(default=0, ge=0)  # the draft's purpose: 0 a new offer, N the correction of offer N


class AttachFile(DraftFiles):
    kind: Kind
    name: str = Field(max_length=1000)  # as the browser sent it; sanitised by the handler
    # the bytes; as JSON (the command's idempotency fingerprint, models/command_log.py) their SHA-256, not the bytes
    content: Annotated[bytes, PlainSerializer(lambda body: hashlib.sha256(body).hexdigest(), when_used="json")]


class DraftFileRef(DraftFiles):
    attachment: Ordinal  # the row's id


class FiledFileRef(Command):
    code: CaseCode
    number: Ordinal  # the offer
    version: Ordinal
    position: Ordinal  # its place in the version's list (1, 2, ...)


def media_type_of(content: bytes) -> str | None:
    """The file's type by its first bytes, or None when it is none of the types allowed."""
    for media, (magic, _) in SIGNATURES.items():
        if content.startswith(magic):
            return media
    return None


_UNSAFE = re.compile(r"[^\w.\-() ]+")


def safe_name(name: str, media_type: str) -> str:
    """A file name fit to show and to send back: the last part of a path, NFC, no control characters or characters
    a file system or a header treats specially, no leading dot, at most ``MAX_NAME`` characters, and ending
    with its type's extension (a PNG named ``statut.pdf`` is kept as ``statut.pdf.png``)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"\s+", " ", _UNSAFE.sub("_", base)).strip(" ._") or "zalacznik"
    extension = SIGNATURES[media_type][1]
    known = (extension, ".jpeg") if media_type == "image/jpeg" else (extension,)
    if not base.lower().endswith(known):
        base += extension
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        base = stem[: MAX_NAME - len(ext) - 1] + dot + ext
    return base


def _describe(row: OfferAttachment) -> dict[str, Any]:
    """What the version's content says of a file (and so what the receipt proves)."""
    return {"kind": row.kind, "name": row.name, "media_type": row.media_type, "size": row.size, "sha256": row.sha256}


def _shown(row: OfferAttachment) -> dict[str, Any]:
    return {**_describe(row), "id": row.id, "position": row.position, "uploaded_at": row.uploaded_at,
            "uploaded_by": row.uploaded_by}


def _organisation(ctx: Any, krs: str) -> Organisation:
    organisation = ctx.session.exec(select(Organisation).where(Organisation.krs == krs)).first()
    if organisation is None:
        raise NotFound("unknown_organisation", tr("No organisation with KRS {krs} in the registry", krs=krs))
    return organisation


def _of_case(case_id: int | None) -> Any:
    """The draft's case: the call's, or none (a small grant's draft)."""
    return OfferAttachment.case_id.is_(None) if case_id is None else OfferAttachment.case_id == case_id


def _pending(session: Any, organisation_id: int, case_id: int | None, purpose: int) -> list[OfferAttachment]:
    return list(session.exec(select(OfferAttachment).where(
        OfferAttachment.organisation_id == organisation_id, _of_case(case_id),
        OfferAttachment.offer_number == purpose, OfferAttachment.version_id.is_(None)).order_by(OfferAttachment.id)))


def _draft_case(ctx: Any, ref: DraftFiles) -> Case | None:
    """The call the draft is for, or None for a small grant's draft (which has no correction round)."""
    if ref.code is not None:
        return load_case(ctx.session, ref.code)
    if ref.offer_number:
        raise small_grant_no_correction()
    return None


def small_grant_no_correction() -> InvalidInput:
    return InvalidInput("small_grant_no_correction", tr("A small-grant offer has no correction round; its draft is of "
                                                        "a new offer."), basis="art. 19a")


def _case_id(case: Case | None) -> int | None:
    return case.id if case is not None else None


def _filed(session: Any, version_id: int) -> list[OfferAttachment]:
    return list(session.exec(select(OfferAttachment).where(OfferAttachment.version_id == version_id)
                             .order_by(OfferAttachment.position)))


def _kept(session: Any, case: Case | None, organisation: Organisation, purpose: int) -> list[OfferAttachment]:
    """The files a correction keeps: those of the offer's latest version (none for a new offer)."""
    return _latest_files(session, case, organisation, purpose)[1]


def _latest_files(session: Any, case: Case | None, organisation: Organisation,
                  purpose: int) -> tuple[int | None, list[OfferAttachment]]:
    if purpose == 0 or case is None:
        return None, []
    offer = session.exec(select(Offer).where(Offer.case_id == case.id, Offer.number == purpose,
                                             Offer.organisation_id == organisation.id)).first()
    if offer is None:
        raise NotFound("unknown_offer", tr("{code}: no offer {number}", code=case.code, number=purpose))
    latest = session.exec(select(OfferVersion).where(OfferVersion.offer_id == offer.id)
                          .order_by(OfferVersion.version.desc())).first()
    return (latest.version, _filed(session, latest.id)) if latest is not None else (None, [])


def _refuse(rule: str, text: Any, case: Case | None) -> InvalidInput:
    """A refused file, under the basis of the form it is attached to (a call's offer, or a small grant's)."""
    return InvalidInput(rule, text, basis=BASIS if case is not None else SMALL_GRANT_BASIS)


def attach_file(ctx: Any, cmd: AttachFile) -> dict[str, Any]:
    """Attach one file to the organisation's draft, or refuse it naming the rule (nothing written)."""
    organisation = _organisation(ctx, cmd.organisation_krs)
    case = _draft_case(ctx, cmd)
    kept = _kept(ctx.session, case, organisation, cmd.offer_number)
    pending = _pending(ctx.session, organisation.id, _case_id(case), cmd.offer_number)
    limits = limits_for(ctx.session, case)
    shown_name = cmd.name[:200] or "—"
    if not cmd.content:
        raise _refuse("attachment_empty", tr("The file “{name}” is empty; nothing was attached.", name=shown_name),
                      case)
    if len(cmd.content) > limits.max_bytes:
        raise _refuse("attachment_too_large", tr(
            "The file “{name}” is {size} MB; a file attached to an offer is at most {limit} MB. Nothing was attached.",
            name=shown_name, size=(Decimal(len(cmd.content)) / 1048576).quantize(Decimal("0.1")),
            limit=limits.max_megabytes), case)
    media_type = media_type_of(cmd.content)
    if media_type not in limits.rules.media_types:
        raise _refuse("attachment_type_not_allowed", tr(
            "The file “{name}” is not a {types} file (its content was checked, not its name); only {types} files "
            "are attached to an offer. Nothing was attached.", name=shown_name, types=limits.type_names), case)
    if len(kept) + len(pending) >= limits.max_files:
        raise _refuse("attachment_too_many", tr(
            "An offer has at most {limit} attachments; remove one before attaching another. Nothing was attached.",
            limit=limits.max_files), case)
    digest = hashlib.sha256(cmd.content).hexdigest()
    if any(row.sha256 == digest for row in (*kept, *pending)):
        raise _refuse("attachment_repeated", tr("The file “{name}” is already attached to this offer; nothing was "
                                                "attached again.", name=shown_name), case)
    row = OfferAttachment(organisation_id=organisation.id, case_id=_case_id(case), offer_number=cmd.offer_number,
                          kind=cmd.kind, name=safe_name(cmd.name, media_type), media_type=media_type,
                          size=len(cmd.content), sha256=digest, content=cmd.content, uploaded_at=ctx.now,
                          uploaded_by=(ctx.actor.person or ctx.actor.name)[:64])
    ctx.session.add(row)
    ctx.session.flush()
    return _shown(row)


def detach_file(ctx: Any, ref: DraftFileRef) -> dict[str, Any]:
    """Remove a file from the draft (a filed file stays filed)."""
    row = _draft_row(ctx, ref)
    ctx.session.delete(row)
    return {"removed": row.name}


def draft_files(ctx: Any, ref: DraftFiles) -> dict[str, Any]:
    """The draft's files (``pending``) and, for a correction, those its version keeps (``kept``, filed with version
    ``kept_version``), and what a file may be in this call (``limits``)."""
    organisation = _organisation(ctx, ref.organisation_krs)
    case = _draft_case(ctx, ref)
    version, kept = _latest_files(ctx.session, case, organisation, ref.offer_number)
    return {"kept": [_shown(r) for r in kept], "kept_version": version,
            "pending": [_shown(r) for r in _pending(ctx.session, organisation.id, _case_id(case), ref.offer_number)],
            "limits": limits_for(ctx.session, case)}


def draft_file(ctx: Any, ref: DraftFileRef) -> dict[str, Any]:
    """One file of the draft, with its bytes (for the representative to look at before filing)."""
    row = _draft_row(ctx, ref)
    return {**_describe(row), "content": row.content}


def _draft_row(ctx: Any, ref: DraftFileRef) -> OfferAttachment:
    organisation = _organisation(ctx, ref.organisation_krs)
    case = _draft_case(ctx, ref)
    row = ctx.session.get(OfferAttachment, ref.attachment)
    if (row is None or row.version_id is not None or row.organisation_id != organisation.id
            or row.case_id != _case_id(case) or row.offer_number != ref.offer_number):
        raise NotFound("unknown_attachment", tr("This draft has no such attachment."))
    return row


def filed_file(ctx: Any, ref: FiledFileRef) -> dict[str, Any]:
    """One file filed with a version of an offer, with its bytes (the matrix: whoever may read the filed offer): a
    call's offer, or a small grant's (its one offer, number 1: states/offer_filings.py)."""
    from states.offer_filings import filed_offer, versions_of

    case = load_case(ctx.session, ref.code)
    offer = filed_offer(ctx.session, case, ref.number)
    found = ctx.session.exec(
        select(OfferAttachment).join(OfferVersion, OfferVersion.id == OfferAttachment.version_id)
        .where(versions_of(offer), OfferVersion.version == ref.version,
               OfferAttachment.position == ref.position)).first()
    if found is None:
        raise NotFound("unknown_attachment", tr("{code}: offer {number}, version {version} has no attachment "
                                                "{position}.", code=ref.code, number=ref.number,
                                                version=ref.version, position=ref.position))
    return {**_describe(found), "content": found.content}


def file_with_version(session: Any, case: Case, offer: Any, version: int) -> list[OfferAttachment]:
    """The files a version being filed takes (in the filing's transaction, before the version's row is written):
    for a correction the previous version's (copied: a filed row is never changed), then the draft's. The caller
    lists ``describe`` of each in the version's content and then ``link``s them to the version's row. A small
    grant's offer (``SmallGrantOffer``, version 1 only) takes its organisation's small-grant draft's files, which
    from then on name the case its filing made."""
    if not isinstance(offer, Offer):
        taken = _pending(session, offer.organisation_id, None, 0)
        for row in taken:
            row.case_id = case.id
        return taken
    purpose = 0 if version == 1 else offer.number
    taken: list[OfferAttachment] = []
    if version > 1:
        previous = session.exec(select(OfferVersion.id).where(OfferVersion.offer_id == offer.id,
                                                              OfferVersion.version == version - 1)).first()
        for row in _filed(session, previous) if previous is not None else []:
            taken.append(OfferAttachment(
                organisation_id=row.organisation_id, case_id=row.case_id, offer_number=purpose, kind=row.kind,
                name=row.name, media_type=row.media_type, size=row.size, sha256=row.sha256, content=row.content,
                uploaded_at=row.uploaded_at, uploaded_by=row.uploaded_by))
    taken.extend(_pending(session, offer.organisation_id, case.id, purpose))
    return taken


def describe(rows: list[OfferAttachment]) -> list[dict[str, Any]]:
    return [_describe(row) for row in rows]


def link(session: Any, rows: list[OfferAttachment], version_id: int) -> None:
    for position, row in enumerate(rows, start=1):
        row.version_id = version_id
        row.position = position
        session.add(row)


def discard_pending(session: Any, organisation_id: int, case_id: int | None, purpose: int) -> int:
    """Forget a draft's files (its draft discarded): the filed ones are not the draft's any more."""
    rows = _pending(session, organisation_id, case_id, purpose)
    for row in rows:
        session.delete(row)
    return len(rows)
