"""The offer's model form as HTML fields, read from the model itself (states/model_forms/offer.py ``OfferForm``).

``form_tree()`` walks the model's JSON schema (pydantic's ``model_json_schema``) into ``Node``s: a part of the form
(a nested model) is a fieldset with its legend, a repeated part (offerors, activities, results, cost lines...) is a
fieldset of numbered rows, a value is one input whose widget and HTML attributes are the model's constraints as the
form's helper writes them (states/model_forms/html.py: ``required``, ``minlength``/``maxlength``, ``pattern``,
``min``/``max``/``step``, ``type="date"``/``"email"``, a ``select`` of the model's choices), so the browser checks
what the engine checks. Nothing is written here by hand about the form's
content: a field added to the model appears on the page.

Repeated parts without JavaScript: each shows the rows typed plus ``SPARE`` empty ones, and an "add a row" submit
button (``action=add:<path>``) that saves the draft and shows the page again with one more empty row.

``typed_from_post`` reads the posted fields back into the tree of what was typed (kept as typed: a refusal clears
nothing); ``model_input`` turns it into the model's input (empty rows dropped, empty optional values left out) and a
map from the model's error locations to the form's field names, so each refusal is shown beside its field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from kernel.text import capitalized
from states import labels
from states.errors import DomainError
from states.input_errors import problem
from states.text import tr

# The model's choices as people read them (the stored values stay the model's).
CHOICES: dict[str, Any] = {
    "activities": tr("I. Costs of the activities"),
    "administrative": tr("II. Administrative costs"),
    "unpaid": tr("unpaid execution"),
    "paid": tr("paid execution"),
    "true": tr("yes"),  # a radio group's two answers (a form names them by its field: ``annotate``)
    "false": tr("no"),
}

SPARE = 1  # empty rows shown below the typed ones of a repeated part
MAX_ROWS = 200  # a posted row index above this is not the form's (a form's longest list is far shorter)


@dataclass
class Node:
    key: str  # the field's name in its part
    label: Any
    kind: str  # "group" (a part), "rows" (a repeated part or value), "input"
    widget: str = "text"  # for an input: text, textarea, date, email, decimal, number, select, checkbox, radio
    required: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    choices: tuple[tuple[str, str], ...] = ()
    hint: Any = None
    children: list[Node] = field(default_factory=list)  # a group's fields
    item: Node | None = None  # a repeated part: one row
    min_rows: int = 0
    max_rows: int | None = None
    # a group's headings drawn by the page over some of its parts (the annex's III.3, V...: ``heading``), each the
    # keys of consecutive children and its label; the values' paths do not change
    headings: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)

    def grouped(self) -> list[tuple[Any, list[Node]]]:
        """A group's children in order, those under a heading together: ``(label, children)``, label None for a
        child under no heading."""
        out: list[tuple[Any, list[Node]]] = []
        for child in self.children:
            label = next((label for keys, label in self.headings if child.key in keys), None)
            if label is not None and out and out[-1][0] is label:
                out[-1][1].append(child)
            else:
                out.append((label, [child]))
        return out


def _label(key: str, schema: dict[str, Any]) -> Any:
    """The model's own title when it set one, else the engine's label of the field, else its name in words."""
    title = schema.get("title")
    generated = key.replace("_", " ").title()
    if title and title != generated:
        return title
    if key in labels.FIELDS:
        return capitalized(labels.field(key))
    return key.replace("_", " ").capitalize()



def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return {**defs[ref.rsplit("/", 1)[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return {**_resolve(schema["allOf"][0], defs), **{k: v for k, v in schema.items() if k != "allOf"}}
    return schema


def _alternatives(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without its ``null`` alternative, and whether null was allowed (an optional value)."""
    options = schema.get("anyOf")
    if not options:
        return _resolve(schema, defs), False
    nullable = any(o.get("type") == "null" for o in options)
    rest = [_resolve(o, defs) for o in options if o.get("type") != "null"]
    if len(rest) == 1:
        merged = {**{k: v for k, v in schema.items() if k != "anyOf"}, **rest[0]}
        return merged, nullable
    # a decimal is number-or-string in pydantic's schema; its limits are on the outer schema
    merged = {k: v for k, v in schema.items() if k != "anyOf"}
    for option in rest:
        for key, value in option.items():
            merged.setdefault(key, value)
    merged["type"] = "number" if {o.get("type") for o in rest} >= {"number", "string"} else rest[0].get("type")
    return merged, nullable


