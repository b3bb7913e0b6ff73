"""The officers' desk's address, for whatever sends people to it (the Prefect forms' descriptions: flows/
evaluation.py), in one place: ``COOP_DESK_URL``, the address people open the desk at (behind a proxy, its public
one), else the desk's default on this machine (``coop serve`` and ``coop desk`` listen on ``DESK_PORT``; ``coop
serve`` sets ``COOP_DESK_URL`` from its ``--desk-port`` for the flows it serves when it is unset)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote

DESK_PORT = 4210
DEFAULT_URL = f"http://127.0.0.1:{DESK_PORT}"


def desk_url(environ: Mapping[str, str] | None = None) -> str:
    """The desk's address, without a trailing slash."""
    env = os.environ if environ is None else environ
    return (env.get("COOP_DESK_URL", "").strip() or DEFAULT_URL).rstrip("/")


def case_page_url(code: str, environ: Mapping[str, str] | None = None) -> str:
    """The desk's page of the case ``code`` (``GET /sprawy/{code}``: web/cases.py), e.g.
    ``http://127.0.0.1:4210/sprawy/OK/2026/001``."""
    return f"{desk_url(environ)}/sprawy/{quote(code, safe='/')}"
