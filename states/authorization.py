"""Who may run which command on which case: the authorization matrix, collected and enforced here (invariant 9).

Each procedure declares its own commands' entries in its descriptor (``Procedure.access``, in
``states/procedures/<slug>/__init__.py``); the commands that belong to no procedure (the registry, reading, the
tick, the auditor's tools, notifications, the Prefect forms, people) are in ``COMMON`` below. ``MATRIX`` is both,
read through the registry (states/procedures/), each command once.

Each command (a handler run by ``states.engine.execute``) names the roles that may run it and, for each role, the
relation the actor must have to the case the command concerns:

- ``any``: the role is enough (a global grant: officer, auditor, administrator, scheduler; or the public);
- ``case``: a grant of the role for this very case: a committee member is appointed to one call's committee and
  acts only there (art. 15 ust. 2a); a member of call A's committee cannot declare or score in call B;
- ``organisation``: the representative of the organisation the offer belongs to (a grant of ``applicant`` for
  that organisation): a representative acts only for their own organisation;
- ``filer``: who filed a local initiative's application through the portal, a representative of its organisation,
  or the portal account the officer named as the residents' representative;
- ``owner``: a draft's owner: the representative of the organisation the command names, or (naming none) the proven
  person, whose own draft the command reads or keeps (states/drafts.py).

``execute`` enforces it: the role before the transaction starts, the relation inside it (the offer's
organisation is read there), so a refusal writes nothing (exit 5). The relation is checked for a proven person
(a token's, states/people.py). A name typed on a simulation database holds no grants (a real database refuses
such a name altogether): as a committee member it is held to its own seat by the handlers, by name; it
represents no organisation. A command the matrix does not name is the
officer's alone (``DEFAULT``): only test helpers are left to it (tests/test_authorization.py checks that every
handler of the engine is named).

docs/authorization.md is generated from this table (``python tools/authorization_table.py``; a test keeps it
current).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from states import labels
from states.access import (  # noqa: F401  (the matrix's words, re-exported for its readers)
    ADMINISTRATOR,
    ANY,
    AUDITORS,
    CASE,
    COMMENTERS,
    COMMITTEE,
    EVERYONE,
    FILER,
    OFFICER,
    ORGANISATION,
    OWNER,
    RELATIONS,
    WATCHERS,
)
from states.actors import ROLE_ORDER, ROLES, Actor
from states.errors import NotPermitted, RuleViolation
from states.procedures import PROCEDURES
from states.procedures.descriptor import Instead, Procedure
from states.text import tr

FILINGS = {"officer": ANY, "auditor": ANY, "applicant": ORGANISATION}
# What one offer's filed form says is also for the call's own committee, which reviews and scores it (art. 15 ust.
# 2a): a member of another call's committee is refused (``case``).
FILED_OFFER = {**FILINGS, "committee_member": CASE}

# The commands that belong to no procedure; each procedure declares its own in its descriptor (``access``).
COMMON: dict[str, dict[str, str]] = {
    # the registry and reading
    "cases.register_organisation": OFFICER,
    "cases.case_history": EVERYONE,
    "cases.list_cases": EVERYONE,
    "todo.waiting": EVERYONE,  # what waits for me: each person sees their own steps (states/todo.py)
    "todo.waiting_page": EVERYONE,  # a page of it, read from the waiting steps' projection
    "todo.refresh_waiting": EVERYONE,  # derive the stale cases' waiting steps first (derived rows, no history)
    "todo.rederive": {"officer": ANY, "administrator": ANY},  # coop todo rederive: one case's, all, or the stale
    "cases.list_organisations": EVERYONE,
    # offers filed on the model form, their versions and receipts (states/offer_filings.py): the officer, the
    # auditor, and the representative of the offer's (or the named) organisation
    "offer_filings.offer_versions": FILED_OFFER,
    "offer_filings.offer_receipt": FILED_OFFER,
    "offer_filings.organisation_offers": FILINGS,
    # reports filed on the model form and their receipts (states/report_filings.py): the same readers
    "report_filings.offer_reports": FILED_OFFER,
    "report_filings.report_receipt": FILED_OFFER,
    "queries.describe_case": EVERYONE,
    "queries.rule_set_body": EVERYONE,
    "queries.rule_set_versions": EVERYONE,
    "queries.verify_cases": EVERYONE,
    # the tick, and its daily anchor of every chain head
    "tick.fire_batch": {"scheduler": ANY},
    "anchors.make_anchor": {"scheduler": ANY},
    "anchors.verify_anchored": EVERYONE,
    "tick.watch_deadlines": WATCHERS,
    # the auditor's tools
    "auditing.history.case_history_tree": EVERYONE,
    "auditing.history.export_history": EVERYONE,
    "auditing.compliance.check_case": AUDITORS,
    "auditing.compliance.check_year": AUDITORS,
    "auditing.annual_report.annual_report": EVERYONE,
    "auditing.open_data.results": EVERYONE,
    # notifications and the engine's settings
    "notifications.commands.list_notifications": WATCHERS,
    "notifications.commands.preview_notification": WATCHERS,
    "notifications.commands.retry_notification": OFFICER,
    "notifications.commands.set_preference": OFFICER,
    "notifications.setting_commands.show_settings": WATCHERS,
    "notifications.setting_commands.setting_history": WATCHERS,
    "notifications.setting_commands.set_setting": OFFICER,
    "notifications.setting_commands.set_settings": OFFICER,
    "notifications.setting_commands.unset_setting": OFFICER,
    "notifications.setting_commands.import_environment": OFFICER,
    # the Prefect forms and artifacts
    "flows.evaluation.formal_review_view": COMMITTEE,
    "flows.evaluation.scoring_view": COMMITTEE,
    "flows.summaries.records_after": EVERYONE,
    "flows.summaries.recorded_since": EVERYONE,
    "flows.opening.entered_form_states": EVERYONE,
    "flows.artifacts.case_views": EVERYONE,
    # people, grants and tokens
    "people.bootstrap_administrator": ADMINISTRATOR,
    "people.add_person": ADMINISTRATOR,
    "people.deactivate_person": ADMINISTRATOR,
    "people.grant_role": ADMINISTRATOR,
    "people.revoke_grant": ADMINISTRATOR,
    "people.issue_token": ADMINISTRATOR,
    "people.revoke_token": ADMINISTRATOR,
    # the desk's local accounts (states/credentials.py): a person enrols only their own second factor
    "credentials.set_password": ADMINISTRATOR,
    "credentials.clear_totp": ADMINISTRATOR,
    "credentials.enrol_totp": EVERYONE,
    "credentials.link_oidc": ADMINISTRATOR,
    "credentials.unlink_oidc": ADMINISTRATOR,
    # the organisations' portal (states/portal_accounts.py): a stranger registers (the named actor of
    # registration, role public), a person confirms their own e-mail and asks to represent an organisation, an
    # officer decides; a profile is changed by a representative of that organisation only (the handler reads the
    # person's live grant for it: the relation is the organisation itself, not an offer's)
    "portal_accounts.register_account": {"public": ANY},
    "portal_accounts.confirm_email": EVERYONE,
    "portal_accounts.resend_confirmation": EVERYONE,
    # a forgotten password (states/password_reset.py): a stranger asks (the named actor, role public), the link's
    # person sets the new password (the handler checks the link is theirs)
    "password_reset.ask_password_reset": {"public": ANY},
    "password_reset.reset_password": EVERYONE,
    "portal_accounts.claim_representation": COMMENTERS,
    "portal_accounts.my_claims": EVERYONE,
    "portal_accounts.decide_representation": OFFICER,
    "portal_accounts.pending_claims": AUDITORS,
    "portal_accounts.update_profile": {"applicant": ANY},
    "portal_accounts.read_profile": {"applicant": ANY},
    "people.list_people": {"administrator": ANY, "auditor": ANY},
    "people.export_people_chain": {"administrator": ANY, "auditor": ANY},
    # the portal's drafts of offers (states/offer_drafts.py): only the organisation's own representatives
    "offer_drafts.save_draft": {"applicant": ORGANISATION},
    "offer_drafts.read_draft": {"applicant": ORGANISATION},
    "offer_drafts.discard_draft": {"applicant": ORGANISATION},
    "offer_drafts.drafts_of": {"applicant": ORGANISATION},
    "offer_drafts.organisation_facts": {"applicant": ORGANISATION},
    "offer_drafts.open_calls": EVERYONE,
    "offer_drafts.call_facts": EVERYONE,
    "offer_drafts.offer_correction": {"officer": ANY, "auditor": ANY, "applicant": ORGANISATION},
    # the portal's drafts of local-initiative applications (states/initiative_drafts.py): only their owner (the
    # person, or the representatives of the organisation the draft is for); each person lists what they may resume
    "initiative_drafts.save_initiative_draft": {"public": OWNER, "applicant": OWNER},
    "initiative_drafts.read_initiative_draft": {"public": OWNER, "applicant": OWNER},
    "initiative_drafts.discard_initiative_draft": {"public": OWNER, "applicant": OWNER},
    "initiative_drafts.my_initiative_drafts": {"public": ANY, "applicant": ANY},
    # the files attached to a draft offer and filed with its version (states/offer_attachments.py): the draft's are
    # the organisation's representatives' alone; a filed one is read by whoever reads the filed offer
    "offer_attachments.attach_file": {"applicant": ORGANISATION},
    "offer_attachments.detach_file": {"applicant": ORGANISATION},
    "offer_attachments.draft_files": {"applicant": ORGANISATION},
    "offer_attachments.draft_file": {"applicant": ORGANISATION},
    "offer_attachments.filed_file": FILED_OFFER,
    # public comments from the portal (states/public_comments.py): a stranger's comment is held by the named actor
    # of public comments; it is filed by the address its link proved (role public), through the procedure's own
    # add_comment, whose entry (COMMENTERS) the handler checks too
    "public_comments.request_comment": {"public": ANY},
    "public_comments.file_comment": {"public": ANY},
}



def collect(procedures: Iterable[Procedure], common: Mapping[str, Mapping[str, str]] = COMMON) -> dict[str, Any]:
    """The matrix: the commands of no procedure, and every procedure's own entries (``Procedure.access``), each
    command named once."""
    matrix: dict[str, Any] = dict(common)
    for each in procedures:
        own = each.access_entries()
        twice = set(matrix) & set(own)
        assert not twice, f"commands in the authorization matrix twice: {sorted(twice)}"
        matrix.update(own)
    return matrix


MATRIX: dict[str, dict[str, str]] = collect(PROCEDURES)

DEFAULT = OFFICER  # a handler the matrix does not name (a test's own): the officer's, as before the matrix


def handler_of(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The handler itself, under any wrapper that names it (``__wrapped__``: flows/evaluation.py's)."""
    while hasattr(handler, "__wrapped__"):
        handler = handler.__wrapped__
    return handler


