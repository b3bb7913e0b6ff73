"""initiative filings: local-initiative applications filed through the portal, each version with its receipt

One row a version of an application (art. 19b-19h; issue 22): its canonical content, SHA-256, receipt number, moment
of receipt, the database's time of writing and the login of the person who filed it (the relation ``filer`` of the
authorization matrix reads it). Written once by states/procedures/local_initiative/filing.py, never changed.

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "initiative_filings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.String(length=80), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "version"),
        sa.UniqueConstraint("receipt"),
    )
    op.create_index("ix_initiative_filings_case_id", "initiative_filings", ["case_id"], unique=False)
    op.create_index("ix_initiative_filings_filed_by", "initiative_filings", ["filed_by"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_initiative_filings_filed_by", table_name="initiative_filings")
    op.drop_index("ix_initiative_filings_case_id", table_name="initiative_filings")
    op.drop_table("initiative_filings")
