"""The case page, ``GET /sprawy/{code}``, and its steps, ``POST /sprawy/{code}/krok/{step}``.

The page (web/case_view.py) shows the case's stage among its procedure's stages, its offers, its running
deadlines with their basis, its history, and the steps this person may take now, each with its form. A step
that is not an evaluation runs through ``states.engine.execute`` for the session's person (web/steps.py); an
evaluation is checked by the domain first (nothing written) and then handed to the Prefect flow waiting for it
(web/prefect_forms.py). A refusal comes back at once on the same page, beside its field, with everything typed
kept; a step done sends the reader back to the page (Post/Redirect/Get) with what was done.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kernel.text import tr
from states import labels
from states.actors import Actor
from states.errors import DomainError, NotFound
from states.queries import describe_case
from web.security import require_actor
from web.templating import page

router = APIRouter()

DONE = {"done": tr("Done: the step is recorded in the case's history."),
        "recorded": tr("Your answer is recorded by the evaluation's flow."),
        "pending": tr("Your answer was handed to the evaluation's flow, which records it when it runs next "
                      "(its worker is not running this moment). Nothing is lost: Prefect keeps the answer.")}


def case_summary(actor: Actor, code: str, *, url: str | None) -> dict:
    """``queries.describe_case`` for this person (read-only), with the state as people name it."""
    from states.engine import execute

    case = execute(describe_case, code, actor=actor, url=url, readonly=True)
    return {**case, "state_label": labels.state(case["kind"], case["state"])}


def _read(actor: Actor, code: str, url: str | None) -> dict[str, Any]:
    from states.engine import execute
    from web.case_view import read_case

    try:
        return execute(read_case, code, actor=actor, url=url, readonly=True)
    except NotFound as missing:
        raise HTTPException(status_code=404, detail=missing.message()) from None


def _render(request: Request, case: dict, *, forms: dict | None = None, notice: dict | None = None,
            status_code: int = 200) -> Response:
    return page(request, "case_page.html", title=tr("Case {code}", code=case["code"]), case=case,
                forms=forms or {}, notice=notice, intent=secrets.token_hex(16), status_code=status_code)


@router.get("/sprawy/{code:path}")
def case_page(request: Request, code: str, zrobione: str = "", actor: Actor = Depends(require_actor)) -> Response:
    try:
        case = _read(actor, code, request.app.state.desk.url)
    except DomainError as refusal:
        return page(request, "error.html", title=tr("Refused"), status_code=403, message=refusal.message())
    notice = {"kind": zrobione, "text": DONE[zrobione]} if zrobione in DONE else None
    return _render(request, case, notice=notice)


def _answer(step: str, command: Any) -> dict[str, Any]:
    """The flow's form answer (flows/evaluation.py) for a command the domain accepted."""
    if step == "review":
        from flows.evaluation import decision_label
        from kernel.text import language_override

        # The form takes the decision by the label it shows, in the flows' language (the run's COOP_LANG), not
        # in the language this reader chose for the desk.
        with language_override(None):
            decision = decision_label(command.decision)
        return {"offer": command.number, "decision": decision, "defects": list(command.defects)}
    if step == "declare":
        return {"conflicts": list(command.conflicts), "note": command.note}
    # Points as JSON numbers: the form's schema says number (flows/evaluation.py points_field), and Prefect checks
    # an answer against it before the run resumes.
    return {"offer": command.number, **{key: int(value) if value == value.to_integral_value() else float(value)
                                        for key, value in command.points.items()}}


@router.post("/sprawy/{code:path}/krok/{name}")
async def take_step(request: Request, code: str, name: str, actor: Actor = Depends(require_actor)) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    return await run_in_threadpool(_take_step, request, code, name, actor, form)


def _take_step(request: Request, code: str, name: str, actor: Actor, form: Any) -> Response:
    from web import prefect_forms, steps

    desk = request.app.state.desk
    try:
        case = _read(actor, code, desk.url)
    except DomainError as refusal:
        return page(request, "error.html", title=tr("Refused"), status_code=403, message=refusal.message())
    spec = next((s for s in case["steps"] if s.name == name), None)
    if spec is None:
        return page(request, "error.html", title=tr("Refused"), status_code=403, message=tr(
            "This step is not yours, or the case's stage no longer allows it. Nothing was done."))
    values, typed = steps.form_values(spec, form)
    intent = str(form.get("intent") or "")[:64]
    facts = {"criteria": case["criteria"], "offers": case["offers"]}

    def refused(message: Any, fields: dict | None = None, status: int = 422) -> Response:
        # The page read afresh (the case may have moved), the form open with what was typed and the refusal.
        fresh = _read(actor, code, desk.url)
        state = {"typed": typed, "errors": fields or {}, "message": message, "intent": intent}
        return _render(request, fresh, forms={name: state}, status_code=status)

    extra = {"member": actor.name} if "member" in spec.model.model_fields else {}
    try:
        command = steps.parse(spec, code, values, extra)
    except steps.Refused as problem:
        return refused(problem.message, problem.fields)
    try:
        if spec.evaluation is None:
            steps.run_direct(spec, command, actor=actor, url=desk.url, intent=intent)
            return RedirectResponse(f"/sprawy/{code}?zrobione=done#step-notice", status_code=303)
        steps.dry_run(spec.handler, command, actor=actor, url=desk.url)  # the domain first: nothing written
    except DomainError as refusal:
        return refused(refusal.message(), steps.refusal_fields(spec, refusal, values, facts))
    names = tuple(n for n in (actor.person, actor.name) if n)
    try:
        waiting = prefect_forms.find_waiting(code, spec.evaluation, actor.person or actor.name, names,
                                             api=desk.prefect_api, auth=desk.prefect_auth)
        outcome = prefect_forms.hand_over(waiting, spec.evaluation, _answer(spec.evaluation, command),
                                          login=actor.person or actor.name, api=desk.prefect_api,
                                          auth=desk.prefect_auth, wait=desk.outcome_wait)
    except prefect_forms.NotWaiting as absent:
        return refused(absent.message, status=503)
    if outcome.refused:
        return refused(outcome.refused)
    return RedirectResponse(f"/sprawy/{code}?zrobione={'pending' if outcome.pending else 'recorded'}#step-notice",
                            status_code=303)
