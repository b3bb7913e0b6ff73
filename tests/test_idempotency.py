"""An intent is done once (invariant 10): every writing command carries an idempotency key, recorded with its
answer in its own transaction; after a COMMIT whose answer was lost the key decides.

In-process, SQLite and PostgreSQL: the key and answer are recorded, reads and the tick's batches record none,
a key given again answers as the first run without writing, a key reused for another command is refused, and a
lost COMMIT answer (the driver's commit raising after the real commit) is settled by the key.

For real, PostgreSQL, through the CLI in its own process: a TCP proxy (tests/commit_proxy.py) between ``coop``
and the server passes COMMIT on and cuts the client off before the answer reaches it, for one filing or creating
command of each procedure and ``org add``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

import coop.core_cli  # noqa: F401  (registers the command groups)
import coop.procedures_cli  # noqa: F401
from coop.cli import app
from models.command_log import CommandRecord
from models.db import OutcomeUnknown, get_engine, normalise_url
from states import inputs
from states.cases import register_organisation
from states.engine import execute
from states.errors import InvalidInput
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.tick import tick
from tests.cli_runner import CliRunner
from tests.commit_proxy import CommitProxy
from tests.conftest import dump, empty_tables
from tests.test_open_call_guards import KRS, OFFICER, announced_call, file

ROOT = Path(__file__).resolve().parents[1]
ORG = inputs.RegisterOrganisation(name="Fundacja Zdrowy Senior", legal_form="fundacja", krs="0000100099",
                             address="Leszno", email="biuro@example.org", contact_person="Jan Prezes")


def log_rows(url: str) -> list[tuple]:
    with get_engine(normalise_url(url)).connect() as conn:
        return conn.execute(sa.select(CommandRecord.__table__)).all()


def count(url: str, sql: str) -> int:
    with get_engine(normalise_url(url)).connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


# --- in-process, both backends --------------------------------------------------------------------------------


def test_a_writing_command_records_its_key_and_answer_and_reads_and_the_tick_record_nothing(db_url):
    code = announced_call(db_url, orgs=1)  # 1 organisation, a call created and announced: 3 commands
    rows = {row.handler: row for row in log_rows(db_url)}
    assert set(rows) == {"states.cases:register_organisation", "states.open_call_commands:create_call",
                         "states.open_call_commands:announce_call"}
    created = rows["states.open_call_commands:create_call"]
    assert created.result == {"code": code, "state": "draft"} and (created.actor, created.role) == (OFFICER.name, "officer")
    assert len({row.key for row in rows.values()}) == 3  # a new key for each intent
    execute(open_call_handlers.show_ranking, inputs.CaseRef(code=code), actor=OFFICER, url=db_url, readonly=True)
    report = tick("2026-01-24T08:00+01:00", url=db_url)
    assert report.fired == 1  # the offers closed: a batch of the tick, not a command with a key
    assert len(log_rows(db_url)) == 3


def test_a_command_given_its_key_again_answers_as_the_first_time_and_writes_nothing(db_url):
    first = execute(register_organisation, ORG, actor=OFFICER, at="2026-01-02T08:00+01:00", url=db_url,
                    idempotency_key="org-add-1")
    before = dump(db_url)
    again = execute(register_organisation, ORG, actor=OFFICER, at="2026-01-03T08:00+01:00", url=db_url,
                    idempotency_key="org-add-1")  # later, as a retry without --at would be
    assert again == first  # not "already in the registry"
    assert dump(db_url) == before
    # Through the CLI: the same output, the same exit, nothing written.
    env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": OFFICER.name}
    args = ["offer", "file", announced_call(db_url, orgs=1), "--organisation", KRS[0], "--title", "Aktywny senior",
            "--grant", "25000", "--task-start", "2026-04-01", "--task-end", "2026-06-30",
            "--at", "2026-01-12T10:00+01:00", "--idempotency-key", "offer-1"]
    one = CliRunner().invoke(app, args, env=env)
    assert one.exit_code == 0, one.output
    before = dump(db_url)
    two = CliRunner().invoke(app, args, env=env)
    assert (two.exit_code, two.stdout) == (0, one.stdout) and "offer: 1" in one.stdout
    assert dump(db_url) == before


def test_a_key_used_for_another_command_or_by_another_actor_is_refused(db_url):
    execute(register_organisation, ORG, actor=OFFICER, at="2026-01-02T08:00+01:00", url=db_url, idempotency_key="k-1")
    before = dump(db_url)
    other = inputs.RegisterOrganisation(**{**ORG.model_dump(), "krs": "0000100098", "name": "Inna"})
    with pytest.raises(InvalidInput, match="k-1"):
        execute(register_organisation, other, actor=OFFICER, at="2026-01-02T08:00+01:00", url=db_url,
                idempotency_key="k-1")
    result = CliRunner().invoke(app, ["org", "add", "--name", "Inna", "--legal-form", "fundacja", "--address", "Leszno",
                                      "--email", "a@example.org", "--contact", "X", "--idempotency-key", "k-1"],
                                env={"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Ktoś Inny"})
    assert result.exit_code == 2 and "k-1" in result.stderr and "Traceback" not in result.output
    bad = CliRunner().invoke(app, ["org", "list", "--idempotency-key", "zły klucz;rm"],
                             env={"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Ktoś"})
    assert bad.exit_code == 2 and "idempotenc" in bad.stderr.lower()
    assert dump(db_url) == before


class LostCommitReply:
    """The driver's COMMIT done, then an error as if the connection broke before its answer: in-process, on
    both backends (the real fault, on PostgreSQL, is the proxy's below). ``then_unreachable``: every look after
    it fails too."""

    def __init__(self, monkeypatch, url: str, cuts: int = 1, then_unreachable: bool = False):
        engine = get_engine(normalise_url(url))
        dialect, real = engine.dialect, engine.dialect.do_commit
        broken = psycopg.OperationalError if dialect.name == "postgresql" else __import__("sqlite3").OperationalError
        self.cut = 0

        def do_commit(dbapi_connection):
            real(dbapi_connection)
            if self.cut < cuts:
                self.cut += 1
                raise broken("server closed the connection unexpectedly")

        monkeypatch.setattr(dialect, "do_commit", do_commit)
        if then_unreachable:
            import models.db

            def unreachable(key, url):
                raise sa.exc.OperationalError("SELECT", {}, broken("connection refused"))

            monkeypatch.setattr(models.db, "_recorded", unreachable)


def test_a_lost_commit_answer_is_settled_by_the_key_found(db_url, monkeypatch):
    code = announced_call(db_url, orgs=1)
    lost = LostCommitReply(monkeypatch, db_url)
    number = file(db_url, code, 0)
    assert lost.cut == 1 and number == 1
    assert count(db_url, "SELECT count(*) FROM offers") == 1  # not run again
    assert count(db_url, "SELECT count(*) FROM audit_log WHERE event = 'file_offer'") == 1


def test_a_lost_commit_answer_with_the_database_gone_says_the_outcome_is_unknown(db_url, monkeypatch):
    code = announced_call(db_url, orgs=1)
    LostCommitReply(monkeypatch, db_url, then_unreachable=True)
    with pytest.raises(OutcomeUnknown) as info:
        file(db_url, code, 0)
    assert info.value.exit_code == 76
    message = info.value.message()
    assert "Nie wiadomo" in message and f"coop history {code}" in message and "nic nie zostało zapisane" not in message
    key = info.value.details["key"]
    monkeypatch.undo()
    assert count(db_url, "SELECT count(*) FROM offers") == 1  # it was written
    # The same intent again, with its key: answered from the record, not written twice.
    same = open_call_inputs.FileOffer(code=code, organisation_krs=KRS[0], title="Zadanie 1", requested_grant="30000.00",
                       task_start="2026-04-01", task_end="2026-06-30")  # what file() filed
    again = execute(open_call_handlers.file_offer, same, actor=OFFICER, at="2026-01-12T10:00+01:00", url=db_url, idempotency_key=key)
    assert again == {"code": code, "offer": 1, "state": "received"}
    assert count(db_url, "SELECT count(*) FROM offers") == 1


# --- for real: a proxy cuts the answer to COMMIT (PostgreSQL, the CLI in its own process) ----------------------


def _offer(url):
    code = announced_call(url, orgs=1)
    return (["offer", "file", code, "--organisation", KRS[0], "--title", "Aktywny senior", "--grant", "25000",
             "--task-start", "2026-04-01", "--task-end", "2026-06-30", "--at", "2026-01-12T10:00+01:00"],
            "SELECT count(*) FROM offers", code)


def _small_grant(url):
    execute(register_organisation, ORG, actor=OFFICER, at="2026-01-02T08:00+01:00", url=url)
    execute(small_grant_handlers.record_budget, small_grant_inputs.RecordGrantBudget(year=2026, planned="1500000.00"), actor=OFFICER,
            at="2026-01-02T09:00+01:00", url=url)
    return (["grant", "file", "--krs", ORG.krs, "--title", "Rajd rowerowy", "--amount", "9500.00",
             "--start", "2026-05-01", "--end", "2026-07-16", "--at", "2026-04-01T10:00+02:00"],
            "SELECT count(*) FROM cases WHERE kind = 'small_grant'", None)


def _initiative(_url):
    return (["initiative", "file", "--title", "Ogród sąsiedzki", "--representative", "Krystyna Nowak",
             "--resident", "Krystyna Nowak", "--resident", "Adam Lis", "--resident", "Ewa Maj", "--sphere", "greenery",
             "--location", "działka 123/4", "--owner", "Miasto Leszno", "--description", "Zieleniec.",
             "--at", "2026-03-02T10:00+01:00"],
            "SELECT count(*) FROM cases WHERE kind = 'local_initiative'", None)


def _regranting(_url):
    return (["regrant", "create", "--title", "Mikrogranty Leszno 2026", "--area", "aktywność lokalna",
             "--budget", "100000", "--at", "2026-01-02T09:00+01:00"],
            "SELECT count(*) FROM cases WHERE kind = 'regranting'", None)


def _consultation(_url):
    return (["consult", "create", "--title", "Uchwała o trybie powoływania RDPP", "--field",
             "działalność pożytku publicznego", "--at", "2027-04-28T09:00+02:00"],
            "SELECT count(*) FROM cases WHERE kind = 'consultation'", None)


def _org(_url):
    return (["org", "add", "--name", ORG.name, "--legal-form", ORG.legal_form, "--krs", ORG.krs, "--address",
             ORG.address, "--email", ORG.email, "--contact", ORG.contact_person, "--at", "2026-01-02T08:00+01:00"],
            f"SELECT count(*) FROM organisations WHERE krs = '{ORG.krs}'", None)


HANDLERS = {"offer file": "states.open_call_commands:file_offer", "grant file": "states.small_grant_commands:file_offer",
            "initiative file": "states.local_initiative_commands:file", "regrant create": "states.regranting_commands:create",
            "consult create": "states.consultation_commands:create", "org add": "states.cases:register_organisation"}
COMMANDS = {"offer file": _offer, "grant file": _small_grant, "initiative file": _initiative,
            "regrant create": _regranting, "consult create": _consultation, "org add": _org}


def coop(url: str, args: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    environment.update(COOP_DATABASE_URL=url, COOP_ACTOR=OFFICER.name, PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "coop", *args], env=environment, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_commit_answer_cut_once_is_found_by_the_key_one_copy_exit_0(name, postgresql_url):
    empty_tables(postgresql_url)
    args, copies, _ = COMMANDS[name](postgresql_url)
    with CommitProxy(cuts=1, lose="reply") as proxy:
        done = coop(proxy.url(postgresql_url), args)
    assert proxy.cut == 1 and proxy.commits == 1  # cut, and not committed again
    assert done.returncode == 0, done.stderr
    assert count(postgresql_url, copies) == 1
    key, = [row.key for row in log_rows(postgresql_url) if row.handler == HANDLERS[name]]
    # Run again with the key it was given: the answer recorded is what it printed.
    again = coop(postgresql_url, [*args, "--idempotency-key", key])
    assert (again.returncode, again.stdout) == (0, done.stdout)
    assert count(postgresql_url, copies) == 1


@pytest.mark.parametrize("name", COMMANDS)
def test_the_database_gone_after_the_cut_says_outcome_unknown_and_the_key_settles_it(name, postgresql_url):
    empty_tables(postgresql_url)
    args, copies, code = COMMANDS[name](postgresql_url)
    with CommitProxy(cuts=1, lose="reply", down_after_cut=True) as proxy:
        done = coop(proxy.url(postgresql_url), args)
    assert proxy.cut == 1
    assert done.returncode == 76, done.stderr
    assert "Nie wiadomo, czy polecenie zostało zapisane" in done.stderr and "Traceback" not in done.stderr
    assert "nic nie zostało zapisane" not in done.stderr
    # Where to look: the case it names, or (a command creating a case or an organisation) the lists.
    assert (f"coop history {code}" if code else "coop list") in done.stderr
    key = re.search(r"--idempotency-key (\S+)", done.stderr).group(1)
    assert count(postgresql_url, copies) == 1  # it had been committed
    again = coop(postgresql_url, args, COOP_IDEMPOTENCY_KEY=key)  # the database back: the same intent again
    assert again.returncode == 0, again.stderr
    assert count(postgresql_url, copies) == 1


def test_every_commit_answer_cut_still_one_copy_exit_0(postgresql_url):
    empty_tables(postgresql_url)
    args, copies, _ = _offer(postgresql_url)
    with CommitProxy(cuts=None, lose="reply") as proxy:
        done = coop(proxy.url(postgresql_url), args)
    assert (proxy.cut, proxy.commits) == (1, 1) and done.returncode == 0, done.stderr
    assert "offer: 1" in done.stdout and count(postgresql_url, copies) == 1


def test_a_commit_that_never_reached_the_server_is_run_again_once(postgresql_url):
    empty_tables(postgresql_url)
    args, copies, _ = _offer(postgresql_url)
    with CommitProxy(cuts=1, lose="request") as proxy:
        done = coop(proxy.url(postgresql_url), args)
    assert (proxy.cut, proxy.commits) == (1, 2)  # the key was absent: run again, committed the second time
    assert done.returncode == 0, done.stderr
    assert "offer: 1" in done.stdout and count(postgresql_url, copies) == 1
    assert len(log_rows(postgresql_url)) == 4  # the set-up's 3 commands and this one
