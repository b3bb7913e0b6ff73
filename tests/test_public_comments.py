"""Public comments from the portal (states/public_comments.py, web/portal_comments.py): the public pages of the
small-grant offers published for comments and the consultations open; a comment held until its e-mail link is
confirmed, then filed once through the procedure's own handler as the address the link proved; the refusals (a link
expired, used or mangled, the window closed, the rate limits, an attacker's garbage). FastAPI's TestClient; SQLite
and PostgreSQL; the whole way on a real database too (every actor proven)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

import coop.core_cli  # noqa: F401  (registers the command groups on the app)
import coop.procedures_cli  # noqa: F401  (and every procedure's commands: `coop consult show`)
from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from models.public_comment_tables import PublicCommentRequest
from models.tables import AuditRecord
from notifications.render import render
from states.engine import Actor, execute
from states.errors import DomainError
from states.procedures.consultation import handlers as consultation_handlers
from states.procedures.consultation import inputs as consultation_inputs
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from states.public_comments import (
    REQUESTS_PER_CLIENT,
    REQUESTS_PER_EMAIL,
    FileComment,
    file_comment,
)
from tests.conftest import dump
from tests.test_small_grant import ALL_CHANNELS, do, file, setup_registry
from web.app import create_app

OPEN = "2026-04-10T12:00+02:00"  # both cases take comments: the offer until 15 April 23:59:59, the draft until 15:30
AFTER = "2026-04-16T08:00+02:00"  # both windows closed (the tick has not run yet: the state still says open)
OFFICER = Actor("Anna Urzędniczka", "officer")


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    monkeypatch.setenv("COOP_NOW", OPEN)


DRAFT_SUMMARY = "Zasady przyznawania stypendiów sportowych zawodnikom z Leszna: do 800 zł miesięcznie przez rok."


def published_cases(url: str) -> tuple[str, str]:
    """A small-grant offer published in its three channels on 8 April 2026 (comments until 15 April, art. 19a ust. 4)
    and a draft resolution opened for consultation the same day (7 days, until 15 April 15:30)."""
    setup_registry(url)
    grant = file(url)["code"]
    do(url, small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(code=grant, published=ALL_CHANNELS),
       "2026-04-08T10:05+02:00")
    consultation = do(url, consultation_handlers.create, consultation_inputs.CreateConsultation(
        title="Projekt uchwały o zasadach przyznawania stypendiów sportowych", field="kultura fizyczna",
        act_kind="resolution"), "2026-04-07T10:00+02:00")["code"]
    do(url, consultation_handlers.open_consultation, consultation_inputs.OpenConsultation(
        code=consultation, published={c: "2026-04-08T09:00+02:00" for c in ("consultations_portal", "ngo_portal", "bip", "board")},
        draft_summary=DRAFT_SUMMARY),
       "2026-04-08T09:30+02:00")
    return grant, consultation


@pytest.fixture
def cases(db_url):
    grant, consultation = published_cases(db_url)
    return db_url, grant, consultation


def client(url: str) -> TestClient:
    return TestClient(create_app(url), base_url="http://testserver")


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def send(c: TestClient, code: str, *, intent: str | None = None, page=None, **values: str):
    page = page or c.get(f"/portal/uwagi/{code}")
    data = {"csrf": hidden(page.text, "csrf"), "intent": intent or hidden(page.text, "intent"), "name": "Jan Kowalski",
            "email": "jan@example.org", "text": "Proszę dodać trasę dla dzieci.", **values}
    return c.post(f"/portal/uwagi/{code}", data=data)


def rows(url: str, table) -> list:
    with get_engine(normalise_url(url)).connect() as connection:
        return connection.execute(sa.select(table.__table__).order_by(table.__table__.c.id)).all()


def link_of(url: str, email: str = "jan@example.org", nth: int = -1) -> str:
    """The link as the dispatcher writes it: the outbox row rendered (its token opened there)."""
    mails = [r for r in rows(url, Notification) if r.recipient == email and r.template == "portal_comment_link"]
    text = render(mails[nth].template, mails[nth].data, "pl").text
    return re.search(r"(http\S+/portal/uwagi/potwierdz\?t=\S+)", text).group(1)


def token_of(link: str) -> str:
    return link.rsplit("t=", 1)[1]


def confirm(c: TestClient, link: str):
    page = c.get("/portal/uwagi/potwierdz?t=" + token_of(link))
    assert page.status_code == 200, page.text
    return c.post("/portal/uwagi/potwierdz", data={"csrf": hidden(page.text, "csrf"), "t": hidden(page.text, "t")})


def shown(url: str, handler, code: str, actor=OFFICER) -> dict:
    from states.inputs import CaseRef

    return execute(handler, CaseRef(code=code), actor=actor, url=url, readonly=True)


def test_the_public_pages_show_what_the_publication_shows_and_no_address(cases):
    url, grant, consultation = cases
    c = client(url)
    listing = c.get("/portal/uwagi")
    assert listing.status_code == 200
    assert grant in listing.text and consultation in listing.text
    assert "Rajd rowerowy „Poznaj Leszno”" in listing.text and "Stowarzyszenie Leszczyńskie Rowery" in listing.text
    assert "2026-04-15 23:59:59 (+02:00)" in listing.text and "2026-04-15 15:30 (+02:00)" in listing.text
    offer = c.get(f"/portal/uwagi/{grant}")
    assert offer.status_code == 200
    assert "9 500,00 zł" in offer.text and "2026-05-01" in offer.text and "2026-07-16" in offer.text
    assert "art. 19a ust. 4" in offer.text and 'name="intent"' in offer.text
    assert "@" not in re.sub(r'type="email"|autocomplete="email"', "", offer.text.split("<main", 1)[1]).split(
        "</form>")[0].replace('name="email"', "")  # no address of the organisation on the public page
    draft = c.get(f"/portal/uwagi/{consultation}")
    assert "projekt uchwały" in draft.text.lower() and 'name="provision"' in draft.text
    # a draft not opened yet, an unknown code, garbage: nothing public
    hidden_draft = do(url, consultation_handlers.create, consultation_inputs.CreateConsultation(
        title="Projekt jeszcze wewnętrzny", field="sport", act_kind="resolution"), "2026-04-09T10:00+02:00")["code"]
    assert hidden_draft not in c.get("/portal/uwagi").text
    assert c.get(f"/portal/uwagi/{hidden_draft}").status_code == 404
    assert c.get("/portal/uwagi/XX/2026/999").status_code == 404
    assert c.get("/portal/uwagi/%3Cscript%3E").status_code == 404
    english = c.get("/portal/uwagi?lang=en")
    assert "Comments on offers and draft acts" in english.text


def test_a_small_grant_comment_is_filed_once_only_after_its_link_is_confirmed(cases, monkeypatch):
    url, grant, _ = cases
    c = client(url)
    page = c.get(f"/portal/uwagi/{grant}")
    sent = send(c, grant, page=page)
    assert sent.status_code == 200 and "Sprawdź pocztę" in sent.text and "jan@example.org" in sent.text
    assert send(c, grant, page=page).status_code == 200  # "send" pressed twice: one request, one e-mail
    assert len(rows(url, PublicCommentRequest)) == 1
    assert shown(url, small_grant_handlers.show, grant)["comments"] == []  # nothing filed before the link
    link = link_of(url)
    token = token_of(link)
    # invariant 12: the token is in no row as it is (the outbox keeps it sealed, the request its SHA-256)
    assert token not in repr(dump(url))
    before = dump(url)
    form = c.get("/portal/uwagi/potwierdz?t=" + token)
    assert "Potwierdzam i składam uwagę" in form.text and "Proszę dodać trasę dla dzieci." in form.text
    assert "jan@example.org" not in form.text
    assert dump(url) == before  # opening the link (a mail scanner) files nothing
    done = c.post("/portal/uwagi/potwierdz", data={"csrf": hidden(form.text, "csrf"), "t": token})
    assert done.status_code == 200 and "jako uwaga nr 1" in done.text
    again = c.post("/portal/uwagi/potwierdz", data={"csrf": hidden(form.text, "csrf"), "t": token})
    assert again.status_code == 200 and "jako uwaga nr 1" in again.text  # a double click: the same receipt
    comments = shown(url, small_grant_handlers.show, grant)["comments"]
    assert [(k["number"], k["author"], k["email"]) for k in comments] == [(1, "Jan Kowalski", "jan@example.org")]
    assert shown(url, small_grant_handlers.show, grant, Actor("Ktoś", "public"))["comments"][0]["email"] is None
    [record] = [r for r in rows(url, AuditRecord) if r.event == "comment"]
    assert record.actor == "jan@example.org" and record.role == "public" and record.basis == "art. 19a ust. 4"
    # the link's page now says it was used; pressing it with another key files nothing more
    assert "została już złożona jako uwaga nr 1" in c.get("/portal/uwagi/potwierdz?t=" + token).text
    from states.people import email_principal

    with pytest.raises(DomainError) as used:
        execute(file_comment, FileComment(token=SecretStr(token)), actor=email_principal("jan@example.org"), url=url)
    assert used.value.rule == "comment_link_used"
    # an address the link did not prove cannot use it
    other = client(url)
    send(other, grant, email="ewa@example.org", name="Ewa Nowak")
    with pytest.raises(DomainError) as foreign:
        execute(file_comment, FileComment(token=SecretStr(token_of(link_of(url, "ewa@example.org")))),
                actor=email_principal("jan@example.org"), url=url)
    assert foreign.value.rule == "comment_link_invalid"


def test_a_consultation_comment_carries_its_provision_and_the_address_for_the_answer(cases, cli):
    url, _, consultation = cases
    c = client(url)
    sent = send(c, consultation, author_kind="ngo", provision="§ 5 ust. 2", name="Fundacja Zielone Podwórko",
                email="Biuro@Example.org")
    assert sent.status_code == 200, sent.text
    done = confirm(c, link_of(url, "biuro@example.org"))
    assert "jako uwaga nr 1" in done.text
    [comment] = shown(url, consultation_handlers.show, consultation)["comments"]
    assert (comment["author"], comment["kind"], comment["provision"], comment["email"]) == (
        "Fundacja Zielone Podwórko", "ngo", "§ 5 ust. 2", "biuro@example.org")
    [record] = [r for r in rows(url, AuditRecord) if r.event == "comment"]
    assert record.actor == "biuro@example.org" and record.payload["email"] == "biuro@example.org"
    shown_cli = cli("consult", "show", consultation, at=OPEN)  # the officer's CLI shows the proven address
    assert shown_cli.exit_code == 0 and "biuro@example.org" in shown_cli.output, shown_cli.output


def test_a_comment_confirmed_after_the_window_is_refused_with_its_basis(cases, monkeypatch):
    url, grant, consultation = cases
    c = client(url)
    monkeypatch.setenv("COOP_NOW", "2026-04-15T15:00+02:00")  # half an hour before the consultation's 15:30
    assert send(c, consultation, email="ewa@example.org").status_code == 200
    monkeypatch.setenv("COOP_NOW", "2026-04-15T23:00+02:00")  # an hour before the offer's comments end
    assert send(c, grant).status_code == 200
    late_form = c.get(f"/portal/uwagi/{grant}")  # shown in time, sent too late
    monkeypatch.setenv("COOP_NOW", AFTER)  # both links valid (24 hours), both windows closed
    before = dump(url)
    late = confirm(c, link_of(url))
    assert late.status_code == 422
    assert "uwagi można zgłaszać tylko w okresie publikacji oferty" in late.text and "art. 19a ust. 4" in late.text
    late = confirm(c, link_of(url, "ewa@example.org"))
    assert late.status_code == 422 and "art. 5 ust. 5" in late.text
    assert dump(url) == before
    # and a new comment is not even held: the machine refuses it when it is sent, no e-mail goes out
    assert "Termin na uwagi upłynął" in c.get(f"/portal/uwagi/{grant}").text
    refused = send(c, grant, page=late_form, email="piotr@example.org")
    assert refused.status_code == 422 and "art. 19a ust. 4" in refused.text
    assert dump(url) == before


def test_an_expired_or_mangled_link_is_refused_and_nothing_is_filed(cases, monkeypatch):
    url, grant, _ = cases
    c = client(url)
    send(c, grant)
    link = link_of(url)
    monkeypatch.setenv("COOP_NOW", "2026-04-11T12:00:01+02:00")  # 24 hours and a second later: still in the window
    before = dump(url)
    page = c.get("/portal/uwagi/potwierdz?t=" + token_of(link))
    assert "wygasł" in page.text and 'name="t"' not in page.text
    csrf = hidden(c.get(f"/portal/uwagi/{grant}").text, "csrf")  # the expired link's page has no button to press
    expired = c.post("/portal/uwagi/potwierdz", data={"csrf": csrf, "t": token_of(link)})
    assert expired.status_code == 422 and "Ten link jest nieważny" in expired.text
    mangled = token_of(link)[:-1] + ("B" if token_of(link).endswith("A") else "A")  # never the token itself
    for garbage in ("", "x", mangled, "a" * 5000, "<script>alert(1)</script>", "' OR 1=1 --"):
        shown_page = c.get("/portal/uwagi/potwierdz", params={"t": garbage})
        assert shown_page.status_code == 422 and "Ten link jest nieważny" in shown_page.text
        posted = c.post("/portal/uwagi/potwierdz", data={"csrf": csrf, "t": garbage})
        assert posted.status_code == 422 and "Traceback" not in posted.text
    assert dump(url) == before


def test_the_rate_limits_per_address_and_per_email(cases, monkeypatch):
    url, grant, _ = cases
    c = client(url)
    for _ in range(REQUESTS_PER_EMAIL):
        assert send(c, grant).status_code == 200
    paused = send(c, grant)
    assert paused.status_code == 429 and "Zbyt wiele uwag" in paused.text
    assert len(rows(url, PublicCommentRequest)) == REQUESTS_PER_EMAIL
    for n in range(REQUESTS_PER_CLIENT - REQUESTS_PER_EMAIL):
        assert send(c, grant, email=f"osoba{n}@example.org").status_code == 200
    assert send(c, grant, email="ktos.nowy@example.org").status_code == 429  # the same client address
    # an hour later sending goes again; the addresses counted then are forgotten, unconfirmed comments a day after
    # their link expired
    monkeypatch.setenv("COOP_NOW", "2026-04-12T13:00+02:00")
    again = send(c, grant)
    assert again.status_code == 200, re.search(r'role="alert"[^>]*>(.*?)</div>', again.text, re.S).group(1)
    kept = rows(url, PublicCommentRequest)
    assert len(kept) == 1 and kept[0].client == "testclient"


def test_an_attackers_garbage_gets_a_refusal_not_a_traceback(cases):
    url, grant, _ = cases
    c = client(url)
    before = dump(url)
    page = c.get(f"/portal/uwagi/{grant}")
    for values in ({"email": "not-an-address"}, {"name": ""}, {"text": ""}, {"text": "x" * 6000},
                   {"name": "Jan\u202eKowalski"}, {"author_kind": "robot"}, {"provision": "a\nb"}):
        refused = send(c, grant, page=page, **values)
        assert refused.status_code == 422 and "Traceback" not in refused.text, values
        assert 'role="alert"' in refused.text
    for intent in ("short", "x" * 65, "../../etc/passwd/x/y/z", "a b c d e f g h i j k l"):
        assert send(c, grant, page=page, intent=intent).status_code == 422
    assert send(c, "XX/2026/001", page=page).status_code == 404
    no_csrf = c.post(f"/portal/uwagi/{grant}", data={"intent": hidden(page.text, "intent"), "name": "Jan",
                                                      "email": "jan@example.org", "text": "x"})
    assert no_csrf.status_code == 403
    assert dump(url) == before
    kept = send(c, grant, page=page, email="zly-adres")
    assert 'value="Jan Kowalski"' in kept.text and "Proszę dodać trasę dla dzieci." in kept.text  # nothing lost


def test_on_a_real_database_every_actor_is_proven(real_db_url, monkeypatch):
    """The whole way on a real database: the officer proven by her login, the comment by its link."""
    from states.cases import register_organisation
    from states.inputs import RegisterOrganisation
    from states.people import person_principal
    from tests.people_fixtures import person

    url = real_db_url
    monkeypatch.delenv("COOP_NOW")  # a real database: every moment is the database's own
    person(url, "anna", "Anna Urzędniczka", "officer")
    officer = person_principal("anna", proof="desk", url=url)
    execute(register_organisation, RegisterOrganisation(
        name="Stowarzyszenie Leszczyńskie Rowery", legal_form="stowarzyszenie", krs="0000200001",
        address="ul. Słowiańska 1, 64-100 Leszno", email="biuro@example.org", contact_person="Prezes"),
        actor=officer, url=url)
    today = datetime.now(UTC).date()
    execute(small_grant_handlers.record_budget, small_grant_inputs.RecordGrantBudget(
        year=today.year + 1, planned=Decimal("1500000.00")), actor=officer, url=url)
    grant = execute(small_grant_handlers.file_offer, small_grant_inputs.FileSmallGrant(
        organisation_krs="0000200001", title="Rajd rowerowy", requested_grant=Decimal("5000.00"),
        task_start=today.replace(year=today.year + 1, month=5, day=1),
        task_end=today.replace(year=today.year + 1, month=6, day=1)), actor=officer, url=url)["code"]
    now = datetime.now(UTC).isoformat()
    execute(small_grant_handlers.publish_offer, small_grant_inputs.PublishNotice(
        code=grant, published={c: now for c in ("bip", "board", "website")}), actor=officer, url=url)
    c = client(url)
    assert send(c, grant).status_code == 200
    assert "jako uwaga nr 1" in confirm(c, link_of(url)).text
    [record] = [r for r in rows(url, AuditRecord) if r.event == "comment"]
    assert record.actor == "jan@example.org" and record.role == "public"


def test_two_presses_of_the_button_racing_file_one_comment(cases):
    """The link's button pressed twice at once (two connections, one browser): one comment, the same receipt."""
    from concurrent.futures import ThreadPoolExecutor

    url, grant, _ = cases
    c = client(url)
    send(c, grant)
    token = token_of(link_of(url))
    page = c.get("/portal/uwagi/potwierdz?t=" + token)
    twins = []
    for _ in range(2):
        twin = client(url)
        twin.cookies.update(c.cookies)
        twins.append(twin)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda t: t.post("/portal/uwagi/potwierdz", data={
            "csrf": hidden(page.text, "csrf"), "t": token}), twins))
    assert [a.status_code for a in answers] == [200, 200], [a.text[-600:] for a in answers]
    assert all("jako uwaga nr 1" in a.text for a in answers)
    assert len(shown(url, small_grant_handlers.show, grant)["comments"]) == 1


