"""CLI commands (filled in by its issue)."""