def _node(key: str, schema: dict[str, Any], defs: dict[str, Any], required: bool) -> Node:
    label = _label(key, schema)
    schema, nullable = _alternatives(schema, defs)
    required = required and not nullable
    hint = schema.get("description")
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        needed = set(schema.get("required", ()))
        return Node(key, label, "group", required=required, hint=hint,
                    children=[_node(k, v, defs, k in needed) for k, v in schema["properties"].items()])
    if kind == "array":
        item = _node(key, schema.get("items", {}), defs, True)
        item.label = label
        return Node(key, label, "rows", required=required, hint=hint, item=item,
                    min_rows=int(schema.get("minItems", 0)), max_rows=schema.get("maxItems"))
    # a value: its widget, HTML constraints and choices are the form's own rules (``_apply``), written once in
    # states/model_forms/html.py; a box is read back as ticked or not even before them
    widget = "checkbox" if kind == "boolean" else "text"
    return Node(key, label, "input", widget=widget, required=required, hint=hint)


def relabel(tree: Node, names: dict[str, Any] | None = None, paths: dict[str, Any] | None = None) -> Node:
    """A form's own names where the engine's shared labels (one per field name, states/labels.py) are not its model
    form's: ``names`` by a field's name wherever it is (the model's ``FIELD_NAMES``, which its refusals use too),
    ``paths`` by its place ("costs.name": the name of a cost line, rows left out). Returns ``tree``."""
    def walk(node: Node, where: str) -> None:
        for child in node.children:
            path = f"{where}.{child.key}" if where else child.key
            label = (paths or {}).get(path, (names or {}).get(child.key))
            if label is not None:
                child.label = label = capitalized(label)
                if child.item is not None:  # a repeated part's rows carry its label too
                    child.item.label = label
            walk(child.item if child.item is not None and child.item.kind == "group" else child, path)

    walk(tree, "")
    return tree


def _at(tree: Node, path: str) -> Node:
    node = tree
    for step in filter(None, path.split(".")):
        node = next(c for c in node.children if c.key == step)
        if node.item is not None:
            node = node.item
    return node


def heading(tree: Node, path: str, keys: tuple[str, ...], label: Any) -> Node:
    """A heading of the model form over consecutive parts of the group at ``path`` ("" the whole form) that the
    model does not group (the offer's "III.3" over the synthetic description's four fields, "V" over V.A-V.C): the
    page draws a fieldset with ``label`` as its legend around them; names, values and refusals stay the parts'
    own. Returns ``tree``."""
    group = _at(tree, path)
    known = [c.key for c in group.children]
    assert all(k in known for k in keys), (path, keys)
    group.headings.append((tuple(keys), capitalized(label)))
    return tree


def annotate(tree: Node, hints: dict[str, Any] | None = None,
             choices: dict[str, dict[str, Any]] | None = None) -> Node:
    """A form's words the model does not carry, by a field's place (rows left out): ``hints`` shown beside a field
    or part (a declaration's full wording beside its box), ``choices`` the answers of a select or a radio group by
    value ({"true": ..., "false": ...}). Returns ``tree``."""
    for path, hint in (hints or {}).items():
        parent, _, key = path.rpartition(".")
        next(c for c in _at(tree, parent).children if c.key == key).hint = hint
    for path, answers in (choices or {}).items():
        parent, _, key = path.rpartition(".")
        node = next(c for c in _at(tree, parent).children if c.key == key)
        node.choices = tuple((value, answers.get(value, label)) for value, label in node.choices)
    return tree


