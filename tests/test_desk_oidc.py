"""Logging in to the desk through a municipality's OpenID Connect provider (web/oidc.py).

The provider is written here: a small FastAPI app (discovery, authorize, token, JWKS; RS256 keys made by joserfc,
authlib's JOSE library) served over real HTTP by ``live_server``, as is the desk, and a test walks the whole flow
with one httpx client following redirects, as a browser would. The provider can be told to misbehave (a wrong
nonce, audience, issuer or signature, an expired token) to prove each is refused."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import secrets
import time
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from models.db import get_engine, normalise_url
from models.people_tables import DeskSession, LoginAttempt, PeopleRecord, PersonOidcLink
from states.credentials import LinkOidc, UnlinkOidc, link_oidc, unlink_oidc
from states.engine import execute
from states.errors import DomainError
from states.people import PersonRef, deactivate_person
from tests.conftest import dump
from tests.people_fixtures import administrator, person
from web.app import create_app
from web.oidc import OidcConfig, oidc_config
from web.security import SESSION_COOKIE

CLIENT_ID = "coop-desk"
CLIENT_SECRET = "s3cret-" + secrets.token_hex(8)
SUBJECT = "248289761001"


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    monkeypatch.setenv("COOP_DESK_KEY_FILE", str(tmp_path / "desk-key"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    for name in [n for n in os.environ if n.startswith("COOP_OIDC_")]:
        monkeypatch.delenv(name)


class Provider:
    """An OpenID provider for the tests; ``misbehave`` says what to get wrong in the next ID token."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # the same kid, not the provider's
        self.subject = SUBJECT
        self.misbehave: str | None = None
        self.end_session = False  # whether the discovery document names an end_session_endpoint
        self.logged_out: list[dict] = []  # the RP-initiated logouts the provider received
        self.codes: dict[str, dict] = {}
        self.issuer = ""  # known once served
        self.app = self._app()

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return {"issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
                    "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
                    "response_types_supported": ["code"], "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    **({"end_session_endpoint": self.issuer + "/logout"} if self.end_session else {})}

        @app.get("/logout")
        def logout(request: Request):
            self.logged_out.append(dict(request.query_params))
            return RedirectResponse(request.query_params["post_logout_redirect_uri"], 302)

        @app.get("/jwks")
        def jwks():
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/authorize")
        def authorize(request: Request):
            q = request.query_params
            if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
                raise HTTPException(400, "bad client or response type")
            if q.get("code_challenge_method") != "S256" or not q.get("code_challenge") or not q.get("nonce"):
                raise HTTPException(400, "PKCE and a nonce are required")
            if "openid" not in q.get("scope", "").split():
                raise HTTPException(400, "scope openid required")
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": q["code_challenge"], "nonce": q["nonce"],
                                "redirect_uri": q["redirect_uri"]}
            state = q.get("state", "")
            if self.misbehave == "state":
                state = state[:-2] + ("xy" if not state.endswith("xy") else "zz")
            return RedirectResponse(q["redirect_uri"] + "?" + urlencode({"code": code, "state": state}), 302)

        @app.post("/token")
        def token(grant_type: str = Form(), code: str = Form(), redirect_uri: str = Form(),
                  code_verifier: str = Form(), authorization: str = Header("")):
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if authorization != expected:
                return JSONResponse({"error": "invalid_client"}, 401)
            grant = self.codes.pop(code, None)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
            if grant is None or grant_type != "authorization_code" or redirect_uri != grant["redirect_uri"] \
                    or challenge.decode() != grant["challenge"]:
                return JSONResponse({"error": "invalid_grant"}, 400)
            now = int(time.time())
            claims = {"iss": self.issuer, "sub": self.subject, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"]}
            key = self.key
            match self.misbehave:
                case "nonce":
                    claims["nonce"] = "not-the-nonce"
                case "audience":
                    claims["aud"] = "another-client"
                case "audience_with_azp":  # meant for another client, naming us as the party it was issued to
                    claims["aud"], claims["azp"] = "another-client", CLIENT_ID
                case "issuer":
                    claims["iss"] = "https://impostor.example"
                case "expired":
                    claims["iat"], claims["exp"] = now - 3600, now - 1800
                case "signature":
                    key = self.other_key
            if self.misbehave == "alg_none":  # unsigned
                id_token = jwt.encode({"alg": "none"}, claims, None, algorithms=["none"])
            elif self.misbehave == "hs256":  # an algorithm the provider did not announce, keyed by the client secret
                id_token = jwt.encode({"alg": "HS256", "kid": "k1"}, claims, OctKey.import_key(CLIENT_SECRET))
            else:
                id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            if self.misbehave == "no_id_token":
                return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300}
            return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                    "id_token": id_token}

        return app