def test_a_form_sent_again_changed_says_the_comment_was_sent_and_how_to_send_another(cases):
    """The browser's "back" after sending, the text edited, "send" again under the form's key: not the engine's
    generic ``idempotency_key_reused``, but what happened (the first comment sent, the changed one not) and how to
    send another; nothing more held, no second e-mail. Pressing again then sends a new comment with its own link."""
    url, grant, _ = cases
    c = client(url)
    page = c.get(f"/portal/uwagi/{grant}")
    first = hidden(page.text, "intent")
    assert send(c, grant, page=page).status_code == 200
    mails = len(rows(url, Notification))
    again = send(c, grant, page=page, text="Proszę dodać trasę dla dzieci i seniorów.")
    assert again.status_code == 409
    assert "Uwaga z tego formularza została już wysłana" in again.text and "idempotency" not in again.text.lower()
    assert "ponownie „Wyślij uwagę”" in again.text
    assert "Proszę dodać trasę dla dzieci i seniorów." in again.text  # the changed text kept in the form
    assert len(rows(url, PublicCommentRequest)) == 1 and len(rows(url, Notification)) == mails
    fresh = hidden(again.text, "intent")
    assert fresh != first
    another = send(c, grant, page=again, text="Proszę dodać trasę dla dzieci i seniorów.")
    assert another.status_code == 200 and "Sprawdź pocztę" in another.text
    assert [r.text for r in rows(url, PublicCommentRequest)] == [
        "Proszę dodać trasę dla dzieci.", "Proszę dodać trasę dla dzieci i seniorów."]
