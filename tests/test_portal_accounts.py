"""The organisations' portal (issue 22): registration, the e-mail link (through the outbox and a real SMTP server),
the registration rate limits, representation requests and the officer's decision, the profile and its history, and
the refusals (another organisation's profile, a wrong link, a claim twice). FastAPI's TestClient; SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from models.db import get_engine, normalise_url
from models.notification_tables import Notification
from models.people_tables import PeopleRecord, Person, PersonCredential, PersonGrant
from models.portal_tables import (
    EmailConfirmation,
    OrganisationProfile,
    PortalAccount,
    RegistrationAttempt,
    RepresentationClaim,
)
from models.tables import Organisation
from notifications.render import render
from states.credentials import SetPassword, set_password
from states.engine import execute
from states.portal_accounts import REGISTRATIONS_PER_CLIENT, REGISTRATIONS_PER_EMAIL
from tests.conftest import dump
from tests.people_fixtures import administrator, person
from web.app import create_app
from web.security import SESSION_COOKIE

PASSWORD = "correct horse battery"
KRS_KNOWN = "0000123456"
KRS_NEW = "0000654321"


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)


def client(url: str) -> TestClient:
    return TestClient(create_app(url), base_url="http://testserver")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def rows(url: str, table) -> list:
    with get_engine(normalise_url(url)).connect() as connection:
        return connection.execute(sa.select(table.__table__).order_by(table.__table__.c.id)).all()


def officer(url: str, login: str = "anna", name: str = "Anna Urzędniczka") -> None:
    person(url, login, name, "officer")
    admin, _ = administrator(url)
    execute(set_password, SetPassword(login=login, password=SecretStr(PASSWORD)), actor=admin, url=url, keyed=False)


def desk_actor(url: str):
    from states.people import person_principal

    return person_principal("anna", proof="desk", url=url)


def known_organisation(url: str, krs: str = KRS_KNOWN, name: str = "Stowarzyszenie Rowerowe") -> int:
    with get_engine(normalise_url(url)).begin() as connection:
        return connection.execute(Organisation.__table__.insert().values(
            name=name, legal_form="stowarzyszenie", krs=krs, address="ul. Rynek 1, 64-100 Leszno",
            email="biuro@rowery.example.org", contact_person="Ewa Kowalska", created_at=datetime.now(UTC)
        ).returning(Organisation.__table__.c.id)).scalar_one()


def register(c: TestClient, login: str, name: str, email: str, password: str = PASSWORD, repeated=None):
    form = c.get("/portal/rejestracja")
    return c.post("/portal/rejestracja", data={"csrf": csrf_of(form.text), "login": login, "display_name": name,
                                               "email": email, "password": password,
                                               "password2": password if repeated is None else repeated})


def link_of(url: str, email: str) -> str:
    """The confirmation link as the dispatcher writes it: the outbox row rendered (its token opened there)."""
    [row] = [r for r in rows(url, Notification) if r.recipient == email]
    text = render(row.template, row.data, "pl").text
    return re.search(r"(http\S+/portal/potwierdz\?t=\S+)", text).group(1)


def confirm(c: TestClient, link: str):
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = c.get("/" + path)
    token = re.search(r'name="t" value="([^"]*)"', page.text).group(1)
    return c.post("/portal/potwierdz", data={"csrf": csrf_of(page.text), "t": token})


def log_in(c: TestClient, login: str, password: str = PASSWORD, next_path: str = ""):
    form = c.get("/portal/logowanie")
    return c.post("/portal/logowanie", data={"csrf": csrf_of(form.text), "login": login, "password": password,
                                             "next": next_path}, follow_redirects=False)


def desk_log_in(c: TestClient, login: str):
    form = c.get("/logowanie")
    return c.post("/logowanie", data={"csrf": csrf_of(form.text), "login": login, "password": PASSWORD,
                                      "next": ""}, follow_redirects=False)


def registered(url: str, login: str, name: str, email: str) -> TestClient:
    c = client(url)
    assert register(c, login, name, email).status_code == 200
    assert "Adres e-mail potwierdzony" in confirm(c, link_of(url, email)).text
    assert log_in(c, login).status_code == 303
    return c


def claim(c: TestClient, **values: str):
    page = c.get("/portal/reprezentacja")
    return c.post("/portal/reprezentacja", data={"csrf": csrf_of(page.text), **values}, follow_redirects=False)


def decide(c: TestClient, number: int, decision: str, reason: str = ""):
    page = c.get("/wnioski-o-reprezentacje")
    return c.post(f"/wnioski-o-reprezentacje/{number}", data={"csrf": csrf_of(page.text), "decision": decision,
                                                               "reason": reason}, follow_redirects=False)


PROFILE = {"name": "Stowarzyszenie Rowerowe Leszno", "legal_form": "stowarzyszenie",
           "address": "ul. Rynek 2, 64-100 Leszno", "email": "kontakt@rowery.example.org", "phone": "+48 65 123 45 67",
           "website": "https://rowery.example.org", "contact_person": "Jan Nowak",
           "areas": "turystyka i krajoznawstwo\nekologia", "publish_consent": "1"}


def test_a_representative_registers_confirms_claims_is_confirmed_and_keeps_the_profile(real_db_url):
    """The whole way on a real database (every actor proven): registration, the link, the claim of a KRS the
    registry knows and of one it does not, the officer's confirmation, the profile edited, its history shown."""
    url = real_db_url
    officer(url)
    known = known_organisation(url)
    c = client(url)
    done = register(c, "jan.nowak", "Jan Nowak", "Jan@Example.org")
    assert done.status_code == 200 and "jan@example.org" in done.text
    [account] = rows(url, PortalAccount)
    assert account.email == "jan@example.org" and account.email_confirmed_at is None
    [hash_row] = [r for r in rows(url, PersonCredential) if r.person_id == account.person_id]
    assert hash_row.password_hash.startswith("$argon2id$") and PASSWORD not in hash_row.password_hash
    # the outbox row holds the token sealed: neither the token nor its hash in the row as it is
    [message] = rows(url, Notification)
    assert message.template == "portal_email_confirmation" and message.status == "pending"
    link = link_of(url, "jan@example.org")
    token = link.rsplit("t=", 1)[1]
    [confirmation] = rows(url, EmailConfirmation)
    assert token not in str(message.data) and confirmation.token_hash not in str(message.data)
    assert token != confirmation.token_hash and len(confirmation.token_hash) == 64
    # an officer's preview of the message shows no link that works
    from notifications.handlers import NotificationRef, preview_notification

    preview = execute(preview_notification, NotificationRef(id=message.id), actor=desk_actor(url), url=url,
                      readonly=True)
    assert "/portal/potwierdz?t=[…]" in preview["text"] and token not in preview["text"]
    # before the link, no login: the person is told why (only once the password was right)
    refused = log_in(c, "jan.nowak")
    assert refused.status_code == 401 and "nie jest jeszcze potwierdzony" in refused.text
    assert SESSION_COOKIE not in c.cookies
    assert "Adres e-mail potwierdzony" in confirm(c, link).text
    again = confirm(c, link)  # the link works once
    assert again.status_code == 422 and "nie jest ważny" in again.text
    landed = log_in(c, "jan.nowak")
    assert landed.status_code == 303 and landed.headers["location"] == "/portal/"
    home = c.get("/portal/")
    assert "Zalogowano jako Jan Nowak" in home.text and "Nie reprezentujesz jeszcze żadnej organizacji" in home.text

    # a claim of a KRS the registry knows is linked; one it does not know must carry the organisation's data
    assert claim(c, kind="krs", krs=KRS_KNOWN).status_code == 303
    missing = claim(c, kind="krs", krs=KRS_NEW)
    assert missing.status_code == 422 and "podaj jej nazwę, formę prawną, adres i adres e-mail" in missing.text
    assert claim(c, kind="krs", krs=KRS_NEW, name="Fundacja Nowa", legal_form="fundacja",
                 address="ul. Nowa 1, 64-100 Leszno", email="fundacja@nowa.example.org").status_code == 303
    twice = claim(c, kind="krs", krs=KRS_KNOWN)
    assert twice.status_code == 422 and "czeka już na urzędnika" in twice.text
    first, second = rows(url, RepresentationClaim)
    assert (first.organisation_id, first.state) == (known, "pending")
    assert (second.organisation_id, second.name, second.state) == (None, "Fundacja Nowa", "pending")
    # the officer decides on the desk: confirms the first, refuses the second without a reason (refused), then
    # confirms it (the organisation is made from the claim's data)
    desk = client(url)
    assert desk_log_in(desk, "anna").headers["location"] == "/na-dzis"  # an officer lands on the desk
    listed = desk.get("/wnioski-o-reprezentacje")
    assert listed.status_code == 200 and "Jan Nowak" in listed.text and "Fundacja Nowa" in listed.text
    assert 'href="/wnioski-o-reprezentacje"' in desk.get("/na-dzis").text  # in the desk's menu
    assert decide(desk, first.id, "confirm").status_code == 303
    no_reason = decide(desk, second.id, "refuse")
    assert no_reason.status_code == 422 and "podaje powód" in no_reason.text
    assert decide(desk, second.id, "confirm").status_code == 303
    late = decide(desk, first.id, "refuse", "za późno")
    assert late.status_code == 422 and "został już rozpatrzony" in late.text
    new = next(o for o in rows(url, Organisation) if o.krs == KRS_NEW)
    assert (new.name, new.contact_person) == ("Fundacja Nowa", "Jan Nowak")
    grants = {(g.role, g.organisation_id) for g in rows(url, PersonGrant) if g.revoked_at is None
              and g.organisation_id}
    assert grants == {("applicant", known), ("applicant", new.id)}  # one person represents several

    # the representative sees both and edits the known one's profile
    home = c.get("/portal/")
    assert "Stowarzyszenie Rowerowe" in home.text and "Fundacja Nowa" in home.text
    page = c.get(f"/portal/organizacje/{known}")
    assert page.status_code == 200 and "Jan Nowak" in page.text
    saved = c.post(f"/portal/organizacje/{known}", data={"csrf": csrf_of(page.text), **PROFILE},
                   follow_redirects=False)
    assert saved.status_code == 303
    [org] = [o for o in rows(url, Organisation) if o.id == known]
    [extra] = [x for x in rows(url, OrganisationProfile) if x.organisation_id == known]
    assert (org.name, extra.phone, extra.publish_consent) == (PROFILE["name"], PROFILE["phone"], True)
    assert extra.areas == "turystyka i krajoznawstwo\nekologia"
    shown = c.get(f"/portal/organizacje/{known}?zapisano=1")
    assert "Historia zmian" in shown.text and "Stowarzyszenie Rowerowe Leszno" in shown.text
    assert "<del>Stowarzyszenie Rowerowe</del>" in shown.text and "zgoda na publikację profilu: <del>nie</del> → <ins>tak</ins>" in shown.text
    [change] = [r for r in rows(url, PeopleRecord) if r.subject == f"organisation:{known}"]
    assert change.actor == "Jan Nowak" and change.event == "organisation_profile"
    assert change.payload["changes"]["name"] == {"from": "Stowarzyszenie Rowerowe", "to": PROFILE["name"]}
    assert change.payload["changes"]["publish_consent"] == {"from": False, "to": True}
    # saving the same again records nothing; a bad value is refused beside the form, nothing changed
    page = c.get(f"/portal/organizacje/{known}")
    c.post(f"/portal/organizacje/{known}", data={"csrf": csrf_of(page.text), **PROFILE})
    before = dump(url)
    bad = c.post(f"/portal/organizacje/{known}", data={"csrf": csrf_of(page.text), **PROFILE, "website": "rowery"})
    assert bad.status_code == 422 and "strona internetowa" in bad.text.lower() and dump(url) == before
    assert len([r for r in rows(url, PeopleRecord) if r.subject == f"organisation:{known}"]) == 1

    # the people chain verifies with every record of the portal in it
    from sqlmodel import Session

    from states.people import verify_people_chain

    with Session(get_engine(normalise_url(url))) as session:
        count, broken = verify_people_chain(session)
    assert broken is None and count >= 10
    events = [r.event for r in rows(url, PeopleRecord)]
    for event in ("add_person", "register_account", "confirm_email", "claim_representation", "register_organisation",
                  "grant", "organisation_profile"):
        assert event in events
    [added] = [r for r in rows(url, PeopleRecord) if r.event == "add_person" and r.subject == "person:jan.nowak"]
    assert (added.actor, added.role) == ("portal (self-registration)", "public")
    [confirmed] = [r for r in rows(url, PeopleRecord) if r.event == "confirm_email"]
    assert confirmed.actor == "Jan Nowak"


