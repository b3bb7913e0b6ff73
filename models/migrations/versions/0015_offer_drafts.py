"""offer drafts: what an organisation's representative typed in the portal's model form, kept until it is filed

One row a purpose: a new offer of an organisation to a call (``offer_number`` 0) or its answer to a correction of
one of its offers. Not part of any case (no history): states/offer_drafts.py reads and writes it for that
organisation's representatives only.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offer_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("offer_number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "case_id", "offer_number"),
    )
    op.create_index("ix_offer_drafts_organisation_id", "offer_drafts", ["organisation_id"])


def downgrade() -> None:
    op.drop_index("ix_offer_drafts_organisation_id", table_name="offer_drafts")
    op.drop_table("offer_drafts")
