"""Moved to ``kernel.local_time`` (the bottom layer, which models/ may import too: docs/architecture.md); this name is kept
so the domain's many ``from states.local_time import ...`` keep working. New code imports ``kernel.local_time``."""

from kernel.local_time import *  # noqa: F403