def radio_value(value: Any) -> str:
    """A yes/no radio group's value as the page posts it: ``"true"``, ``"false"`` or ``""`` (not chosen). A draft
    kept before the declarations became a choice holds a box's ``True`` (ticked: "true") or ``False`` (not ticked:
    nothing chosen, never read as the other answer)."""
    if value is True or value == "true":
        return "true"
    return "false" if value == "false" else ""


def typed_from_content(tree: Node, content: dict[str, Any]) -> dict[str, Any]:
    """Filed content (the model's JSON) as the page types it, to start a correction from: a radio group's ``true``
    / ``false`` as its posted value (``False`` there is an answer, "zalega(-ją)", not an unticked box)."""
    return _from_content(tree, content)


def _from_content(node: Node, value: Any) -> Any:
    if node.kind == "group":
        if not isinstance(value, dict):
            return value
        known = {c.key: c for c in node.children}
        return {k: _from_content(known[k], v) if k in known else v for k, v in value.items()}
    if node.kind == "rows":
        return [_from_content(node.item, v) for v in value] if isinstance(value, list) else value
    if node.widget == "radio" and isinstance(value, bool):
        return "true" if value else "false"
    return value


def form_tree(model: type, rules: dict[str, Any]) -> Node:
    """The whole form: a group of the model's parts, in the model's order (read from its JSON schema). ``rules``:
    the form's own constraints by generic field name (``costs[].unit_cost``: states/model_forms/html.py
    ``offer_form_fields``), which give each input its widget, HTML attributes and choices: the constraints are
    written in one place, the model's."""
    schema = model.model_json_schema()
    tree = _node("", schema, schema.get("$defs", {}), True)
    _apply(tree, rules, "")
    return tree


def _apply(node: Node, rules: dict[str, Any], generic: str) -> None:
    if node.kind == "group":
        for child in node.children:
            _apply(child, rules, f"{generic}.{child.key}" if generic else child.key)
    elif node.kind == "rows":
        _apply(node.item, rules, generic + "[]")
    elif generic in rules:
        rule = rules[generic]
        node.widget = rule.widget
        node.attrs = {name: "" if value is True else str(value) for name, value in rule.attributes.items()
                      if value is not False}
        if node.widget == "number":
            node.attrs["inputmode"] = "numeric" if node.attrs.get("step") == "1" else "decimal"
        node.required = "required" in node.attrs
        if rule.choices:
            node.choices = tuple((value, CHOICES.get(value, value)) for value in rule.choices)


def spare_rows(tree: Node, values: dict[str, Any]) -> dict[str, int]:
    """For each repeated part shown (by its field name), the index of its first spare row: the empty rows offered
    below the typed ones (and its minimum). A spare row's inputs are not ``required`` in the browser, so an unused
    spare row never stops the form being filed (the server drops it)."""
    out: dict[str, int] = {}
    _spare(tree, values, "", out)
    return out


def _spare(node: Node, value: Any, path: str, out: dict[str, int]) -> None:
    if node.kind == "group":
        value = value if isinstance(value, dict) else {}
        for child in node.children:
            _spare(child, value.get(child.key), f"{path}.{child.key}" if path else child.key, out)
    elif node.kind == "rows":
        rows = value if isinstance(value, list) else []
        used = len(rows)
        while used > node.min_rows and _blank(rows[used - 1]):
            used -= 1
        out[path] = used
        for i, row in enumerate(rows):
            _spare(node.item, row, f"{path}.{i}", out)


# --- what was typed --------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def typed_from_post(tree: Node, form: Any) -> dict[str, Any]:
    """The tree of what was typed, from the posted fields ``offerors.0.name``...: strings as typed (a checkbox:
    True or absent), repeated parts as lists in their rows' order."""
    posted: dict[str, Any] = {}
    for name in form.keys():
        if name in ("csrf", "intent", "action"):
            continue
        values = form.getlist(name)
        posted[name] = str(values[-1]) if values else ""
    return _read(tree, posted, "")


