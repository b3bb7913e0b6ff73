"""People for tests on a real database: registered, granted and given a token the way an administrator does it
(states/people.py), never a typed name (a real database refuses one: invariant 9)."""

from __future__ import annotations

from states.actors import Actor
from states.engine import execute
from states.people import (
    AddPerson,
    GrantRole,
    IssueToken,
    add_person,
    authenticate,
    bootstrap_administrator,
    bootstrap_principal,
    grant_role,
    issue_token,
)

ADMIN_LOGIN = "admin"


def administrator(url: str) -> tuple[Actor, str]:
    """The database's administrator: made by the bootstrap the first time, then authenticated by a new token."""
    from sqlalchemy import select

    from models.db import get_engine, normalise_url
    from models.people_tables import Person

    with get_engine(normalise_url(url)).connect() as connection:
        exists = connection.execute(select(Person.id).where(Person.login == ADMIN_LOGIN)).first() is not None
    if not exists:
        execute(bootstrap_administrator, AddPerson(login=ADMIN_LOGIN, display_name="Adam Administrator"),
                actor=bootstrap_principal(), url=url, keyed=False)
    token = execute(issue_token, IssueToken(login=ADMIN_LOGIN), actor=bootstrap_principal(), url=url,
                    keyed=False)["token"]
    return authenticate(token, url=url, role="administrator"), token


def person(url: str, login: str, name: str, *grants: str | tuple[str, str]) -> tuple[Actor, str]:
    """A person with ``grants`` (a role, or (role, case code) for a case's role, or (role, KRS) for an
    applicant); returns the actor their token proves (in their first granted role) and the token."""
    admin, _ = administrator(url)
    execute(add_person, AddPerson(login=login, display_name=name), actor=admin, url=url)
    first = None
    for grant in grants:
        role, scope = (grant, None) if isinstance(grant, str) else grant
        first = first or role
        execute(grant_role, GrantRole(login=login, role=role, case=scope if role != "applicant" else None,
                                      organisation=scope if role == "applicant" else None), actor=admin, url=url)
    token = execute(issue_token, IssueToken(login=login), actor=admin, url=url, keyed=False)["token"]
    return authenticate(token, url=url, role=first), token
