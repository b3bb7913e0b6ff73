"""The procedures the engine runs; each contributes the handlers of its deadline kinds to the tick."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def deadline_handlers() -> dict[str, Callable[..., Any]]:
    from states.procedures.consultation import handlers as consultation_handlers
    from states.procedures.local_initiative import handlers as local_initiative_handlers
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.regranting import handlers as regranting_handlers
    from states.procedures.small_grant import handlers as small_grant_handlers

    handlers: dict[str, Callable[..., Any]] = {}
    for module in (open_call_handlers, small_grant_handlers, consultation_handlers, local_initiative_handlers,
                   regranting_handlers):
        overlap = set(handlers) & set(module.DEADLINE_HANDLERS)
        assert not overlap, f"deadline kinds defined twice: {overlap}"
        handlers.update(module.DEADLINE_HANDLERS)
    return handlers
