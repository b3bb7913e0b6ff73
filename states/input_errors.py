"""pydantic's validation errors as a person reads them, in the run's language (invariant 7: bad input is
refused at the edge with a clear message).

pydantic describes each problem in English ("Input should be a valid decimal") and names the field by its
identifier; an officer reading Polish gets neither. Each error is rendered here from its *type* and its
context (the limit, the allowed values), and the field is named by its label (states/labels.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from states import labels, text_policy
from states.text import Joined, Message, ntr, tr

# What a field of a given pattern must look like (a regular expression means nothing to an officer).
PATTERN_MEANING: dict[str, Message] = {}

_NUMBER = tr("must be a number, e.g. 25000.00")
_WHOLE = tr("must be a whole number")
_DATE = tr("must be a date written YYYY-MM-DD, e.g. 2026-01-23")
_MOMENT = tr("must be a moment in ISO 8601 with its time zone offset, e.g. 2026-01-02T10:00+01:00")
_YES_NO = tr("must be true or false")
_TEXT = tr("must be text")

_BY_TYPE: dict[str, Message] = {
    "missing": tr("missing: give a value"),
    "extra_forbidden": tr("not an accepted field"),
    "string_type": _TEXT,
    "string_unicode": _TEXT,
    "decimal_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "finite_number": _NUMBER,
    "int_parsing": _WHOLE,
    "int_type": _WHOLE,
    "int_from_float": _WHOLE,
    "int_parsing_size": _WHOLE,
    "bool_parsing": _YES_NO,
    "bool_type": _YES_NO,
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_parsing": _MOMENT,
    "datetime_type": _MOMENT,
    "datetime_from_date_parsing": _MOMENT,
    "datetime_object_invalid": _MOMENT,
    "timezone_aware": tr("a moment must carry its time zone offset, e.g. 2026-01-02T10:00+01:00"),
    "time_parsing": tr("must be a time of day, e.g. 15:30"),
    "time_type": tr("must be a time of day, e.g. 15:30"),
    "list_type": tr("must be a list"),
    "tuple_type": tr("must be a list"),
    "set_type": tr("must be a list"),
    "dict_type": tr("must be a set of KEY=VALUE pairs"),
    "model_type": tr("must be a set of KEY=VALUE pairs"),
    "model_attributes_type": tr("must be a set of KEY=VALUE pairs"),
    "json_invalid": tr("is not valid JSON"),
    "frozen_instance": tr("cannot be changed"),
    "frozen_field": tr("cannot be changed"),
}


def _limit(value: Any) -> Any:
    """A bound as a number: pydantic sometimes hands it over as its repr ("Decimal('999999999.99')")."""
    if isinstance(value, str):
        found = re.fullmatch(r"Decimal\('([^']*)'\)", value)
        try:
            return Decimal(found.group(1) if found else value)
        except InvalidOperation:
            return value
    return value


def problem(item: dict[str, Any]) -> Message:
    """What is wrong with one value, without naming the field."""
    kind = item["type"]
    ctx = item.get("ctx", {})
    if kind in ("too_short", "too_long") and isinstance(item.get("input"), str):
        kind = "string_" + kind  # a length checked after a validator: pydantic calls it generic
    if isinstance(ctx.get("message"), Message):  # our own rules (states/text_policy.py) say it themselves
        return ctx["message"]
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        if n <= 1:
            return tr("must not be empty")
        return ntr("must have at least {n} character", "must have at least {n} characters", n)
    if kind == "string_too_long":
        n = ctx.get("max_length", 0)
        return ntr("may have at most {n} character", "may have at most {n} characters", n)
    if kind == "string_pattern_mismatch":
        return PATTERN_MEANING.get(ctx.get("pattern", ""), tr("has the wrong form"))
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return ntr("needs at least {n} item", "needs at least {n} items", n)
    if kind == "too_long":
        n = ctx.get("max_length", 0)
        return ntr("may have at most {n} item", "may have at most {n} items", n)
    if kind == "decimal_max_digits":
        n = ctx.get("max_digits", 0)
        return ntr("may have at most {n} digit", "may have at most {n} digits", n)
    if kind == "decimal_max_places":
        n = ctx.get("decimal_places", 0)
        return ntr("may have at most {n} digit after the decimal point",
                   "may have at most {n} digits after the decimal point", n)
    if kind == "decimal_whole_digits":
        n = ctx.get("whole_digits", 0)
        return ntr("may have at most {n} digit before the decimal point",
                   "may have at most {n} digits before the decimal point", n)
    if kind == "greater_than":
        return tr("must be greater than {limit}", limit=_limit(ctx.get("gt")))
    if kind == "greater_than_equal":
        return tr("must be at least {limit}", limit=_limit(ctx.get("ge")))
    if kind == "less_than":
        return tr("must be less than {limit}", limit=_limit(ctx.get("lt")))
    if kind == "less_than_equal":
        return tr("may be at most {limit}", limit=_limit(ctx.get("le")))
    if kind == "multiple_of":
        return tr("must be a multiple of {limit}", limit=_limit(ctx.get("multiple_of")))
    if kind in ("literal_error", "enum"):
        # ctx["expected"] is pydantic's English sentence ("'a', 'b' or 'c'"): keep only the values.
        values = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return tr("must be one of: {values}", values=values) if values else tr("is not an allowed value")
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        reason = cause.args[0] if cause is not None and cause.args else None
        if isinstance(reason, Message):  # our own validators raise ValueError(tr(...))
            return reason
    return tr("is not a valid value")


def where(loc: tuple[Any, ...], names: Mapping[str, Message] | None = None) -> Message | str:
    """The field as people name it: "kryteria › pozycja 2 › maksimum punktów"; ``names``: a form's own names of its
    fields where they differ from the engine's (the simplified report's part II, states/model_forms)."""
    parts: list[Message | str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(tr("item {number}", number=part + 1))
        elif part == "[key]":
            parts.append(tr("key"))
        elif isinstance(part, str) and ("[" in part or "(" in part):
            continue  # pydantic's own steps (function-after[...], union members): not the reader's concern
        elif names and str(part) in names:
            parts.append(names[str(part)])
        elif str(part) in labels.FIELDS:
            parts.append(labels.field(str(part)))
        else:  # a key the person typed: quoted safely (a CR or U+202E in it would rewrite the message)
            parts.append(text_policy.shown(str(part)))
    if not parts:
        return tr("input")
    return Joined(parts, " › ")


def describe(error: ValidationError, names: Mapping[str, Message] | None = None) -> Message:
    """Every problem of the input, each naming its field: "Niepoprawne dane — kwota dotacji: musi być liczbą"."""
    problems = [tr("{field}: {problem}", field=where(tuple(item["loc"]), names), problem=problem(item))
                for item in error.errors(include_url=False)]
    return tr("Invalid input — {problems}", problems=Joined(problems, "; "))
