"""The CLI's help in the run's language.

Help texts are written in English in the code (command docstrings, ``help="..."`` of options, arguments and
groups) and translated in the catalogue like every other message (tools/babel_extract.py extracts them).
typer builds its click commands when the CLI runs, with the classes below: each translates its help and its
parameters' help as it is built, so ``COOP_LANG`` decides the language of the whole help, run by run.
"""

from __future__ import annotations

import gettext
import inspect
import os
import re
from typing import Any

from typer.core import TyperCommand, TyperGroup

from states.text import DOMAIN, LOCALE_DIR, Message, catalogue, current_language, tr

# typer's own words that are not in a help text we write: the help option and the panel titles it asks
# gettext for (tools/babel_extract.py puts them into the catalogue).
FRAMEWORK_MESSAGES = (
    "Show this message and exit.",
    "Arguments", "Options", "Commands", "Error", "Aborted.", "Aborted!", "(deprecated) ", "(dynamic)",
    "[default: {}]", "[env var: {}]", "[required]", "default: {default}", "env var: {var}", "required",
    "Missing command.", "No such command {name!r}.", "Try [blue]'{command_path} {help_option}'[/] for help.",
)


def translate(text: str | None) -> str | None:
    if not text:
        return text
    return catalogue(current_language()).gettext(inspect.cleandoc(text))


# An option without a help text of its own is named by the label of the input field it fills.
_FIELD_OF_OPTION = {"area": "task_area", "in_kind": "non_financial_contribution", "received": "received_at",
                    "returned": "returned_amount", "start": "task_start", "end": "task_end", "used": "funds_used",
                    "version": "rule_set", "opt_out": "opted_out"}


def _localise(command: Any) -> None:
    from states import labels

    command.help = translate(command.help)
    command.short_help = translate(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = translate(param.help)
        elif hasattr(param, "help") and param.name:
            name = _FIELD_OF_OPTION.get(param.name, param.name)
            if name in labels.FIELDS:
                param.help = str(labels.FIELDS[name]).capitalize() + "."


# What typer said it expected (in pydantic's words: "Input should be a valid integer, …"), for "… oczekiwano
# liczby całkowitej".
_EXPECTED = {
    "integer": tr("a whole number"),
    "number": tr("a number"),
    "float": tr("a number"),
    "boolean": tr("true or false"),
}


def _hint(error: Any) -> str:
    param = getattr(error, "param", None)
    if param is not None:
        return param.get_error_hint()
    hint = getattr(error, "param_hint", None)
    return " / ".join(hint) if isinstance(hint, list | tuple) else (hint or "")


def translate_usage_error(error: Any) -> None:
    """A mistyped command line, said in the run's language: the click inside typer words these errors in
    English only. The error keeps its class and exit code; only what it says changes."""
    kind = type(error).__name__
    text: Message | None = None
    if kind == "NoSuchOption":
        text = tr("No such option: {option}", option=error.option_name)
        if error.possibilities:
            text = text + tr(" (did you mean: {options}?)", options=sorted(error.possibilities))
    elif kind == "MissingParameter":
        argument = getattr(error.param, "param_type_name", "option") == "argument"
        text = (tr("Missing argument {name}.", name=_hint(error)) if argument
                else tr("Missing option {name}.", name=_hint(error)))
    elif kind == "BadParameter":
        said = str(error.message)
        valid = re.search(r"valid (\w+)", said)
        bound = re.search(r"(less|greater) than or equal to (\S+?)\.?$", said)
        if valid and valid.group(1) in _EXPECTED:
            text = tr("Invalid value for {name}: expected {expected}.", name=_hint(error),
                      expected=_EXPECTED[valid.group(1)])
        elif bound:
            text = (tr("Invalid value for {name}: at most {limit}.", name=_hint(error), limit=bound.group(2))
                    if bound.group(1) == "less" else
                    tr("Invalid value for {name}: at least {limit}.", name=_hint(error), limit=bound.group(2)))
        else:
            text = tr("Invalid value for {name}.", name=_hint(error))
    elif kind == "BadOptionUsage":
        text = tr("The option {option} needs a value.", option=error.option_name)
    elif kind == "UsageError" and str(error.message).startswith("Got unexpected extra argument"):
        extra = str(error.message).rpartition("(")[2].rstrip(")")
        text = tr("Unexpected extra arguments: {arguments}", arguments=extra)
    if text is not None:
        error.format_message = lambda: str(text)  # what typer prints in its error panel


def _help_option(option: Any) -> Any:
    if option is not None and option.help:
        option.help = translate(option.help)
    return option


class _Localised:
    """What a typer command and group share: their texts, their --help and their usage errors translated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _localise(self)

    def get_help_option(self, ctx: Any) -> Any:  # click makes --help on demand, with its English help
        return _help_option(super().get_help_option(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except Exception as error:
            translate_usage_error(error)
            raise


class LocalisedCommand(_Localised, TyperCommand):
    pass


class LocalisedGroup(_Localised, TyperGroup):
    pass


def framework_language() -> None:
    """typer asks the standard gettext domain for its panel titles ("Options", "Commands") and a few
    phrases: point that domain at the catalogue, in the run's language. Called before typer formats anything;
    ``LANGUAGE`` is how gettext is told the language of a process."""
    os.environ["LANGUAGE"] = current_language()
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
