"""The offer form's field rules as HTML constraints, for the portal's page (no JavaScript: the CSP forbids inline
scripts, so the browser checks what HTML attributes can say, and the server says the rest with its messages).

Everything here is read from ``OfferForm.model_json_schema()``, so a limit changed in the model changes the page:

- ``offer_form_schema()``: the JSON schema itself (``$defs`` for the sections);
- ``offer_form_fields()``: every input of the form by its dotted name, list items written ``[]``
  (``"costs[].unit_cost"``, ``"task.activities[].start"``), each with its widget, its HTML attributes
  (``required``, ``min``, ``max``, ``step``, ``minlength``, ``maxlength``, ``pattern``), its choices and its label;
- ``html_attributes("costs.2.unit_cost")``: the attributes of one concrete input (item numbers become ``[]``).

What HTML cannot check (a line's value = unit cost × units, V.A = V.B, the shares, V.C, the dates inside the task
period) is refused by the server with the rule named (states/model_forms/offer.py ``RULES``); a page shows that
refusal beside the form.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from states import labels
from states.clock import EARLIEST_DAY, LATEST_DAY
from states.model_forms.offer import OfferForm
from states.text import Message


@dataclass(frozen=True)
class FieldRule:
    name: str  # dotted, list items as [] ("costs[].unit_cost")
    widget: str  # "text", "textarea", "number", "date", "email", "checkbox", "select", "radio" (a yes/no choice)
    attributes: dict[str, str | bool] = field(default_factory=dict)  # as the <input> takes them
    choices: tuple[str, ...] = ()  # a select's or a radio group's values
    label: Message | str = ""  # the name people read (states/labels.py), in the page's language when rendered
    repeated: bool = False  # inside a list: the page repeats it for each item


@cache
def _schema() -> dict[str, Any]:
    return OfferForm.model_json_schema()


def offer_form_schema() -> dict[str, Any]:
    """The model's JSON schema (validation mode): what the page's constraints are generated from (a copy: the
    caller may change it)."""
    return copy.deepcopy(_schema())


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _without_null(node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema of an optional field without its ``null`` alternative, and whether it was optional."""
    options = node.get("anyOf")
    if options and any(option.get("type") == "null" for option in options):
        rest = [option for option in options if option.get("type") != "null"]
        merged = {key: value for key, value in node.items() if key != "anyOf"}
        if len(rest) == 1:
            merged.update(rest[0])
        else:
            merged["anyOf"] = rest
        return merged, True
    return node, False


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def _is_number(node: dict[str, Any]) -> bool:
    types = {node.get("type")} | {option.get("type") for option in node.get("anyOf", ())}
    return bool(types & {"number", "integer"})


def _html_pattern(pattern: str) -> str:
    # HTML anchors a pattern itself; the model's are written ^...$ (an ASCII class, never \d).
    return re.sub(r"^\^|\$$", "", pattern)


def _leaf(name: str, node: dict[str, Any], required: bool, repeated: bool) -> FieldRule:
    attributes: dict[str, str | bool] = {}
    if required:
        attributes["required"] = True
    choices: tuple[str, ...] = ()
    if "enum" in node:
        widget, choices = "select", tuple(str(value) for value in node["enum"])
    elif node.get("type") == "boolean" and node.get("x-widget") == "choice":
        # a statement either way (the offer's declarations 3 and 4): two radio buttons, one of them to be chosen
        widget, choices = "radio", ("true", "false")
    elif node.get("type") == "boolean":
        widget = "checkbox"
        if node.get("const") is True:
            attributes["required"] = True  # a declaration: the box must be ticked
    elif _is_number(node):
        widget = "number"
        places = node.get("decimal_places")
        step = Decimal(1) if node.get("type") == "integer" or any(
            option.get("type") == "integer" for option in node.get("anyOf", ())) else (
            Decimal(1).scaleb(-int(places)) if places is not None else None)
        attributes["step"] = str(step) if step is not None else "any"
        # The tightest bound of each side: an amount that must be positive is "at least 0" and "above 0".
        tick = step or Decimal("0.01")
        lows = [_number(node[key]) for key in ("ge", "minimum") if key in node]
        lows += [_number(node[key]) + tick for key in ("gt", "exclusiveMinimum") if key in node]
        highs = [_number(node[key]) for key in ("le", "maximum") if key in node]
        highs += [_number(node[key]) - tick for key in ("lt", "exclusiveMaximum") if key in node]
        if lows:
            attributes["min"] = str(max(lows))
        if highs:
            attributes["max"] = str(min(highs))
    elif node.get("format") == "date":
        widget = "date"
        attributes.update(min=EARLIEST_DAY.isoformat(), max=LATEST_DAY.isoformat())
    else:
        widget = node.get("x-widget") or ("email" if node.get("format") == "email" else "text")
        if "minLength" in node:
            attributes["minlength"] = str(node["minLength"])
        if "maxLength" in node:
            attributes["maxlength"] = str(node["maxLength"])
        if "pattern" in node:
            attributes["pattern"] = _html_pattern(node["pattern"])
    last = name.rsplit(".", 1)[-1].removesuffix("[]")
    return FieldRule(name=name, widget=widget, attributes=attributes, choices=choices, label=labels.field(last),
                     repeated=repeated)


def _walk(prefix: str, node: dict[str, Any], required: bool, defs: dict[str, Any], repeated: bool,
          out: dict[str, FieldRule]) -> None:
    node, optional = _without_null(_resolve(node, defs))
    required = required and not optional
    if "anyOf" in node and not _is_number(node):  # an optional list or section: walk what it holds
        node = _resolve(node["anyOf"][0], defs)
    node = _resolve(node, defs)
    if node.get("type") == "object" and "properties" in node:
        inner_required = set(node.get("required", ()))
        for key, child in node["properties"].items():
            _walk(f"{prefix}.{key}" if prefix else key, child, required and key in inner_required, defs,
                  repeated, out)
    elif node.get("type") == "array":
        items = _resolve(node.get("items", {}), defs)
        _walk(prefix + "[]", items, True, defs, True, out)
    else:
        out[prefix] = _leaf(prefix, node, required, repeated)


@cache
def offer_form_fields() -> dict[str, FieldRule]:
    """Every input of the offer form, in the form's order, by its dotted name (list items as ``[]``)."""
    return form_fields(OfferForm)


@cache
def form_fields(model: type) -> dict[str, FieldRule]:
    """Every input of any model form (the offer, the simplified offer, the report, the local initiative's application:
    states/model_forms/), in the form's order, by its dotted name (list items as ``[]``)."""
    schema = model.model_json_schema()  # type: ignore[attr-defined]
    out: dict[str, FieldRule] = {}
    _walk("", schema, True, schema.get("$defs", {}), False, out)
    return out


def html_attributes(name: str) -> dict[str, str | bool]:
    """The HTML attributes of one input: ``html_attributes("costs.2.unit_cost")`` ->
    ``{"required": True, "step": "0.01", "min": "0", "max": "999999999.99"}``."""
    generic = re.sub(r"\.(\d+)(?=\.|$)", "[]", name).replace("[][]", "[]")
    rule = offer_form_fields().get(generic)
    if rule is None:
        raise KeyError(f"no field {name!r} in the offer form")
    return dict(rule.attributes)
