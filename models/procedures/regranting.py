"""The regranting's own table (art. 16a; states/procedures/regranting/): the micro-grants an operator gives.

The operator is chosen in an ordinary open call: its offer, contract and report are the open call's rows
(models/tables.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Field

from models.tables import Table, money


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
