"""The procedures the engine runs; each contributes the handlers of its deadline kinds to the tick."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def deadline_handlers() -> dict[str, Callable[..., Any]]:
    from states import (
        consultation_commands,
        local_initiative_commands,
        open_call_commands,
        regranting_commands,
        small_grant_commands,
    )

    handlers: dict[str, Callable[..., Any]] = {}
    for module in (open_call_commands, small_grant_commands, consultation_commands, local_initiative_commands,
                   regranting_commands):
        overlap = set(handlers) & set(module.DEADLINE_HANDLERS)
        assert not overlap, f"deadline kinds defined twice: {overlap}"
        handlers.update(module.DEADLINE_HANDLERS)
    return handlers
