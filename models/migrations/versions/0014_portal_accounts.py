"""portal accounts: e-mail confirmations, registration attempts, representation claims, the organisation's profile

The organisations' portal (issue 22): a person registers with an e-mail address proved by a one-time link (its
SHA-256 here), registrations are counted for the rate limits, a representation claim waits for an officer, and an
organisation's profile keeps beside its registry row its other register, phone, website, areas of activity and
consent to publish (``organisation_profiles``: the organisations table itself is unchanged). The
profile's history is kept in the people chain, read by its subject (a new index on ``people_log.subject``).

Revision ID: 0014
Revises: 0013 (the offer versions, branch ``filing``) where that revision is present, else 0012
Create Date: 2026-12-06
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0014"
# Built beside 0013 (issue 22's branches, docs/portal.md): nothing here depends on its tables, so the chain stays
# linear with or without it. Once the branches are merged this is simply "0013".
down_revision = "0013" if any(Path(__file__).parent.glob("0013_*.py")) else "0012"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "organisation_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("register_name", sa.String(length=200), nullable=True),
        sa.Column("register_number", sa.String(length=50), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("areas", sa.String(length=2000), nullable=True),
        sa.Column("publish_consent", sa.Boolean(), nullable=False),
        _moment("changed_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id"),
    )
    op.create_index("ix_people_log_subject", "people_log", ["subject"], unique=False)
    op.create_table(
        "portal_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        _moment("email_confirmed_at", nullable=True),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
    )
    op.create_index("ix_portal_accounts_email", "portal_accounts", ["email"], unique=False)
    op.create_table(
        "email_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _moment("expires_at"),
        _moment("used_at", nullable=True),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_email_confirmations_person_id", "email_confirmations", ["person_id"], unique=False)
    op.create_table(
        "registration_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        _moment("at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_registration_attempts_client", "registration_attempts", ["client"], unique=False)
    op.create_index("ix_registration_attempts_email_digest", "registration_attempts", ["email_digest"], unique=False)
    op.create_index("ix_registration_attempts_at", "registration_attempts", ["at"], unique=False)
    op.create_table(
        "representation_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=True),
        sa.Column("krs", sa.String(length=10), nullable=True),
        sa.Column("register_name", sa.String(length=200), nullable=True),
        sa.Column("register_number", sa.String(length=50), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("legal_form", sa.String(length=300), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        _moment("decided_at", nullable=True),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_representation_claims_person_id", "representation_claims", ["person_id"], unique=False)
    op.create_index("ix_representation_claims_organisation_id", "representation_claims", ["organisation_id"],
                    unique=False)
    op.create_index("ix_representation_claims_state", "representation_claims", ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("representation_claims")
    op.drop_table("registration_attempts")
    op.drop_table("email_confirmations")
    op.drop_table("portal_accounts")
    op.drop_index("ix_people_log_subject", table_name="people_log")
    op.drop_table("organisation_profiles")