@pytest.fixture
def provider(live_server) -> Provider:
    p = Provider()
    p.issuer = live_server(p.app).url
    return p


@pytest.fixture
def desk(db_url, provider, live_server, tmp_path):
    secret_file = tmp_path / "oidc-secret"
    secret_file.write_text(CLIENT_SECRET + "\n")
    secret_file.chmod(0o600)
    config = OidcConfig(issuer=provider.issuer, client_id=CLIENT_ID, name="Konto Miejskie", secret_file=secret_file)
    return live_server(create_app(db_url, oidc=config))


def linked(url: str, login: str = "anna", subject: str = SUBJECT, issuer: str | None = None) -> None:
    person(url, login, "Anna Urzędniczka", "officer")
    admin, _ = administrator(url)
    execute(link_oidc, LinkOidc(login=login, issuer=issuer, subject=subject), actor=admin, url=url, keyed=False)


def browser(**headers) -> httpx.Client:
    return httpx.Client(follow_redirects=True, timeout=20, headers=headers)


def log_in_via_provider(desk, c: httpx.Client | None = None) -> tuple[httpx.Client, httpx.Response]:
    c = c or browser()
    page = c.get(desk.url + "/logowanie")
    assert "Zaloguj przez Konto Miejskie" in page.text
    href = re.search(r'href="(/logowanie/oidc\?next=[^"]*)"', page.text).group(1)
    return c, c.get(desk.url + href.replace("&amp;", "&"))


def rows(url: str, table) -> list:
    with get_engine(normalise_url(url)).connect() as connection:
        return connection.execute(sa.select(table.__table__)).all()


def test_a_linked_person_logs_in_through_the_provider_and_sees_her_list(db_url, provider, desk, caplog):
    caplog.set_level(logging.DEBUG)
    linked(db_url, issuer=provider.issuer)
    c, done = log_in_via_provider(desk)
    assert done.status_code == 200 and str(done.url) == desk.url + "/na-dzis"
    assert "Na dziś" in done.text and "Zalogowano jako Anna Urzędniczka" in done.text
    # the provider's answer cannot be replayed: the state was spent with the code
    [callback] = [r.url for r in done.history if r.url.path == "/logowanie/oidc/powrot"]
    replayed = browser().get(str(callback))
    assert replayed.status_code == 401 and SESSION_COOKIE not in replayed.cookies
    assert c.get(str(callback)).status_code == 401  # not even in the browser that started it
    # the same desk session as a local login: one row, its hash only
    [session] = rows(db_url, DeskSession)
    assert session.revoked_at is None and c.cookies[SESSION_COOKIE] not in repr(session)
    # the flow went through PKCE, state and nonce (the provider refuses without them), and the code was spent
    assert provider.codes == {}
    [record] = [r for r in rows(db_url, PeopleRecord) if r.event == "link_oidc"]
    assert record.payload == {"login": "anna", "issuer": provider.issuer, "subject": SUBJECT}
    # nothing secret in a row or a log: neither the client secret nor the session
    everything = repr(dump(db_url))
    assert CLIENT_SECRET not in everything and CLIENT_SECRET not in caplog.text  # every logger, transport's too
    assert c.cookies[SESSION_COOKIE] not in everything
    # the session is in the test browser's own transport trace (httpcore logs the headers it received), nowhere else
    assert not [r for r in caplog.records if c.cookies[SESSION_COOKIE] in r.getMessage()
                and not r.name.startswith("httpcore")]
    # logging out revokes it like any session
    out = c.get(desk.url + "/na-dzis")
    csrf = re.search(r'name="csrf" value="([^"]+)"', out.text).group(1)
    c.post(desk.url + "/wyloguj", data={"csrf": csrf})
    assert rows(db_url, DeskSession)[0].revoked_at is not None


