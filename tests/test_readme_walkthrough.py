"""README.md runs as written (issue 17): its officer walkthrough is docs/walkthrough.sh, line for line, and the
script takes a whole open call to its settlement on a fresh database, as a person runs it: ``sh``, ``coop`` on
the PATH, no COOP_* variables of their own. At the end we check what that person would: the call is settled,
``coop audit verify`` finds every chain intact, and the history has every step.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import empty_tables

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "walkthrough.sh"
README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the venv whose coop is under test
CODE = "OK/2026/001"

# What the walkthrough does, in the order the history records it.
STEPS = [
    ("create", "case", "draft"), ("announce", "case", "announced"),
    ("appoint_member", "member:Jan Kowalski", "announced"), ("appoint_member", "member:Ewa Nowak", "announced"),
    ("file_offer", "offer:1", "received"), ("close_offers", "case", "formal_review"),
    ("accept_formally", "offer:1", "formally_accepted"), ("finish_formal_review", "case", "substantive_review"),
    ("declare_conflicts", "member:Jan Kowalski", "substantive_review"), ("score", "offer:1", "formally_accepted"),
    ("declare_conflicts", "member:Ewa Nowak", "substantive_review"), ("score", "offer:1", "formally_accepted"),
    ("complete_scoring", "offer:1", "scored"), ("select_offers", "case", "selected"), ("decide", "offer:1", "selected"),
    ("publish_results", "case", "results_published"), ("sign_contract", "offer:1", "contracted"),
    ("start_execution", "case", "in_execution"), ("task_ended", "offer:1", "report_due"),
    ("submit_report", "offer:1", "report_submitted"), ("accept_report", "offer:1", "report_accepted"),
    ("settle", "offer:1", "settled"), ("settle", "case", "settled"),
]


def readme_block(begin: str, end: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(re.escape(begin) + r"[^\n]*\n```sh\n(.*?)```\n" + re.escape(end), text, re.DOTALL)
    assert match, f"README.md has no ```sh block between {begin!r} and {end!r}"
    return match.group(1)


def script_body() -> str:
    """The script without its header (the shebang, comments, ``set -eu``, finding coop): every line after the
    first blank one."""
    header, blank, body = SCRIPT.read_text(encoding="utf-8").partition("\n\n")
    assert blank and "set -eu" in header.splitlines()
    return body


def user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", TMPDIR=str(tmp_path), **extra)
    return env


def coop(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "coop"), *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done


def test_the_readme_shows_the_script_line_for_line():
    block = readme_block("<!-- begin docs/walkthrough.sh", "<!-- end docs/walkthrough.sh -->")
    assert block == script_body()
    assert "…" not in block and "..." not in block  # nothing left for the reader to guess
    assert re.search(r"^coop calendar period 2026-07-16 30 ", block, re.MULTILINE)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_walkthrough_settles_a_call_end_to_end(backend, request, tmp_path):
    if backend == "sqlite":  # as the README runs it: no argument, a new SQLite file under $TMPDIR
        arguments: list[str] = []
    else:
        url = request.getfixturevalue("postgresql_url")
        empty_tables(url)
        arguments = [url]
    run = subprocess.run(["sh", str(SCRIPT), *arguments], cwd=tmp_path, env=user_env(tmp_path),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert run.stderr == ""  # no warning, no refusal, no traceback on the way
    if backend == "sqlite":
        [database] = tmp_path.glob("*/walkthrough.db")
        url = f"sqlite:///{database}"

    reader = user_env(tmp_path, COOP_DATABASE_URL=url, COOP_ACTOR="audytor", COOP_ROLE="auditor")
    call = json.loads(coop(reader, "call", "show", CODE, "--json").stdout)
    assert call["state"] == "settled"
    assert [(o["number"], o["state"], o["granted"]) for o in call["offers"]] == [(1, "settled", "25000.00")]
    assert json.loads(coop(reader, "audit", "verify", "--json").stdout) == {"verified": 1, "broken": []}
    history = json.loads(coop(reader, "history", CODE, "--json").stdout)
    assert [(r["event"], r["subject"], r["to"]) for r in history] == STEPS
    assert {r["actor"] for r in history if r["event"] in ("declare_conflicts", "score")} == {"Jan Kowalski", "Ewa Nowak"}
    assert history[-1]["at"] == "2026-07-20T10:00:00+02:00"  # the simulated clock, not today's

    # The script ends with the README's calendar example: 2026-08-15 is a Saturday and a holiday.
    period = json.loads(coop(reader, "calendar", "period", "2026-07-16", "30", "--json").stdout)
    assert (period["last_day"], period["shifted"]) == ("2026-08-17", True)
    assert "settled" in run.stdout and "2026-08-17" in run.stdout  # what the reader sees on the way

    # The officers' mailbox is the engine database's setting, and every message to them went there.
    shown = {r["key"]: r for r in json.loads(coop(reader, "settings", "show", "--json").stdout)}
    assert shown["officers-email"]["value"] == "ngo@um.leszno.example"
    officers = [r for r in json.loads(coop(reader, "notifications", "list", "--json").stdout)
                if r["template"].startswith("officer_")]
    assert officers and {r["recipient"] for r in officers} == {"ngo@um.leszno.example"}


def test_the_readme_refusal_is_what_coop_prints(tmp_path):
    """The example refusal under the walkthrough, with its exit code 2 and nothing written."""
    text = README.read_text(encoding="utf-8")
    [shown] = re.findall(r"```\n(błąd: .*?)```", text, re.DOTALL)
    env = user_env(tmp_path, COOP_DATABASE_URL=f"sqlite:///{tmp_path / 'coop.db'}", COOP_ACTOR="Anna Urzędniczka",
                   COOP_NOW="2026-01-02T12:00+01:00")
    coop(env, "db", "init", "--simulation")  # as the walkthrough starts: its moments are simulated
    coop(env, "call", "create", "--title", "Wspieranie aktywności lokalnej", "--area", "pomoc społeczna",
         "--budget", "100000")
    refused = subprocess.run(
        [str(BIN / "coop"), "call", "announce", CODE, "--offer-deadline", "2026-01-22", "--selection-date", "2026-02-13",
         "--execution-start", "2026-03-01", "--execution-end", "2026-11-30", "--bip", "2026-01-02T09:00+01:00",
         "--board", "2026-01-02T10:00+01:00", "--website", "2026-01-02T11:00+01:00"],
        env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and refused.stdout == ""
    assert " ".join(refused.stderr.split()) == " ".join(shown.split())  # the README wraps the line
    assert json.loads(coop(env, "call", "show", CODE, "--json").stdout)["state"] == "draft"