def command_name(handler: Callable[..., Any]) -> str:
    """A handler's name in the matrix: its module (in ``states``: without ``states.``, a procedure's package by its
    slug, a ``*_commands`` module without the suffix), then the function: ``open_call.score_offer``."""
    import sys

    target = handler_of(handler)
    module = getattr(target, "__module__", "?")
    # A module that moved keeps the name its handlers had before (``COMMAND_NAMESPACE``, as the command log does).
    parts = getattr(sys.modules.get(module), "COMMAND_NAMESPACE", module).split(".")
    if parts[0] == "states":
        parts = parts[1:]
        if parts[:1] == ["procedures"] and len(parts) >= 2:
            parts = [parts[1]]
        if parts and parts[-1].endswith("_commands"):
            parts[-1] = parts[-1].removesuffix("_commands")
    return ".".join([*parts, getattr(target, "__name__", "?")])


def rule_for(handler: Callable[..., Any]) -> dict[str, str]:
    return MATRIX.get(command_name(handler), DEFAULT)


def case_of(command: Any) -> str | None:
    """The case a command concerns: its ``code``, or the code it is (a read by code), or the first of a pair."""
    code = getattr(command, "code", None)
    if isinstance(code, str):
        return code
    if isinstance(command, str):
        return command
    if isinstance(command, tuple) and command and isinstance(command[0], str):
        return command[0]
    return None


