"""small-grant reports on the simplified form (issue 22, art. 19a; Dz.U. 2018 poz. 2055 zał. 2)

The organisation files a small grant's report through the portal, kept as an open call's report is, in
``reports``. But a ``reports`` row belonged to a ``contracts`` row, and a small grant's contract lives in its
offer row (``small_grant_offers``): ``contract_id`` becomes optional and ``small_grant_offer_id`` names that row
(exactly one of the two is set), as 0020 did for ``offer_versions``.

Revision ID: 0022
Revises: 0020 (the lead re-chains it at merge)
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ONE_OWNER = "(contract_id IS NULL) <> (small_grant_offer_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.alter_column("contract_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("small_grant_offer_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_reports_small_grant_offer_id", "small_grant_offers",
                                 ["small_grant_offer_id"], ["id"])
        batch.create_check_constraint("ck_reports_one_owner", ONE_OWNER)
    op.create_index("ix_reports_small_grant_offer_id", "reports", ["small_grant_offer_id"])


def downgrade() -> None:
    op.drop_index("ix_reports_small_grant_offer_id", table_name="reports")
    op.execute("DELETE FROM reports WHERE contract_id IS NULL")
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint("ck_reports_one_owner", type_="check")
        batch.drop_constraint("fk_reports_small_grant_offer_id", type_="foreignkey")
        batch.drop_column("small_grant_offer_id")
        batch.alter_column("contract_id", existing_type=sa.Integer(), nullable=False)
