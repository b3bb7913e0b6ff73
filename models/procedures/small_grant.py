"""The small grant's own tables (art. 19a; states/procedures/small_grant/): its yearly ledger, its offers
(with their contracts and reports) and the comments on them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from models.tables import Table, moment, money
from models.types import Decimal2


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


# The simplified form's section IV "other sources" (Dz.U. 2018 poz. 2055 zał. 1; migration 0026): not the offeror's
# own contribution, which that form does not state, so kept apart from ``own_contribution``; NULL: not stated (an
# offer an officer recorded from paper). A column of the table, not of the model (as ``Case.waiting_seen`` and the
# reports' owners): the engine writes a small grant's offer alike on a schema before 0026; the filing writes it and
# the readers select it through the table (states/offer_filings.py ``other_sources_of``).
SMALL_GRANT_OTHER_SOURCES = sa.Column("other_sources", Decimal2, nullable=True)
SmallGrantOffer.__table__.append_column(SMALL_GRANT_OTHER_SOURCES)


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
