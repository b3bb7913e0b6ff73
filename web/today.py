"""„Na dziś”: what waits for the logged-in person today (``GET /na-dzis``), the same list as ``coop todo``
(states/todo.py), a page of ``PAGE`` steps at a time with the total and links to the next and previous pages.

Through ``states.engine.execute`` for the session's proven person (``states.todo.page_of``): the page read by the
waiting steps' projection's index (``waiting_page``, read-only), so it costs its fifty rows, not the region's
list; when a case changed since its steps were derived, they are derived again first (``refresh_waiting``, a
write of derived rows only, states/waiting_rows.py)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from kernel.local_time import in_warsaw
from kernel.text import tr
from states.actors import Actor
from states.errors import DomainError
from states.procedures import PROCEDURES
from states.todo import Page, Query, page_of
from web.security import require_actor
from web.templating import page

router = APIRouter()

# The procedures as a reader names them in her language (the registry's titles are bilingual, for the CLI's
# tables): the filter and each row of the list.
PROCEDURE_NAMES = {
    "open_call": tr("Open call for offers (art. 11-15)"),
    "small_grant": tr("Small grant outside competition (art. 19a)"),
    "local_initiative": tr("Local initiative (art. 19b-19h)"),
    "regranting": tr("Regranting (art. 16a)"),
    "consultation": tr("Consultation of draft acts (art. 5, 5a, 41i)"),
}


def procedure_name(slug: str, fallback: str) -> object:
    return PROCEDURE_NAMES.get(slug, fallback)


def due_text(moment: datetime) -> object:
    """A due moment as an officer reads it in a list: the Warsaw date, then "end of the day" for a deadline that
    runs to the day's last second (most of them: KC art. 111), else the hour; the full moment with its offset is
    the ``datetime`` of the page's <time> element."""
    local = in_warsaw(moment)
    if (local.hour, local.minute) == (23, 59):
        return tr("{date}, end of the day", date=f"{local:%Y-%m-%d}")
    return tr("{date}, {time}", date=f"{local:%Y-%m-%d}", time=f"{local:%H:%M}")


def basis_text(basis: str) -> Markup:
    """A legal basis whose citations never split across two lines (Polish typography: "art. 15 ust. 1",
    "§ 2"): each citation of the "; "-separated list in a no-wrap span, the lines breaking between them."""
    return Markup("; ").join(Markup('<span class="cite">{}</span>').format(part) for part in basis.split("; "))


PAGE = 50  # steps shown a page


def todo_page(actor: Actor, query: Query, *, url: str | None) -> Page:
    """A page of the person's waiting steps (states.todo.Page), overdue first then by due moment."""
    return page_of(actor, query, url=url)


def _offset(value: str) -> int:
    return int(value) if value.isdigit() else 0  # anything else: the first page


@router.get("/na-dzis")
def today(request: Request, procedure: str = "", overdue: str = "", od: str = "",
          actor: Actor = Depends(require_actor)) -> Response:
    chosen = procedure if procedure in {p.slug for p in PROCEDURES} else None
    query = Query(procedure=chosen, overdue=overdue in ("1", "on", "true"), limit=PAGE, offset=_offset(od))
    error, listed = None, Page([], 0, query.offset, query.limit)
    try:
        listed = todo_page(actor, query, url=request.app.state.desk.url)
    except DomainError as refusal:
        error = refusal.message()
    filters = "".join(f"&{name}={value}" for name, value in (("procedure", chosen or ""), ("overdue", "1"))
                      if value and (name != "overdue" or query.overdue))

    def link(offset: int | None) -> str | None:
        return None if offset is None else f"/na-dzis?od={offset}{filters}"
    return page(request, "today.html", title=tr("Today"), items=listed.items, total=listed.total,
                first=listed.offset + 1, last=listed.offset + len(listed.items),
                next_url=link(listed.next_offset), previous_url=link(listed.previous_offset), query=query,
                error=error, procedures=[(p.slug, procedure_name(p.slug, p.title)) for p in PROCEDURES],
                procedure_name=procedure_name, due_text=due_text, basis_text=basis_text)
