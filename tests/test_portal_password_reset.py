"""A forgotten password of a portal account (states/password_reset.py, web/portal_password_reset.py): the link asked
for, sent sealed through the outbox, opened, the new password set under the one policy, the sessions revoked, the
change recorded and announced; the same answer for an unknown login; links used, voided, expired or garbled refused;
the rate limits. FastAPI's TestClient; SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from models.password_reset_tables import PasswordReset
from models.people_tables import DeskSession, PeopleRecord, Person, PersonCredential
from notifications.render import render
from states.engine import execute
from states.password_reset import RESETS_PER_CLIENT, RESETS_PER_NAME
from tests.test_portal_accounts import (
    client,
    csrf_of,
    desk_actor,
    log_in,
    officer,
    register,
    registered,
    rows,
)

NEW_PASSWORD = "a brand new horse staple"
NEUTRAL = "Jeśli konto portalu z potwierdzonym adresem e-mail pasuje"


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)


def ask(c: TestClient, name: str):
    form = c.get("/portal/haslo")
    return c.post("/portal/haslo", data={"csrf": csrf_of(form.text), "name": name})


def reset_mails(url: str, template: str = "portal_password_reset") -> list:
    return [r for r in rows(url, Notification) if r.template == template]


def reset_link(url: str, row=None) -> str:
    row = row or reset_mails(url)[-1]
    text = render(row.template, row.data, "pl").text
    return re.search(r"(http\S+/portal/haslo/nowe\?t=\S+)", text).group(1)


def set_new(c: TestClient, link: str, password: str = NEW_PASSWORD, repeated: str | None = None):
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    c.get(path)  # as a person opens the link (a GET: nothing changes)
    token = link.rsplit("t=", 1)[1]
    return c.post("/portal/haslo/nowe", data={"csrf": csrf_of(c.get("/portal/haslo").text), "t": token, "password": password,
                                              "password2": password if repeated is None else repeated})


def main_text(page: str) -> str:
    """The page's main content without its per-reader CSRF token: what a reader sees."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r'name="csrf" value="[^"]+"', "", main)


