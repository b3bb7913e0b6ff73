"""engine settings: the database's own named values, first of them its clock (real or simulation)

A database holds real work or a simulation, decided once when the engine first uses it (or by ``coop db
init``) and never changed (models/settings.py). No row is written here: a database migrated from before
becomes real on its first use, unless ``COOP_SIMULATION=1`` says otherwise at that moment.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("engine_settings")
