"""public comments held until their e-mail link is confirmed (states/public_comments.py)

One row a comment sent from the portal's public pages on a small-grant offer (art. 19a ust. 4) or a consultation:
the comment as typed, the address it came from, the link's token as its SHA-256, and the comment's number in its
case once the link was confirmed and the comment filed.

Revision ID: 0017
Revises: 0016 (0015 before it is merged)
Create Date: 2026-12-06
"""


import sqlalchemy as sa
from alembic import op

revision = "0017"
# 0016 was set aside for the report filings, which needed no table: the chain goes 0015 -> 0017 -> 0018 -> ...
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_comment_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=True),
        sa.Column("provision", sa.String(length=300), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment_number", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("intent"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_public_comment_requests_case_id", "public_comment_requests", ["case_id"])
    op.create_index("ix_public_comment_requests_email", "public_comment_requests", ["email"])
    op.create_index("ix_public_comment_requests_client", "public_comment_requests", ["client"])
    op.create_index("ix_public_comment_requests_created_at", "public_comment_requests", ["created_at"])


def downgrade() -> None:
    for column in ("created_at", "client", "email", "case_id"):
        op.drop_index(f"ix_public_comment_requests_{column}", table_name="public_comment_requests")
    op.drop_table("public_comment_requests")
