"""OpenID Connect links: a person's identity at a municipality's identity provider (web/oidc.py)

An administrator links a person to the provider's subject (``coop people link-oidc``); a login through the provider
opens a desk session for the linked person only (models/people_tables.py ``PersonOidcLink``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_oidc_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("linked_by", sa.String(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject"),
        sa.UniqueConstraint("person_id", "issuer"),
    )
    op.create_index("ix_person_oidc_links_person_id", "person_oidc_links", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_person_oidc_links_person_id", table_name="person_oidc_links")
    op.drop_table("person_oidc_links")
