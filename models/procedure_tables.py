"""Tables of the small grant, local initiative, regranting and consultation procedures.

Each procedure's case is a ``Case`` row (its state, history, deadlines, publications); these tables hold the
facts a case needs beyond ``Case.data``: the rows that are queried, summed or answered one by one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, json_field, moment, money
from models.types import Decimal2

# --- small grant (art. 19a) ----------------------------------------------------------------------------------


class SmallGrantYear(Table, table=True):
    """The yearly ledger of small grants: the planned NGO grant funds the officer records and what is committed.

    A decision locks this row (SELECT ... FOR UPDATE), so two decisions of the same year never both pass the
    art. 19a ust. 7 ceiling."""

    __tablename__ = "small_grant_years"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    planned_ngo_grants: Decimal = money()  # the budget's planned funds for NGO grants in that year
    committed: Decimal = money()  # small grants granted in that year
    recorded_at: datetime = moment(nullable=False)


class SmallGrantOffer(Table, table=True):
    """The simplified offer (Dz.U. 2018 poz. 2055, annex 1) of one small-grant case, and its contract."""

    __tablename__ = "small_grant_offers"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", unique=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    title: str
    requested_grant: Decimal = money()
    own_contribution: Decimal = money()
    task_start: date
    task_end: date
    received_at: datetime = moment(nullable=False)
    budget_year: int = Field(index=True)
    granted_amount: Decimal | None = money(nullable=True)
    contract_number: str | None = None
    report_due: date | None = None
    funds_used: Decimal | None = money(nullable=True)
    returned_amount: Decimal | None = money(nullable=True)


class SmallGrantComment(Table, table=True):
    """A comment on a published small-grant offer (art. 19a ust. 4: anyone may comment) and how it was considered."""

    __tablename__ = "small_grant_comments"
    __table_args__ = (sa.UniqueConstraint("case_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    number: int
    author: str
    text: str
    submitted_at: datetime = moment(nullable=False)
    consideration: str | None = None
    considered_at: datetime | None = moment()


# --- consultation of draft acts (art. 5, 41i) ----------------------------------------------------------------


class ConsultationComment(Table, table=True):
    __tablename__ = "consultation_comments"
    __table_args__ = (sa.UniqueConstraint("case_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    number: int
    author: str
    author_kind: str  # ngo | resident | other
    provision: str = ""  # the part of the draft the comment concerns
    text: str
    submitted_at: datetime = moment(nullable=False)
    answer: str | None = None  # accepted | partly_accepted | rejected
    reason: str | None = None


# --- local initiative (art. 19b-19h) -------------------------------------------------------------------------


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


# --- regranting (art. 16a) -----------------------------------------------------------------------------------


class MicroGrant(Table, table=True):
    """One implementer's micro-grant: its own case (kind ``micro_grant``) nested under the operator's case."""

    __tablename__ = "micro_grants"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", unique=True)
    operator_case_id: int = Field(foreign_key="cases.id", index=True)
    implementer: str
    address: str
    scope: str
    amount: Decimal = money()
    contract_number: str
    signed_on: date
    task_start: date
    task_end: date
    transfer_due: date
    transferred: Decimal | None = money(nullable=True)
    transferred_on: date | None = None
    funds_used: Decimal | None = money(nullable=True)
    delivered: str | None = None
