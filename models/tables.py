"""The engine's tables. Plain data: the rules that move these rows live in ``states/``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import Field, SQLModel

from models.types import Decimal2, UTCDateTime


class Table(SQLModel):
    """The base of every table: SQLModel, with a cheaper assignment to a column.

    SQLModel sets an attribute through SQLAlchemy and then through pydantic (~8 µs; a tick of 10,000 deadlines
    sets ~85,000). A table model is never validated on assignment, so pydantic's part is only to mark the field
    set; a column is set here through SQLAlchemy's public ``set_attribute`` (its change tracking, the same
    ``__dict__``) and marked set (~3 µs). ``tests/test_rows.py`` holds it equal to SQLModel's own assignment."""

    def __setattr__(self, name: str, value: Any) -> None:
        columns = _COLUMNS.get(type(self))
        if columns is None:
            columns = _COLUMNS[type(self)] = frozenset(sa.inspect(type(self)).column_attrs.keys())
        if name not in columns:
            super().__setattr__(name, value)
            return
        set_attribute(self, name, value)
        self.__pydantic_fields_set__.add(name)


_COLUMNS: dict[type, frozenset[str]] = {}  # a table's mapped column attributes, by class


def money(nullable: bool = False, default: Any = None) -> Any:
    kwargs = {"default": Decimal("0.00")} if default is None and not nullable else {"default": default}
    return Field(sa_column_kwargs={"nullable": nullable}, sa_type=Decimal2, **kwargs)


def moment(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_type=sa.JSON, nullable=False)


class Organisation(Table, table=True):
    """The NGO registry the programme asks the city to keep."""

    __tablename__ = "organisations"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    legal_form: str
    krs: str | None = Field(default=None, unique=True, max_length=10)
    address: str
    email: str
    contact_person: str
    created_at: datetime = moment(nullable=False)


class RuleSetVersion(Table, table=True):
    """An immutable snapshot of local policy; a case pins one version when it is announced."""

    __tablename__ = "rule_sets"
    version: str = Field(primary_key=True)
    body: dict = json_field()
    created_at: datetime = moment(nullable=False)


_CASE_ROW_VERSION = sa.Column("row_version", sa.Integer, nullable=False)


class Case(Table, table=True):
    """One procedure (an open call, a small grant, ...): the unit that has a state and a history."""

    __tablename__ = "cases"
    id: int | None = Field(default=None, primary_key=True)
    # Optimistic lock: two commands that read the same version cannot both commit (one gets ConcurrentChange).
    row_version: int = Field(default=1, sa_column=_CASE_ROW_VERSION)
    __mapper_args__ = {"version_id_col": _CASE_ROW_VERSION}
    code: str = Field(unique=True, index=True)
    kind: str = Field(index=True)
    title: str
    task_area: str = ""
    budget: Decimal = money()
    state: str = Field(index=True)
    rule_set_version: str | None = Field(default=None, foreign_key="rule_sets.version")
    parent_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    mode: str = "support"  # art. 16 ust. 1: support (wsparcie) or entrustment (powierzenie)
    receipt_rule: str = "received"  # KPA art. 57 §5: "received" or "postmarked"
    offer_deadline: datetime | None = moment()
    selection_date: date | None = None
    settings: dict = json_field()  # the announcement's per-call settings (criteria, threshold, ...)
    data: dict = json_field()  # procedure-specific facts that need no query of their own
    last_event_at: datetime | None = moment()
    # Head of the case's audit chain, kept on the (version-locked) case row so appending needs no query.
    audit_seq: int = 0
    audit_head: str = "0" * 64
    created_at: datetime = moment(nullable=False)