def test_another_organisations_profile_is_refused_and_nothing_changes(db_url):
    officer(db_url)
    mine, theirs = known_organisation(db_url), known_organisation(db_url, "0000111111", "Klub Sportowy")
    c = registered(db_url, "jan.nowak", "Jan Nowak", "jan@example.org")
    claim(c, kind="krs", krs=KRS_KNOWN)
    desk = client(db_url)
    desk_log_in(desk, "anna")
    [request] = rows(db_url, RepresentationClaim)
    decide(desk, request.id, "confirm")
    other = c.get(f"/portal/organizacje/{theirs}")
    assert other.status_code == 403 and "Nie reprezentujesz tej organizacji" in other.text
    assert 'href="/static/portal.css"' in other.text and "Traceback" not in other.text
    assert "Klub Sportowy" not in other.text  # not even its name
    english = c.get(f"/portal/organizacje/{theirs}?lang=en")
    assert english.status_code == 403 and "You do not represent this organisation" in english.text
    page = c.get(f"/portal/organizacje/{mine}")
    before = dump(db_url)
    forged = c.post(f"/portal/organizacje/{theirs}", data={"csrf": csrf_of(page.text), **PROFILE})
    assert forged.status_code == 403 and dump(db_url) == before
    missing = c.get("/portal/organizacje/99999")
    assert missing.status_code == 403
    # logged out: the profile asks for the portal's login, then comes back
    anonymous = client(db_url)
    gone = anonymous.get(f"/portal/organizacje/{mine}", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == f"/portal/logowanie?next=/portal/organizacje/{mine}"
    # a representative is no officer: the desk's requests page refuses them
    assert c.get("/wnioski-o-reprezentacje").status_code == 403


def test_registration_refusals_are_clear_and_change_nothing(db_url):
    c = client(db_url)
    before = dump(db_url)
    short = register(c, "jan.nowak", "Jan Nowak", "jan@example.org", password="short")
    assert short.status_code == 422 and "co najmniej 12" in short.text
    differ = register(c, "jan.nowak", "Jan Nowak", "jan@example.org", repeated=PASSWORD + "x")
    assert differ.status_code == 422 and "różnią się" in differ.text
    bad = register(c, "Jan Nowak!", "Jan Nowak", "not-an-address")
    assert bad.status_code == 422 and "login" in bad.text and "adres e-mail" in bad.text
    after = dump(db_url)
    # nothing registered; the attempts that reached the limiter are counted (one: the short password)
    assert {k: v for k, v in after.items() if k != "registration_attempts"} == {
        k: v for k, v in before.items() if k != "registration_attempts"}
    assert register(c, "jan.nowak", "Jan Nowak", "jan@example.org").status_code == 200
    taken = register(c, "jan.nowak", "Jan Kowalski", "inny@example.org")
    assert taken.status_code == 422 and "jan.nowak" in taken.text
    same_email = register(c, "jan.kowalski", "Jan Kowalski", "JAN@example.org")
    assert same_email.status_code == 422 and "już zarejestrowane" in same_email.text
    english = client(db_url)
    english.get("/portal/?lang=en")
    assert "at least 12" in register(english, "ewa", "Ewa", "ewa@example.org", password="short").text
    wrong = client(db_url).post("/portal/potwierdz", data={"t": "x"})  # no CSRF token: refused before anything
    assert wrong.status_code == 403
    c2 = client(db_url)
    page = c2.get("/portal/potwierdz?t=" + "A" * 43)
    refused = c2.post("/portal/potwierdz", data={"csrf": csrf_of(page.text), "t": "A" * 43})
    assert refused.status_code == 422 and "nie jest ważny" in refused.text


def test_registrations_are_rate_limited_per_email_and_per_address(db_url):
    c = client(db_url)
    for n in range(REGISTRATIONS_PER_EMAIL):  # a refused registration counts as well (a taken login)
        register(c, f"jan{n}", "Jan Nowak", "jan@example.org")
    limited = register(c, "jan.new", "Jan Nowy", "jan@example.org")
    assert limited.status_code == 429 and "Zbyt wiele rejestracji" in limited.text
    assert len(rows(db_url, RegistrationAttempt)) == REGISTRATIONS_PER_EMAIL  # the refused one is not counted
    for n in range(REGISTRATIONS_PER_CLIENT - REGISTRATIONS_PER_EMAIL):
        assert register(c, f"ewa{n}", f"Ewa {n}", f"ewa{n}@example.org").status_code == 200
    blocked = register(c, "ola", "Ola", "ola@example.org")
    assert blocked.status_code == 429
    assert [p.login for p in rows(db_url, Person)] == ["jan0", "ewa0", "ewa1"]
    assert all("@" not in a.email_digest for a in rows(db_url, RegistrationAttempt))


def test_the_link_arrives_by_smtp_through_the_dispatcher(db_url, monkeypatch):
    from notifications.dispatcher import dispatch
    from tests.notification_helpers import SmtpServer, configure, free_port

    server = SmtpServer(free_port()).start()
    try:
        configure(monkeypatch, server.port, db_url, portal_url="https://ngo.leszno.example")
        c = client(db_url)
        register(c, "jan.nowak", "Jan Nowak", "jan@example.org")
        report = dispatch(url=db_url)
        assert report.sent == 1
        [mail] = server.inbox.to("jan@example.org")
        assert "Potwierdź adres e-mail" in mail["Subject"]
        text = mail.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"(https://ngo\.leszno\.example/portal/potwierdz\?t=\S+)", text).group(1)
        assert "Adres e-mail potwierdzony" in confirm(c, link).text
        assert log_in(c, "jan.nowak").status_code == 303
    finally:
        server.stop()


