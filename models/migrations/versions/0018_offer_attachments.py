"""offer attachments: the files (statute, partnership agreement, others) an organisation attaches to its draft offer
and files with the offer's version, with their kind, sanitised name, media type, size, SHA-256 and bytes

A row belongs to the draft (organisation, call, offer_number) until the version that files it is written
(``version_id``); the version's canonical content lists each file's hash (models/attachment_tables.py).

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offer_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("offer_number", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("offer_versions.id"), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_offer_attachments_draft", "offer_attachments", ["organisation_id", "case_id", "offer_number"])
    op.create_index("ix_offer_attachments_version_id", "offer_attachments", ["version_id"])


def downgrade() -> None:
    op.drop_index("ix_offer_attachments_version_id", table_name="offer_attachments")
    op.drop_index("ix_offer_attachments_draft", table_name="offer_attachments")
    op.drop_table("offer_attachments")
