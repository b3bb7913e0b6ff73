"""Who acts is proven (invariant 9): people, grants and personal tokens; a real database runs a step only for a
person proven by their token (or the engine's own worker); a token is shown once and kept only as its hash.
SQLite and PostgreSQL; refusals compared on full database dumps."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import coop.audit_cli  # noqa: F401
import coop.core_cli  # noqa: F401  (registers the command groups)
import coop.people_cli  # noqa: F401
from coop.cli import app
from models.db import get_engine, normalise_url
from models.people_tables import AccessToken, PeopleRecord
from states import people
from states.actors import Actor
from states.engine import execute
from states.errors import NotPermitted
from states.people import (
    GrantRole,
    TokenRef,
    authenticate,
    forget_verified,
    grant_role,
    revoke_grant,
    revoke_token,
)
from tests.conftest import dump, history_unlocked
from tests.people_fixtures import administrator, person

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_verifications(tmp_path, monkeypatch):
    """Each test verifies its tokens anew, and keeps its token file in a data directory of its own."""
    forget_verified()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    yield
    forget_verified()


def cli(url: str, *args: str, input: str | None = None, **env: str | None):
    environment = {"COOP_DATABASE_URL": url, "COOP_LANG": "pl", "COOP_ACTOR": None, "COOP_ROLE": None,
                   "COOP_NOW": None, "COOP_REASON": None, "COOP_TOKEN": None, **env}
    return CliRunner().invoke(app, list(args), env=environment, input=input)


def error_of(result) -> dict:
    return json.loads(result.output.strip().splitlines()[-1])


CREATE = ("call", "create", "--title", "Sport 2027", "--area", "kultura fizyczna", "--budget", "1000", "--json")


# --- the CLI on a real database -----------------------------------------------------------------------------------


def test_a_command_without_a_token_is_refused_on_a_real_database(real_db_url):
    person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    before = dump(real_db_url)
    for claimed in ({}, {"COOP_ACTOR": "Anna Urzędniczka"}, {"COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": "officer"}):
        refused = cli(real_db_url, *CREATE, **claimed)
        assert refused.exit_code == 5, refused.output
        assert error_of(refused)["error"] == "token_required"
        assert "COOP_TOKEN" in error_of(refused)["message"] and "inv. 9" in error_of(refused)["message"]
        assert dump(real_db_url) == before
    # a read too: nobody reads a real database's cases without proving who they are
    assert cli(real_db_url, "list").exit_code == 5
    assert cli(real_db_url, "history", "OK/2026/001").exit_code == 5  # the quick path steps aside there
    text = cli(real_db_url, "call", "create", "--title", "A", "--area", "sport", "--budget", "1")
    assert text.exit_code == 5 and "Traceback" not in text.output and "błąd:" in text.output


def test_a_person_with_a_token_acts_under_their_own_name(real_db_url):
    _, token = person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    done = cli(real_db_url, *CREATE, COOP_TOKEN=token)
    assert done.exit_code == 0, done.output
    code = json.loads(done.stdout)["code"]
    history = cli(real_db_url, "history", code, "--json", COOP_TOKEN=token)
    (record,) = json.loads(history.stdout)
    assert (record["actor"], record["role"]) == ("Anna Urzędniczka", "officer")


def test_a_claimed_name_or_an_ungranted_role_is_refused_beside_a_token(real_db_url):
    _, token = person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    before = dump(real_db_url)
    other = cli(real_db_url, *CREATE, "--actor", "Prezydent Miasta", COOP_TOKEN=token)
    assert other.exit_code == 5 and error_of(other)["error"] == "actor_claimed"
    role = cli(real_db_url, *CREATE, "--role", "scheduler", COOP_TOKEN=token)
    assert role.exit_code == 5 and error_of(role)["error"] == "role_not_granted"
    auditor = cli(real_db_url, *CREATE, "--role", "auditor", COOP_TOKEN=token)
    assert auditor.exit_code == 5
    assert dump(real_db_url) == before
    # naming oneself is no claim: it is taken
    assert cli(real_db_url, *CREATE, "--actor", "Anna Urzędniczka", COOP_TOKEN=token).exit_code == 0


def test_an_expired_revoked_or_unknown_token_or_a_person_who_left_is_refused(real_db_url):
    admin, _ = administrator(real_db_url)
    _, token = person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    engine = get_engine(normalise_url(real_db_url))
    tokens = AccessToken.__table__
    with engine.begin() as conn:
        conn.execute(tokens.update().where(tokens.c.token_hash == people.token_digest(token))
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    forget_verified()  # the next command is a new process
    before = dump(real_db_url)
    expired = cli(real_db_url, *CREATE, COOP_TOKEN=token)
    assert expired.exit_code == 5 and error_of(expired)["error"] == "token_expired", expired.output
    assert dump(real_db_url) == before

    forget_verified()
    _, second = person(real_db_url, "bartek", "Bartosz Urzędnik", "officer")
    assert cli(real_db_url, *CREATE, COOP_TOKEN=second).exit_code == 0
    with engine.connect() as conn:
        public_id = conn.execute(sa.select(tokens.c.public_id).where(
            tokens.c.token_hash == people.token_digest(second))).scalar_one()
    execute(revoke_token, TokenRef(public_id=public_id), actor=admin, url=real_db_url)
    forget_verified()  # a new process: a revocation counts from the next command
    before = dump(real_db_url)
    revoked = cli(real_db_url, *CREATE, COOP_TOKEN=second)
    assert revoked.exit_code == 5 and error_of(revoked)["error"] == "token_revoked"
    unknown = cli(real_db_url, *CREATE, COOP_TOKEN=second[:-4] + "AAAA")
    assert unknown.exit_code == 5 and error_of(unknown)["error"] == "token_unknown"
    assert dump(real_db_url) == before
    # a person who left: every token of theirs stops
    forget_verified()
    _, third = person(real_db_url, "celina", "Celina Urzędniczka", "officer")
    execute(people.deactivate_person, people.PersonRef(login="celina"), actor=admin, url=real_db_url)
    forget_verified()
    before = dump(real_db_url)
    gone = cli(real_db_url, *CREATE, COOP_TOKEN=third)
    assert gone.exit_code == 5 and error_of(gone)["error"] == "person_inactive"
    assert dump(real_db_url) == before
    # revoking a grant takes the role away with it
    execute(revoke_grant, GrantRole(login="bartek", role="officer"), actor=admin, url=real_db_url)
    with pytest.raises(NotPermitted):
        execute(grant_role, GrantRole(login="bartek", role="officer"), actor=Actor("Bartosz Urzędnik", "officer"),
                url=real_db_url)


def test_a_token_is_printed_once_at_issue_and_never_stored_in_clear(real_db_url):
    _, admin_token = administrator(real_db_url)
    assert cli(real_db_url, "people", "add", "anna", "--name", "Anna Urzędniczka", COOP_TOKEN=admin_token).exit_code == 0
    assert cli(real_db_url, "people", "grant", "anna", "officer", COOP_TOKEN=admin_token).exit_code == 0
    issued = cli(real_db_url, "token", "issue", "anna", COOP_TOKEN=admin_token)
    assert issued.exit_code == 0, issued.output
    (token,) = re.findall(r"coop_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", issued.output)
    assert issued.output.count(token) == 1 and "jeden raz" in issued.output  # and the person is told so
    assert len(token) >= 40  # 256 random bits after the id
    # the database holds its hash only: no table, the command log included, holds the text
    rows = json.dumps(dump(real_db_url), default=str, ensure_ascii=False)
    assert token not in rows and token.split("_", 2)[2] not in rows and people.token_digest(token) in rows
    # nor does any later output show it
    listed = cli(real_db_url, "people", "list", "--json", COOP_TOKEN=admin_token)
    whoami = cli(real_db_url, "whoami", COOP_TOKEN=token)
    assert listed.exit_code == whoami.exit_code == 0
    assert token not in listed.output + whoami.output and "Anna Urzędniczka" in whoami.output


def test_login_keeps_the_token_in_a_file_only_its_owner_reads(real_db_url, tmp_path):
    _, token = person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    given = tmp_path / "given"
    given.write_text(token)
    logged = cli(real_db_url, "login", "--token-file", str(given), "--json")
    assert logged.exit_code == 0, logged.output
    kept = Path(json.loads(logged.stdout)["token_file"])
    assert kept == people.token_path() and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert token not in logged.output
    assert cli(real_db_url, *CREATE).exit_code == 0  # the kept token proves who acts
    os.chmod(kept, 0o644)
    before = dump(real_db_url)
    loose = cli(real_db_url, *CREATE)
    assert loose.exit_code == 5 and error_of(loose)["error"] == "token_file_open"
    assert dump(real_db_url) == before
    assert cli(real_db_url, "logout").exit_code == 0 and not kept.exists()
    assert cli(real_db_url, *CREATE).exit_code == 5
    # asked for, it is not echoed
    typed = cli(real_db_url, "login", input=token + "\n")
    assert typed.exit_code == 0, typed.output
    assert token not in typed.output and stat.S_IMODE(kept.stat().st_mode) == 0o600
    bad = tmp_path / "bad"
    bad.write_text("coop_00000000_" + "A" * 43)
    assert cli(real_db_url, "logout").exit_code == 0
    assert cli(real_db_url, "login", "--token-file", str(bad)).exit_code == 5 and not kept.exists()


# --- the one writer -----------------------------------------------------------------------------------------------


def test_the_one_writer_refuses_a_typed_name_on_a_real_database(real_db_url):
    from states import inputs
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs

    before = dump(real_db_url)
    for actor in (Actor("Anna Urzędniczka", "officer"), Actor("Anna", "officer", person="anna", proof="token")):
        with pytest.raises(NotPermitted) as info:
            execute(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="T", task_area="sport",
                                                                                   budget="1000"), actor=actor,
                    url=real_db_url)
        assert info.value.rule == "actor_not_proven"
        with pytest.raises(NotPermitted):
            execute(open_call_handlers.show_ranking, inputs.CaseRef(code="OK/2026/001"), actor=actor, url=real_db_url,
                    readonly=True)
    assert dump(real_db_url) == before


def test_a_simulation_database_still_takes_a_typed_name(db_url):
    done = cli(db_url, *CREATE, "--at", "2026-01-05T09:00+01:00", COOP_ACTOR="Anna Urzędniczka")
    assert done.exit_code == 0, done.output
    _, token = person(db_url, "anna.nowak", "Anna Nowak", "officer")
    proven = cli(db_url, "whoami", "--json", COOP_TOKEN=token)
    assert json.loads(proven.stdout)["proven_by"] == "token"


def test_only_the_authentication_functions_make_a_proven_actor():
    """``_proven`` is called only where something was verified (a token, the bootstrap's database credentials,
    the engine's own worker); anywhere else an Actor is a typed name."""
    callers = set()
    for folder in ("states", "flows", "coop", "notifications", "models"):
        for path in (ROOT / folder).rglob("*.py"):
            if re.search(r"\b_proven\(", path.read_text(encoding="utf-8")):
                callers.add(str(path.relative_to(ROOT)))
    assert callers == {"states/actors.py", "states/people.py"}
    assert not Actor("scheduler", "scheduler").proven and people.bootstrap_principal().proven


# --- the registry and its chain -----------------------------------------------------------------------------------


def test_the_bootstrap_makes_only_the_first_administrator(real_db_url):
    first = cli(real_db_url, "people", "bootstrap", "--login", "admin", "--name", "Adam Admin", "--json")
    assert first.exit_code == 0, first.output
    token = json.loads(first.stdout)["token"]
    before = dump(real_db_url)
    second = cli(real_db_url, "people", "bootstrap", "--login", "eve", "--name", "Ewa", "--json")
    assert second.exit_code == 5 and error_of(second)["error"] == "administrator_exists"
    assert dump(real_db_url) == before
    last = cli(real_db_url, "people", "revoke", "admin", "administrator", "--json", COOP_TOKEN=token)
    assert last.exit_code == 2 and error_of(last)["error"] == "last_administrator"
    assert dump(real_db_url) == before


def test_every_registry_change_is_in_the_people_chain_and_verify_finds_an_edit(real_db_url):
    _, token = person(real_db_url, "jan", "Jan Kowalski", "auditor")
    verified = cli(real_db_url, "audit", "verify", "--json", COOP_TOKEN=token)
    assert verified.exit_code == 0, verified.output
    result = json.loads(verified.stdout)
    assert result["broken"] == [] and result["people_records"] >= 6
    engine = get_engine(normalise_url(real_db_url))
    log = PeopleRecord.__table__
    with engine.connect() as conn:
        events = [r.event for r in conn.execute(sa.select(log.c.event).order_by(log.c.seq))]
    assert events == ["add_person", "grant", "issue_token"] * 2  # the administrator's bootstrap, then Jan
    with engine.connect() as conn:  # the engine's role cannot change the people chain (insert-only, like audit_log)
        with pytest.raises(sa.exc.DBAPIError) as refused, conn.begin():
            conn.execute(log.update().where(log.c.subject == "person:jan").values(actor="Ktoś"))
        assert "insert-only" in str(refused.value)
    # a superuser (or a SQLite file's writer) who can switch that off makes Jan an officer in the record
    with engine.begin() as conn, history_unlocked(conn):
        conn.execute(log.update().where(log.c.event == "grant", log.c.subject == "person:jan")
                     .values(payload={"role": "officer", "case": None, "organisation": None}))
    forget_verified()
    broken = cli(real_db_url, "audit", "verify", "--json", COOP_TOKEN=token)
    assert broken.exit_code == 1
    (failure,) = json.loads(broken.stdout)["broken"]
    assert failure["case"] == "people" and "edited" in failure["reason"]


def test_token_verification_is_one_read_per_command(real_db_url):
    """One statement verifies a token and loads the person's grants; a second use in the process reads nothing."""
    _, token = person(real_db_url, "anna", "Anna Urzędniczka", "officer", "auditor")
    forget_verified()
    engine = get_engine(normalise_url(real_db_url))
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement not in ("BEGIN", "BEGIN IMMEDIATE"):  # SQLite's transaction (a read takes no write lock)
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        first = authenticate(token, url=real_db_url)
        again = authenticate(token, url=real_db_url, role="auditor")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "access_tokens" in statements[0]
    assert (first.role, again.role, first.person) == ("officer", "auditor", "anna") and first.proven


def test_a_person_of_several_roles_acts_in_the_one_each_command_admits(real_db_url):
    """No --role: an administrator who is also an officer grants as the administrator and opens a call as the
    officer; --role narrows to one of theirs."""
    _, admin_token = administrator(real_db_url)
    assert cli(real_db_url, "people", "grant", "admin", "officer", COOP_TOKEN=admin_token).exit_code == 0
    forget_verified()  # the next command is a new process: it reads the new grant
    granted = cli(real_db_url, "people", "add", "ewa", "--name", "Ewa Nowak", COOP_TOKEN=admin_token)
    assert granted.exit_code == 0, granted.output
    created = cli(real_db_url, *CREATE, COOP_TOKEN=admin_token)
    assert created.exit_code == 0, created.output
    history = cli(real_db_url, "history", json.loads(created.stdout)["code"], "--json", COOP_TOKEN=admin_token)
    assert [(r["actor"], r["role"]) for r in json.loads(history.stdout)] == [("Adam Administrator", "officer")]
    narrowed = cli(real_db_url, *CREATE, "--role", "administrator", COOP_TOKEN=admin_token)
    assert narrowed.exit_code == 5 and error_of(narrowed)["error"] == "role_not_permitted"
    engine = get_engine(normalise_url(real_db_url))
    with engine.connect() as conn:
        roles = [r.role for r in conn.execute(sa.select(PeopleRecord.__table__.c.role))]
    assert set(roles) == {"administrator"}  # every registry change was the administrator's