def test_a_person_resets_a_forgotten_password_by_the_e_mail_link(real_db_url):
    """The whole way on a real database: the link asked, the e-mail sealed, the new password set, every session
    revoked, the record and the notice; the old password refused, the new one accepted; the link works once."""
    url = real_db_url
    officer(url)
    here = registered(url, "jan.nowak", "Jan Nowak", "jan@example.org")
    there = client(url)
    assert log_in(there, "jan.nowak").status_code == 303
    assert here.get("/portal/reprezentacja", follow_redirects=False).status_code == 200
    sent_before = len(rows(url, Notification))

    stranger = client(url)
    login_page = stranger.get("/portal/logowanie").text
    assert 'href="/portal/haslo"' in login_page and "Nie pamiętasz hasła?" in login_page
    assert 'href="/portal/haslo"' not in stranger.get("/logowanie").text  # the desk's officers: an administrator
    asked = ask(stranger, "Jan@Example.org")
    assert asked.status_code == 200 and NEUTRAL in asked.text
    [mail] = reset_mails(url)
    assert mail.recipient == "jan@example.org" and mail.status == "pending"
    assert len(rows(url, Notification)) == sent_before + 1
    link = reset_link(url)
    token = link.rsplit("t=", 1)[1]
    [reset] = rows(url, PasswordReset)
    # invariant 12: the token is in no row as it is; the preview shows the link redacted
    assert token not in str(mail.data) and reset.token_hash not in str(mail.data) and len(reset.token_hash) == 64
    from notifications.handlers import NotificationRef, preview_notification

    preview = execute(preview_notification, NotificationRef(id=mail.id), actor=desk_actor(url), url=url,
                      readonly=True)
    assert "/portal/haslo/nowe?t=[…]" in preview["text"] and token not in preview["text"]

    # the GET shows the form and changes nothing
    form = stranger.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert form.status_code == 200 and 'name="password2"' in form.text
    assert rows(url, PasswordReset)[0].used_at is None
    old_hash = [r for r in rows(url, PersonCredential) if r.password_hash][-1].password_hash
    # the policy, named; two different passwords; neither spends the link
    weak = set_new(stranger, link, "short")
    assert weak.status_code == 422 and "co najmniej 12" in weak.text
    differ = set_new(stranger, link, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 422 and "Hasła różnią się" in differ.text
    assert rows(url, PasswordReset)[0].used_at is None

    done = set_new(stranger, link)
    assert done.status_code == 200 and "Twoje hasło zostało zmienione" in done.text
    assert rows(url, PasswordReset)[0].used_at is not None
    jan = [p for p in rows(url, Person) if p.login == "jan.nowak"][0]
    [credential] = [r for r in rows(url, PersonCredential) if r.person_id == jan.id]
    assert credential.password_hash.startswith("$argon2id$") and credential.password_hash != old_hash
    # every session of the person is revoked: both browsers are logged out
    sessions = [s for s in rows(url, DeskSession) if s.person_id == jan.id]
    assert len(sessions) == 2 and all(s.revoked_at is not None for s in sessions)
    for c in (here, there):
        assert c.get("/portal/reprezentacja", follow_redirects=False).status_code in (302, 303, 307)
    # the people chain says so, with no secret
    [record] = [r for r in rows(url, PeopleRecord) if r.event == "reset_password"]
    assert record.subject == "person:jan.nowak" and record.payload == {
        "login": "jan.nowak", "by": "email_link", "sessions_revoked": 2}
    assert NEW_PASSWORD not in str(record.payload) and token not in str(record.payload)
    assert record.actor == "Jan Nowak"  # the person's own act, proven by the link
    # the notice to the address
    [notice] = reset_mails(url, "portal_password_changed")
    assert notice.recipient == "jan@example.org"
    assert "zostało zmienione" in render(notice.template, notice.data, "pl").text
    # the old password no longer, the new one yes; the link once only
    assert log_in(stranger, "jan.nowak").status_code == 401
    assert log_in(stranger, "jan.nowak", NEW_PASSWORD).status_code == 303
    again = set_new(client(url), link, NEW_PASSWORD + " again")
    assert again.status_code == 422 and "nie jest ważny" in again.text
    from sqlmodel import Session

    from states.people import verify_people_chain

    with Session(get_engine(normalise_url(url))) as session:
        assert verify_people_chain(session)[1] is None


def test_an_unknown_login_gets_the_same_page_and_nothing_is_sent(db_url):
    """No account enumeration: a login or address of nobody, an unconfirmed account, an officer (no portal
    account) and a portal account that was given a role of the city get the page a real account gets, and no message
    is written."""
    from states.people import GrantRole, grant_role
    from tests.people_fixtures import administrator

    url = db_url
    officer(url)
    registered(url, "jan.nowak", "Jan Nowak", "jan@example.org")
    register(client(url), "ewa.nowa", "Ewa Nowa", "ewa@example.org")  # not confirmed
    registered(url, "olga.urzednik", "Olga Urzędnik", "olga@example.org")
    admin, _ = administrator(url)
    execute(grant_role, GrantRole(login="olga.urzednik", role="officer"), actor=admin, url=url)
    known = main_text(ask(client(url), "jan.nowak").text)
    assert len(reset_mails(url)) == 1
    for name in ("nikt", "nikt@example.org", "ewa.nowa", "ewa@example.org", "anna", "olga.urzednik",
                 "olga@example.org"):
        answer = ask(client(url), name)
        assert answer.status_code == 200 and main_text(answer.text) == known
    assert len(reset_mails(url)) == 1
    empty = ask(client(url), "   ")
    assert empty.status_code == 422 and "Wpisz swój login" in empty.text


def test_the_answer_leaves_before_the_account_is_looked_for(db_url, monkeypatch, live_server):
    """No enumeration by timing: over real HTTP, the page is answered while the request's work (an account looked
    for, a link written, sealed and queued) is still held back, so how long that work takes cannot show in the
    answer; the link is written after it. (A floor of 250 ms did this before and leaked on a loaded server.)"""
    import threading
    import time

    import httpx

    from states import password_reset
    from web.app import create_app

    registered(db_url, "jan.nowak", "Jan Nowak", "jan@example.org")
    held, asked = threading.Event(), []
    real = password_reset.ask_by_name

    def held_back(name, *, url=None):
        asked.append(name)
        assert held.wait(20), "the test never released the request's work"
        return real(name, url=url)

    monkeypatch.setattr(password_reset, "ask_by_name", held_back)
    server = live_server(create_app(db_url))
    for name, mails_after in (("jan.nowak", 1), ("nikt", 1)):
        held.clear()
        with httpx.Client(base_url=server.url, timeout=10) as browser:
            form = browser.get("/portal/haslo")
            answer = browser.post("/portal/haslo", data={"csrf": csrf_of(form.text), "name": name})
        assert answer.status_code == 200 and NEUTRAL in answer.text, name
        assert len(reset_mails(db_url)) == 0 if name == "jan.nowak" else 1  # answered, the work still held back
        held.set()
        for _ in range(400):
            if name in asked and len(reset_mails(db_url)) == mails_after:
                break
            time.sleep(0.05)
    assert asked == ["jan.nowak", "nikt"]
    assert len(reset_mails(db_url)) == 1


def test_a_failure_after_the_answer_is_logged_not_shown(db_url, monkeypatch, caplog):
    from states import password_reset

    def broken(name, *, url=None):
        raise RuntimeError("database gone")

    monkeypatch.setattr(password_reset, "ask_by_name", broken)
    answer = ask(client(db_url), "jan.nowak")
    assert answer.status_code == 200 and NEUTRAL in answer.text and "Traceback" not in answer.text
    assert "a password reset request failed after its answer" in caplog.text


def test_a_newer_link_voids_the_older_and_an_expired_link_is_refused(db_url):
    url = db_url
    registered(url, "jan.nowak", "Jan Nowak", "jan@example.org")
    ask(client(url), "jan.nowak")
    ask(client(url), "jan@example.org")
    first, second = reset_mails(url)
    older, newer = reset_link(url, first), reset_link(url, second)
    voided = client(url).get("/" + older.split("://", 1)[1].split("/", 1)[1])
    assert voided.status_code == 422 and "nowszy link go zastąpił" in voided.text and 'name="password"' not in voided.text
    assert set_new(client(url), older).status_code == 422
    # expired: the newest link an hour and more later
    with get_engine(normalise_url(url)).begin() as connection:
        r = PasswordReset.__table__
        connection.execute(r.update().values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    expired = set_new(client(url), newer)
    assert expired.status_code == 422 and "wygasł" in expired.text
    assert log_in(client(url), "jan.nowak").status_code == 303  # the old password still works


@pytest.mark.parametrize("token", ["", "x", "a" * 500, "'; drop table persons; --", "zażółć" * 10,
                                   "A" * 43, "../../etc/passwd", "%00"])
def test_a_garbage_token_gets_a_refusal_page(db_url, token):
    c = client(url := db_url)
    page = c.get("/portal/haslo/nowe", params={"t": token})
    assert page.status_code == 422 and "nie jest ważny" in page.text and "Traceback" not in page.text
    form = c.get("/portal/haslo")
    posted = c.post("/portal/haslo/nowe", data={"csrf": csrf_of(form.text), "t": token, "password": NEW_PASSWORD,
                                                "password2": NEW_PASSWORD})
    assert posted.status_code == 422 and "nie jest ważny" in posted.text
    assert rows(url, PeopleRecord) == []


def test_reset_requests_are_rate_limited_per_name_and_per_address(db_url):
    url = db_url
    registered(url, "jan.nowak", "Jan Nowak", "jan@example.org")
    c = client(url)
    for _ in range(RESETS_PER_NAME):
        assert ask(c, "jan.nowak").status_code == 200
    limited = ask(c, "jan.nowak")
    assert limited.status_code == 429 and "Zbyt wiele próśb" in limited.text
    assert len(reset_mails(url)) == RESETS_PER_NAME  # the limited request sent nothing
    for n in range(RESETS_PER_CLIENT - RESETS_PER_NAME):
        assert ask(c, f"ktos{n}").status_code == 200
    assert ask(c, "ktos-inny").status_code == 429  # this address asked enough


def test_a_reset_keeps_the_second_factor(db_url):
    url = db_url
    registered(url, "jan.nowak", "Jan Nowak", "jan@example.org")
    c = client(url)
    c.get("/portal/haslo")
    with get_engine(normalise_url(url)).begin() as connection:
        credentials = PersonCredential.__table__
        connection.execute(credentials.update().values(totp_sealed="sealed-secret", totp_last_step=7))
    ask(c, "jan.nowak")
    assert set_new(c, reset_link(url)).status_code == 200
    [credential] = [r for r in rows(url, PersonCredential) if r.password_hash]
    assert credential.totp_sealed == "sealed-secret" and credential.totp_last_step == 7
    with get_engine(normalise_url(url)).connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(PasswordReset.__table__)).scalar_one() == 1


def test_a_password_the_administrator_sets_logs_the_person_out_everywhere(db_url):
    """``coop people password`` (states/credentials.py ``set_password``) revokes every session of the person, as the
    reset by the e-mail link does: whoever held the old password is out at once; the chain counts the sessions."""
    from pydantic import SecretStr

    from states.credentials import SetPassword, set_password
    from tests.people_fixtures import administrator

    url = db_url
    officer(url)
    here = registered(url, "jan.nowak", "Jan Nowak", "jan@example.org")
    there = client(url)
    assert log_in(there, "jan.nowak").status_code == 303
    for c in (here, there):
        assert c.get("/portal/reprezentacja", follow_redirects=False).status_code == 200
    admin, _ = administrator(url)
    done = execute(set_password, SetPassword(login="jan.nowak", password=SecretStr(NEW_PASSWORD)), actor=admin,
                   url=url, keyed=False)
    assert done == {"login": "jan.nowak", "password_set": True, "sessions_revoked": 2}
    jan = [p for p in rows(url, Person) if p.login == "jan.nowak"][0]
    sessions = [s for s in rows(url, DeskSession) if s.person_id == jan.id]
    assert len(sessions) == 2 and all(s.revoked_at is not None for s in sessions)
    for c in (here, there):
        assert c.get("/portal/reprezentacja", follow_redirects=False).status_code in (302, 303, 307)
    [record] = [r for r in rows(url, PeopleRecord) if r.event == "set_password" and r.subject == "person:jan.nowak"]
    assert record.payload == {"login": "jan.nowak", "demo": False, "sessions_revoked": 2}
    # the new password works; another person's sessions are untouched
    assert log_in(client(url), "jan.nowak", NEW_PASSWORD).status_code == 303
    anna = [p for p in rows(url, Person) if p.login == "anna"][0]
    assert all(s.revoked_at is None for s in rows(url, DeskSession) if s.person_id == anna.id)
