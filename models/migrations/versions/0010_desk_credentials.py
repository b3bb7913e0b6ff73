"""desk credentials: password hashes and sealed TOTP secrets, login attempts, desk sessions (web/)

A person logs in to the officers' desk with a password (its argon2 hash here) and, when enrolled, a TOTP code
(its secret sealed with a key kept outside the database); the desk counts login attempts here so that several
processes share the rate limits, and keeps a session as its SHA-256 only (models/people_tables.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "person_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("totp_sealed", sa.String(length=400), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        _moment("changed_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login_digest", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        _moment("at"),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempts_login_digest", "login_attempts", ["login_digest"], unique=False)
    op.create_index("ix_login_attempts_client", "login_attempts", ["client"], unique=False)
    op.create_table(
        "desk_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _moment("issued_at"),
        _moment("expires_at"),
        _moment("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_desk_sessions_person_id", "desk_sessions", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_desk_sessions_person_id", table_name="desk_sessions")
    op.drop_table("desk_sessions")
    op.drop_index("ix_login_attempts_client", table_name="login_attempts")
    op.drop_index("ix_login_attempts_login_digest", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("person_credentials")