def test_an_unlinked_or_deactivated_identity_is_refused_alike(db_url, provider, desk):
    linked(db_url, issuer=provider.issuer)
    provider.subject = "someone-else"
    c, unlinked = log_in_via_provider(desk)
    assert unlinked.status_code == 403 and 'lang="pl"' in unlinked.text
    assert "nie może logować się do biurka" in unlinked.text
    assert SESSION_COOKIE not in c.cookies and rows(db_url, DeskSession) == []

    provider.subject = SUBJECT
    admin, _ = administrator(db_url)
    execute(deactivate_person, PersonRef(login="anna"), actor=admin, url=db_url, keyed=False)
    c, inactive = log_in_via_provider(desk)
    assert inactive.status_code == 403 and SESSION_COOKIE not in c.cookies
    # the two pages say the same: nobody learns whether a person is behind an identity
    assert inactive.text == unlinked.text
    assert "anna" not in inactive.text and "Anna" not in inactive.text
    attempts = sorted(rows(db_url, LoginAttempt), key=lambda a: a.id)
    assert [a.succeeded for a in attempts] == [False, False]
    assert all(SUBJECT not in a.login_digest for a in attempts)


REASONS = {"nonce": "'nonce'", "audience": "'aud'", "audience_with_azp": "'aud'", "issuer": "'iss'",
           "signature": "BadSignatureError", "alg_none": "'none' is not allowed", "hs256": "'HS256' is not allowed",
           "expired": "ExpiredTokenError", "no_id_token": "holds no ID token", "state": "MismatchingStateError"}


@pytest.mark.parametrize("fault", list(REASONS))
def test_a_token_that_does_not_verify_is_refused(db_url, provider, desk, fault, caplog):
    caplog.set_level(logging.INFO, logger="web.oidc")
    linked(db_url, issuer=provider.issuer)
    provider.misbehave = fault
    c, refused = log_in_via_provider(desk)
    assert refused.status_code == 401, refused.text
    assert "nie potwierdził" in refused.text and "Traceback" not in refused.text
    assert SESSION_COOKIE not in c.cookies and rows(db_url, DeskSession) == []
    # refused for this fault's reason, named in the desk's log for the operator
    [reason] = [r.getMessage() for r in caplog.records if r.name == "web.oidc"]
    assert REASONS[fault] in reason, reason
    assert CLIENT_SECRET not in caplog.text


def test_a_callback_without_the_flow_started_in_this_browser_is_refused(db_url, provider, desk):
    linked(db_url, issuer=provider.issuer)
    # someone else's callback (a login CSRF): a code and state not issued to this browser
    c, _ = log_in_via_provider(desk)  # a valid code would need this browser's state cookie
    stranger = browser()
    refused = stranger.get(desk.url + "/logowanie/oidc/powrot?code=abc&state=def")
    assert refused.status_code == 401 and SESSION_COOKIE not in stranger.cookies


def test_after_the_provider_the_desk_goes_to_its_own_page_only(db_url, provider, desk):
    linked(db_url, issuer=provider.issuer)
    c = browser()
    done = c.get(desk.url + "/logowanie/oidc?next=/sprawy/OK%2F2026%2F001")
    assert done.url.path == "/sprawy/OK/2026/001" and SESSION_COOKIE in c.cookies
    c = browser()
    done = c.get(desk.url + "/logowanie/oidc?next=//evil.example/")  # never another site (an open redirect)
    assert str(done.url) == desk.url + "/na-dzis" and done.status_code == 200


def test_a_provider_that_does_not_answer_is_said_plainly(db_url, caplog):
    import socket

    from fastapi.testclient import TestClient

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = OidcConfig(issuer=f"http://127.0.0.1:{port}", client_id=CLIENT_ID, name="Konto Miejskie")
    page = TestClient(create_app(db_url, oidc=config)).get("/logowanie/oidc", follow_redirects=False)
    assert page.status_code == 502 and "Dostawca tożsamości Konto Miejskie nie odpowiada" in page.text
    assert "Traceback" not in page.text and "Traceback" not in caplog.text


def test_linking_is_an_administrators_record_and_one_identity_names_one_person(db_url):
    linked(db_url, issuer="https://id.leszno.example")
    admin, _ = administrator(db_url)
    person(db_url, "ewa", "Ewa Nowak", "officer")
    with pytest.raises(DomainError) as info:
        execute(link_oidc, LinkOidc(login="ewa", issuer="https://id.leszno.example/", subject=SUBJECT),
                actor=admin, url=db_url, keyed=False)
    assert info.value.rule == "oidc_subject_linked"
    ewa, _ = person(db_url, "piotr", "Piotr Wiśniewski", "officer")
    with pytest.raises(DomainError) as info:  # an officer does not link identities
        execute(link_oidc, LinkOidc(login="ewa", issuer="https://id.leszno.example", subject="x1"), actor=ewa,
                url=db_url, keyed=False)
    execute(unlink_oidc, UnlinkOidc(login="anna", issuer="https://id.leszno.example"), actor=admin, url=db_url,
            keyed=False)
    assert rows(db_url, PersonOidcLink) == []
    assert [r.event for r in rows(db_url, PeopleRecord) if "oidc" in r.event] == ["link_oidc", "unlink_oidc"]


