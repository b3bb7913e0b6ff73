"""The portal's account pages (issue 22): registration, the e-mail link, representation requests and the
organisation's profile; and the officers' desk page that decides the requests. Thin doors over
states/portal_accounts.py, through ``states.engine.execute`` for the session's proven person (the registration: for
the named actor of registration)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import SecretStr

from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError, NotPermitted
from web.portal import portal_page, refuse, require_portal_actor
from web.security import require_actor
from web.templating import page

router = APIRouter()

REGISTER_FIELDS = ("login", "display_name", "email")
CLAIM_FIELDS = ("krs", "register_name", "register_number", "name", "legal_form", "address", "email")
PROFILE_TEXT = ("name", "legal_form", "address", "email", "contact_person", "phone", "website", "areas")


def _url(request: Request) -> str | None:
    return request.app.state.desk.url


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _blank_none(value: Any) -> Any:
    value = str(value or "").strip()
    return value or None


# --- registration and the e-mail link -----------------------------------------------------------------------


@router.get("/portal/rejestracja")
def register_form(request: Request) -> Response:
    return portal_page(request, "portal_register.html", title=tr("Register"), values={}, error=None)


@router.post("/portal/rejestracja")
async def register(request: Request) -> Response:
    from states.engine import execute
    from states.portal_accounts import REGISTRATION, RegisterAccount, note_registration, register_account

    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in REGISTER_FIELDS}
    values["login"] = values["login"].lower()
    password, repeated = str(form.get("password") or ""), str(form.get("password2") or "")
    try:
        if password != repeated:
            from states.errors import InvalidInput

            raise InvalidInput("passwords_differ", tr("The two passwords differ: type the same password twice. "
                                                      "Nothing was done."))
        command = RegisterAccount.parse(**values, password=SecretStr(password))
        note_registration(_client(request), command.email, url=_url(request))
        done = execute(register_account, command, actor=REGISTRATION, url=_url(request), keyed=False)
    except DomainError as refusal:
        status = 429 if refusal.rule == "registration_rate_limited" else 422
        return portal_page(request, "portal_register.html", title=tr("Register"), status_code=status,
                           values=values, error=refusal.message())
    return portal_page(request, "portal_registered.html", title=tr("Check your e-mail"), email=done["email"])


@router.get("/portal/potwierdz")
def confirm_form(request: Request, t: str = "") -> Response:
    # A GET changes nothing (a mail scanner may open the link): the person presses the button
    return portal_page(request, "portal_confirm.html", title=tr("Confirm your e-mail address"), token=t,
                       error=None, done=False)


@router.post("/portal/potwierdz")
async def confirm(request: Request) -> Response:
    from states.portal_accounts import confirm_email_by_link

    form = await request.form()
    token = str(form.get("t") or "")
    try:
        done = confirm_email_by_link(token, url=_url(request))
    except DomainError as refusal:
        return portal_page(request, "portal_confirm.html", title=tr("Confirm your e-mail address"), status_code=422,
                           token="", error=refusal.message(), done=False)
    return portal_page(request, "portal_confirm.html", title=tr("E-mail address confirmed"), token="", error=None,
                       done=True, login=done["login"])


# --- representation -----------------------------------------------------------------------------------------


def _claims_page(request: Request, actor: Actor, *, values: dict, error: Any = None, notice: Any = None,
                 status_code: int = 200) -> Response:
    from states.engine import execute
    from states.portal_accounts import my_claims

    claims = execute(my_claims, actor=actor, url=_url(request), readonly=True)
    return portal_page(request, "portal_claims.html", title=tr("Representation"), status_code=status_code,
                       claims=claims, values=values, error=error, notice=notice)


@router.get("/portal/reprezentacja")
def claims(request: Request, actor: Actor = Depends(require_portal_actor)) -> Response:
    notice = tr("Your request was sent; an officer of the city will confirm it.") if request.query_params.get(
        "wyslano") else None
    return _claims_page(request, actor, values={}, notice=notice)


@router.post("/portal/reprezentacja")
async def claim(request: Request, actor: Actor = Depends(require_portal_actor)) -> Response:
    from states.engine import execute
    from states.portal_accounts import ClaimRepresentation, claim_representation

    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in CLAIM_FIELDS}
    has_krs = str(form.get("kind") or "krs") == "krs"
    try:
        command = ClaimRepresentation.parse(**{
            name: _blank_none(values[name]) for name in CLAIM_FIELDS
            if (name == "krs") == has_krs or name not in ("krs", "register_name", "register_number")})
        execute(claim_representation, command, actor=actor, url=_url(request))
    except DomainError as refusal:
        return _claims_page(request, actor, values={**values, "kind": "krs" if has_krs else "other"},
                            error=refusal.message(), status_code=403 if isinstance(refusal, NotPermitted) else 422)
    return RedirectResponse("/portal/reprezentacja?wyslano=1", status_code=303)


# --- the organisation's profile -----------------------------------------------------------------------------


def _profile_page(request: Request, actor: Actor, organisation: int, *, values: dict | None = None,
                  error: Any = None, notice: Any = None, status_code: int = 200) -> Response:
    from states.engine import execute
    from states.portal_accounts import read_profile

    try:
        profile = execute(read_profile, organisation, actor=actor, url=_url(request), readonly=True)
    except NotPermitted as refusal:
        return refuse(request, refusal.message())
    current = profile["organisation"]
    shown = values if values is not None else {name: current.get(name) or "" for name in PROFILE_TEXT}
    if values is None:
        shown["publish_consent"] = bool(current.get("publish_consent"))
    return portal_page(request, "portal_organisation.html", title=current["name"], status_code=status_code,
                       profile=profile, org=current, values=shown, error=error, notice=notice,
                       field_label=_field_label, shown_value=_shown_value)


def _shown_value(value: Any) -> Any:
    """A profile's value as the history shows it: yes/no, the lines of a list side by side, a dash for none."""
    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    if value is None or value == "":
        return "—"
    return "; ".join(line.strip() for line in str(value).splitlines() if line.strip())


