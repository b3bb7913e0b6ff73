"""Local-initiative applications filed through the portal (issue 22; art. 19b-19h): every version filed, with its
receipt.

A row is written once, by the command that filed the version (states/procedures/local_initiative/filing.py), and
never changed: the content is the application as filed (``InitiativeForm.content()``), ``sha256`` its canonical
hash (states/model_forms/canonical.py), the same hash the case's audit record of the filing carries. ``receipt`` is
``<case code>-<version>`` (``IL/2026/001-1``). ``filed_by`` is the login of the person who filed it: the relation
``filer`` of the authorization matrix (states/access.py) lets that person, and nobody else of the public, read it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, json_field, moment


class InitiativeFiling(Table, table=True):
    __tablename__ = "initiative_filings"
    __table_args__ = (sa.UniqueConstraint("case_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    version: int
    content: Any = json_field(dict)
    sha256: str = Field(max_length=64)
    receipt: str = Field(max_length=80, unique=True)
    received_at: datetime = moment(nullable=False)  # the moment of receipt (the server's clock)
    written_at: datetime = moment(nullable=False)  # the database's own time of writing (invariant 3)
    filed_by: str = Field(max_length=64, index=True)  # the person's login