def authorize(handler: Callable[..., Any], command: Any, actor: Actor) -> tuple[Actor, str]:
    """The actor in the role it acts in, and the relation it must still show inside the transaction (``any``:
    none); or NotPermitted: the role may not run the command, or a proven person lacks the case's grant. Reads
    nothing. A proven person who named no role acts in the first of their roles (ROLE_ORDER) the command admits
    with the grants they hold."""
    rule = rule_for(handler)
    if actor.proven and not actor.role_given:
        actor = replace(actor, role=_best_role(rule, command, actor))
    return actor, _relation(rule, command, actor)


def _best_role(rule: dict[str, str], command: Any, actor: Actor) -> str:
    held = {g.role for g in actor.grants} | {"public"}
    code = case_of(command)
    for role in ROLE_ORDER:
        relation = rule.get(role)
        if role not in held or relation is None:
            continue
        if relation == CASE and not any(g.role == role and g.case == code for g in actor.grants):
            continue
        return role
    return actor.role  # none fits: refused in the role it had, with that role's reason


def _relation(rule: dict[str, str], command: Any, actor: Actor) -> str:
    relation = rule.get(actor.role)
    if relation is None:
        raise NotPermitted(
            "role_not_permitted",
            tr("The role {role} may not run this command (allowed: {roles}).", role=labels.role(actor.role),
               roles=labels.roles(sorted(rule))),
        )
    if relation == ANY:
        return ANY
    if not actor.proven:
        if relation == FILER:  # nothing links a typed name to what a proven person filed
            raise NotPermitted("not_your_filing", tr(
                "Only the person who filed it, proven by their login or token, reads what they filed; a name given "
                "with --actor filed nothing."))
        if relation == OWNER:  # a draft belongs to a proven person or an organisation, never to a typed name
            raise not_your_draft()
        if relation == ORGANISATION:  # nothing links a typed name to an organisation: only a grant does
            raise NotPermitted(
                "not_your_organisation",
                tr("Only a representative proven by their token acts for an organisation; a name given with "
                   "--actor represents none."))
        return ANY  # a typed committee member: the handlers hold her to her own seat by name
    if relation == CASE:
        code = case_of(command)
        if code is None or not any(g.role == actor.role and g.case == code for g in actor.grants):
            held = sorted(g.case for g in actor.grants if g.role == actor.role and g.case)
            raise NotPermitted(
                "not_granted_for_case",
                tr("{name} acts as {role} only in the cases granted to them ({held}), not in {code}: a member of "
                   "one call's committee does not act in another's.", name=actor.name, role=labels.role(actor.role),
                   held=held or "—", code=code or "—"),
                basis="art. 15 ust. 2a")
        return ANY
    return relation


