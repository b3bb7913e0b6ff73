"""The officers' desk (web/): logging in (argon2 passwords, TOTP), sessions, CSRF, rate limits, the language, and
„Na dziś” for a proven person. FastAPI's TestClient; SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from models.db import get_engine, normalise_url
from models.people_tables import DeskSession, LoginAttempt, PeopleRecord, PersonCredential
from states.credentials import (
    LOGIN_LIMIT,
    SetPassword,
    check_login,
    seal,
    set_password,
    unseal,
)
from states.engine import execute
from states.errors import NotPermitted
from tests.conftest import dump
from tests.people_fixtures import administrator, person
from web.app import create_app
from web.security import SESSION_COOKIE

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)


def with_password(url: str, login: str, name: str, *grants, password: str = PASSWORD) -> None:
    person(url, login, name, *grants)
    admin, _ = administrator(url)
    execute(set_password, SetPassword(login=login, password=SecretStr(password)), actor=admin, url=url, keyed=False)


def client(url: str) -> TestClient:
    return TestClient(create_app(url), base_url="http://testserver")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def log_in(c: TestClient, login: str, password: str = PASSWORD, code: str = "", next_path: str = "/na-dzis"):
    form = c.get("/logowanie")
    return c.post("/logowanie", data={"csrf": csrf_of(form.text), "login": login, "password": password,
                                      "code": code, "next": next_path}, follow_redirects=False)


def rows(url: str, table) -> list:
    with get_engine(normalise_url(url)).connect() as connection:
        return connection.execute(sa.select(table.__table__)).all()


def test_a_person_logs_in_with_her_password_and_a_wrong_one_is_refused(db_url):
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    assert c.get("/na-dzis", follow_redirects=False).headers["location"] == "/logowanie?next=/na-dzis"
    refused = log_in(c, "anna", "not the password")
    assert refused.status_code == 401
    assert "Nieprawidłowy login, hasło lub kod jednorazowy" in refused.text
    assert SESSION_COOKIE not in c.cookies
    unknown = log_in(c, "nobody", "not the password")
    # an unknown login reads exactly as a wrong password: nobody learns which logins exist
    assert unknown.status_code == 401 and unknown.text.replace("nobody", "anna") == refused.text
    done = log_in(c, "anna")
    assert done.status_code == 303 and done.headers["location"] == "/na-dzis"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" not in cookie
    page = c.get("/na-dzis")
    assert page.status_code == 200 and "Zalogowano jako Anna Urzędniczka" in page.text
    attempts = rows(db_url, LoginAttempt)
    assert [a.succeeded for a in sorted(attempts, key=lambda a: a.id)] == [False, False, True]
    assert all("anna" not in a.login_digest and "nobody" not in a.login_digest for a in attempts)


def test_passwords_are_hashed_with_rfc_9106s_second_recommended_parameters(monkeypatch):
    """The engine's hasher (the tests' own process hashes at argon2's smallest cost, tests/conftest.py): argon2id,
    64 MiB, three passes, four lanes; and a hash made at another cost is still checked (read from the hash)."""
    from argon2 import PasswordHasher, Type, extract_parameters

    from states import credentials

    cheap = credentials._hasher().hash("hasło testowe")
    monkeypatch.setattr(credentials, "_HASHER", None)
    engine = credentials._hasher()
    parameters = extract_parameters(engine.hash("hasło testowe"))
    assert (parameters.type, parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        Type.ID, 65536, 3, 4)
    assert extract_parameters(cheap).memory_cost == 8 and engine.verify(cheap, "hasło testowe")
    assert PasswordHasher().verify(cheap, "hasło testowe")


def test_cookies_are_secure_over_https_or_when_configured(db_url):
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = TestClient(create_app(db_url), base_url="https://testserver")
    assert "Secure" in log_in(c, "anna").headers["set-cookie"]
    c = TestClient(create_app(db_url, secure=True), base_url="http://testserver")
    assert "Secure" in log_in(c, "anna").headers["set-cookie"]


def test_logout_revokes_the_session(db_url):
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    log_in(c, "anna")
    session = c.cookies[SESSION_COOKIE]
    page = c.get("/na-dzis")
    out = c.post("/wyloguj", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    [row] = rows(db_url, DeskSession)
    assert row.revoked_at is not None
    replay = client(db_url)  # the old cookie, replayed by someone who kept it
    replay.cookies.set(SESSION_COOKIE, session)
    assert replay.get("/na-dzis", follow_redirects=False).status_code == 303


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(db_url):
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    before = dump(db_url)
    refused = c.post("/logowanie", data={"login": "anna", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403 and 'lang="pl"' in refused.text
    assert "Nic nie zostało zrobione" in refused.text
    assert dump(db_url) == before  # not even a login attempt counted
    log_in(c, "anna")
    before = dump(db_url)
    for data in ({}, {"csrf": "0" * 64}):
        assert c.post("/wyloguj", data=data, follow_redirects=False).status_code == 403
    assert dump(db_url) == before  # the session is still live
    assert c.get("/na-dzis").status_code == 200
    # a token of another reader's session does not pass either
    other = client(db_url)
    log_in(other, "anna")
    foreign = csrf_of(other.get("/na-dzis").text)
    assert c.post("/wyloguj", data={"csrf": foreign}, follow_redirects=False).status_code == 403


def test_logins_are_rate_limited_per_login_and_counted_in_the_database(db_url):
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    for _ in range(LOGIN_LIMIT):
        assert log_in(c, "anna", "wrong password!").status_code == 401
    limited = log_in(c, "anna")  # even the right password: not tried any more
    assert limited.status_code == 429
    assert "Zbyt wiele nieudanych prób logowania" in limited.text
    assert SESSION_COOKIE not in c.cookies
    # another process of the desk reads the same count
    with pytest.raises(NotPermitted) as info:
        check_login("anna", PASSWORD, None, "10.0.0.9", url=db_url)
    assert info.value.rule == "login_rate_limited"
    # per address too: many logins tried from one address
    for n in range(20):
        with pytest.raises(NotPermitted):
            check_login(f"guess{n}", "x" * 12, None, "10.0.0.7", url=db_url)
    with pytest.raises(NotPermitted) as info:
        check_login("someone", "x" * 12, None, "10.0.0.7", url=db_url)
    assert info.value.rule == "login_rate_limited"


def test_totp_is_required_once_enrolled_and_a_wrong_or_replayed_code_is_refused(db_url):
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    log_in(c, "anna")
    offer = c.get("/konto/totp")
    secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', offer.text).group(1)
    wrong = c.post("/konto/totp", data={"csrf": csrf_of(offer.text), "sealed": re.search(
        r'name="sealed" value="([^"]+)"', offer.text).group(1), "code": "000000"})
    assert wrong.status_code == 422 and 'aria-describedby="code-error"' in wrong.text
    assert "Kod się nie zgadza" in wrong.text
    done = c.post("/konto/totp", data={"csrf": csrf_of(wrong.text), "sealed": re.search(
        r'name="sealed" value="([^"]+)"', wrong.text).group(1), "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "jest włączony" in done.text
    [record] = [r for r in rows(db_url, PeopleRecord) if r.event == "enrol_totp"]
    assert record.payload == {"login": "anna"}
    [credential] = rows(db_url, PersonCredential)
    assert secret not in credential.totp_sealed and unseal(credential.totp_sealed) == secret

    fresh = client(db_url)
    assert log_in(fresh, "anna").status_code == 401  # the password alone no longer logs in
    assert log_in(fresh, "anna", code="123456" if pyotp.TOTP(secret).now() != "123456" else "654321"
                  ).status_code == 401
    code = pyotp.TOTP(secret).at(datetime.now(UTC), counter_offset=1)  # the next step's code (the enrolment used this one)
    assert log_in(fresh, "anna", code=code).status_code == 303
    again = client(db_url)
    assert log_in(again, "anna", code=code).status_code == 401  # a code is accepted once


def test_no_secret_sits_in_a_row_or_a_log(db_url, caplog):
    caplog.set_level(logging.DEBUG)
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    log_in(c, "anna")
    offer = c.get("/konto/totp")
    secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', offer.text).group(1)
    c.post("/konto/totp", data={"csrf": csrf_of(offer.text), "sealed": re.search(
        r'name="sealed" value="([^"]+)"', offer.text).group(1), "code": pyotp.TOTP(secret).now()})
    session = c.cookies[SESSION_COOKIE]
    everything = repr(dump(db_url))
    for value in (PASSWORD, secret, session):
        assert value not in everything
        assert value not in caplog.text
    records = [r for r in rows(db_url, PeopleRecord) if r.event in ("set_password", "enrol_totp")]
    assert [r.event for r in records] == ["set_password", "enrol_totp"]
    assert "password" not in repr([r.payload for r in records]).replace("set_password", "")


def test_the_totp_secret_is_sealed_with_a_key_outside_the_database(tmp_path, monkeypatch):
    import os

    sealed = seal("JBSWY3DPEHPK3PXP")
    key = tmp_path / "desk-key"
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert unseal(sealed) == "JBSWY3DPEHPK3PXP"
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "other-key"))
    assert unseal(sealed) is None  # another desk's key opens nothing


def without_projection(rows: dict) -> dict:
    """The dump without the waiting steps' projection: its table, and the cases' ``waiting_seen`` (last)."""
    kept = {name: table for name, table in rows.items() if name != "waiting_steps"}
    kept["cases"] = [row[:-1] for row in kept["cases"]]
    return kept


def test_na_dzis_lists_the_officers_formal_review_with_its_due_moment_and_basis(db_url, monkeypatch):
    from tests.test_todo import in_formal_review

    code = in_formal_review(db_url)
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    monkeypatch.setenv("COOP_NOW", "2026-01-26T12:00+01:00")
    c = client(db_url)
    log_in(c, "anna")
    before = dump(db_url)
    page = c.get("/na-dzis")
    assert page.status_code == 200
    # nothing but the waiting steps' projection (derived rows and the row version they were derived from)
    assert without_projection(dump(db_url)) == without_projection(before)
    again = dump(db_url)
    assert c.get("/na-dzis").status_code == 200 and dump(db_url) == again  # nothing stale: nothing written
    assert "<title>Na dziś · Biurko urzędnika</title>" in page.text
    assert f'<a href="/sprawy/{code}">{code}</a>' in page.text
    assert "Zakończ ocenę formalną ofert" in page.text
    assert "art. 15" in page.text or "KPA" in page.text  # the legal basis column
    row = page.text.split("Zakończ ocenę formalną ofert")[0].rsplit("<tr", 1)[1]
    assert code in row
    assert re.search(r"<time datetime=\"2026-", page.text)
    case = c.get(f"/sprawy/{code}")
    assert case.status_code == 200 and code in case.text and "ocena formalna" in case.text
    only = c.get("/na-dzis?procedure=open_call&overdue=1")
    assert only.status_code == 200 and 'name="overdue" type="checkbox" value="1" checked' in only.text
    assert c.get("/sprawy/NIE-MA-TAKIEJ").status_code == 404


def test_a_committee_member_sees_only_her_call(db_url, monkeypatch):
    from tests.test_open_call_guards import MEMBERS, create
    from tests.test_todo import in_substantive_review

    code = in_substantive_review(db_url)
    other = create(db_url)
    with_password(db_url, "jan", MEMBERS[0], ("committee_member", code))
    with_password(db_url, "ewa", MEMBERS[1], ("committee_member", other))
    monkeypatch.setenv("COOP_NOW", "2026-02-03T12:00+01:00")
    jan = client(db_url)
    log_in(jan, "jan")
    page = jan.get("/na-dzis")
    assert "Złóż oświadczenia" in page.text and f"/sprawy/{code}" in page.text
    assert "Zakończ ocenę formalną" not in page.text
    ewa = client(db_url)
    log_in(ewa, "ewa")
    assert "Nic na Ciebie nie czeka" in ewa.get("/na-dzis").text


def test_the_language_switch_gives_english(db_url):
    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    polish = c.get("/logowanie")
    assert '<html lang="pl">' in polish.text and "Zaloguj się" in polish.text
    assert 'href="#main"' in polish.text and '<main id="main"' in polish.text
    assert '<label for="login">' in polish.text and 'id="login"' in polish.text
    english = c.get("/logowanie?lang=en")
    assert '<html lang="en">' in english.text and "<title>Log in · Officers&#39; desk</title>" in english.text
    assert "coop_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in c.get("/logowanie").text  # kept by the cookie
    refused = log_in(c, "anna", "not the password")
    assert "Wrong login, password or one-time code" in refused.text
    assert '<html lang="pl">' in c.get("/logowanie?lang=pl").text


def test_demo_accounts_work_on_a_simulation_database_only(db_url, real_db_url):
    from states.credentials import DEMO_PASSWORD, demo_accounts

    made = demo_accounts(db_url)
    assert "urzednik" in made
    assert check_login("urzednik", DEMO_PASSWORD, None, "127.0.0.1", url=db_url) == "urzednik"
    assert demo_accounts(db_url) == []  # once
    with pytest.raises(NotPermitted):  # a real database refuses the typed demo administrator outright
        demo_accounts(real_db_url)
    # and a demo password is never set on a real database, even by its administrator
    from states.errors import RuleViolation

    person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    admin, _ = administrator(real_db_url)
    with pytest.raises(RuleViolation) as info:
        execute(set_password, SetPassword(login="anna", password=SecretStr(DEMO_PASSWORD), demo=True), actor=admin,
                url=real_db_url, keyed=False)
    assert info.value.rule == "demo_password_real"


def test_the_administrator_sets_a_password_from_the_cli_and_it_is_shown_once(db_url):
    import json

    from typer.testing import CliRunner

    import coop.core_cli  # noqa: F401  (registers the command groups)
    import coop.people_cli  # noqa: F401
    from coop.cli import app

    person(db_url, "anna", "Anna Urzędniczka", "officer")
    env = {"COOP_DATABASE_URL": db_url, "COOP_ACTOR": "Adam Administrator", "COOP_ROLE": "administrator",
           "COOP_LANG": "pl"}
    result = CliRunner().invoke(app, ["people", "password", "anna", "--generate", "--json"], env=env)
    assert result.exit_code == 0, result.output
    password = json.loads(result.stdout)["password"]
    assert check_login("anna", password, None, "127.0.0.1", url=db_url) == "anna"
    assert password not in repr(dump(db_url))
    typed = CliRunner().invoke(app, ["people", "password", "anna"], env=env,
                               input="short\nshort\n")  # hidden prompt, confirmed
    assert typed.exit_code != 0 and "Hasło ma co najmniej 12" in typed.output and "Traceback" not in typed.output
    officer = CliRunner().invoke(app, ["people", "password", "anna", "--generate"],
                                 env={**env, "COOP_ACTOR": "Anna Urzędniczka", "COOP_ROLE": "officer"})
    assert officer.exit_code != 0  # an administrator's command (states/authorization.py)
    assert check_login("anna", password, None, "127.0.0.1", url=db_url) == "anna"


def test_coop_desk_refuses_a_busy_port():
    import socket

    from web.serve import run_desk

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert run_desk("127.0.0.1", busy.getsockname()[1]) == 2


def test_a_person_deactivated_meanwhile_is_logged_out_at_the_next_page(db_url):
    from states.people import PersonRef, deactivate_person

    with_password(db_url, "anna", "Anna Urzędniczka", "officer")
    c = client(db_url)
    log_in(c, "anna")
    assert c.get("/na-dzis").status_code == 200
    admin, _ = administrator(db_url)
    execute(deactivate_person, PersonRef(login="anna"), actor=admin, url=db_url)
    assert c.get("/na-dzis", follow_redirects=False).headers["location"] == "/logowanie?next=/na-dzis"
    assert log_in(client(db_url), "anna").status_code == 401  # and cannot log in again


def test_the_desk_serves_in_a_thread_beside_prefect_and_stops(db_url, monkeypatch):
    import socket

    import httpx

    from web.serve import start_desk_thread

    monkeypatch.setenv("COOP_DATABASE_URL", db_url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    desk = start_desk_thread("127.0.0.1", port)
    try:
        for _ in range(100):
            if desk.server.started:
                break
            import time

            time.sleep(0.1)
        page = httpx.get(f"http://127.0.0.1:{port}/logowanie", timeout=10)
        assert page.status_code == 200 and "Zaloguj się" in page.text
    finally:
        desk.stop()
    assert not desk.thread.is_alive()
