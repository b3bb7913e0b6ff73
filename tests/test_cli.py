"""``coop`` as an officer runs it: output for people and for scripts, refusals in Polish (or English) with
their legal basis on stderr, a non-zero exit and never a traceback.

A few tests start the installed ``.venv/bin/coop`` (each run costs ~0.7 s); the rest use typer's CliRunner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import coop.audit_cli  # noqa: F401  (registers the command groups on the app)
import coop.core_cli  # noqa: F401
import models.db
from coop.cli import app
from tests.cli_runner import CliRunner
from tests.conftest import dump

COOP = Path(sys.executable).with_name("coop")
ANNOUNCE = ["--offer-deadline", "2026-01-23", "--selection-date", "2026-02-13", "--execution-start", "2026-03-01",
            "--execution-end", "2026-11-30", "--bip", "2026-01-02T09:00+01:00", "--board", "2026-01-02T10:00+01:00",
            "--website", "2026-01-02T11:00+01:00"]
ORG = ["org", "add", "--name", "Stowarzyszenie Przyjaciół Leszna", "--legal-form", "stowarzyszenie",
       "--address", "Leszno, ul. Rynek 1", "--email", "biuro@example.org", "--contact", "Jan Prezes"]
CREATE = ["call", "create", "--title", "Aktywność lokalna 2026", "--area", "pożytek publiczny", "--budget", "100000.00"]


def with_offer_deadline(day: str) -> list[str]:
    return [day if previous == "--offer-deadline" else value
            for previous, value in zip(["", *ANNOUNCE[:-1]], ANNOUNCE, strict=True)]


# --- the installed command, as a user starts it -----------------------------------------------------------------


def coop(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COOP), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def user_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    # A new database the walkthrough dates in 2026 (--at): a simulation, as `coop db init --simulation` makes one.
    env.update(COOP_DATABASE_URL=f"sqlite:///{tmp_path / 'coop.db'}", COOP_ACTOR="Anna Urzędniczka",
               COOP_SIMULATION="1")
    return env


def test_an_officer_registers_creates_and_announces_a_call(user_env):
    org = coop(user_env, *ORG, "--krs", "0000100001", "--json", "--at", "2026-01-02T08:00+01:00")
    assert org.returncode == 0, org.stderr
    assert json.loads(org.stdout)["krs"] == "0000100001"

    created = coop(user_env, *CREATE, "--json", "--at", "2026-01-02T08:30+01:00")
    assert created.returncode == 0, created.stderr
    code = json.loads(created.stdout)["code"]
    assert code == "OK/2026/001"

    # 22 January is 20 days after Friday 2 January: refused in Polish, with the basis, no traceback
    short = coop(user_env, "call", "announce", code, *with_offer_deadline("2026-01-22"),
                 "--at", "2026-01-02T12:00+01:00")
    assert short.returncode == 2 and short.stdout == ""
    assert "Termin składania ofert 2026-01-22" in short.stderr and "najwcześniej 2026-01-23" in short.stderr
    assert "(art. 13 ust. 1)" in short.stderr and "Traceback" not in short.stderr

    announced = coop(user_env, "call", "announce", code, *ANNOUNCE, "--json", "--at", "2026-01-02T12:00+01:00")
    assert announced.returncode == 0, announced.stderr
    result = json.loads(announced.stdout)
    assert (result["code"], result["state"]) == (code, "announced")
    assert result["offer_deadline"].startswith("2026-01-23T")


# --- the same commands in-process (CliRunner) -------------------------------------------------------------------


def test_engine_follows_coop_database_url(tmp_path, monkeypatch):
    urls = [f"sqlite:///{tmp_path / name}" for name in ("first.db", "second.db")]
    engines = []
    for url in urls:
        monkeypatch.setenv("COOP_DATABASE_URL", url)
        engines.append(models.db.get_engine())
    assert [e.url.database for e in engines] == [str(tmp_path / "first.db"), str(tmp_path / "second.db")]


def make_call(cli) -> str:
    org = cli(*ORG, "--krs", "0000100001", at="2026-01-02T08:00+01:00")
    assert org.exit_code == 0, org.stderr
    created = cli(*CREATE, "--json", at="2026-01-02T08:30+01:00")
    assert created.exit_code == 0, created.stderr
    return json.loads(created.stdout)["code"]


def test_a_refusal_in_english_with_coop_lang_en(cli):
    code = make_call(cli)
    before = dump(cli.url)
    result = cli("call", "announce", code, *with_offer_deadline("2026-01-22"), lang="en")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: The offer deadline 2026-01-22 is less than 21 days")
    assert "the earliest valid is 2026-01-23 (art. 13 ust. 1)" in result.stderr
    assert dump(cli.url) == before


def test_a_refusal_as_json_for_scripts(cli):
    code = make_call(cli)
    announce = cli("call", "announce", code, *ANNOUNCE[:-2], "--json")  # no website publication
    assert announce.exit_code == 2
    error = json.loads(announce.stderr)
    assert (error["error"], error["basis"]) == ("announcement_channels", "art. 13 ust. 3")
    assert "strona internetowa urzędu" in error["message"]


@pytest.mark.parametrize(("args", "words"), [
    (ORG + ["--krs", "123456789"], ("numer KRS: musi mieć dokładnie 10 cyfr",)),
    (CREATE[:-1] + ["100.001"], ("środki: może mieć najwyżej 2 cyfry po przecinku",)),
    (CREATE[:-2] + ["--budget=-5"], ("środki: musi przekraczać 0",)),
    (CREATE + ["--at", "2026-01-02T10:00"], ("strefy czasowej", "+01:00")),
    (CREATE + ["--at", "jutro"], ("ISO 8601",)),
    (["calendar", "day", "2026-02-30"], ("2026-02-30",)),
], ids=["krs-9-digits", "amount-3-decimals", "negative-amount", "naive-at", "bad-at", "impossible-date"])
def test_bad_input_is_refused_clearly(cli, args, words):
    before = dump(cli.url)
    result = cli(*args, at=None)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("błąd: ")
    for word in words:
        assert word in result.stderr
    assert dump(cli.url) == before


def test_an_impossible_announcement_date_is_refused(cli):
    code = make_call(cli)
    before = dump(cli.url)
    result = cli("call", "announce", code, *with_offer_deadline("2026-02-30"))
    assert result.exit_code == 2
    assert "termin składania ofert: musi być datą" in result.stderr and "Niepoprawne dane wejściowe" in result.stderr
    assert dump(cli.url) == before


def test_an_auditor_cannot_create_a_call(cli):
    before = dump(cli.url)
    result = cli(*CREATE, role="auditor")
    assert result.exit_code == 5 and "auditor" in result.stderr
    assert dump(cli.url) == before


def test_an_unknown_case_exits_3(cli):
    result = cli("history", "OK/2026/999")
    assert result.exit_code == 3 and "Nie ma sprawy OK/2026/999" in result.stderr


def test_calendar_period_explains_the_saturday_holiday_shift(cli):
    result = cli("calendar", "period", "2026-07-16", "30", at=None)
    assert result.exit_code == 0
    assert "last_day: 2026-08-17" in result.stdout
    assert "przesunięty z soboty 2026-08-15" in result.stdout and "poniedziałek 2026-08-17" in result.stdout
    assert "KC art. 115" in result.stdout
    english = cli("calendar", "period", "2026-07-16", "30", "--json", lang="en", at=None)
    explanation = " ".join(json.loads(english.stdout)["explanation"])
    assert "Saturday 2026-08-15" in explanation and "Monday 2026-08-17" in explanation
    office = cli("calendar", "period", "2026-07-16", "30", "--office", "--json", at=None)
    assert json.loads(office.stdout)["last_day"] == "2026-08-15"  # the office's own period is never shifted


def test_history_shows_the_records(cli):
    code = make_call(cli)
    assert cli("call", "announce", code, *ANNOUNCE).exit_code == 0
    table = cli("history", code, at=None)
    assert table.exit_code == 0
    for word in ("create", "announce", "draft", "announced", "art. 13 ust. 1-3", "Anna Urzędniczka"):
        assert word in table.stdout
    rows = json.loads(cli("history", code, "--json", role="auditor", at=None).stdout)
    assert [(r["seq"], r["event"], r["to"], r["basis"]) for r in rows] == [
        (1, "create", "draft", "art. 5a; art. 11 ust. 2"), (2, "announce", "announced", "art. 13 ust. 1-3")]


@pytest.mark.parametrize("role", ["public", "officer", "auditor"])
def test_the_tick_acts_only_as_the_scheduler(cli, role):
    """`coop tick --role public --actor "Jan z ulicy"` fired deadlines, recorded as the scheduler: now refused."""
    code = make_call(cli)
    assert cli("call", "announce", code, *ANNOUNCE).exit_code == 0
    before = dump(cli.url)
    result = cli("tick", "--actor", "Jan z ulicy", role=role, at="2026-01-24T08:00+01:00")
    assert result.exit_code == 5 and role in result.stderr and "scheduler" in result.stderr
    assert dump(cli.url) == before


def test_the_tick_without_a_role_fires_as_the_scheduler(cli, monkeypatch):
    code = make_call(cli)
    assert cli("call", "announce", code, *ANNOUNCE).exit_code == 0
    monkeypatch.delenv("COOP_ROLE", raising=False)
    result = CliRunner().invoke(app, ["tick", "--json"], env={
        "COOP_DATABASE_URL": cli.url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_NOW": "2026-01-24T08:00+01:00",
        "COOP_ROLE": None})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["fired"] == 1  # no offer: the call is invalidated (art. 18a)
    history = cli("history", code, "--json", role="auditor")
    assert json.loads(history.stdout)[-1]["actor"] == "scheduler"


def test_the_demo_programme_ranks_every_scored_offer_of_its_settled_call(cli):
    from datetime import datetime

    from flows.demo_programme import load_demo
    from states.calendar import WARSAW

    now = "2026-10-15T12:00+02:00"
    cases = load_demo(cli.url, now=datetime.fromisoformat(now).astimezone(WARSAW))
    assert cases == {"settled": "OK/2026/001", "closes_at_first_tick": "OK/2026/002", "formal_review": "OK/2026/003",
                     "substantive_review": "OK/2026/004", "announced": "OK/2026/005"}
    listed = json.loads(cli("list", "--json", at=now).stdout)
    assert {r["code"]: r["state"] for r in listed} == {
        "OK/2026/001": "settled", "OK/2026/002": "announced", "OK/2026/003": "formal_review",
        "OK/2026/004": "substantive_review", "OK/2026/005": "announced"}

    # the four funded offers, settled, and the one below the threshold; offer 5 failed the formal review
    ranking = json.loads(cli("call", "ranking", "OK/2026/001", "--json", at=now).stdout)
    assert [(r["rank"], r["offer"], r["points"], r["percent"], r["passed"], r["state"]) for r in ranking["ranking"]] == [
        (1, 1, "39.00", "86.67", True, "settled"), (2, 6, "38.00", "84.44", True, "settled"),
        (3, 2, "35.00", "77.78", True, "settled"), (4, 3, "32.00", "71.11", True, "settled"),
        (5, 4, "13.00", "28.89", False, "not_selected")]
    table = cli("call", "ranking", "OK/2026/001", at=now).stdout
    for title in ("Festyn rodzinny na Zatorzu", "Sprzątanie lasu komunalnego", "Aktywny senior 2026",
                  "Liga orlika dla dzieci", "Warsztaty teatralne"):
        assert title in table
    assert "Obóz integracyjny" not in table

    # the other calls have scored nothing yet: each says so, and at which stage it is
    for code, stage in (("OK/2026/002", "ogłoszony"), ("OK/2026/003", "ocena formalna"),
                        ("OK/2026/004", "ocena merytoryczna"), ("OK/2026/005", "ogłoszony")):
        shown = cli("call", "ranking", code, at=now)
        assert shown.exit_code == 0
        assert "note: Komisja konkursowa nie oceniła jeszcze żadnej oferty, więc ranking jest pusty." in shown.stdout
        assert f"Etap konkursu: „{stage}”." in shown.stdout
