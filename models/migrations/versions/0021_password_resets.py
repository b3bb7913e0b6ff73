"""password resets: the portal's one-time links that set a new password, and the requests for one

``password_resets``: a link's token as its SHA-256 only, its expiry, when it was spent or voided by a newer link.
``password_reset_attempts``: the requests counted for the rate limits (the client's address, what was typed as its
SHA-256 only). states/password_reset.py.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _moment("expires_at"),
        _moment("used_at", nullable=True),
        _moment("voided_at", nullable=True),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_password_resets_person_id", "password_resets", ["person_id"], unique=False)
    op.create_table(
        "password_reset_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("name_digest", sa.String(length=64), nullable=False),
        _moment("at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_password_reset_attempts_client", "password_reset_attempts", ["client"], unique=False)
    op.create_index("ix_password_reset_attempts_name_digest", "password_reset_attempts", ["name_digest"],
                    unique=False)
    op.create_index("ix_password_reset_attempts_at", "password_reset_attempts", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_password_reset_attempts_at", table_name="password_reset_attempts")
    op.drop_index("ix_password_reset_attempts_name_digest", table_name="password_reset_attempts")
    op.drop_index("ix_password_reset_attempts_client", table_name="password_reset_attempts")
    op.drop_table("password_reset_attempts")
    op.drop_index("ix_password_resets_person_id", table_name="password_resets")
    op.drop_table("password_resets")
