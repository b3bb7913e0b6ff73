"""Two clocks (invariant 3): a database is real or a simulation, decided once; on a real one a step takes effect
now, or at a stated past moment within a bounded window with a reason, never in the future; every audit record
keeps the database's own time of writing. SQLite and PostgreSQL; refusals compared on full database dumps.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

import coop.audit_cli  # noqa: F401  (registers `coop audit ...`)
import coop.core_cli  # noqa: F401
from coop.cli import app
from models.db import get_engine, normalise_url
from models.settings import CLOCK, REAL, SIMULATION, EngineSetting, clock_mode, stored_clock_mode
from models.tables import AuditRecord, Case, Deadline
from states import calendar, inputs
from states.cases import register_organisation
from states.clock import BACKDATING_WINDOW, SKEW, Claim
from states.engine import Actor, execute
from states.errors import DomainError, InvalidInput
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.queries import verify_cases
from states.tick import tick
from tests.cli_runner import CliRunner
from tests.conftest import dump, unused_database

OFFICER = Actor("Anna Urzędniczka", "officer")
AUDITOR = Actor("Rewident", "auditor")
TOKENS: dict[str, str] = {}  # the auditor's token on a real database, for the CLI
KRS = "0000100001"
REASON = "wpływ pocztą, KPA art. 57 § 5"


@pytest.fixture(autouse=True)
def people_of_a_real_database(request, monkeypatch):
    """On a real database the officer and the auditor are people with tokens (invariant 9): the officer's token
    is the CLI's (COOP_TOKEN), and the two actors below are the ones their tokens prove."""
    if "real_db_url" not in request.fixturenames:
        yield
        return
    from tests.people_fixtures import person

    url = request.getfixturevalue("real_db_url")
    officer, token = person(url, "anna", "Anna Urzędniczka", "officer")
    auditor, TOKENS["auditor"] = person(url, "rewident", "Rewident", "auditor")
    globals()["OFFICER"], globals()["AUDITOR"] = officer, auditor
    monkeypatch.setenv("COOP_TOKEN", token)
    yield
    globals()["OFFICER"], globals()["AUDITOR"] = Actor("Anna Urzędniczka", "officer"), Actor("Rewident", "auditor")


def cli(url: str, *args: str, lang: str = "pl", **env: str):
    """``coop`` in this process, pointed at ``url``; every COOP_* the test does not give is unset."""
    environment = {"COOP_DATABASE_URL": url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_LANG": lang,
                   "COOP_NOW": None, "COOP_REASON": None, "COOP_ROLE": None, **env}
    return CliRunner().invoke(app, list(args), env=environment)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def now() -> datetime:
    return datetime.now(UTC)


def records(url: str, code: str) -> list[AuditRecord]:
    with get_engine(normalise_url(url)).connect() as conn:
        case_id = conn.execute(select(Case.id).where(Case.code == code)).scalar_one()
        return [AuditRecord(**row._mapping) for row in conn.execute(
            select(AuditRecord.__table__).where(AuditRecord.case_id == case_id).order_by(AuditRecord.seq))]


def register(url: str) -> None:
    execute(register_organisation, inputs.RegisterOrganisation(name="Fundacja Zdrowy Senior", legal_form="fundacja",
                                                          krs=KRS, address="Leszno", email="biuro@example.org",
                                                          contact_person="Prezes"), actor=OFFICER, url=url)


def call_announced_today(url: str) -> str:
    """An open call created and announced now, its offer deadline 40 days ahead (a real database's day)."""
    register(url)
    code = execute(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Sport 2027", task_area="kultura fizyczna",
                                                    budget=Decimal("50000.00")), actor=OFFICER, url=url)["code"]
    today = calendar.local_date(now())
    published = {channel: iso(now() - timedelta(hours=1)) for channel in ("bip", "board", "website")}
    execute(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline=today + timedelta(days=40), selection_date=today + timedelta(days=60),
        execution_start=today + timedelta(days=70), execution_end=today + timedelta(days=200), published=published),
        actor=OFFICER, url=url)
    return code


def offer_args(code: str) -> list[str]:
    today = calendar.local_date(now())
    return ["offer", "file", code, "--organisation", KRS, "--title", "Liga orlika", "--grant", "5000",
            "--task-start", str(today + timedelta(days=80)), "--task-end", str(today + timedelta(days=150))]


# --- a future moment ----------------------------------------------------------------------------------------------


