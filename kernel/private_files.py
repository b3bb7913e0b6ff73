"""Files only their owner may read (invariant 12): the engine's keys and secrets outside the database.

Each secret's module says what the file holds and what to tell the reader when it is wrong; how such a file is
made and checked is here, once: created 0600 from its first byte (never written, then narrowed), never replaced
under another process that made it first, and refused (not repaired) once group or others may read it, since
the secret may already have leaked."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def create_private(path: Path, content: str | bytes) -> bool:
    """Write ``content`` to a new file at ``path`` that only its owner may read; its folder is made (0700) when
    missing. False, writing nothing, when the file exists (another process made it first: read theirs)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb" if isinstance(content, bytes) else "w") as out:
        out.write(content)
    return True


def exposed(path: Path) -> bool:
    """Whether group or others may read or write the file: a secret in it may have leaked."""
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)