def not_your_draft() -> NotPermitted:
    return NotPermitted("not_your_draft", tr(
        "Only a person proven by their login or token keeps drafts; a name given with --actor has none."),
        basis="DESIGN inv. 9")


def check_relation(ctx: Any, relation: str, command: Any) -> None:
    """Inside the transaction: the relation ``authorize`` left: the organisation of the offer the command names
    (``code`` and ``number``), or, for a command naming no offer yet (filing one, listing an organisation's
    offers), the organisation it names by its KRS (``organisation_krs``)."""
    if relation == FILER:
        _check_filer(ctx, command)
        return
    if relation == OWNER and getattr(command, "organisation_krs", None) is None:
        # the person's own draft: the command reads or keeps only the proven actor's (states/drafts.py). A proof
        # of an e-mail address alone (a commenter's) names no person, and so owns no draft: without this, its
        # owner would be "no person", which matches every resident's draft
        if ctx.actor.person is None:
            raise not_your_draft()
        return
    if relation not in (ORGANISATION, OWNER):
        return
    from sqlmodel import select

    from models.tables import Case, Offer, Organisation

    actor = ctx.actor
    code, number = case_of(command), getattr(command, "number", None)
    krs = getattr(command, "organisation_krs", None)
    organisation = None
    if code is not None and number is not None:
        organisation = ctx.session.exec(select(Offer.organisation_id).join(Case, Case.id == Offer.case_id).where(
            Case.code == code, Offer.number == number)).first()
        if organisation is None and number == 1:  # a small grant's case: its one offer (states/offer_filings.py)
            from models.procedures.small_grant import SmallGrantOffer

            organisation = ctx.session.exec(select(SmallGrantOffer.organisation_id).join(
                Case, Case.id == SmallGrantOffer.case_id).where(Case.code == code)).first()
    elif isinstance(krs, str):
        organisation = ctx.session.exec(select(Organisation.id).where(Organisation.krs == krs)).first()
        if organisation is None or not _represents(actor, organisation):
            raise NotPermitted(
                "not_your_organisation",
                tr("{name} does not represent the organisation KRS {krs}; a representative acts only for their own "
                   "organisation.", name=actor.name, krs=krs), basis=BASIS)
        return
    if organisation is None or not _represents(actor, organisation):
        raise NotPermitted(
            "not_your_organisation",
            tr("{name} represents another organisation than the one of offer {number} in {code}; a representative "
               "acts only for their own organisation.", name=actor.name, number=number or "—", code=code or "—"),
            basis=BASIS)


def _check_filer(ctx: Any, command: Any) -> None:
    """The relation ``filer``: the person filed the case's application through the portal (models/
    procedures/local_initiative.py ``filed_by``), is the portal account the officer named as the residents' representative
    (``portal_representative``: an application typed in from paper has no filer), or represents the organisation it
    was filed for."""
    from sqlmodel import select

    from models.procedures.local_initiative import (
        PORTAL_REPRESENTATIVE,
        InitiativeFiling,
        LocalInitiativeApplication,
    )
    from models.tables import Case

    actor, code = ctx.actor, case_of(command)
    filers = set(ctx.session.exec(select(InitiativeFiling.filed_by).join(Case, Case.id == InitiativeFiling.case_id)
                                  .where(Case.code == code)).all()) if code else set()
    if actor.person is not None and actor.person in filers:
        return
    found = ctx.session.exec(select(
        LocalInitiativeApplication.organisation_id, PORTAL_REPRESENTATIVE).join(
        Case, Case.id == LocalInitiativeApplication.case_id).where(Case.code == code)).first() if code else None
    organisation, named = found if found is not None else (None, None)
    if named is not None and actor.person == named:  # named by the officer (``name_representative``)
        return
    if organisation is not None and any(g.role == "applicant" and g.organisation == organisation
                                        for g in actor.grants):
        return
    raise NotPermitted("not_your_filing", tr(
        "{name} did not file {code}: what a person filed is read by them, their organisation's representatives, "
        "the officers and the auditors.", name=actor.name, code=code or "—"), basis="DESIGN inv. 9")


