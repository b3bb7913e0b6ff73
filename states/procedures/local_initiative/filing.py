"""The local-initiative application filed by residents or an organisation themselves, through the portal (issue
22; art. 19b-19h): the application on its form (states/model_forms/initiative.py), received by the procedure's own
``receive`` (handlers.py: the one place the filing's rules are checked, as for an officer's paper ``file``), its
content kept as version 1 with its SHA-256, receipt number and moment of receipt (models/initiative_tables.py), the
hash and the receipt in the case's audit record of the filing, so the hash-chained history proves what was filed.

Who files (the authorization matrix, the descriptor's ``access``):

- ``file_residents_application``: any logged-in person (role ``public``, or ``applicant`` for a representative who
  files for a group of residents): the Act gives the initiative to the residents directly (art. 19b ust. 1), and no
  organisation, grant or confirmation by the office stands between them; the person filing is the group's contact;
- ``file_organisation_application``: the representative of the organisation named (relation ``organisation``).

The actor is the authenticated person (DESIGN inv. 9); ``filed_by`` keeps their login, and the relation ``filer``
(states/access.py) lets that person, beside the officers and the auditors, read the receipt. Reads:
``initiative_receipt`` (one version's receipt with its content, as notifications/initiative_pdf.py takes it) and
``my_initiatives`` (the applications the person filed).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from models.initiative_tables import InitiativeFiling
from models.tables import Case
from states.cases import load_case
from states.clock import at_written_time
from states.engine import Context
from states.errors import NotFound, RuleViolation
from states.model_forms.canonical import content_sha256
from states.offer_filings import receipt_moment
from states.procedures.local_initiative.handlers import receive
from states.procedures.local_initiative.inputs import FileApplication, FileInitiative, FilingRef
from states.procedures.local_initiative.machine import KIND
from states.text import Money, tr

BASIS = "art. 19b ust. 1"


def receipt_number(code: str, version: int) -> str:
    return f"{code}-{version}"


def _file(ctx: Context, cmd: FileApplication) -> dict[str, Any]:
    form = cmd.form
    received_at = receipt_moment(ctx.arrived_at, ctx.now)
    filed_by = (ctx.actor.person or ctx.actor.name)[:64]
    added: dict[str, Any] = {}

    def on_form(case: Case, rules: Any) -> dict[str, Any]:
        # The hour's value is the council resolution's, pinned to the case with its rule set (invariant 6): the
        # form's value of the residents' work is only as good as the rate it was computed with.
        if form.work.hour_value != rules.hour_value:
            raise RuleViolation("work_hour_value", tr(
                "6: one hour of social work is valued at {rate} by the council's resolution, not {value}; compute "
                "the work's value with that rate", rate=Money(rules.hour_value), value=Money(form.work.hour_value)),
                basis="art. 19c ust. 1")
        content = form.content()
        row = InitiativeFiling(case_id=case.id, version=1, content=content, sha256=content_sha256(content),
                               receipt=receipt_number(case.code, 1), received_at=received_at,
                               written_at=ctx.written_at, filed_by=filed_by)
        ctx.session.add(row)
        added["row"] = row
        budget = form.budget
        return {"version": 1, "receipt": row.receipt, "sha256": row.sha256, "on_form": True, "filed_by": filed_by,
                "group_name": form.applicant.group_name, "estimate": {
                    "total": str(budget.total), "city": str(budget.city), "own_cash": str(budget.own_cash),
                    "own_in_kind": str(budget.own_in_kind), "own_work": str(budget.own_work),
                    "work_hours": str(form.work.hours)},
                "task_start": form.schedule.task_start.isoformat(), "task_end": form.schedule.task_end.isoformat()}

    case = receive(ctx, FileInitiative(**form.file_fields()), received_at=received_at, on_form=on_form)
    row = added["row"]
    return {"code": case.code, "state": case.state, "version": row.version, "receipt": row.receipt,
            "sha256": row.sha256, "received_at": row.received_at.isoformat()}


@at_written_time
def file_residents_application(ctx: Context, cmd: FileApplication) -> dict[str, Any]:
    """A group of residents files its application directly (art. 19b ust. 1): the person filing is its contact."""
    if cmd.form.applicant.kind != "residents" or cmd.organisation_krs is not None:
        raise RuleViolation("not_a_residents_application", tr(
            "This door files a group of residents' application; an organisation's application is filed by its "
            "representative for that organisation."), basis=BASIS)
    return _file(ctx, cmd)


@at_written_time
def file_organisation_application(ctx: Context, cmd: FileApplication) -> dict[str, Any]:
    """An organisation files the application on behalf of residents (art. 19b ust. 1), through its representative
    (the matrix holds them to their own organisation, ``organisation_krs``)."""
    applicant = cmd.form.applicant
    if applicant.kind != "ngo" or applicant.organisation_krs != cmd.organisation_krs:
        raise RuleViolation("application_not_organisation", tr(
            "The application names the organisation KRS {named}, but it is filed for KRS {krs}: an organisation's "
            "representative files the application of their own organisation.",
            named=applicant.organisation_krs or "—", krs=cmd.organisation_krs or "—"), basis=BASIS)
    return _file(ctx, cmd)


# --- the reads ---------------------------------------------------------------------------------------------------


def receipt_of(case: Case, row: InitiativeFiling) -> dict[str, Any]:
    """One version's receipt with the content it proves (the keys notifications/initiative_pdf.py takes)."""
    return {"number": row.receipt, "received_at": row.received_at.isoformat(), "sha256": row.sha256,
            "case_code": case.code, "case_title": case.title, "version": row.version, "state": case.state,
            "filed_by": row.filed_by, "content": row.content}


