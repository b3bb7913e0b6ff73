"""Logging in through a municipality's OpenID Connect provider (authlib's Starlette client).

The authorization code flow with PKCE (S256), ``state`` and ``nonce``: ``GET /logowanie/oidc`` sends the reader to
the provider; the provider sends them back to ``GET /logowanie/oidc/powrot`` with a code, which the desk exchanges
(server to server, with its client secret) for an ID token. The token's signature (the provider's JWKS), issuer,
audience (this client), expiry and nonce are verified by authlib; the state is checked against what this browser
was given (a short-lived signed cookie ``coop_desk_oidc``, Starlette's SessionMiddleware). The verified ``sub`` is
mapped to a person an administrator linked (``coop people link-oidc``: states/credentials.py ``oidc_login``) and
the desk opens the same session as a local login (``open_session``).

Configured by the environment (``oidc_config()``):

- ``COOP_OIDC_ISSUER``: the provider's issuer URL (its discovery document is ``<issuer>/.well-known/openid-configuration``);
  unset: no OIDC login, the page shows the local form only;
- ``COOP_OIDC_CLIENT_ID``: the desk's client at the provider;
- ``COOP_OIDC_CLIENT_SECRET_FILE``: a file (mode 0600, refused otherwise) holding the client secret; never an
  environment variable, never a row; unset: a public client (PKCE only);
- ``COOP_OIDC_NAME``: the provider's name for the button „Zaloguj przez <name>”;
- ``COOP_OIDC_REDIRECT_URI``: the callback's full address when a proxy serves the desk under another one
  (default: this request's ``/logowanie/oidc/powrot``);
- ``COOP_OIDC_SCOPES``: default ``openid`` (the desk needs ``sub`` only);
- ``COOP_OIDC_POST_LOGOUT_REDIRECT_URI``: where the provider sends the reader after logging out there (default:
  this desk's login page, as the request names it).

The callback is rate-limited per client address with the password logins' counting (``login_attempts``,
states/credentials.py ``check_client``): every refused callback is a failed attempt of its address, and an address
that failed too often lately is answered 429 before the provider is asked anything. Logging out of a session
opened through the provider also ends the reader's session there (OpenID Connect RP-Initiated Logout 1.0): the
desk revokes its own session, then sends the browser to the provider's ``end_session_endpoint`` with its
``client_id`` and ``post_logout_redirect_uri``, when the provider's discovery document has one; else the logout
is the desk's alone.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kernel.text import tr
from states.errors import DomainError, InvalidInput

STATE_COOKIE = "coop_desk_oidc"
# Set with the session by a login through the provider (same lifetime, HttpOnly): the logout then ends the session
# at the provider too. It proves nothing: at worst a reader who forged it is sent to the provider's logout page.
VIA_COOKIE = "coop_desk_via"
STATE_SECONDS = 600  # the reader has ten minutes at the provider
CALLBACK = "/logowanie/oidc/powrot"
CLIENT_NAME = "municipal"  # authlib's registry name; the state is kept under ``_state_municipal_<state>``

router = APIRouter()


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    name: str
    secret_file: Path | None = None
    redirect_uri: str | None = None
    scopes: str = "openid"
    post_logout_redirect_uri: str | None = None

    def __repr__(self) -> str:  # the secret is never in the config; say so where it is
        return f"OidcConfig(issuer={self.issuer!r}, client_id={self.client_id!r}, name={self.name!r})"


def oidc_config(environ=None) -> OidcConfig | None:
    """The provider from the environment, None when ``COOP_OIDC_ISSUER`` is unset; InvalidInput naming what is
    missing when it is set only in part."""
    env = os.environ if environ is None else environ
    issuer = env.get("COOP_OIDC_ISSUER", "").strip().rstrip("/")
    if not issuer:
        return None
    client_id = env.get("COOP_OIDC_CLIENT_ID", "").strip()
    if not client_id:
        raise InvalidInput("oidc_client_missing", tr("COOP_OIDC_ISSUER is set but COOP_OIDC_CLIENT_ID is not: the "
                                                     "desk needs its client identifier at the identity provider."))
    if not issuer.startswith("https://") and not issuer.startswith(("http://127.0.0.1", "http://localhost")):
        raise InvalidInput("oidc_issuer_insecure", tr("The identity provider's address must be https (http only "
                                                      "for a provider on this machine): {issuer}", issuer=issuer))
    secret = env.get("COOP_OIDC_CLIENT_SECRET_FILE", "").strip()
    config = OidcConfig(issuer=issuer, client_id=client_id,
                        name=env.get("COOP_OIDC_NAME", "").strip() or issuer.split("//", 1)[-1].split("/")[0],
                        secret_file=Path(secret).expanduser() if secret else None,
                        redirect_uri=env.get("COOP_OIDC_REDIRECT_URI", "").strip() or None,
                        scopes=env.get("COOP_OIDC_SCOPES", "").strip() or "openid",
                        post_logout_redirect_uri=env.get("COOP_OIDC_POST_LOGOUT_REDIRECT_URI", "").strip() or None)
    client_secret(config)  # refused now, at start, rather than at the first login
    return config


def client_secret(config: OidcConfig) -> str | None:
    """The client secret from its file: a file others may read is refused, like the desk's key."""
    path = config.secret_file
    if path is None:
        return None
    if not path.is_file():
        raise InvalidInput("oidc_secret_missing", tr("COOP_OIDC_CLIENT_SECRET_FILE names {path}, which is not a "
                                                     "file.", path=path))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise InvalidInput("oidc_secret_exposed", tr("{path} may be read by other users: the client secret must be "
                                                     "private. Run: chmod 600 {path}", path=path))
    value = path.read_text().strip()
    if not value:
        raise InvalidInput("oidc_secret_missing", tr("{path} is empty: put the client secret the identity provider "
                                                     "issued in it.", path=path))
    return value


