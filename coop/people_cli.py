"""``coop people``, ``coop token``, ``coop login|logout|whoami``: who may act, and proving who acts (invariant 9).

A person logs in once with the personal token an administrator issued them (``coop login``: kept in a file
readable by them only, in the user data directory), or gives it in ``COOP_TOKEN``. A token is printed once,
when it is issued, and never again; the database keeps its SHA-256 only (invariant 12).
"""

from __future__ import annotations

from typing import Annotated

import typer

from coop.cli import _invocation, app, command, current_principal, group, run, show
from states.text import tr

people_app = group("people", "People, their roles and grants (administrator).")
token_app = group("token", "Personal tokens (administrator).")

Login = Annotated[str, typer.Argument(help="The person's login, e.g. anna.nowak.")]


def _people():
    import states.people as people

    return people


@command(people_app, "bootstrap")
def people_bootstrap(login: Annotated[str, typer.Option(help="The first administrator's login.")],
                     name: Annotated[str, typer.Option(help="Their name as the records will show it.")],
                     days: Annotated[int, typer.Option(min=1, max=366, help="Days the token holds.")] = 90) -> None:
    """Make the first administrator of this database and print their token once. Allowed only while nobody
    holds the administrator role; run by whoever holds the database's credentials."""
    from states.engine import execute

    people = _people()
    inv = _invocation.get()
    result = execute(people.bootstrap_administrator, people.AddPerson.parse(login=login, display_name=name),
                     actor=people.bootstrap_principal(), at=inv.at, keyed=False)
    issued = execute(people.issue_token, people.IssueToken.parse(login=login, days=days),
                     actor=people.bootstrap_principal(), at=inv.at, keyed=False)
    _show_token({**result, **issued})


@command(people_app, "add")
def people_add(login: Login, name: Annotated[str, typer.Option(help="Their name as the records will show it.")]) -> None:
    """Register a person (administrator)."""
    people = _people()
    show(run(people.add_person, people.AddPerson.parse(login=login, display_name=name)))


@command(people_app, "deactivate")
def people_deactivate(login: Login) -> None:
    """A person who left: their tokens stop at once; their grants and history stay."""
    people = _people()
    show(run(people.deactivate_person, people.PersonRef.parse(login=login)))


def _grant_input(login: str, role: str, case: str | None, organisation: str | None):
    people = _people()
    return people.GrantRole.parse(login=login, role=role, case=case, organisation=organisation)


Role = Annotated[str, typer.Argument(metavar="ROLE", help="officer | committee_member | auditor | administrator | scheduler | "
                                          "applicant")]
Case = Annotated[str | None, typer.Option("--case", help="The case a committee member is appointed to.")]
Organisation = Annotated[str | None, typer.Option("--organisation", help="KRS of the organisation an applicant "
                                                                         "represents.")]


@command(people_app, "grant")
def people_grant(login: Login, granted: Role, case: Case = None, organisation: Organisation = None) -> None:
    """Grant a role: globally, for one case (committee_member) or for one organisation (applicant)."""
    show(run(_people().grant_role, _grant_input(login, granted, case, organisation)))


@command(people_app, "revoke")
def people_revoke(login: Login, granted: Role, case: Case = None, organisation: Organisation = None) -> None:
    """Revoke a grant (kept in the people log)."""
    show(run(_people().revoke_grant, _grant_input(login, granted, case, organisation)))


@command(people_app, "list")
def people_list() -> None:
    """Every person, their grants and their live tokens (by id)."""
    show(run(_people().list_people, readonly=True), ["login", "name", "active", "roles", "tokens"])


@command(token_app, "issue")
def token_issue(login: Login, days: Annotated[int, typer.Option(min=1, max=366, help="Days it holds.")] = 90) -> None:
    """Issue a personal token; it is printed this once and never stored in clear."""
    from states.engine import execute

    people = _people()
    inv = _invocation.get()
    # Not keyed: the command log keeps a command's answer, and this answer holds the token (invariant 12).
    _show_token(execute(people.issue_token, people.IssueToken.parse(login=login, days=days),
                        actor=current_principal(), at=inv.at, reason=inv.reason, keyed=False))


@command(token_app, "revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (coop people list).")]) -> None:
    """Revoke a personal token at once."""
    people = _people()
    show(run(people.revoke_token, people.TokenRef.parse(public_id=token_id)))


