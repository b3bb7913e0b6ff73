"""A consultation's summary of its draft act (issue 22): plain text of at most 1000 characters, set by the officer
when she makes the consultation or opens it (``coop consult create/open --summary``, the desk's opening step), kept
in the case's data and its history, shown on the public comments pages (web/portal_comments.py) and the desk's case
page; one too long or with a control character is refused naming the rule, nothing written. SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from models.tables import AuditRecord, Case
from states.errors import InvalidInput
from states.procedures.consultation import handlers as consultation_handlers
from states.procedures.consultation import inputs as consultation_inputs
from tests.conftest import dump
from tests.test_consultation import do
from tests.test_desk import client, csrf_of, log_in, with_password
from tests.test_open_call_guards import session
from tests.test_public_comments import desk_key  # noqa: F401 (autouse: the desk's key, COOP_NOW)

CHANNELS = ("consultations_portal", "ngo_portal", "bip", "board")
SUMMARY = ("Projekt określa zasady przyznawania stypendiów sportowych zawodnikom z Leszna.\n"
           "Stypendium wynosi do 800 zł miesięcznie; wnioski składa klub do 31 stycznia.")


def create(url: str, **extra) -> str:
    return do(url, consultation_handlers.create, consultation_inputs.CreateConsultation(
        title="Projekt uchwały o stypendiach sportowych", field="kultura fizyczna", act_kind="resolution", **extra),
        "2026-04-07T10:00+02:00")["code"]


def open_(url: str, code: str, **extra) -> dict:
    return do(url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=code, published={c: "2026-04-08T09:00+02:00" for c in CHANNELS}, **extra), "2026-04-08T09:30+02:00")


def data_of(url: str, code: str) -> dict:
    with session(url) as s:
        return s.exec(select(Case.data).where(Case.code == code)).one()


def test_set_when_made_replaced_when_opened_and_shown_on_the_public_pages(db_url):
    code = create(db_url, draft_summary="Pierwsza wersja streszczenia.")
    assert data_of(db_url, code)["draft_summary"] == "Pierwsza wersja streszczenia."
    open_(db_url, code, draft_summary=SUMMARY)
    assert data_of(db_url, code)["draft_summary"] == SUMMARY
    with session(db_url) as s:
        opened = s.exec(select(AuditRecord).where(AuditRecord.event == "open_consultation")).one()
        assert opened.payload["draft_summary"] == SUMMARY  # in the hash-chained history
    c = client(db_url)
    page = c.get(f"/portal/uwagi/{code}")
    assert page.status_code == 200
    shown = page.text.split("O czym jest projekt</dt>", 1)[1].split("</dd>", 1)[0]
    assert "stypendiów sportowych zawodnikom z Leszna." in shown and "do 800 zł miesięcznie" in shown
    assert 'class="draft-summary"' in page.text
    listing = c.get("/portal/uwagi").text
    assert "Stypendium wynosi do 800 zł" in listing
    english = c.get(f"/portal/uwagi/{code}?lang=en").text
    assert "What the draft is about" in english
    # opened without one: the summary set when it was made stays
    kept = create(db_url, draft_summary="Streszczenie z chwili utworzenia.")
    open_(db_url, kept)
    assert data_of(db_url, kept)["draft_summary"] == "Streszczenie z chwili utworzenia."
    # none at all: the public page has no such line
    bare = create(db_url)
    open_(db_url, bare)
    assert "O czym jest projekt" not in c.get(f"/portal/uwagi/{bare}").text


def test_too_long_or_not_plain_text_is_refused_naming_the_rule_and_nothing_is_written(db_url):
    code = create(db_url)
    before = dump(db_url)
    for bad, needle in (("x" * 1001, "1000"), ("Streszczenie\u202eukryte", "U+202E"), ("", "wymaga wartości")):
        with pytest.raises(InvalidInput) as refused:
            consultation_inputs.OpenConsultation.parse(
                code=code, published={c: "2026-04-08T09:00+02:00" for c in CHANNELS}, draft_summary=bad)
        assert "streszczenie projektu aktu" in refused.value.message() and needle in refused.value.message()
    assert consultation_inputs.CreateConsultation.parse(
        title="T", field="f", draft_summary="x" * 1000).draft_summary == "x" * 1000  # the most allowed
    assert dump(db_url) == before


def test_the_cli_sets_it_and_refuses_one_too_long(db_url, monkeypatch):
    from typer.testing import CliRunner

    from coop import core_cli, procedures_cli  # noqa: F401  (importing them registers their commands)
    from coop.cli import app

    runner = CliRunner()
    env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": "officer",
           "COOP_NOW": "2026-04-07T10:00+02:00", "COOP_LANG": None, "COOP_TOKEN": None}

    def invoke(*args: str):
        result = runner.invoke(app, list(args), env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result

    made = invoke("consult", "create", "--title", "Projekt uchwały o stypendiach", "--field", "sport",
                  "--summary", SUMMARY, "--json")
    assert made.exit_code == 0, made.output
    code = json.loads(made.output)["code"]
    before = dump(db_url)
    refused = invoke("consult", "open", code, "--channel", "bip=2026-04-07T09:00+02:00", "--summary", "x" * 1001)
    assert refused.exit_code == 2 and "streszczenie projektu aktu" in refused.output and "1000" in refused.output
    assert dump(db_url) == before
    shown = invoke("consult", "show", code, "--json")
    assert json.loads(shown.output)["draft_summary"] == SUMMARY


def test_the_desk_sets_it_when_opening_and_shows_it_on_the_case_page(db_url, monkeypatch):
    monkeypatch.setenv("COOP_NOW", "2026-04-08T09:30+02:00")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    code = create(db_url)
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    log_in(c, "anna")
    page = c.get(f"/sprawy/{code}")
    form = page.text.split('id="step-open_consultation"')[1].split("</details>")[0]
    assert 'name="draft_summary"' in form and "<textarea" in form.split('name="draft_summary"')[0][-300:]
    data = {"csrf": csrf_of(page.text), "intent": "s" * 32, "draft_summary": SUMMARY,
            **{f"published.{channel}": "2026-04-08T09:00" for channel in CHANNELS}}
    done = c.post(f"/sprawy/{code}/krok/open_consultation", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert data_of(db_url, code)["draft_summary"] == SUMMARY
    case_page = c.get(f"/sprawy/{code}").text
    assert "Streszczenie projektu aktu" in case_page and "do 800 zł miesięcznie" in case_page