def install(app, config: OidcConfig, *, secure: bool) -> None:
    """Add the OIDC login to the desk: the state cookie's middleware, the client, the routes."""
    from authlib.integrations.starlette_client import OAuth
    from starlette.middleware.sessions import SessionMiddleware

    from states.credentials import mac

    # The state, nonce and PKCE verifier live ten minutes in this browser's cookie, signed with a key derived from
    # the desk's key (nobody else can forge one), HttpOnly, SameSite=Lax (sent on the provider's redirect back).
    app.add_middleware(SessionMiddleware, secret_key=mac("oidc-state", "coop_desk_oidc"), session_cookie=STATE_COOKIE,
                       max_age=STATE_SECONDS, same_site="lax", https_only=secure)
    oauth = OAuth()
    secret = client_secret(config)
    oauth.register(CLIENT_NAME, client_id=config.client_id, client_secret=secret,
                   server_metadata_url=config.issuer + "/.well-known/openid-configuration",
                   client_kwargs={"scope": config.scopes, "code_challenge_method": "S256",
                                  "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
                                  "timeout": 10})
    app.state.oidc = config
    app.state.oidc_client = oauth.create_client(CLIENT_NAME)
    app.include_router(router)


def _refusal(request: Request, message, status: int = 401) -> Response:
    from web.templating import page

    return page(request, "oidc_refused.html", title=tr("Login refused"), status_code=status, message=message)


@router.get("/logowanie/oidc")
async def oidc_start(request: Request, next: str | None = None) -> Response:
    from web.security import safe_next

    config: OidcConfig = request.app.state.oidc
    redirect_uri = config.redirect_uri or str(request.url_for("oidc_callback"))
    try:
        response = await request.app.state.oidc_client.authorize_redirect(request, redirect_uri)
    except Exception as error:  # the provider unreachable or its discovery document unusable: say so plainly
        import logging

        logging.getLogger(__name__).warning("OIDC: the provider's discovery document could not be read: %s",
                                            type(error).__name__)
        return _refusal(request, tr("The identity provider {name} does not answer; try again later or log in with "
                                    "a password.", name=config.name), status=502)
    request.session["next"] = safe_next(next)
    return response