def _show_token(result: dict) -> None:
    inv = _invocation.get()
    show(result)
    if not inv.json:
        inv.echo(str(tr("This token is shown once and never again; give it to its owner, who runs coop login "
                        "(or sets COOP_TOKEN). The database keeps only its hash.")), err=True)


@command(app, "login")
def login(token_file: Annotated[str | None, typer.Option(
        "--token-file", help="Read the token from this file (default: asked for, not echoed).")] = None) -> None:
    """Keep your personal token for the next commands (a file only you can read)."""
    import os
    from pathlib import Path

    people = _people()
    if token_file:
        token = Path(token_file).read_text(encoding="utf-8").strip()
    else:
        token = os.environ.get(people.TOKEN_ENV, "").strip() or typer.prompt(str(tr("Personal token")),
                                                                              hide_input=True).strip()
    actor = people.authenticate(token, role=_invocation.get().role)  # refused here, not on the next command
    where = people.save_token(token)
    show({"login": actor.person, "name": actor.name, "role": actor.role, "token_file": where})


@command(app, "logout")
def logout() -> None:
    """Forget the kept token (it stays valid until it expires or an administrator revokes it)."""
    path = _people().token_path()
    removed = path.exists()
    path.unlink(missing_ok=True)
    show({"token_file": str(path), "removed": removed})


@command(app, "whoami")
def whoami() -> None:
    """Who the next command runs for, and how that is proven."""
    actor = current_principal()
    show({"name": actor.name, "login": actor.person, "role": actor.role, "proven_by": actor.proof or "-",
          "grants": ", ".join(g.role + (f"@{g.case}" if g.case else "") + (f"@org{g.organisation}"
                                                                           if g.organisation else "")
                              for g in actor.grants)})


@command(people_app, "password")
def people_password(login: Login, generate: Annotated[bool, typer.Option(
        "--generate", help="Make a random password and print it once (default: asked for, not echoed).")] = False) -> None:
    """Set or reset a person's desk password (administrator): kept as its argon2 hash only."""
    from pydantic import SecretStr

    from states.credentials import SetPassword, new_password, set_password
    from states.engine import execute

    inv = _invocation.get()
    if generate:
        password = new_password()
    else:
        password = typer.prompt(str(tr("New password")), hide_input=True, confirmation_prompt=True)
    # Not keyed: the command log keeps a command; this one holds the password (invariant 12).
    result = execute(set_password, SetPassword(login=login, password=SecretStr(password)), actor=current_principal(),
                     at=inv.at, reason=inv.reason, keyed=False)
    if generate:
        result = {**result, "password": password}
    show(result)
    if generate and not inv.json:
        inv.echo(str(tr("This password is shown once and never again; give it to its owner. The database keeps "
                        "only its hash.")), err=True)


@command(people_app, "totp-clear")
def people_totp_clear(login: Login) -> None:
    """Remove a person's second factor (a lost device); they enrol a new one at the desk after logging in."""
    from states.credentials import PersonLogin, clear_totp

    show(run(clear_totp, PersonLogin.parse(login=login)))


def _issuer(given: str | None) -> str:
    import os

    issuer = (given or os.environ.get("COOP_OIDC_ISSUER", "")).strip()
    if not issuer:
        from states.errors import InvalidInput

        raise InvalidInput("oidc_issuer_missing", tr("Name the identity provider: --issuer URL (or set "
                                                     "COOP_OIDC_ISSUER, as the desk reads it)."))
    return issuer


Issuer = Annotated[str | None, typer.Option(help="The identity provider's issuer URL (default: COOP_OIDC_ISSUER).")]


@command(people_app, "link-oidc")
def people_link_oidc(login: Login, subject: Annotated[str, typer.Option(
        help="The provider's identifier of the person (the ID token's `sub`).")], issuer: Issuer = None) -> None:
    """Link a person to their identity at the municipality's OpenID Connect provider (administrator): logging in
    to the desk through the provider then opens a session for this person."""
    from states.credentials import LinkOidc, link_oidc

    show(run(link_oidc, LinkOidc.parse(login=login, issuer=_issuer(issuer), subject=subject)))


@command(people_app, "unlink-oidc")
def people_unlink_oidc(login: Login, issuer: Issuer = None) -> None:
    """Remove a person's link to the OpenID Connect provider (administrator)."""
    from states.credentials import UnlinkOidc, unlink_oidc

    show(run(unlink_oidc, UnlinkOidc.parse(login=login, issuer=_issuer(issuer))))
