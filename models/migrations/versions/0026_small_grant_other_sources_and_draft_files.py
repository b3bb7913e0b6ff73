"""a small grant's other sources, and files attached to its draft (issue 22, art. 19a)

1. ``small_grant_offers.other_sources``: the simplified form's section IV splits the costs into the grant and
   "other sources" (Dz.U. 2018 poz. 2055 zał. 1), which are not the offeror's own contribution (the form does not
   say how much of them is): the offer row kept ``own_contribution`` 0 and had no place for them. The column is
   added (NULL: not stated, as for an offer an officer recorded from paper) and filled, for every offer filed on
   the form, from its filed content (``offer_versions.content`` → ``cost_summary.other_sources``, the hashed
   content the receipt proves; a small grant has one version).
2. ``offer_attachments.case_id`` becomes optional: a small grant's draft has no case until its filing makes one, and
   its files are kept under the organisation alone (``case_id`` NULL, ``offer_number`` 0) until they are filed with
   the offer's version, which then names the case.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def _cents(value) -> int | None:
    """The stored form of a two-place amount (models/types.py ``Decimal2``: hundredths), or None if unreadable."""
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except (InvalidOperation, TypeError, ValueError):
        return None


def upgrade() -> None:
    with op.batch_alter_table("small_grant_offers") as batch:
        batch.add_column(sa.Column("other_sources", sa.BigInteger(), nullable=True))
    # the backfill: each offer filed on the simplified form, from the content its receipt proves
    versions = sa.table("offer_versions", sa.column("small_grant_offer_id", sa.Integer()),
                        sa.column("version", sa.Integer()), sa.column("content", sa.JSON()))
    offers = sa.table("small_grant_offers", sa.column("id", sa.Integer()), sa.column("other_sources", sa.BigInteger()))
    connection = op.get_bind()
    filed = connection.execute(sa.select(versions.c.small_grant_offer_id, versions.c.content)
                               .where(versions.c.small_grant_offer_id.is_not(None))
                               .order_by(versions.c.small_grant_offer_id, versions.c.version)).all()
    latest = {offer: content for offer, content in filed}  # the latest version wins (a small grant has one)
    for offer, content in latest.items():
        summary = content.get("cost_summary") if isinstance(content, dict) else None
        cents = _cents(summary.get("other_sources")) if isinstance(summary, dict) else None
        if cents is not None:
            connection.execute(offers.update().where(offers.c.id == offer).values(other_sources=cents))
    with op.batch_alter_table("offer_attachments") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM offer_attachments WHERE case_id IS NULL")  # a small grant's draft's files
    with op.batch_alter_table("offer_attachments") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("small_grant_offers") as batch:
        batch.drop_column("other_sources")