def test_a_future_at_is_refused_on_a_real_database_and_the_case_lives_on(real_db_url):
    """The issue's case: `committee appoint ... --at 2099-12-31T23:00Z` exited 0 and froze the case for good."""
    code = call_announced_today(real_db_url)
    before = dump(real_db_url)
    refused = cli(real_db_url, "committee", "appoint", code, "--name", "Jan Kowalski", "--at", "2099-12-31T23:00Z")
    assert refused.exit_code == 2, refused.output
    assert "moment_in_future" not in refused.output  # the rule is named in words, not as an identifier
    assert "z przyszłości" in refused.output and "2100-01-01 00:00 (+01:00)" in refused.output
    assert "Traceback" not in refused.output
    assert dump(real_db_url) == before
    english = cli(real_db_url, "committee", "appoint", code, "--name", "Jan Kowalski", lang="en",
                  COOP_NOW="2099-12-31T23:00Z")
    assert english.exit_code == 2 and "dated in the future" in english.output
    assert dump(real_db_url) == before
    # Nothing was poisoned: the next step, now, goes through (on a real database a member is a person of the
    # registry, appointed by login).
    from tests.people_fixtures import person

    person(real_db_url, "jan", "Jan Kowalski")
    appointed = cli(real_db_url, "committee", "appoint", code, "--name", "jan", "--json")
    assert appointed.exit_code == 0, appointed.output


def test_a_future_at_is_accepted_on_a_simulation_database(db_url):
    code = call_announced_today(db_url)
    appointed = cli(db_url, "committee", "appoint", code, "--name", "Jan Kowalski", "--at", "2099-12-31T23:00Z")
    assert appointed.exit_code == 0, appointed.output
    assert records(db_url, code)[-1].at == datetime(2099, 12, 31, 23, tzinfo=UTC)


def test_a_moment_within_the_clocks_tolerance_is_now(real_db_url):
    """Hosts' clocks differ: a moment a little ahead is taken at the database's time (the case's clock never runs
    ahead of the database's), a little behind as stated, both without a reason."""
    ahead = cli(real_db_url, "call", "create", "--title", "A", "--area", "sport", "--budget", "1000", "--json",
                "--at", iso(now() + SKEW / 2))
    assert ahead.exit_code == 0, ahead.output
    behind_at = now() - SKEW / 2
    behind = cli(real_db_url, "call", "create", "--title", "B", "--area", "sport", "--budget", "1000", "--json",
                 "--at", behind_at.isoformat())
    assert behind.exit_code == 0, behind.output
    first, second = (records(real_db_url, json.loads(r.stdout)["code"])[0] for r in (ahead, behind))
    assert first.at == first.recorded_at  # clamped to the time of writing
    assert second.at == behind_at and second.recorded_at > second.at


# --- a past moment ------------------------------------------------------------------------------------------------


def test_a_backdated_at_on_a_real_database_needs_a_reason_and_stays_within_the_window(real_db_url):
    create = ["call", "create", "--title", "Wpłynęło pocztą", "--area", "sport", "--budget", "1000"]
    three_days_ago = now().replace(microsecond=0) - timedelta(days=3)
    before = dump(real_db_url)

    bare = cli(real_db_url, *create, "--at", iso(three_days_ago))
    assert bare.exit_code == 2, bare.output
    assert "--at-reason" in bare.output and "KPA art. 57 § 5" in bare.output and "3 d" in bare.output
    assert dump(real_db_url) == before

    too_far = cli(real_db_url, *create, "--at", iso(now() - BACKDATING_WINDOW - timedelta(hours=1)),
                  "--at-reason", REASON)
    assert too_far.exit_code == 2, too_far.output
    assert f"{BACKDATING_WINDOW.days} dni" in too_far.output and "także z podanym powodem" in too_far.output
    assert dump(real_db_url) == before

    kept = cli(real_db_url, *create, "--at", iso(three_days_ago), "--json", COOP_REASON=REASON)
    assert kept.exit_code == 0, kept.output
    code = json.loads(kept.stdout)["code"]
    (record,) = records(real_db_url, code)
    assert record.at == three_days_ago
    assert abs(record.recorded_at - now()) < timedelta(minutes=1)  # when it was really written
    assert record.payload["effective_time"] == {"reason": REASON}  # hashed with the record
    assert execute(verify_cases, code, actor=AUDITOR, url=real_db_url, readonly=True)["broken"] == []
    history = cli(real_db_url, "history", code, "--json")
    assert json.loads(history.stdout)[0]["payload"]["effective_time"]["reason"] == REASON


