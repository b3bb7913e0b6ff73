"""Rendering: one Jinja2 template per kind of message and language, plain text and HTML.

A template (``templates/<lang>/<kind>.j2``) extends its language's ``_base.j2`` and fills two blocks:
``subject`` and ``body``; the base adds the footer. The HTML part is the same text laid out by
``_layout.html.j2`` (autoescaped), so the two parts can never say different things. ``StrictUndefined``:
a variable a template needs and the data lack is an error (tests render every template).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from states import calendar
from states.local_time import as_moment, clock_text, in_warsaw
from states.procedures.consultation.names import ConsultationState
from states.procedures.local_initiative.names import InitiativeState
from states.procedures.open_call.names import CallState, OfferState
from states.procedures.regranting.names import MicroGrantState, SubCallState
from states.procedures.small_grant.names import SmallGrantState

STATE_NAMES = {enum.__name__: enum for enum in (CallState, OfferState, SmallGrantState, ConsultationState,
                                                InitiativeState, SubCallState, MicroGrantState)}

TEMPLATES_DIR = Path(__file__).with_name("templates")
LANGUAGES = ("pl", "en")

_MONTHS_PL = ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
              "października", "listopada", "grudnia")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _as_date(value: Any) -> date:
    if isinstance(value, str):
        value = as_moment(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return calendar.local_date(value)
    return value


def format_date(value: Any, lang: str = "pl") -> str:
    """23 stycznia 2026 r. / 23 January 2026."""
    d = _as_date(value)
    if lang == "en":
        return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
    return f"{d.day} {_MONTHS_PL[d.month - 1]} {d.year} r."


def format_moment(value: Any, lang: str = "pl") -> str:
    """23 stycznia 2026 r., godz. 23:59:59 (+01:00) / 23 January 2026, 23:59:59 (+01:00): the date in words,
    the time of day in Warsaw with its offset as people read moments everywhere (kernel/local_time.py)."""
    local = in_warsaw(value)
    if lang == "en":
        return f"{format_date(local.date(), lang)}, {clock_text(local)}"
    return f"{format_date(local.date(), lang)}, godz. {clock_text(local)}"


def format_money(value: Any, lang: str = "pl") -> str:
    amount = Decimal(str(value))
    if lang == "en":
        return f"PLN {amount:,.2f}"
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " zł"


def format_number(value: Any, lang: str = "pl") -> str:
    """86,67 in Polish, 86.67 in English."""
    text = str(value)
    return text if lang == "en" else text.replace(".", ",")


def _lang(ctx) -> str:
    return ctx.get("lang", "pl")


@pass_context
def unsealed(ctx, sealed: str) -> str:
    """A secret the outbox row keeps sealed with the desk's key (the portal's e-mail link token, invariant 12),
    opened when the message is rendered for sending; a seal this key did not make fails the message for good. A
    preview (``open_sealed`` False in the data: ``coop notifications preview``) shows a placeholder instead."""
    from states.credentials import unseal

    if not ctx.get("open_sealed", True):
        return "[…]"

    value = unseal(sealed)
    if value is None:
        raise ValueError("a sealed value this desk's key did not seal (the key changed?)")
    return value


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["date"] = pass_context(lambda ctx, v: format_date(v, _lang(ctx)))
    env.filters["moment"] = pass_context(lambda ctx, v: format_moment(v, _lang(ctx)))
    env.filters["number"] = pass_context(lambda ctx, v: format_number(v, _lang(ctx)))
    env.filters["money"] = pass_context(lambda ctx, v: format_money(v, _lang(ctx)))
    env.filters["unsealed"] = unsealed
    # Templates name states as the code does, by the machines' enums (``step.to_state == OfferState.selected``).
    env.globals.update(STATE_NAMES)
    return env


def template_names() -> list[str]:
    """Every kind of message that has a template (in Polish, the default language)."""
    return sorted(p.stem for p in (TEMPLATES_DIR / "pl").glob("*.j2") if not p.stem.startswith("_"))


def render(template: str, data: dict[str, Any], lang: str = "pl") -> Rendered:
    lang = lang if lang in LANGUAGES else "pl"
    env = environment()
    tmpl = env.get_template(f"{lang}/{template}.j2")
    variables = {**data, "lang": lang}
    subject = " ".join("".join(tmpl.blocks["subject"](tmpl.new_context(variables))).split())
    text = tmpl.render(variables).strip() + "\n"
    paragraphs = [p.splitlines() for p in text.split("\n\n") if p.strip()]
    html = env.get_template("_layout.html.j2").render(subject=subject, paragraphs=paragraphs, lang=lang)
    return Rendered(subject=subject, text=text, html=html)
