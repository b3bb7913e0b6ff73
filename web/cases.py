"""The case page, ``GET /sprawy/{code}``: for now its code, title, procedure and state, read-only (the full page
with its history, offers, deadlines and allowed steps is built on this route)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from kernel.text import tr
from states import labels
from states.actors import Actor
from states.errors import DomainError, NotFound
from states.queries import describe_case
from web.security import require_actor
from web.templating import page

router = APIRouter()


def case_summary(actor: Actor, code: str, *, url: str | None) -> dict:
    """``queries.describe_case`` for this person (read-only), with the state as people name it."""
    from states.engine import execute

    case = execute(describe_case, code, actor=actor, url=url, readonly=True)
    return {**case, "state_label": labels.state(case["kind"], case["state"])}


@router.get("/sprawy/{code:path}")
def case_page(request: Request, code: str, actor: Actor = Depends(require_actor)) -> Response:
    try:
        case = case_summary(actor, code, url=request.app.state.desk.url)
    except NotFound as missing:
        raise HTTPException(status_code=404, detail=missing.message()) from None
    except DomainError as refusal:
        return page(request, "error.html", title=tr("Refused"), status_code=403, message=refusal.message())
    return page(request, "case.html", title=tr("Case {code}", code=case["code"]), case=case)
