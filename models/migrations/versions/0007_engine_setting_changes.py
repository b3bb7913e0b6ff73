"""engine setting changes: every change of a setting, who made it, when, from what to what, and why

The settings that decide what the engine does (the office's mailboxes, the RDPP's address, the channels, the
retry policy) moved from each worker's environment into ``engine_settings`` (notifications/settings.py), so
every worker acts alike. No setting is written here: ``coop settings import-env`` copies a worker's
environment once, recorded in this history like any ``coop settings set``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_setting_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.String(), nullable=True),
        sa.Column("new_value", sa.String(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_engine_setting_changes_key", "engine_setting_changes", ["key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_engine_setting_changes_key", table_name="engine_setting_changes")
    op.drop_table("engine_setting_changes")
