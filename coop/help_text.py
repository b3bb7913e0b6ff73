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
from typing import Any

from typer.core import TyperCommand, TyperGroup

from states.text import DOMAIN, LOCALE_DIR, catalogue, current_language

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


def _localise(command: Any) -> None:
    command.help = translate(command.help)
    command.short_help = translate(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = translate(param.help)


def _help_option(option: Any) -> Any:
    if option is not None and option.help:
        option.help = translate(option.help)
    return option


class LocalisedCommand(TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _localise(self)

    def get_help_option(self, ctx: Any) -> Any:  # click makes --help on demand, with its English help
        return _help_option(super().get_help_option(ctx))


class LocalisedGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _localise(self)

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))


def framework_language() -> None:
    """typer asks the standard gettext domain for its panel titles ("Options", "Commands") and a few
    phrases: point that domain at the catalogue, in the run's language. Called before typer formats anything;
    ``LANGUAGE`` is how gettext is told the language of a process."""
    os.environ["LANGUAGE"] = current_language()
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
