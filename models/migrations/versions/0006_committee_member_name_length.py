"""committee members' names bounded: 200 characters

A member's name is part of the key of every message to them (notifications.key, VARCHAR(300)); unbounded, a
294-character name was stored on SQLite and failed on PostgreSQL. The input model takes this column's length
(states/commands.py), so both refuse the same name before the database.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("committee_members", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(), type_=sa.String(length=200), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("committee_members", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=200), type_=sa.String(), existing_nullable=False)
