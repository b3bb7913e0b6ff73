"""The transactional outbox: the notifications a recorded step must produce, written in its transaction."""

from __future__ import annotations

from typing import Any


def on_record(ctx: Any, case: Any, record: Any) -> None:
    """Called for every audit record, inside the command's transaction. Nothing is enqueued yet."""
