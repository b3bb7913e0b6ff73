"""The CLI's small-grant filings on the simplified model forms (issue 22): ``coop grant file-form`` (the offer,
Dz.U. 2018 poz. 2055 zał. 1) and ``coop grant report-form`` (its report, zał. 2) read a JSON file, validate it with
the portal's pydantic models and file it through the same handlers, under the run's idempotency key, printing the
receipt in Polish unless ``COOP_LANG=en``. A file that is not JSON, missing, or a form that breaks a rule: a clear
message naming the rule, exit 2, no traceback, nothing written. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from models.tables import Case, Report
from states.model_forms.canonical import content_sha256
from states.model_forms.simplified_offer import SimplifiedOfferForm
from states.model_forms.simplified_report import parse_simplified_report
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.tick import tick
from tests.conftest import dump
from tests.people_fixtures import person
from tests.report_forms import sample_simplified_report
from tests.test_open_call_guards import session
from tests.test_small_grant import KRS, OTHER_KRS, do, file, grant_through, setup_registry
from tests.test_small_grant_form import FILED_AT, form

REPORTED_AT = "2026-07-20T10:00+02:00"


@pytest.fixture
def cli(tmp_path):
    from typer.testing import CliRunner

    from coop import core_cli, procedures_cli  # noqa: F401  (importing them registers their commands)
    from coop.cli import app

    runner = CliRunner()

    def invoke(url: str, token: str, *args: str, at: str = FILED_AT, lang: str | None = None):
        env = {"COOP_DATABASE_URL": url, "COOP_TOKEN": token, "COOP_LANG": lang, "COOP_NOW": at,
               "COOP_ACTOR": None, "COOP_ROLE": None}
        result = runner.invoke(app, list(args), env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result

    def write(name: str, data) -> str:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return str(path)

    return invoke, write


@pytest.fixture
def registry(db_url):
    setup_registry(db_url)
    _, token = person(db_url, "rep", "Reprezentantka Roweru", ("applicant", KRS))
    _, other = person(db_url, "rep2", "Reprezentant Podwórka", ("applicant", OTHER_KRS))
    return db_url, token, other


def cases(url: str) -> int:
    with session(url) as s:
        return s.exec(select(func.count()).select_from(Case).where(Case.kind == "small_grant")).one()


def test_the_offer_is_filed_from_json_with_a_polish_receipt_once_per_key(registry, cli):
    url, token, _ = registry
    invoke, write = cli
    path = write("oferta.json", form())
    filed = invoke(url, token, "grant", "file-form", "--organisation", KRS, "--form", path,
                   "--idempotency-key", "mg-cli-1")
    assert filed.exit_code == 0, filed.output
    sha = content_sha256(SimplifiedOfferForm.model_validate(form()).content())
    lines = filed.output.splitlines()
    assert lines[0] == "Złożono ofertę w trybie pozakonkursowym (art. 19a)"
    assert "Numer potwierdzenia: MG/2026/001/1-1" in lines and f"SHA-256: {sha}" in lines
    assert "Wpłynęła (czas warszawski): 2026-04-01 10:00 (+02:00)" in lines
    assert "Sprawa: MG/2026/001 („sprawdzona wstępnie”)" in lines
    assert "Urząd opublikuje ofertę najpóźniej (art. 19a ust. 3): 2026-04-13" in lines
    again = invoke(url, token, "grant", "file-form", "--organisation", KRS, "--form", path,
                   "--idempotency-key", "mg-cli-1", "--json")
    assert again.exit_code == 0 and json.loads(again.output)["receipt"] == "MG/2026/001/1-1"
    assert cases(url) == 1  # the same key: the same receipt, one case
    english = invoke(url, token, "grant", "file-form", "--organisation", KRS, "--form", path, lang="en")
    assert english.exit_code == 0 and english.output.startswith("Small-grant offer filed (art. 19a)\nReceipt number: ")
    # what the portal and the JSON door file: the same handler, its history and the other sources kept apart
    shown = invoke(url, token, "grant", "show", "MG/2026/001", "--json")
    assert json.loads(shown.output)["other_sources"] == "1900.00"


def test_bad_json_and_an_invalid_form_are_refused_naming_the_rule_and_nothing_is_written(registry, cli):
    url, token, other = registry
    invoke, write = cli
    before = dump(url)
    for path, needle in ((write("zla.json", "{nie json"), "nie jest JSON-em w UTF-8"),
                         (write("lista.json", "[1, 2]"), "formularz to obiekt"),
                         (str(write("x.json", "{}")).replace("x.json", "brak.json"), "Nie można odczytać pliku")):
        refused = invoke(url, token, "grant", "file-form", "--organisation", KRS, "--form", path)
        assert refused.exit_code == 2 and needle in refused.output, refused.output
    broken = form()
    broken["cost_summary"]["other_sources"] = "1.00"  # the sum of all costs is not the grant + the other sources
    refused = invoke(url, token, "grant", "file-form", "--organisation", KRS, "--form", write("suma.json", broken))
    assert refused.exit_code == 2
    assert "IV: suma wszystkich kosztów" in refused.output and "Dz.U. 2018 poz. 2055, zał. 1" in refused.output
    too_long = invoke(url, token, "grant", "file-form", "--organisation", KRS, "--form",
                      write("dlugo.json", form(task_end="2026-08-31")))
    assert too_long.exit_code == 2 and "art. 19a ust. 1 pkt 2" in too_long.output  # the task over 90 days
    full = invoke(url, token, "grant", "file-form", "--organisation", KRS, "--form",
                  write("pelna.json", {"basic": {"title": "x"}}))
    assert full.exit_code == 2 and "poz. 2055" in full.output
    stranger = invoke(url, other, "grant", "file-form", "--organisation", KRS, "--form", write("ok.json", form()))
    assert stranger.exit_code == 5 and "KRS " + KRS in stranger.output  # another organisation's representative
    assert dump(url)["cases"] == before["cases"] and dump(url)["offer_versions"] == before["offer_versions"]


@pytest.fixture
def contracted(db_url):
    """MG/2026/001 under contract (9 000 PLN, 1 May – 16 July 2026), the task ended; its representative's token."""
    setup_registry(db_url)
    code = file(db_url)["code"]
    grant_through(db_url, code)
    do(db_url, small_grant_handlers.sign_contract,
       small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.526.1.2026"), "2026-04-17T10:00+02:00")
    tick("2026-07-17T00:10+02:00", url=db_url)
    _, token = person(db_url, "rowery", "Piotr Rowerowy", ("applicant", KRS))
    return db_url, code, token


def test_the_report_is_filed_from_json_through_the_same_handler(contracted, cli):
    url, code, token = contracted
    invoke, write = cli
    data = sample_simplified_report(spent_grant="8800.00")
    before = dump(url)
    broken = json.loads(json.dumps(data))
    broken["unknown_part"] = "nie"  # no part of the simplified report
    refused = invoke(url, token, "grant", "report-form", code, "--form", write("zle.json", broken), at=REPORTED_AT)
    assert refused.exit_code == 2 and "poz. 2055" in refused.output
    assert dump(url)["reports"] == before["reports"]
    filed = invoke(url, token, "grant", "report-form", code, "--form", write("sprawozdanie.json", data),
                   "--idempotency-key", "mg-report-1", at=REPORTED_AT)
    assert filed.exit_code == 0, filed.output
    sha = content_sha256(parse_simplified_report(data).content())
    lines = filed.output.splitlines()
    assert lines[0] == "Złożono sprawozdanie z dotacji w trybie pozakonkursowym"
    assert f"Numer potwierdzenia: {code}/1-S1" in lines and f"SHA-256: {sha}" in lines
    again = invoke(url, token, "grant", "report-form", code, "--form", write("sprawozdanie.json", data),
                   "--idempotency-key", "mg-report-1", "--json", at=REPORTED_AT)
    assert again.exit_code == 0 and json.loads(again.output)["sha256"] == sha
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Report)).one() == 1
        assert s.exec(select(Case.state).where(Case.code == code)).one() == "report_submitted"