# A representative acts for the organisation they were granted for (the people registry, states/people.py).
BASIS = "DESIGN inv. 9; art. 14 ust. 1"


def _represents(actor: Actor, organisation: int) -> bool:
    return any(g.role == actor.role and g.organisation == organisation for g in actor.grants)


# --- commands another procedure replaces on its cases ----------------------------------------------------------


def replaced_commands(procedures: Iterable[Procedure]) -> dict[str, dict[str, tuple[Procedure, Instead]]]:
    """A lender's command (``open_call.submit_report``) -> the kinds of the cases that borrow its others but
    replace it (``Borrowed.instead``) -> the borrowing procedure and its command in its place."""
    found: dict[str, dict[str, tuple[Procedure, Instead]]] = {}
    for each in procedures:
        for borrowed in each.borrows:
            for name, instead in borrowed.instead.items():
                found.setdefault(f"{borrowed.procedure}.{name}", {})[each.slug] = (each, instead)
    return found


REPLACED = replaced_commands(PROCEDURES)


def check_not_replaced(ctx: Any, handler: Callable[..., Any], command: Any) -> None:
    """Inside the transaction: a command its case's procedure replaces with one of its own (a regranting operator's
    report and settlement, art. 16a) is refused on that case, whatever the door, with the command to run instead.
    Reads the case's kind only for such a command."""
    name = command_name(handler)
    kinds = REPLACED.get(name)
    code = case_of(command) if kinds else None
    if code is None:
        return
    from sqlmodel import select

    from models.tables import Case

    found = kinds.get(ctx.session.exec(select(Case.kind).where(Case.code == code)).first())
    if found is None:
        return
    owner, instead = found
    replacing = f"{owner.slug}.{instead.command}"
    raise RuleViolation(
        "command_replaced",
        tr("{code} is a case of {procedure}: {command} does not apply to it; run {procedure}'s own {instead} "
           "({door}): {why}. Nothing was done.", code=code, procedure=owner.title, command=name,
           instead=replacing, door=instead.door, why=instead.why),
        basis=instead.basis,
    )


# --- the table people read (docs/authorization.md) ---------------------------------------------------------------

SHOWN = {ANY: "✓", CASE: "this case", ORGANISATION: "own organisation", FILER: "own filing", OWNER: "own draft"}


def markdown() -> str:
    """docs/authorization.md: the matrix as a table, one row per command."""
    roles = list(ROLES)
    lines = [
        "# Who may do what (generated)",
        "",
        "Generated from `states/authorization.py` by `python tools/authorization_table.py`; do not edit by hand",
        "(`tests/test_authorization.py` checks that this file is current). `states.engine.execute`, the one",
        "writer, enforces it: the role before the transaction, the relation inside it; a refusal writes nothing",
        "(exit 5).",
        "",
        "- ✓: the role is enough (a global grant, or the public);",
        "- *this case*: a grant of the role for the command's case (a committee member of call A cannot act in",
        "  call B: art. 15 ust. 2a);",
        "- *own organisation*: a representative (`applicant`) of the organisation the offer belongs to;",
        "- *own filing*: the person who filed the application through the portal, a representative of its",
        "  organisation, or the portal account the officer named as the residents' representative;",
        "- *own draft*: a representative of the organisation the draft is for, or (a group of residents' draft) the",
        "  person whose draft it is;",
        "- empty: refused.",
        "",
        "A name typed on a simulation database holds no grants: as a committee member the handlers hold it to its",
        "own seat by name; it represents no organisation. A command not listed here is the officer's alone.",
        "",
        "| command | " + " | ".join(f"`{r}`" for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for name, rule in sorted(MATRIX.items()):
        lines.append(f"| `{name}` | " + " | ".join(SHOWN.get(rule.get(r, ""), "") for r in roles) + " |")
    return "\n".join(lines) + "\n"
