"""The local initiative's own tables (art. 19b-19h; states/procedures/local_initiative/): the application, the
joint cost estimate, what the city bought, and the applications filed through the portal.

``InitiativeFiling`` (issue 22): every version of an application filed through the portal, with its receipt. A row
is written once, by the command that filed the version (states/procedures/local_initiative/filing.py), and never
changed: the content is the application as filed (``InitiativeForm.content()``), ``sha256`` its canonical hash
(states/model_forms/canonical.py), the same hash the case's audit record of the filing carries. ``receipt`` is
``<case code>-<version>`` (``IL/2026/001-1``). ``filed_by`` is the login of the person who filed it: the relation
``filer`` of the authorization matrix (states/access.py) lets that person, and nobody else of the public, read it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, json_field, moment, money
from models.types import Decimal2


class LocalInitiativeApplication(Table, table=True):
    __tablename__ = "local_initiatives"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", unique=True)
    applicant_kind: str  # residents | ngo
    representative: str
    residents: list = json_field(list)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id")
    sphere: str
    location: str
    property_owner: str
    description: str
    received_at: datetime = moment(nullable=False)
    scores: dict = json_field()
    score_percent: Decimal | None = Field(default=None, sa_type=Decimal2)
    task_start: date | None = None
    task_end: date | None = None
    contract_number: str | None = None


# The portal account representing the residents' group (its login, 0029): the officer names it for an application
# typed in from paper (``name_representative``), so that person files the report on the portal. A column of the
# table, not of the model (as ``Case.waiting_seen``, ``reports.local_initiative_id``): the engine reads and writes
# the applications alike on a schema before 0029; the handler and the relation ``filer`` use it through the table.
LocalInitiativeApplication.__table__.append_column(sa.Column("portal_representative", sa.String(64), nullable=True,
                                                             index=True))
PORTAL_REPRESENTATIVE = LocalInitiativeApplication.__table__.c.portal_representative


class LocalInitiativeCost(Table, table=True):
    """One line of the joint cost estimate, by party (art. 19e: the residents' contribution, the city's share)."""

    __tablename__ = "local_initiative_costs"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    party: str  # city | work | cash | goods
    description: str
    amount: Decimal = money()
    hours: Decimal | None = Field(default=None, sa_type=Decimal2)
    hour_value: Decimal | None = Field(default=None, sa_type=Decimal2)


class LocalInitiativePurchase(Table, table=True):
    """What the city bought itself for the initiative: no grant is transferred (art. 19e)."""

    __tablename__ = "local_initiative_purchases"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    description: str
    supplier: str
    amount: Decimal = money()
    purchased_at: datetime = moment(nullable=False)


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