def test_an_administrator_added_person_with_applicant_grants_only_lands_on_the_portal(db_url):
    known_organisation(db_url)
    person(db_url, "ewa", "Ewa Kowalska", ("applicant", KRS_KNOWN))
    admin, _ = administrator(db_url)
    execute(set_password, SetPassword(login="ewa", password=SecretStr(PASSWORD)), actor=admin, url=db_url,
            keyed=False)
    c = client(db_url)
    assert desk_log_in(c, "ewa").headers["location"] == "/portal/"
    assert c.get("/", follow_redirects=False).headers["location"] == "/portal/"
    out = c.post("/portal/wyloguj", data={"csrf": csrf_of(c.get("/portal/").text)}, follow_redirects=False)
    assert out.headers["location"] == "/portal/" and "Zaloguj się" in client(db_url).get("/portal/").text


def test_a_lost_link_is_sent_again_at_the_portals_login_at_most_every_quarter_hour(db_url):
    c = client(db_url)
    register(c, "jan.nowak", "Jan Nowak", "jan@example.org")
    wrong = log_in(c, "jan.nowak", "not the password")  # a wrong password learns nothing and sends nothing
    assert wrong.status_code == 401 and "Nieprawidłowy login" in wrong.text
    first = log_in(c, "jan.nowak")  # the last link is fresh: none sent, the person is told to open it
    assert first.status_code == 401 and "nie jest jeszcze potwierdzony" in first.text
    assert len(rows(db_url, Notification)) == 1
    with get_engine(normalise_url(db_url)).begin() as connection:  # the link was made 20 minutes ago
        e = EmailConfirmation.__table__
        connection.execute(e.update().values(created_at=datetime.now(UTC) - timedelta(minutes=20)))
    again = log_in(c, "jan.nowak")
    assert again.status_code == 401 and "Wysłaliśmy nowy link potwierdzający" in again.text
    assert log_in(c, "jan.nowak").status_code == 401 and len(rows(db_url, Notification)) == 2
    old, new = [r for r in rows(db_url, Notification)]
    assert old.key != new.key and new.recipient == "jan@example.org"
    desk = desk_log_in(client(db_url), "jan.nowak")  # the desk's login refuses the same, without a new link
    assert desk.status_code == 401 and "nie jest jeszcze potwierdzony" in desk.text
    assert len(rows(db_url, Notification)) == 2
    assert "Adres e-mail potwierdzony" in confirm(c, link_of_row(new)).text
    assert log_in(c, "jan.nowak").status_code == 303


