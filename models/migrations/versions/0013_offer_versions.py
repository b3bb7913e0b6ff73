"""offer versions: every version of an offer filed on the model form, with its receipt; submission attempts

An organisation files its offer on the 2018 model form (issue 22): each version is kept as filed (its canonical
content as JSON), with its SHA-256 (the same hash the case's audit record carries), its receipt number
(``<case code>/<offer number>-<version>``, unique) and moment of receipt, and the person who filed it
(models/filing_tables.py). ``submission_attempts`` counts the JSON door's submissions per person for its rate
limit (web/portal_api.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offer_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), sa.ForeignKey("offers.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.String(length=80), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_id", "version"),
        sa.UniqueConstraint("receipt"),
    )
    op.create_index("ix_offer_versions_offer_id", "offer_versions", ["offer_id"], unique=False)
    op.create_table(
        "submission_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_submission_attempts_person", "submission_attempts", ["person"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_submission_attempts_person", table_name="submission_attempts")
    op.drop_table("submission_attempts")
    op.drop_index("ix_offer_versions_offer_id", table_name="offer_versions")
    op.drop_table("offer_versions")
