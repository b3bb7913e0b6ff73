"""The desk's pages: Jinja2 templates (web/templates/) rendered in the request's language.

Templates call ``tr("English text", name=value)`` exactly as the code does (kernel/text.py): the same gettext
catalogues (states/locale), the same extraction (babel.cfg, ``make messages``). A page is rendered with
``page(request, "name.html", title=tr(...), **values)``; every template extends ``base.html`` and fills its
blocks (``content``, optionally ``head``). The base gives every page its ``lang``, its title, the skip link, the
landmarks, the language switch and the logged-in person's name and logout button (with its CSRF token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kernel.local_time import moment_text
from kernel.text import current_language, render
from kernel.text import tr as _tr

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _tr_text(msgid: str, /, **params: Any) -> str:
    return _tr(msgid, **params).in_language(current_language())


def _text(value: Any) -> str:
    """Any value as the reader reads it (a Message, a moment in Warsaw time, an amount...)."""
    return render(value, current_language())


def _moment(value) -> str:
    return moment_text(value) if value is not None else "—"


ENVIRONMENT = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                          trim_blocks=True, lstrip_blocks=True)
ENVIRONMENT.globals.update(tr=_tr_text, text=_text, moment=_moment)


def page(request: Request, template: str, *, title: Any, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page of the desk: ``template`` (extending base.html) with ``values``, its <title> ``title``."""
    from web.security import csrf_token

    actor = getattr(request.state, "actor", None)
    context = {"request": request, "lang": current_language(), "title": _text(title), "actor": actor,
               "csrf": csrf_token(request), "path": request.url.path, **values}
    return HTMLResponse(ENVIRONMENT.get_template(template).render(context), status_code=status_code)