def _field_label(name: str) -> Any:
    from states import labels

    return labels.field(name)


@router.get("/portal/organizacje/{organisation}")
def profile(request: Request, organisation: int, actor: Actor = Depends(require_portal_actor)) -> Response:
    notice = tr("The profile was saved; the change is in its history below.") if request.query_params.get(
        "zapisano") else None
    return _profile_page(request, actor, organisation, notice=notice)


@router.post("/portal/organizacje/{organisation}")
async def update(request: Request, organisation: int, actor: Actor = Depends(require_portal_actor)) -> Response:
    from states.engine import execute
    from states.portal_accounts import UpdateProfile, update_profile

    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in PROFILE_TEXT}
    values["publish_consent"] = form.get("publish_consent") in ("1", "on", "true")
    try:
        command = UpdateProfile.parse(organisation=organisation, **{
            name: (_blank_none(value) if name in ("phone", "website", "areas") else value)
            for name, value in values.items()})
        execute(update_profile, command, actor=actor, url=_url(request))
    except NotPermitted as refusal:
        return refuse(request, refusal.message())
    except DomainError as refusal:
        return _profile_page(request, actor, organisation, values=values, error=refusal.message(), status_code=422)
    return RedirectResponse(f"/portal/organizacje/{organisation}?zapisano=1", status_code=303)


# --- the officers' desk: deciding the requests ----------------------------------------------------------------


def _desk_claims(request: Request, actor: Actor, *, error: Any = None, notice: Any = None,
                 status_code: int = 200) -> Response:
    from states.engine import execute
    from states.portal_accounts import pending_claims

    try:
        pending = execute(pending_claims, actor=actor, url=_url(request), readonly=True)
    except NotPermitted as refusal:
        return page(request, "error.html", title=tr("Refused"), status_code=403, message=refusal.message())
    return page(request, "representation_claims.html", title=tr("Representation requests"), status_code=status_code,
                claims=pending, error=error, notice=notice)


@router.get("/wnioski-o-reprezentacje")
def desk_claims(request: Request, actor: Actor = Depends(require_actor)) -> Response:
    decided = request.query_params.get("rozpatrzono")
    return _desk_claims(request, actor, notice=tr("Request no. {number} was decided.", number=decided)
                        if decided and decided.isdigit() else None)


@router.post("/wnioski-o-reprezentacje/{claim}")
async def desk_decide(request: Request, claim: int, actor: Actor = Depends(require_actor)) -> Response:
    from states.engine import execute
    from states.portal_accounts import DecideRepresentation, decide_representation

    form = await request.form()
    confirm = str(form.get("decision") or "") == "confirm"
    try:
        command = DecideRepresentation.parse(claim=claim, confirm=confirm,
                                             reason=_blank_none(form.get("reason")) if not confirm else None)
        execute(decide_representation, command, actor=actor, url=_url(request))
    except DomainError as refusal:
        if isinstance(refusal, NotPermitted):
            return page(request, "error.html", title=tr("Refused"), status_code=403, message=refusal.message())
        return _desk_claims(request, actor, error=refusal.message(), status_code=422)
    return RedirectResponse(f"/wnioski-o-reprezentacje?rozpatrzono={claim}", status_code=303)
