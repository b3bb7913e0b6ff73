"""waiting steps: a projection of what waits on whom, indexed by its order, kept true by the cases' row versions

The desk's "Na dziś" page reads a page of ``waiting_steps`` by an index instead of deriving every waiting step
from the cases, offers and deadlines to sort them (B7, issue 21). A case whose ``row_version`` differs from its
``waiting_seen`` is stale: its rows are derived again before the list is read (states/waiting_rows.py). The
backfill marks every case stale (``waiting_seen`` 0; a case's row version starts at 1): the first reader derives
them all (100,000 cases: 4-8 s on PostgreSQL, one statement for every case, bench b7).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("waiting_seen", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_cases_waiting_stale", "cases", ["id"], sqlite_where=sa.text("row_version <> waiting_seen"),
                    postgresql_where=sa.text("row_version <> waiting_seen"))
    op.create_table(
        "waiting_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("audience", sa.String(), nullable=False),
        sa.Column("procedure", sa.String(), nullable=False),
        sa.Column("step", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("offer_number", sa.Integer(), nullable=True),
        sa.Column("undated", sa.Boolean(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("basis", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_waiting_steps_case_id", "waiting_steps", ["case_id"])
    op.create_index("ix_waiting_steps_list", "waiting_steps",
                    ["audience", "undated", "due_at", "code", "offer_number", "step"])
    # the planner's statistics of the cases with their new index: without them SQLite's planner (which keeps
    # no statistics of an index it has not analysed) chose worse plans for the tick's reads of the cases (its
    # CPU +26 % on 20,000 live cases until the next ANALYZE, measured with bench/ab.py)
    op.execute("ANALYZE cases")


def downgrade() -> None:
    op.drop_index("ix_waiting_steps_list", table_name="waiting_steps")
    op.drop_index("ix_waiting_steps_case_id", table_name="waiting_steps")
    op.drop_table("waiting_steps")
    op.drop_index("ix_cases_waiting_stale", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("waiting_seen")