# The row version the case's waiting steps (``waiting_steps``, states/waiting_rows.py) were last derived from:
# every change of a case bumps ``row_version`` in its own UPDATE, so a case whose two differ is stale, and the
# writer pays nothing to say so (no column of its own to set). 0: never derived (a new or copied case). A column
# of the table the ORM does not map: a case is inserted with the database's default and never loaded with it;
# only the projection's refresh reads and writes it (SQLAlchemy Core).
Case.__table__.append_column(sa.Column("waiting_seen", sa.Integer, nullable=False, server_default="0"))
# the stale cases, found by the index alone however many cases are live (most are not stale)
sa.Index("ix_cases_waiting_stale", Case.__table__.c.id,
         sqlite_where=sa.text("row_version <> waiting_seen"), postgresql_where=sa.text("row_version <> waiting_seen"))


class WaitingStep(Table, table=True):
    """One step waiting on an audience (a role: ``officer``), derived from the case's rows by the declarations of
    each procedure's ``waiting.py`` (states/waiting_rows.py): a projection, never history. Its rows are replaced
    whenever their case has changed (``Case.waiting_seen``), so the desk reads a page of them by an index
    instead of deriving every step to sort them. A step's due moment is stored; whether it is overdue is the
    reader's ``now`` against it, so time passing alone never makes a row wrong."""

    __tablename__ = "waiting_steps"
    __table_args__ = (
        # the list's order (states/waiting_rows.py): dated first by due moment, then by case, offer and step
        sa.Index("ix_waiting_steps_list", "audience", "undated", "due_at", "code", "offer_number", "step"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    audience: str  # the role the step waits on
    procedure: str  # its procedure's slug
    step: str  # which declared step: "<procedure>:<its index in the procedure's waiting.STEPS>"
    code: str  # the case's code
    offer_number: int | None = None
    undated: bool  # no due moment (sorted last)
    due_at: datetime | None = moment()
    basis: str | None = None  # the deadline row's basis, for a step that is no event


class Publication(Table, table=True):
    """One publication of one notice in one of the three channels (art. 13 ust. 3: BIP, board, website)."""

    __tablename__ = "publications"
    __table_args__ = (sa.UniqueConstraint("case_id", "subject", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    subject: str  # announcement | results | invalidation | ...
    channel: str  # bip | board | website
    published_at: datetime = moment(nullable=False)
    text: str | None = None


class Deadline(Table, table=True):
    """A moment at which the scheduler must fire an event on a case: deadlines are rows (invariant 4)."""

    __tablename__ = "deadlines"
    __table_args__ = (
        sa.Index(  # the tick's claim order: the index gives it, and the claim stops at its batch
            "ix_deadlines_due_unfired",
            "due_at",
            "id",
            sqlite_where=sa.text("fired_at IS NULL"),
            postgresql_where=sa.text("fired_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    offer_id: int | None = Field(default=None, foreign_key="offers.id")
    kind: str
    due_at: datetime = moment(nullable=False)
    basis: str = ""
    fired_at: datetime | None = moment()
    outcome: str | None = None  # fired | skipped (the case had already moved on) | cancelled


class Offer(Table, table=True):
    __tablename__ = "offers"
    __table_args__ = (sa.UniqueConstraint("case_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    number: int
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    title: str
    requested_grant: Decimal = money()
    own_funds: Decimal = money()
    non_financial_contribution: Decimal = money()
    volunteer_work: Decimal = money()
    task_start: date | None = None
    task_end: date | None = None
    received_at: datetime = moment(nullable=False)
    postmarked_on: date | None = None
    state: str = Field(index=True)
    formal_defects: list = json_field(list)
    score_percent: Decimal | None = Field(default=None, sa_type=Decimal2)
    rank: int | None = None
    granted_amount: Decimal | None = money(nullable=True)


class CommitteeMember(Table, table=True):
    __tablename__ = "committee_members"
    __table_args__ = (sa.UniqueConstraint("case_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    name: str = Field(max_length=200)  # part of every message key to the member (notifications.key, 300)
    email: str = ""
    affiliation: str = "city"  # city | ngo (art. 15 ust. 2a)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id")
    appointed_at: datetime = moment(nullable=False)


class ConflictDeclaration(Table, table=True):
    """A member's KPA art. 24 declaration for one offer."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (sa.UniqueConstraint("member_id", "offer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="committee_members.id", index=True)
    offer_id: int = Field(foreign_key="offers.id")
    conflict: bool
    note: str = ""
    declared_at: datetime = moment(nullable=False)


class Score(Table, table=True):
    __tablename__ = "scores"
    __table_args__ = (sa.UniqueConstraint("member_id", "offer_id", "criterion"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="committee_members.id", index=True)
    offer_id: int = Field(foreign_key="offers.id", index=True)
    criterion: str
    points: Decimal = Field(sa_type=Decimal2)
    scored_at: datetime = moment(nullable=False)


class Contract(Table, table=True):
    __tablename__ = "contracts"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    offer_id: int = Field(foreign_key="offers.id", unique=True)
    number: str
    mode: str
    amount: Decimal = money()
    signed_at: datetime = moment(nullable=False)
    task_start: date
    task_end: date
    usage_deadline: date  # last day the grant may be spent (ufp art. 251)
    report_due: date  # art. 18: 30 days after the task ends, shifted off days off
    funds_used: Decimal | None = money(nullable=True)
    returned_amount: Decimal | None = money(nullable=True)
    returned_on: date | None = None
    return_due: date | None = None  # ufp art. 251 ust. 1 or 3


class Report(Table, table=True):
    __tablename__ = "reports"
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int | None = Field(default=None, foreign_key="contracts.id", index=True)  # None: a small grant's
    kind: str = "final"  # final | partial
    submitted_at: datetime = moment(nullable=False)
    accepted_at: datetime | None = moment()
    outcome: str = "submitted"  # submitted | accepted | corrections_requested
    content: dict = json_field()


# A small grant's report (0022) belongs to its offer row, which keeps its contract: exactly one of the two owners
# is set. A column of the table, not of the model (as ``Case.waiting_seen``): the engine writes and reads an open
# call's reports alike on a schema before 0022; states/report_filings.py writes and selects it through the table.
Report.__table__.append_column(sa.Column("small_grant_offer_id", sa.Integer, sa.ForeignKey("small_grant_offers.id"),
                                         nullable=True, index=True))
# A local initiative's report (0023, filed by its applicants) belongs to its application row, which keeps its
# agreement: exactly one of the three owners is set.
Report.__table__.append_column(sa.Column("local_initiative_id", sa.Integer, sa.ForeignKey("local_initiatives.id"),
                                         nullable=True, index=True))
Report.__table__.append_constraint(sa.CheckConstraint(
    "(CASE WHEN contract_id IS NULL THEN 0 ELSE 1 END + CASE WHEN small_grant_offer_id IS NULL THEN 0 ELSE 1 END "
    "+ CASE WHEN local_initiative_id IS NULL THEN 0 ELSE 1 END) = 1", name="ck_reports_one_owner"))


class AuditRecord(Table, table=True):
    """Append-only, hash-chained per case (invariant 8)."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    seq: int
    at: datetime = moment(nullable=False)
    recorded_at: datetime = moment(nullable=False)
    actor: str
    role: str
    event: str
    subject: str  # "case" or "offer:3", "member:Jan Kowalski", ...
    from_state: str | None = None
    to_state: str | None = None
    basis: str = ""
    payload: dict = json_field()
    prev_hash: str
    # The chain hash is unique per record (it covers the case code and the previous hash), so it lets a flush
    # insert many records in one statement and still match each returned id to its row (insert sentinel).
    hash: str = Field(index=True, sa_column_kwargs={"insert_sentinel": True})



# Rows point at rows of other modules' tables (a report at its local initiative, an attachment at its draft, a
# portal account at its person): a foreign key resolves only when its table is in the metadata, so a process that
# has these tables has every table (models/schema.py), or a flush in a command that never imported the other module
# fails (NoReferencedTableError). Loaded here, last, once: ~50 ms more for a command that needed fewer.
import models.schema  # noqa: E402, F401