def link_of_row(row) -> str:
    return re.search(r"(http\S+/portal/potwierdz\?t=\S+)", render(row.template, row.data, "pl").text).group(1)


def test_an_entity_without_krs_is_claimed_by_its_register_and_several_people_represent_it(db_url):
    officer(db_url)
    other = {"kind": "other", "register_name": "Ewidencja stowarzyszeń zwykłych Starosty Leszczyńskiego",
             "register_number": "12/2020"}
    jan = registered(db_url, "jan.nowak", "Jan Nowak", "jan@example.org")
    both = claim(jan, kind="krs", krs=KRS_NEW, register_name="Ewidencja", register_number="1")
    # the radio chose the KRS: the other register's fields are not sent on (else: "either ..., not both")
    assert both.status_code == 422 and "podaj jej nazwę" in both.text and "nie oba" not in both.text
    wrong = claim(jan, kind="other", register_name="Ewidencja", register_number="")
    assert wrong.status_code == 422 and "podaj numer KRS" in wrong.text
    assert claim(jan, **other, name="Klub Seniora", legal_form="stowarzyszenie zwykłe",
                 address="ul. Słowiańska 5, 64-100 Leszno", email="klub@seniorzy.example.org").status_code == 303
    desk = client(db_url)
    desk_log_in(desk, "anna")
    for request in rows(db_url, RepresentationClaim):
        if request.register_number == "12/2020":
            assert decide(desk, request.id, "confirm").status_code == 303
    [club] = [o for o in rows(db_url, Organisation) if o.name == "Klub Seniora"]
    assert club.krs is None
    [extra] = [x for x in rows(db_url, OrganisationProfile) if x.organisation_id == club.id]
    assert (extra.register_name, extra.register_number) == (other["register_name"], "12/2020")
    # a second person names the same register (in other letters' case): linked to the same organisation
    ewa = registered(db_url, "ewa.kowalska", "Ewa Kowalska", "ewa@example.org")
    assert claim(ewa, **{**other, "register_name": other["register_name"].upper()}).status_code == 303
    [second] = [r for r in rows(db_url, RepresentationClaim) if r.person_id != rows(db_url, Person)[1].id
                and r.organisation_id == club.id and r.state == "pending"]
    assert decide(desk, second.id, "confirm").status_code == 303
    page = ewa.get(f"/portal/organizacje/{club.id}")
    assert page.status_code == 200 and "Ewa Kowalska, Jan Nowak" in page.text and "12/2020" in page.text
    assert "Klub Seniora" in jan.get("/portal/").text and "Klub Seniora" in ewa.get("/portal/").text


