"""Migrations keep the record: a database built at the first revision, holding cases of every procedure,
upgraded to the newest revision keeps every row and every audit chain verifies; and the first migration's
downgrade empties an empty database cleanly so it can be upgraded again. SQLite and PostgreSQL.

Every migration after the first runs through it (0002: the tick's claim index; 0003 too: it rewrites only webhook
rows, which this data has none of, and has a test of its own; 0004: the engine's settings, its clock mode written
on first use); one that rewrites data must update the dump comparison on purpose."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import SQLModel

import models.command_log
import models.db
import models.schema  # noqa: F401  (every table on the metadata)
import notifications.settings
import states.engine
from coop.demo import run_open_call
from models.db import MIGRATIONS_DIR, SCHEMA_REVISION, current_revision, get_engine, upgrade
from models.settings import SIMULATION, stored_clock_mode
from states.engine import Actor, execute
from states.queries import verify_cases
from tests.conftest import dump, unused_database
from tests.notification_helpers import small_grant_case
from tests.regranting_fixtures import micro, selection_published
from tests.test_consultation import comment, open_, programme
from tests.test_local_initiative import to_execution
from tests.test_migrations import script_directory

AUDITOR = Actor("Kontrola", "auditor")
FIRST_REVISION = script_directory().get_base()

# 0009: nobody is registered by a migration (the first administrator is made by `coop people bootstrap`).
EMPTY_PEOPLE = {"persons": [], "person_grants": [], "access_tokens": [], "people_log": []}
# 0010's desk credentials and 0011's OpenID Connect links: start empty too
EMPTY_DESK = {"person_credentials": [], "login_attempts": [], "desk_sessions": [], "person_oidc_links": []}
# 0013's offer versions and submission counts, 0014's portal accounts, e-mail links, registrations,
# representation requests and organisation profiles, 0015's drafts, 0017's comment requests, 0018's attachments,
# 0019's local-initiative applications, 0021's password-reset links and requests, 0025's door arrivals: nothing
# was filed on a form before them
EMPTY_PORTAL = {"offer_versions": [], "submission_attempts": [], "portal_accounts": [], "email_confirmations": [],
                "registration_attempts": [], "representation_claims": [], "organisation_profiles": [],
                "offer_drafts": [], "offer_attachments": [], "public_comment_requests": [], "initiative_filings": [],
                "password_resets": [], "password_reset_attempts": [], "intent_arrivals": []}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """A database of its own (not the session's, which is already at head)."""
    with unused_database(request.param, tmp_path, "coop_migdata") as url:
        yield url


def every_procedure(url: str) -> None:
    """Cases of all five procedures, each mid-life or further, from the demo and the procedures' tests."""
    run_open_call(url, offers=3)
    small_grant_case(url)
    code = programme(url)["code"]
    open_(url, code)
    comment(url, code, "Stowarzyszenie Rowerowe", "2026-11-02T10:00+01:00")
    to_execution(url)
    code = selection_published(url)
    micro(url, code, 0, "2026-04-01T10:00+02:00")


def audited(url: str) -> dict:
    return execute(verify_cases, actor=AUDITOR, url=url, readonly=True)


def test_upgrading_from_the_first_revision_keeps_every_case_of_every_procedure(fresh_url, monkeypatch):
    engine = sa.create_engine(fresh_url)
    upgrade(engine, FIRST_REVISION)
    assert current_revision(engine) == FIRST_REVISION
    engine.dispose()
    with monkeypatch.context() as old_engine:
        # Build the data as the first revision's engine did: on its schema (the engine must not bring it to head
        # on first use), with no clock mode (0003 added it) and every record's recorded_at equal to its at.
        old_engine.setattr(models.db, "ensure_schema", lambda engine: None)
        old_engine.setattr(states.engine, "clock_mode", lambda engine: SIMULATION)
        old_engine.setattr(states.engine.Context, "written_at", property(lambda ctx: ctx.now))
        old_engine.setattr(models.command_log, "record", lambda connection, key, result: None)  # no table yet
        old_engine.setattr(notifications.settings, "read_values", lambda connection: {})  # its settings: defaults
        every_procedure(fresh_url)
        data = get_engine(fresh_url)
        assert current_revision(data) == FIRST_REVISION

        before = dump(fresh_url)
        kinds = Counter(row[SQLModel.metadata.tables["cases"].columns.keys().index("kind")] for row in before["cases"])
        assert set(kinds) >= {"open_call", "small_grant", "consultation", "local_initiative", "regranting"}, kinds
        filled = {"organisations", "cases", "audit_log", "deadlines", "notifications", "publications", "offers",
                  "scores", "contracts", "reports", "small_grant_years", "small_grant_offers", "consultation_comments",
                  "local_initiatives", "local_initiative_costs", "micro_grants"}
        assert {name for name in filled if not before[name]} == set()
        assert "engine_settings" not in before  # not at the first revision
        columns = SQLModel.metadata.tables["audit_log"].columns.keys()
        at, recorded_at = columns.index("at"), columns.index("recorded_at")
        assert all(row[at] == row[recorded_at] for row in before["audit_log"])  # an old history
        verdict = audited(fresh_url)
        assert verdict == {"verified": len(before["cases"]), "broken": []}

    upgrade(data)
    assert current_revision(data) == SCHEMA_REVISION
    # No row moved; the clock is written on first use; the command log starts empty; every case is yet to have
    # its waiting steps derived (0012: ``waiting_seen`` 0, the last column of the cases).
    after = dump(fresh_url)
    assert {row[-1] for row in after["cases"]} == {0}
    after["cases"] = sorted((row[:-1] for row in after["cases"]), key=repr)
    # 0022, 0023: a report's small grant's offer and local initiative (its last two columns), none for an open
    # call's report
    assert after["reports"] and {row[-2:] for row in after["reports"]} == {(None, None)}
    after["reports"] = [row[:-2] for row in after["reports"]]
    # 0029: no application typed in from paper has a portal representative named yet (its last column)
    assert after["local_initiatives"] and {row[-1] for row in after["local_initiatives"]} == {None}
    after["local_initiatives"] = [row[:-1] for row in after["local_initiatives"]]
    assert after == {**before, "engine_settings": [], "command_log": [], "engine_setting_changes": [],
                     "audit_anchors": [], "waiting_steps": [], **EMPTY_PEOPLE, **EMPTY_DESK,
                     **EMPTY_PORTAL}
    assert audited(fresh_url) == verdict  # the old chains (recorded_at == at) verify under the new engine
    assert stored_clock_mode(data) == SIMULATION  # its first use: COOP_SIMULATION=1 in the tests, else real


def alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def test_the_first_migration_downgrades_to_base_and_upgrades_again(fresh_url):
    engine = sa.create_engine(fresh_url)
    try:
        upgrade(engine)
        tables = set(SQLModel.metadata.tables)
        assert set(sa.inspect(engine).get_table_names()) == tables | {"alembic_version"}
        config = alembic_config(engine)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert set(sa.inspect(engine).get_table_names()) == tables | {"alembic_version"}
        assert current_revision(engine) == SCHEMA_REVISION
    finally:
        engine.dispose()


def test_0003_takes_webhook_urls_out_of_the_outbox(fresh_url, monkeypatch):
    """Before 0003 a public notice's row held COOP_WEBHOOK_URL (a token in its path) as its recipient, and an
    error from the HTTP library could quote it; after it, the row names the channel and the error hides it."""
    from tests.notification_helpers import invalidated_call

    secret_url = f"http://portal.leszno.example/hooks/token-{uuid.uuid4().hex}"
    engine = sa.create_engine(fresh_url)
    upgrade(engine, "0002")
    engine.dispose()
    monkeypatch.setattr(models.db, "ensure_schema", lambda engine: None)
    monkeypatch.setattr(states.engine, "clock_mode", lambda engine: SIMULATION)  # no clock mode before 0004
    monkeypatch.setattr(models.command_log, "record", lambda connection, key, result: None)  # nor a command log
    monkeypatch.setattr(notifications.settings, "read_values", lambda connection: {})  # nor settings
    monkeypatch.setenv("COOP_WEBHOOK_URL", secret_url)
    invalidated_call(fresh_url)
    monkeypatch.undo()
    data = get_engine(fresh_url)
    table = SQLModel.metadata.tables["notifications"]
    with data.begin() as conn:  # the rows as the code before 0003 wrote them
        conn.execute(table.update().where(table.c.channel == "webhook").values(
            recipient=secret_url, last_error=f"HTTPStatusError: Server error '503' for url '{secret_url}'"))
    before = dump(fresh_url)
    assert sum(secret_url in repr(row) for row in before["notifications"]) == 2

    upgrade(data)
    assert current_revision(data) == SCHEMA_REVISION
    after = dump(fresh_url)
    assert secret_url not in repr(after) and "token-" not in repr(after)
    with data.connect() as conn:
        public = conn.execute(sa.select(table.c.recipient, table.c.last_error).where(table.c.channel == "webhook")).all()
    assert [tuple(row) for row in public] == [("public-portal", "HTTPStatusError: Server error '503' for url '***'")] * 2
    assert after.pop("engine_settings") == []  # 0004's table, its clock written at the first use
    assert after.pop("command_log") == []  # 0005's
    assert after.pop("engine_setting_changes") == []  # 0007's
    assert after.pop("audit_anchors") == []  # 0008's
    assert {table: after.pop(table) for table in EMPTY_PEOPLE} == EMPTY_PEOPLE  # 0009's
    assert {table: after.pop(table) for table in EMPTY_DESK} == EMPTY_DESK  # 0010's and 0011's
    assert {table: after.pop(table) for table in EMPTY_PORTAL} == EMPTY_PORTAL  # 0013's, 0014's and 0015's
    assert after.pop("waiting_steps") == []  # 0012's; every case yet to be derived (its last column, 0)
    assert {row[-1] for row in after["cases"]} == {0}
    after["cases"] = sorted((row[:-1] for row in after["cases"]), key=repr)
    assert {k: v for k, v in after.items() if k != "notifications"} == {
        k: v for k, v in before.items() if k != "notifications"}
    assert [r for r in after["notifications"] if "public-portal" not in r] == [
        r for r in before["notifications"] if secret_url not in repr(r)]