@router.get(CALLBACK, name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    import logging

    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError
    from starlette.concurrency import run_in_threadpool

    from states.credentials import SESSION_HOURS, check_client, oidc_login, open_session, record_oidc_refusal
    from web.security import SESSION_COOKIE, client_address, safe_next, set_cookie

    config: OidcConfig = request.app.state.oidc
    url = request.app.state.desk.url
    client = client_address(request)
    target = safe_next(request.session.pop("next", None))
    try:  # an address that failed too often lately is not even heard: the provider is not asked anything
        await run_in_threadpool(check_client, client, url=url)
    except DomainError as refusal:
        logging.getLogger(__name__).info("OIDC login refused: too many failed logins from the client's address")
        return _refusal(request, refusal.message(), status=429)
    failed = tr("The identity provider {name} did not confirm who you are (the answer was refused, expired or not "
                "meant for this desk). Nothing was done; log in again.", name=config.name)

    async def refused() -> Response:
        await run_in_threadpool(record_oidc_refusal, config.issuer, client, url=url)
        return _refusal(request, failed)

    try:
        token = await request.app.state.oidc_client.authorize_access_token(
            request, claims_options={"iss": {"essential": True, "values": [config.issuer]},
                                     # authlib checks ``aud`` only when told to (else only through ``azp``)
                                     "aud": {"essential": True, "values": [config.client_id]},
                                     "exp": {"essential": True}, "nonce": {"essential": True}})
    except (OAuthError, JoseError, ValueError, KeyError) as error:
        # the reason (a rule's name, never a token) in the log for the operator; the reader gets one message
        logging.getLogger(__name__).info("OIDC login refused: %s %s", type(error).__name__,
                                         getattr(error, "description", "") or "")
        return await refused()
    except Exception as error:  # the provider unreachable, or an answer that is not OAuth's
        logging.getLogger(__name__).warning("OIDC: the token exchange failed: %s", type(error).__name__)
        return await refused()
    claims = token.get("userinfo")  # set only when an ID token came and was verified with the nonce
    if not claims or not claims.get("sub"):
        logging.getLogger(__name__).info("OIDC login refused: the provider's answer holds no ID token")
        return await refused()
    try:
        login = oidc_login(str(claims["iss"]), str(claims["sub"]), client, url=url)
    except DomainError as refusal:
        return _refusal(request, refusal.message(), status=403)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, open_session(login, url=url), max_age=SESSION_HOURS * 3600)
    set_cookie(response, request, VIA_COOKIE, "oidc", max_age=SESSION_HOURS * 3600)
    return response


async def end_session_url(request: Request) -> str | None:
    """Where to send the browser after the desk's logout of a session opened through the provider: the provider's
    ``end_session_endpoint`` (RP-Initiated Logout 1.0) with this client's ``client_id`` and where to come back;
    None when no provider is configured, the session was a password login, or the provider's discovery document
    names no such endpoint (or cannot be read: the desk's logout is done either way)."""
    import logging
    from urllib.parse import urlencode

    config: OidcConfig | None = getattr(request.app.state, "oidc", None)
    if config is None or request.cookies.get(VIA_COOKIE) != "oidc":
        return None
    try:
        metadata = await request.app.state.oidc_client.load_server_metadata()
    except Exception as error:  # the provider unreachable: the desk's own logout stands
        logging.getLogger(__name__).warning("OIDC: the provider's discovery document could not be read at logout: "
                                            "%s", type(error).__name__)
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        return None
    back = config.post_logout_redirect_uri or str(request.url_for("login_form"))
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode({"client_id": config.client_id,
                                                                     "post_logout_redirect_uri": back})