def test_configuration_from_the_environment_refuses_an_exposed_secret(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("x")
    secret.chmod(0o644)
    env = {"COOP_OIDC_ISSUER": "https://id.leszno.example/", "COOP_OIDC_CLIENT_ID": "desk",
           "COOP_OIDC_CLIENT_SECRET_FILE": str(secret), "COOP_OIDC_NAME": "Konto Leszno"}
    with pytest.raises(DomainError) as info:
        oidc_config(env)
    assert info.value.rule == "oidc_secret_exposed"
    secret.chmod(0o600)
    config = oidc_config(env)
    assert config.issuer == "https://id.leszno.example" and config.name == "Konto Leszno"
    assert "x" not in repr(config).replace("example", "")
    assert oidc_config({}) is None
    with pytest.raises(DomainError) as info:
        oidc_config({"COOP_OIDC_ISSUER": "https://id.leszno.example"})
    assert info.value.rule == "oidc_client_missing"
    with pytest.raises(DomainError) as info:
        oidc_config({"COOP_OIDC_ISSUER": "http://id.leszno.example", "COOP_OIDC_CLIENT_ID": "d"})
    assert info.value.rule == "oidc_issuer_insecure"


def test_without_a_provider_the_login_page_shows_no_button(db_url):
    from fastapi.testclient import TestClient

    page = TestClient(create_app(db_url)).get("/logowanie")
    assert page.status_code == 200 and "Zaloguj przez" not in page.text
    assert TestClient(create_app(db_url)).get("/logowanie/oidc").status_code == 404


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_in_a_browser_the_button_logs_in_through_the_provider(db_url, provider, desk, new_context, screenshot):
    from tests.browser import assert_accessible

    linked(db_url, issuer=provider.issuer)
    page = new_context().new_page()
    page.goto(desk.url + "/na-dzis")
    button = page.get_by_role("link", name="Zaloguj przez Konto Miejskie")
    assert_accessible(page)
    screenshot(page, "login-with-provider")
    button.click()
    page.wait_for_url(desk.url + "/na-dzis")
    assert "Zalogowano jako Anna Urzędniczka" in page.content()
    assert_accessible(page)
    screenshot(page, "today-after-provider")


def _desk(db_url, provider, live_server, tmp_path, **options):
    secret_file = tmp_path / "oidc-secret-2"
    secret_file.write_text(CLIENT_SECRET + "\n")
    secret_file.chmod(0o600)
    config = OidcConfig(issuer=provider.issuer, client_id=CLIENT_ID, name="Konto Miejskie", secret_file=secret_file)
    return live_server(create_app(db_url, oidc=config, **options))


def _fail_callbacks(desk, c: httpx.Client, n: int) -> None:
    for _ in range(n):  # a code and a state this browser was never given: refused, a failed attempt each
        assert c.get(desk.url + "/logowanie/oidc/powrot?code=abc&state=def").status_code == 401


def test_the_callback_is_rate_limited_per_address_with_the_logins_counting(db_url, provider, desk):
    """20 refused callbacks from one address (states/credentials.py CLIENT_LIMIT, the password logins' own
    count) and the next one is answered 429 before the provider is asked: even a valid answer of the provider
    stays unspent and opens nothing; the address's password logins are paused alike. An X-Forwarded-For the desk
    does not trust changes nothing: the socket's peer is the address counted."""
    from states.credentials import CLIENT_LIMIT

    linked(db_url, issuer=provider.issuer)
    from tests.test_desk import with_password

    with_password(db_url, "ewa", "Ewa Nowak", "officer")
    for n in range(CLIENT_LIMIT):  # each from "another" address, as a client may claim: not believed
        _fail_callbacks(desk, browser(**{"X-Forwarded-For": f"198.51.100.{n + 1}"}), 1)
    attempts = rows(db_url, LoginAttempt)
    assert len(attempts) == CLIENT_LIMIT and {a.client for a in attempts} == {"127.0.0.1"}
    assert not any(a.succeeded for a in attempts)
    c, limited = log_in_via_provider(desk)
    assert limited.status_code == 429 and "Zbyt wiele nieudanych prób logowania" in limited.text
    assert "Traceback" not in limited.text
    assert SESSION_COOKIE not in c.cookies and rows(db_url, DeskSession) == []
    assert len(provider.codes) == 1  # the provider's code was never exchanged
    assert len(rows(db_url, LoginAttempt)) == CLIENT_LIMIT  # a paused attempt is not even counted again
    page = c.get(desk.url + "/logowanie")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    password = c.post(desk.url + "/logowanie", data={"csrf": csrf, "login": "ewa", "password": "x" * 14})
    assert password.status_code == 429  # one count for both kinds of login


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(db_url, provider, live_server, tmp_path):
    """COOP_DESK_TRUSTED_PROXIES (here 127.0.0.1, the test's peer): the nearest forwarded address that is not a
    trusted proxy is the client; one address limited leaves another one's login working."""
    from states.credentials import CLIENT_LIMIT

    desk = _desk(db_url, provider, live_server, tmp_path, trusted_proxies=("127.0.0.0/8",))
    linked(db_url, issuer=provider.issuer)
    _fail_callbacks(desk, browser(**{"X-Forwarded-For": "192.0.2.9, 203.0.113.7"}), CLIENT_LIMIT)
    assert {a.client for a in rows(db_url, LoginAttempt)} == {"203.0.113.7"}  # the rightmost not trusted
    c, limited = log_in_via_provider(desk, browser(**{"X-Forwarded-For": "203.0.113.7"}))
    assert limited.status_code == 429 and SESSION_COOKIE not in c.cookies
    c, done = log_in_via_provider(desk, browser(**{"X-Forwarded-For": "203.0.113.8, 127.0.0.1"}))
    assert done.status_code == 200 and str(done.url) == desk.url + "/na-dzis" and SESSION_COOKIE in c.cookies
    assert [a.client for a in rows(db_url, LoginAttempt) if a.succeeded] == ["203.0.113.8"]


def test_the_trusted_proxies_setting_is_read_and_a_wrong_one_refused(monkeypatch):
    from web.security import trusted_proxies

    assert trusted_proxies({}) == ()
    assert [str(n) for n in trusted_proxies({"COOP_DESK_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ::1"})] == [
        "127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(DomainError) as info:
        trusted_proxies({"COOP_DESK_TRUSTED_PROXIES": "127.0.0.1, proxy.local"})
    assert info.value.rule == "trusted_proxy_invalid" and "proxy.local" in info.value.message()


def _log_out(desk, c: httpx.Client) -> httpx.Response:
    page = c.get(desk.url + "/na-dzis")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return c.post(desk.url + "/wyloguj", data={"csrf": csrf}, follow_redirects=False)


def test_logging_out_ends_the_session_at_the_provider_when_it_offers_that(db_url, provider, desk, live_server,
                                                                          tmp_path):
    """RP-Initiated Logout: a session opened through the provider, whose discovery document names an
    end_session_endpoint, is revoked here and the browser sent there with this client's id and the way back to
    the desk's login page; without the endpoint, or for a password session, the logout is the desk's alone."""
    from urllib.parse import parse_qs, urlsplit

    from tests.test_desk import with_password

    linked(db_url, issuer=provider.issuer)
    provider.end_session = True
    c, _ = log_in_via_provider(desk)
    out = _log_out(desk, c)
    assert out.status_code == 303 and out.headers["location"].startswith(provider.issuer + "/logout?")
    query = parse_qs(urlsplit(out.headers["location"]).query)
    assert query == {"client_id": [CLIENT_ID], "post_logout_redirect_uri": [desk.url + "/logowanie"]}
    assert all(r.revoked_at is not None for r in rows(db_url, DeskSession))
    back = c.get(out.headers["location"])  # the provider ends its session and sends the reader back
    assert back.status_code == 200 and str(back.url) == desk.url + "/logowanie" and provider.logged_out
    assert c.get(desk.url + "/na-dzis").url.path == "/logowanie"  # logged out here too

    provider.end_session = False  # a provider without the endpoint (a desk that reads its metadata afresh)
    plain = _desk(db_url, provider, live_server, tmp_path)
    c, _ = log_in_via_provider(plain)
    assert _log_out(plain, c).headers["location"] == "/logowanie"  # the desk's own logout only

    provider.end_session = True  # a password session is not the provider's
    with_password(db_url, "ewa", "Ewa Nowak", "officer")
    c = browser()
    page = c.get(desk.url + "/logowanie")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    from tests.test_desk import PASSWORD

    assert c.post(desk.url + "/logowanie", data={"csrf": csrf, "login": "ewa", "password": PASSWORD}).url.path \
        == "/na-dzis"
    assert _log_out(desk, c).headers["location"] == "/logowanie"
    assert len(provider.logged_out) == 1