def _versions(session, case: Case) -> list[InitiativeFiling]:
    return list(session.exec(select(InitiativeFiling).where(InitiativeFiling.case_id == case.id)
                             .order_by(InitiativeFiling.version)))


def initiative_receipt(ctx: Context, cmd: FilingRef) -> dict[str, Any]:
    """One version's receipt (the latest unless ``version``), with the content it proves and every version's
    number; an application recorded from paper (``file``) has none."""
    case = load_case(ctx.session, cmd.code, KIND)
    versions = _versions(ctx.session, case)
    if not versions:
        raise NotFound("no_form_filed", tr("{code}: the application was not filed through the portal; it has no "
                                           "receipt.", code=case.code))
    chosen = versions[-1] if cmd.version is None else next((r for r in versions if r.version == cmd.version), None)
    if chosen is None:
        raise NotFound("unknown_version", tr("{code}: the application has no version {version} (versions "
                                             "1-{latest}).", code=case.code, version=cmd.version,
                                             latest=versions[-1].version))
    return {**receipt_of(case, chosen), "versions": [r.version for r in versions]}


def my_initiatives(ctx: Context, cmd: None = None) -> list[dict[str, Any]]:
    """The applications the acting person filed through the portal, newest first, each with its latest receipt."""
    person = ctx.actor.person or ctx.actor.name
    rows = ctx.session.exec(select(InitiativeFiling, Case).join(Case, Case.id == InitiativeFiling.case_id)
                            .where(InitiativeFiling.filed_by == person)
                            .order_by(InitiativeFiling.received_at.desc(), InitiativeFiling.id.desc())).all()
    latest: dict[int, tuple[InitiativeFiling, Case]] = {}
    for row, case in rows:
        if case.id not in latest or row.version > latest[case.id][0].version:
            latest[case.id] = (row, case)
    return [{"code": case.code, "title": case.title, "state": case.state, "version": row.version,
             "receipt": row.receipt, "sha256": row.sha256, "received_at": row.received_at.isoformat()}
            for row, case in latest.values()]


def receipt_by_number(session, number: str) -> dict[str, Any] | None:
    """A receipt by its number (the e-mail's attachment, notifications/attachments.py), or None."""
    found = session.exec(select(InitiativeFiling, Case).join(Case, Case.id == InitiativeFiling.case_id)
                         .where(InitiativeFiling.receipt == number)).first()
    return receipt_of(found[1], found[0]) if found else None


def application_facts(ctx: Context, cmd: None = None) -> dict[str, Any]:
    """What a new application's form starts from: the value of one hour of social work under the rule set in force
    (a case pins it when it is filed), the spheres it admits, and the person's own name and e-mail address (the
    group's contact is the person filing)."""
    from models.people_tables import Person
    from models.portal_tables import PortalAccount
    from states.rulebook import find_rule_set

    rules = find_rule_set(ctx.session, None).local_initiative
    email = ctx.session.exec(select(PortalAccount.email).join(Person, Person.id == PortalAccount.person_id)
                             .where(Person.login == ctx.actor.person)).first() if ctx.actor.person else None
    return {"hour_value": str(rules.hour_value), "spheres": list(rules.spheres), "name": ctx.actor.name,
            "email": email or ""}