def test_a_representation_request_and_its_decision_take_the_steps_moment_on_a_simulation(db_url):
    """Invariant 3: a representation request and the officer's decision are stamped with the step's moment (the
    context's clock: a simulation's ``COOP_NOW`` or ``--at``), not the real time; the people chain says the same."""
    from states.people import person_principal
    from states.portal_accounts import (
        ClaimRepresentation,
        DecideRepresentation,
        claim_representation,
        decide_representation,
    )

    officer(db_url)
    known_organisation(db_url)
    registered(db_url, "jan.nowak", "Jan Nowak", "jan@example.org")
    asked, decided = datetime(2026, 3, 2, 9, 15, tzinfo=UTC), datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    jan = person_principal("jan.nowak", proof="desk", url=db_url)
    done = execute(claim_representation, ClaimRepresentation(krs=KRS_KNOWN), actor=jan, at=asked, url=db_url)
    execute(decide_representation, DecideRepresentation(claim=done["claim"], confirm=True), actor=desk_actor(db_url),
            at=decided, url=db_url)

    def aware(moment: datetime) -> datetime:
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    [row] = rows(db_url, RepresentationClaim)
    assert (aware(row.created_at), aware(row.decided_at)) == (asked, decided)
    records = {r.event: aware(r.at) for r in rows(db_url, PeopleRecord)
               if r.event == "claim_representation"}
    assert records["claim_representation"] == asked