def test_a_backdated_at_is_unbounded_on_a_simulation_database(db_url):
    created = cli(db_url, "call", "create", "--title", "T", "--area", "sport", "--budget", "1000", "--json",
                  "--at", "2026-01-02T08:30+01:00")
    assert created.exit_code == 0, created.output
    assert "effective_time" not in records(db_url, json.loads(created.stdout)["code"])[0].payload


def test_every_record_keeps_the_time_it_was_written_beside_its_simulated_moment(db_url):
    started = now()
    code = execute(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="T", task_area="sport", budget=Decimal("1000.00")),
                   actor=OFFICER, at="2026-01-02T08:30+01:00", url=db_url)["code"]
    (record,) = records(db_url, code)
    assert record.at == datetime(2026, 1, 2, 7, 30, tzinfo=UTC)
    assert started - timedelta(seconds=5) <= record.recorded_at <= now() + timedelta(seconds=5)
    assert execute(verify_cases, code, actor=AUDITOR, url=db_url, readonly=True)["broken"] == []


def test_a_batch_of_the_tick_reads_the_time_of_writing_once(db_url):
    """PostgreSQL: one SELECT CURRENT_TIMESTAMP per transaction, however many records it appends."""
    from tests.prefect_fixtures import announced_call, register_organisations

    register_organisations(db_url)
    for _ in range(3):
        announced_call(db_url, offers=1, members=False)
    statements = []
    engine = get_engine(normalise_url(db_url))
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        report = tick("2026-01-24T08:00+01:00", url=db_url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert report.fired == 3 and report.batches == 1
    asked = [s for s in statements if "CURRENT_TIMESTAMP" in s]
    assert len(asked) == (1 if db_url.startswith("postgres") else 0)
    with engine.connect() as conn:
        written = conn.execute(sa.select(AuditRecord.recorded_at, AuditRecord.at)
                               .where(AuditRecord.event == "close_offers")).all()
    assert len(written) == 3 and len({w.recorded_at for w in written}) == 1  # one transaction, one time
    assert {w.at for w in written} == {datetime(2026, 1, 24, 7, tzinfo=UTC)}


# --- receipts -----------------------------------------------------------------------------------------------------


def test_a_receipt_in_the_past_needs_a_reason_on_a_real_database(real_db_url):
    code = call_announced_today(real_db_url)
    before = dump(real_db_url)
    two_days_ago = now().replace(microsecond=0) - timedelta(days=2)
    for moment, words in ((two_days_ago, "--at-reason"),
                          (now() - BACKDATING_WINDOW - timedelta(days=1), f"{BACKDATING_WINDOW.days} dni"),
                          (now() + timedelta(hours=1), "później")):
        refused = cli(real_db_url, *offer_args(code), "--received-at", iso(moment))
        assert refused.exit_code == 2, refused.output
        assert words in refused.output, refused.output
        assert dump(real_db_url) == before
    with_reason = cli(real_db_url, *offer_args(code), "--received-at", iso(two_days_ago), "--at-reason", REASON)
    assert with_reason.exit_code == 0, with_reason.output
    record = records(real_db_url, code)[-1]
    assert record.event == "file_offer" and record.payload["received_at"] == iso(two_days_ago.astimezone(UTC)).replace(
        "+00:00", "Z")
    assert record.payload["effective_time"] == {"reason": REASON}
    # within the tolerance a receipt is simply now
    assert cli(real_db_url, *offer_args(code), "--received-at", iso(now() - SKEW / 2)).exit_code == 0


def test_a_receipt_long_ago_is_accepted_on_a_simulation_database(db_url):
    code = call_announced_today(db_url)
    result = cli(db_url, *offer_args(code), "--received-at", iso(now() - timedelta(days=90)))
    # the offer deadline is ahead, so an old receipt is merely early; what matters is no clock refusal
    assert result.exit_code == 0, result.output


# --- the tick -----------------------------------------------------------------------------------------------------


def test_the_tick_on_a_real_database_fires_at_the_time_of_writing_only(real_db_url):
    code = call_announced_today(real_db_url)
    # A person runs the tick by hand on a real database only with a scheduler grant (the worker's tick is the
    # engine's own principal): the officer's token is refused, an operator's is taken.
    from tests.people_fixtures import person

    _, operator = person(real_db_url, "operator", "Olga Operatorka", "scheduler")
    before = dump(real_db_url)
    refused = cli(real_db_url, "tick", "--json")
    assert refused.exit_code == 5 and "role_not_granted" in refused.output
    assert dump(real_db_url) == before
    for moment in (now() + timedelta(days=400), now() - timedelta(days=1)):
        refused = cli(real_db_url, "tick", "--at", iso(moment), "--at-reason", REASON, COOP_TOKEN=operator,
                      COOP_ACTOR=None)
        assert refused.exit_code == 2, refused.output
        assert dump(real_db_url) == before
    # The offer deadline made due a minute ago (as if 40 days had passed): the tick fires it at its own time.
    engine = get_engine(normalise_url(real_db_url))
    with engine.begin() as conn:
        conn.execute(sa.update(Deadline).values(due_at=now() - timedelta(minutes=1)))
    fired = cli(real_db_url, "tick", "--json", COOP_REASON="a reason left in the officer's shell",
                COOP_TOKEN=operator, COOP_ACTOR=None)
    assert fired.exit_code == 0, fired.output
    assert json.loads(fired.stdout)["fired"] == 1
    fired_records = [r for r in records(real_db_url, code) if r.role == "scheduler"]
    assert [r.event for r in fired_records][:1] == ["close_offers"]
    for record in fired_records:
        assert record.at == record.recorded_at and abs(record.at - now()) < timedelta(minutes=1)
        assert "effective_time" not in record.payload  # the scheduler states no reason


# --- the audit check ----------------------------------------------------------------------------------------------


def test_audit_check_lists_the_backdated_steps_of_a_real_database(real_db_url, tmp_path):
    code = call_announced_today(real_db_url)
    assert cli(real_db_url, *offer_args(code), "--received-at", iso(now() - timedelta(days=2)),
               "--at-reason", REASON).exit_code == 0
    other = cli(real_db_url, "call", "create", "--title", "T", "--area", "sport", "--budget", "1000", "--json",
                "--at", iso(now() - timedelta(days=5)), "--at-reason", "decyzja z 1 grudnia, wpisana po urlopie")
    other_code = json.loads(other.stdout)["code"]
    auditor = {"COOP_ROLE": "auditor", "COOP_ACTOR": "Rewident", "COOP_TOKEN": TOKENS["auditor"]}

    checked = cli(real_db_url, "audit", "check", code, "--json", **auditor)
    assert checked.exit_code == 0, checked.output  # a departure with its reason is listed, not a finding
    result = json.loads(checked.stdout)
    assert result["clock"] == REAL
    (step,) = result["time_departures"]
    assert step["case"] == code and step["events"] == ["file_offer"] and step["stated"] == "received_at"
    assert step["departure"].startswith("-2 d") and step["reason"] == REASON
    text = cli(real_db_url, "audit", "check", other_code, **auditor)
    assert "Kroki datowane inaczej niż czas zapisu" in text.output and "-5 d" in text.output
    assert "po urlopie" in text.output

    exported = tmp_path / "export.json"
    assert cli(real_db_url, "audit", "export", code, "-o", str(exported), **auditor).exit_code == 0
    from_file = json.loads(cli(real_db_url, "audit", "check", "--file", str(exported), "--json", **auditor).stdout)
    assert from_file["clock"] == REAL and [s["reason"] for s in from_file["time_departures"]] == [REASON]


def test_audit_check_on_a_simulation_says_the_times_are_simulated(db_url):
    code = call_announced_today(db_url)
    assert cli(db_url, *offer_args(code), "--at", iso(now() + timedelta(days=10))).exit_code == 0
    checked = cli(db_url, "audit", "check", code, COOP_ROLE="auditor", COOP_ACTOR="Rewident")
    assert checked.exit_code == 0, checked.output
    assert "clock: simulation" in checked.output and "symulowane" in checked.output
    assert "Kroki datowane" not in checked.output  # one line, not every step


# --- the mode, decided once ---------------------------------------------------------------------------------------


def mode_stays(url: str, mode: str, other: str) -> None:
    cli(url, "org", "list")  # the database in use
    before = dump(url)
    refused = cli(url, "db", "init", f"--{other}")
    assert refused.exit_code == 2, refused.output
    assert "nie można go zmienić" in refused.output and "Traceback" not in refused.output
    assert dump(url) == before
    again = cli(url, "db", "init", f"--{mode}", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["clock"] == mode and json.loads(again.stdout)["created"] is False
    assert f"clock: {mode}" in cli(url, "db", "info").output


def test_a_real_database_cannot_become_a_simulation(real_db_url):
    mode_stays(real_db_url, REAL, "simulation")


def test_a_simulation_cannot_become_a_real_database(db_url):
    mode_stays(db_url, SIMULATION, "real")


@pytest.fixture(params=["sqlite", "postgresql"])
def new_url(request, tmp_path):
    """A database nothing has used yet."""
    with unused_database(request.param, tmp_path, "coop_clock") as url:
        yield url


def test_a_new_database_is_real_unless_the_environment_says_simulation_at_its_first_use(new_url, monkeypatch):
    monkeypatch.delenv("COOP_SIMULATION")
    assert stored_clock_mode(get_engine(new_url)) is None  # made and migrated, not yet used
    created = cli(new_url, "db", "init", "--json")
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["clock"] == REAL and json.loads(created.stdout)["created"] is True
    # Later, the environment asks for a simulation: a real database stays real, and says so.
    monkeypatch.setenv("COOP_SIMULATION", "1")
    assert cli(new_url, "db", "info", "--json").stdout.count('"clock": "real"') == 1
    assert cli(new_url, "db", "init", "--json").exit_code == 2  # --simulation taken from COOP_SIMULATION
    with get_engine(new_url).connect() as conn:
        assert conn.execute(sa.select(EngineSetting.value).where(EngineSetting.key == CLOCK)).scalar_one() == REAL


def test_the_first_use_with_coop_simulation_makes_a_simulation(new_url, monkeypatch):
    monkeypatch.setenv("COOP_SIMULATION", "1")
    created = cli(new_url, "call", "create", "--title", "T", "--area", "sport", "--budget", "1000",
                  "--at", "2026-01-02T08:30+01:00")
    assert created.exit_code == 0, created.output
    assert stored_clock_mode(get_engine(new_url)) == SIMULATION
    monkeypatch.delenv("COOP_SIMULATION")  # read only at the first use
    assert clock_mode(get_engine(new_url)) == SIMULATION


def test_a_bad_simulation_flag_is_refused_before_anything_is_written(new_url, monkeypatch):
    monkeypatch.setenv("COOP_SIMULATION", "perhaps")
    refused = cli(new_url, "org", "list")
    assert refused.exit_code == 2 and "COOP_SIMULATION" in refused.output and "Traceback" not in refused.output
    assert stored_clock_mode(get_engine(new_url)) is None


def test_the_demo_refuses_a_real_database_untouched(real_db_url):
    from flows.demo_programme import load_demo

    before = dump(real_db_url)
    refused = cli(real_db_url, "demo", "--database", real_db_url)
    assert refused.exit_code == 2 and "rzeczywistą" in refused.output, refused.output
    with pytest.raises(DomainError):
        load_demo(real_db_url)  # `make serve`'s loader: coop serve then goes on without the demo
    assert dump(real_db_url) == before


def test_the_demo_loader_makes_a_new_database_a_simulation(new_url, monkeypatch):
    from flows.demo_programme import is_empty, load_demo

    monkeypatch.delenv("COOP_SIMULATION")
    assert is_empty(new_url) and stored_clock_mode(get_engine(new_url)) is None  # asking wrote nothing
    loaded = load_demo(new_url)  # `make serve` on a new database, COOP_SIMULATION unset
    assert stored_clock_mode(get_engine(new_url)) == SIMULATION and not is_empty(new_url)
    assert execute(verify_cases, loaded["settled"], actor=AUDITOR, url=new_url, readonly=True)["broken"] == []


# --- the reason ---------------------------------------------------------------------------------------------------


@pytest.mark.fast
def test_a_reason_is_one_line_of_plain_text():
    """The single-line text policy (states/text_policy.py), NFC, at most 500 characters; blank is no reason."""
    assert Claim.of(None, "  wpływ pocztą, KPA art. 57 § 5 ").reason == "wpływ pocztą, KPA art. 57 § 5"
    assert Claim.of(None, "   ").reason is None
    for bad in ("x" * 501, "wpływ\u202epocztą", "wpływ\x00", "wpływ\npocztą", "wpływ\u200bpocztą"):
        with pytest.raises(InvalidInput):
            Claim.of(None, bad)
