"""Moved to ``kernel.errors`` (the bottom layer, which models/ may import too: docs/architecture.md); this name is kept
so the domain's many ``from states.errors import ...`` keep working. New code imports ``kernel.errors``."""

from kernel.errors import *  # noqa: F403
