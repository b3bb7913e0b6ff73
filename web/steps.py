"""Taking a step from the case page: the form's values read into the command's own input model, refusals mapped
beside their fields, and the step run.

A step that is not an evaluation runs directly through ``states.engine.execute`` for the session's person, as
the CLI runs it (the same handler and input model), under the idempotency key of the form shown (a second press
of the button does nothing twice). An evaluation is checked here by the domain in a transaction that is rolled
back (``dry_run``), and only then handed to the Prefect flow waiting for it (web/prefect_forms.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from kernel.errors import DomainError
from states.actors import Actor
from states.input_errors import describe, problem
from web.case_view import StepSpec


class Refused(Exception):
    """A step refused: the message for the top of the form and, by field name, the problems beside fields."""

    def __init__(self, message: Any, fields: dict[str, Any] | None = None, basis: str | None = None) -> None:
        super().__init__(str(message))
        self.message, self.fields, self.basis = message, fields or {}, basis


def _moment(text: str) -> str:
    """A ``datetime-local`` value (Warsaw wall time, no offset) as the moment the input models take."""
    from states.calendar import WARSAW

    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text  # the model refuses it with its own words
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=WARSAW)
    return parsed.isoformat()


def form_values(spec: StepSpec, form: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The command's values from the posted form, and what was typed (to give back on a refusal)."""
    values: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    for f in spec.fields:
        if f.widget == "map":
            entered = {key: str(form.get(f"{f.name}.{key}") or "").strip() for key, _ in f.choices}
            typed[f.name] = entered
            chosen = {k: (_moment(v) if f.hint is not None and "T" in v else v) for k, v in entered.items() if v}
            if chosen or f.required:
                values[f.name] = chosen
        elif f.widget == "checkboxes":
            picked = [str(v) for v in form.getlist(f.name)]
            typed[f.name] = picked
            values[f.name] = tuple(picked)
        elif f.widget == "lines":
            text = str(form.get(f.name) or "")
            typed[f.name] = text
            values[f.name] = tuple(line.strip() for line in text.splitlines() if line.strip())
        else:
            text = str(form.get(f.name) or "")
            typed[f.name] = text
            if not text.strip():
                if f.required:
                    values[f.name] = text  # refused by the model as missing, beside this field
                continue
            if f.widget == "moment":
                values[f.name] = _moment(text)
            elif f.choices and {c for c, _ in f.choices} == {"yes", "no"}:
                values[f.name] = text == "yes"
            else:
                values[f.name] = text.strip()
    return values, typed


def parse(spec: StepSpec, code: str, values: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    """The command, or ``Refused`` with each problem beside its field (the model's own words, in Polish)."""
    try:
        return spec.model(code=code, **values, **(extra or {}))
    except ValidationError as error:
        fields: dict[str, Any] = {}
        for item in error.errors(include_url=False):
            loc = [str(part) for part in item["loc"] if not ("[" in str(part) or "(" in str(part))]
            name = loc[0] if loc else ""
            if len(loc) > 1 and any(f.name == name and f.widget == "map" for f in spec.fields):
                name = f"{name}.{loc[1]}"
            fields.setdefault(name, problem(item))
        raise Refused(describe(error), fields) from None


def refusal_fields(spec: StepSpec, refusal: DomainError, values: dict[str, Any], facts: dict[str, Any]
                   ) -> dict[str, Any]:
    """Beside which field a refusal of the domain belongs (the rest stays on top of the form)."""
    message = refusal.message()
    if refusal.rule == "points_above_maximum":
        for criterion in facts.get("criteria", ()):
            given = (values.get("points") or {}).get(criterion["key"])
            try:
                if given is not None and float(given) > float(criterion["max_points"]):
                    return {f"points.{criterion['key']}": message}
            except ValueError:
                continue
    names = {f.name for f in spec.fields}
    for rule_part, name in (("offer", "number"), ("member", "number"), ("conflict", "number"), ("grant", "grants"),
                            ("channel", "published"), ("publication", "published"), ("defect", "defects"),
                            ("contract", "contract_number"), ("amount", "amount")):
        if rule_part in refusal.rule and name in names:
            return {name: message}
    return {}


class _DryRun(Exception):
    def __init__(self, result: Any) -> None:
        self.result = result


def dry_run(handler: Any, command: Any, *, actor: Actor, url: str | None) -> Any:
    """Run ``handler`` with ``command`` as ``actor`` exactly as ``execute`` would (the matrix, the machine, every
    rule and the database's constraints, all rows flushed), then roll everything back: a refusal is raised as the
    step would raise it, and nothing is written either way."""
    from models.rows import write_pending
    from states.engine import execute

    def trial(ctx, cmd):
        result = handler(ctx, cmd)
        write_pending(ctx.session)
        ctx.session.flush()  # the database's own constraints too
        raise _DryRun(result)

    trial.__wrapped__ = handler  # the matrix and the command log name the handler (states/authorization.py)
    try:
        execute(trial, command, actor=actor, url=url, keyed=False)
    except _DryRun as done:
        return done.result
    raise AssertionError("unreachable: the trial always rolls back")  # pragma: no cover


def run_direct(spec: StepSpec, command: Any, *, actor: Actor, url: str | None, intent: str) -> Any:
    """The step, for real, as the CLI runs it; ``intent`` (the form's own key) makes a second press harmless."""
    from states.engine import execute

    return execute(spec.handler, command, actor=actor, url=url, idempotency_key=f"desk:{intent}" if intent else None)
