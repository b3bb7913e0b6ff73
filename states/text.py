"""Moved to ``kernel.text`` (the bottom layer, which models/ may import too: docs/architecture.md); this name is kept
so the domain's many ``from states.text import ...`` keep working. New code imports ``kernel.text``."""

from kernel.text import *  # noqa: F403