def _read(node: Node, posted: dict[str, Any], prefix: str) -> Any:
    if node.kind == "group":
        return {child.key: _read(child, posted, f"{prefix}{child.key}" if not prefix else f"{prefix}.{child.key}")
                for child in node.children}
    if node.kind == "rows":
        pattern = re.compile(re.escape(prefix) + r"\.(\d+)(?:\.|$)")
        indexes = sorted({int(m.group(1)) for name in posted if (m := pattern.match(name))
                          and int(m.group(1)) < MAX_ROWS})
        return [_read(node.item, posted, f"{prefix}.{i}") for i in indexes]
    if node.widget == "checkbox":
        return prefix in posted
    return posted.get(prefix, "")


def shown(tree: Node, typed: dict[str, Any] | None, *, add: str | None = None) -> dict[str, Any]:
    """What the page shows: the typed values, each repeated part without its empty rows, then ``SPARE`` empty
    rows (and at least its minimum); the part named ``add`` keeps the empty rows it had and gets one more."""
    return _shown(tree, typed or {}, "", add)


def _empty(node: Node) -> Any:
    if node.kind == "group":
        return {c.key: _empty(c) for c in node.children}
    if node.kind == "rows":
        return []
    return False if node.widget == "checkbox" else ""


def _shown(node: Node, value: Any, path: str, add: str | None) -> Any:
    if node.kind == "group":
        value = value if isinstance(value, dict) else {}
        return {c.key: _shown(c, value.get(c.key), f"{path}.{c.key}" if path else c.key, add) for c in node.children}
    if node.kind == "rows":
        rows = value if isinstance(value, list) else []
        if path == add:
            kept = rows + [_empty(node.item)]
        else:
            kept = [r for r in rows if not _blank(r)]
            kept += [_empty(node.item)] * max(SPARE, node.min_rows - len(kept))
        if node.max_rows is not None:
            kept = kept[:max(node.max_rows, len([r for r in rows if not _blank(r)]))]
        return [_shown(node.item, r, f"{path}.{i}", add) for i, r in enumerate(kept)]
    if node.widget == "checkbox":
        return bool(value)
    if node.widget == "radio":
        return radio_value(value)
    return "" if value is None else str(value)


def compact(tree: Node, typed: dict[str, Any]) -> dict[str, Any]:
    """What a draft keeps: the typed values without the empty rows."""
    return _compact(tree, typed)


def _compact(node: Node, value: Any) -> Any:
    if node.kind == "group":
        value = value if isinstance(value, dict) else {}
        return {c.key: _compact(c, value.get(c.key)) for c in node.children}
    if node.kind == "rows":
        return [_compact(node.item, r) for r in (value if isinstance(value, list) else []) if not _blank(r)]
    if node.widget == "checkbox":
        return bool(value)
    if node.widget == "radio":
        return radio_value(value)
    return "" if value is None else str(value)


# --- into the model ----------------------------------------------------------------------------------------------


def model_input(tree: Node, typed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The model's input from what was typed: empty rows dropped, empty values left out (the model then says
    "missing" for a required one, or takes its default), a decimal typed the Polish way ("1 000,50") read as
    1000.50. Also the map from each model location ("costs.0.total") to its field's name on the page."""
    where: dict[str, str] = {}
    data = _to_model(tree, typed, "", "", where)
    return data if isinstance(data, dict) else {}, where


def _to_model(node: Node, value: Any, model_path: str, page_path: str, where: dict[str, str]) -> Any:
    where[model_path] = page_path
    if node.kind == "group":
        value = value if isinstance(value, dict) else {}
        out = {}
        for c in node.children:
            sub = _to_model(c, value.get(c.key), _join(model_path, c.key), _join(page_path, c.key), where)
            if sub is not None:
                out[c.key] = sub
        return out if out or not model_path else (None if _blank(value) else out)
    if node.kind == "rows":
        rows = value if isinstance(value, list) else []
        out = []
        for i, row in enumerate(rows):
            if _blank(row):
                continue
            out.append(_to_model(node.item, row, _join(model_path, str(len(out))), _join(page_path, str(i)), where))
        return out
    if node.widget == "checkbox":
        return bool(value)
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if node.widget == "number":
        return text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return text


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def refusals(error: ValidationError, where: dict[str, str]) -> tuple[dict[str, Any], list[Any]]:
    """The model's refusals: by the page's field name (the nearest field or part the location names), and those
    of the whole form (a rule over several parts: a sum, the dates), for the top of the page."""
    fields: dict[str, Any] = {}
    general: list[Any] = []
    for item in error.errors(include_url=False):
        loc = [str(p) for p in item["loc"] if not ("[" in str(p) or "(" in str(p))]
        message = problem(item)
        target = None
        while loc:
            target = where.get(".".join(loc))
            if target is not None:
                break
            loc.pop()
        if target:
            fields.setdefault(target, message)
        else:
            general.append(message)
    return fields, general


