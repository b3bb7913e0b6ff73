"""intent arrivals: when each keyed request first reached a door (invariant 10, issue 22's B6)

A filing retried with the same idempotency key after its first attempt timed out in the deadline's rush is
received when the first attempt reached the door (models/command_log.py ``first_arrival``): each attempt notes
its moment here, in a short transaction of its own, before it waits for the call; the earliest is kept.

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intent_arrivals",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "digest"),
    )
    op.create_index("ix_intent_arrivals_arrived_at", "intent_arrivals", ["arrived_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_intent_arrivals_arrived_at", table_name="intent_arrivals")
    op.drop_table("intent_arrivals")
