"""The portal's report pages (web/portal_reports.py) and the desk's (web/desk_reports.py) through FastAPI's
TestClient, on SQLite and PostgreSQL: the list of contracted offers, the form prefilled from the contract, a wrong
sum refused with its rule and everything typed kept, the report filed once (a double submit), its receipt, PDF
(pdftotext holds the content) and canonical content, another organisation refused, the officer's read page."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import dump
from tests.portal_pages import flatten
from tests.report_forms import sample_report_form
from tests.test_desk import PASSWORD, with_password
from tests.test_open_call_guards import KRS, contract_cmd, do, published_results
from web.app import create_app

FILED_AT = "2026-07-20T10:00+02:00"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def intent_of(page: str) -> str:
    return re.search(r'name="intent" value="([^"]+)"', page).group(1)


def log_in(url: str, login: str, path: str = "/portal/logowanie") -> TestClient:
    c = TestClient(create_app(url), base_url="http://testserver")
    form = c.get(path)
    fields = {"csrf": csrf_of(form.text), "login": login, "password": PASSWORD}
    done = c.post(path, data=fields, follow_redirects=False)
    assert done.status_code == 303, done.text
    return c


@pytest.fixture
def contracted(db_url, monkeypatch):
    code = published_results(db_url)
    do(db_url, __import__("states.procedures.open_call.handlers", fromlist=["x"]).sign_contract,
       contract_cmd(code, 1, "40000.00", "2026-07-16"), "2026-03-02T10:00+01:00")
    with_password(db_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    with_password(db_url, "inna", "Ewa Inna", ("applicant", KRS[1]))
    monkeypatch.setenv("COOP_NOW", FILED_AT)
    return db_url, code, log_in(db_url, "delfin")


def form_page(c: TestClient, code: str, kind: str = "final"):
    page = c.get(f"/portal/sprawozdania/{code}/1/nowe?rodzaj={kind}")
    assert page.status_code == 200, page.text
    return page


def post(c: TestClient, code: str, page, fields: dict[str, str], action: str = "submit", kind: str = "final"):
    data = {"csrf": csrf_of(page.text), "intent": intent_of(page.text), "action": action, **fields}
    return c.post(f"/portal/sprawozdania/{code}/1/nowe?rodzaj={kind}", data=data, follow_redirects=False)


def test_the_list_and_the_form_start_from_the_contract(contracted):
    url, code, c = contracted
    listed = c.get("/portal/sprawozdania")
    assert listed.status_code == 200 and "WZ.526.1.2026" in listed.text
    assert f'href="/portal/sprawozdania/{code}/1/nowe?rodzaj=final"' in listed.text
    page = form_page(c, code).text
    assert 'name="header.contract_number"' in page and 'value="WZ.526.1.2026"' in page
    assert re.search(r'<input id="f-header-period_end"[^>]*value="2026-07-16"', page)
    assert re.search(r'<input id="f-funding-planned_grant"[^>]*value="40000.00"', page)
    assert 'value="add:expenses"' in page  # rows without JavaScript
    # the parts under the model report's numbers and titles (Dz.U. 2018 poz. 2057 zał. 5; docs/model-forms.md)
    for legend in ("I. Sprawozdanie merytoryczne", "Opis wykonania poszczególnych działań", "II.1 Rozliczenie wydatków",
                   "II.2 Rozliczenie ze względu na źródło finansowania zadania publicznego",
                   "II.3 Informacje o innych przychodach uzyskanych przy realizacji zadania publicznego",
                   "III. Dodatkowe informacje"):
        assert f"<legend>{legend}</legend>" in page, legend
    # part II's heading over II.1-II.3, as the annex and the PDF have it (the fields' names unchanged)
    part_ii = page.index("<legend>II. Sprawozdanie z wykonania wydatków</legend>")
    assert page.index("<legend>I. Sprawozdanie merytoryczne") < part_ii < page.index("<legend>II.1 Rozliczenie")
    assert page.index("<legend>II.3 Informacje") < page.index("<legend>III. Dodatkowe informacje")
    english = c.get(f"/portal/sprawozdania/{code}/1/nowe?rodzaj=final&lang=en").text
    assert "<legend>II. Report on the execution of the expenses</legend>" in english
    # each declaration with the annex's full wording beside its box
    assert re.search(r'id="f-report_declarations-status_unchanged-hint">od daty zawarcia umowy nie zmienił się status '
                     r'prawny Zleceniobiorcy\(-ców\)</p>', page)
    assert "Final report on offer 1" in english and "Actually spent: total" in english
    added = post(c, code, form_page(c, code), {"expenses.0.name": "Instruktor"}, action="add:expenses")
    assert 'name="expenses.1.name"' in added.text and 'value="Instruktor"' in added.text


def test_a_wrong_sum_is_refused_with_its_rule_then_the_report_is_filed_once(contracted, tmp_path):
    url, code, c = contracted
    page = form_page(c, code)
    fields = flatten(sample_report_form())
    before = dump(url)
    wrong = post(c, code, page, {**fields, "funding.spent_grant": "40500.00", "expenses.0.spent_grant": "30500.00",
                                 "expenses.0.spent_total": "30500.00", "funding.spent_total": "46500.00"})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    assert "grant_spent_above_awarded" in wrong.text and "40 500,00" in wrong.text
    assert 'value="30500.00"' in wrong.text  # kept as typed
    broken = post(c, code, page, {**fields, "expenses.1.spent_other": "1.00"})
    assert broken.status_code == 422 and re.search(r'id="f-expenses-1-error"', broken.text)
    assert dump(url) == before
    filed = post(c, code, page, fields)
    assert filed.status_code == 303, filed.text
    location = filed.headers["location"]
    assert location == f"/portal/sprawozdania/{code}/1/1/pokwitowanie?zlozono=1"
    assert post(c, code, page, fields).headers["location"] == location  # the same button again: filed once
    receipt = c.get(location)
    assert f"{code}/1-S1" in receipt.text
    sha = re.search(r'<dd class="hash">([0-9a-f]{64})</dd>', receipt.text).group(1)
    content = c.get(f"/portal/sprawozdania/{code}/1/1/tresc.json")
    assert hashlib.sha256(content.content).hexdigest() == sha
    (tmp_path / "r.json").write_bytes(content.content)  # the receipt is checked without the engine, as an offer's
    check = subprocess.run([sys.executable, str(ROOT / "tools" / "verify_receipt.py"), str(tmp_path / "r.json"),
                            "--sha256", sha], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    pdf = c.get(f"/portal/sprawozdania/{code}/1/1/pokwitowanie.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.fail("no pdftotext", pytrace=False)
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"{code}/1-S1" in text and sha in text and "Zajęcia na basenie" in text and "Obsługa księgowa" in text
    assert "SPRAWOZDANIE Z WYKONANIA ZADANIA PUBLICZNEGO" in text and "końcowe" in text
    # another organisation's representative reads nothing
    other = log_in(url, "inna")
    assert other.get(location).status_code == 403
    assert other.get(f"/portal/sprawozdania/{code}/1/1/pokwitowanie.pdf").status_code == 403
    assert other.get(f"/portal/sprawozdania/{code}/1/nowe").status_code == 403
    # the officer reads it on the desk, linked from the case page
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = log_in(url, "anna", "/logowanie")
    case_page = desk.get(f"/sprawy/{code}")
    assert f"/sprawy/{code}/oferty/1/sprawozdania" in case_page.text
    read = desk.get(f"/sprawy/{code}/oferty/1/sprawozdania")
    assert read.status_code == 200 and sha in read.text and "Zajęcia na basenie" in read.text
    assert desk.get(f"/sprawy/{code}/oferty/1/sprawozdania/1/pdf").content.startswith(b"%PDF")


def test_a_partial_report_through_the_page_leaves_the_contract_running(contracted, monkeypatch):
    url, code, c = contracted
    monkeypatch.setenv("COOP_NOW", "2026-06-02T10:00+02:00")
    page = form_page(c, code, "partial")
    assert re.search(r'<option value="partial" selected>sprawozdanie częściowe</option>', page.text)
    fields = flatten(sample_report_form(kind="partial", period_end="2026-05-31"))
    filed = post(c, code, page, fields, kind="partial")
    assert filed.status_code == 303, filed.text
    receipt = c.get(filed.headers["location"])
    assert "sprawozdanie częściowe" in receipt.text and f"{code}/1-S1" in receipt.text
    listed = c.get("/portal/sprawozdania").text
    assert f"{code}/1-S1" in listed and "umowa zawarta" in listed  # the state stays the contract's
    assert "rodzaj=final" in listed  # the final report still to come
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    desk = log_in(url, "anna", "/logowanie")
    assert "złożono sprawozdanie częściowe" in desk.get(f"/sprawy/{code}").text