def field_ids(path: str) -> str:
    """An HTML id for a field's name (``offerors.0.name`` -> ``f-offerors-0-name``)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)


def parse_typed(model: Any, tree: Node, typed: dict[str, Any], summary: Any = None) -> Any:
    """The model form (``model``, whose page is ``tree``) from what was typed, or what the page shows of its
    refusal: ``errors`` by field, ``general`` for the whole form, the ``message`` above them (``summary``, the
    offer's SUMMARY unless given; a rule of the form raised as the engine's refusal says its own message)."""
    data, where = model_input(tree, typed)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields, general = refusals(error, where)
        return {"errors": fields, "general": general, "message": SUMMARY if summary is None else summary}
    except DomainError as refusal:
        return {"errors": {}, "general": [], "message": refusal.message()}


SUMMARY = tr("The offer is not filed yet: correct the fields marked below (each says the rule), then file it "
             "again. Nothing you typed was cleared.")


def path_label(tree: Node, path: str) -> Any:
    """A field's name as the reader finds it on the page: its parts' labels and row numbers
    ("Kosztorys › wiersz 1 › Razem"), for the list of refusals at the top of the form."""
    from kernel.text import Joined

    parts: list[Any] = []
    node: Node | None = tree
    for step in path.split("."):
        if node is None:
            break
        if node.kind == "rows" and step.isdigit():
            parts.append(tr("row {number}", number=int(step) + 1))
            node = node.item
            continue
        node = next((c for c in node.children if c.key == step), None) if node.kind == "group" else None
        if node is not None:
            parts.append(node.label)
    return Joined(parts, " › ") if parts else path


def filed_sections(tree: Node, content: dict[str, Any]) -> list[dict[str, Any]]:
    """What was filed, read-only, section by section under the form's own labels (the same tree the portal's form is
    drawn from, so a label is written in one place): each top-level part with its lines, a line being the path of
    labels within the part ("Kosztorys › wiersz 1 › Razem") and the value as people read it. A key the tree does not
    know (an offer filed under an earlier version of the model) is still shown, under its name."""
    sections = []
    for child in tree.children:
        lines: list[tuple[list[Any], Any]] = []
        _filed_lines(child, content.get(child.key), [], lines)
        sections.append({"key": child.key, "label": child.label, "lines": lines})
    known = {child.key for child in tree.children}
    for key in sorted(set(content) - known):
        sections.append({"key": key, "label": key, "lines": [([], str(content[key]))]})
    return sections


def _filed_lines(node: Node, value: Any, where: list[Any], out: list[tuple[list[Any], Any]]) -> None:
    if node.kind == "group":
        value = value if isinstance(value, dict) else {}
        for child in node.children:
            _filed_lines(child, value.get(child.key), where + [child.label], out)
        return
    if node.kind == "rows":
        rows = value if isinstance(value, list) else []
        if not rows:
            out.append((where, "—"))
        for number, row in enumerate(rows, start=1):
            inner = where + [tr("row {number}", number=number)]
            if node.item is not None and node.item.kind == "group":
                _filed_lines(node.item, row, inner, out)
            else:
                out.append((inner, _filed_value(node.item, row)))
        return
    out.append((where, _filed_value(node, value)))


def _filed_value(node: Node | None, value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if node is not None and node.widget == "checkbox":
        return tr("yes") if value else tr("no")
    if node is not None and node.widget == "radio" and isinstance(value, bool):
        value = "true" if value else "false"
    if node is not None and node.choices:
        return dict(node.choices).get(str(value), str(value))
    return str(value)
