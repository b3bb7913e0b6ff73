"""small-grant offers on the model form: their versions and drafts (issue 22, art. 19a)

An organisation files a small-grant offer (art. 19a) on the same 2018 model form as an open call's offer, through
the same portal. Its versions are kept in ``offer_versions`` like an open call offer's, but they belong to the
small grant's own offer row (``small_grant_offers``): ``offer_id`` becomes optional and ``small_grant_offer_id``
names that row (exactly one of the two is set). Its draft is kept in ``offer_drafts`` before any case exists
(filing makes the case): ``case_id`` becomes optional, and an organisation has at most one such draft.

Revision ID: 0020
Revises: 0015 (the lead re-chains it at merge)
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ONE_OWNER = "(offer_id IS NULL) <> (small_grant_offer_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("offer_versions") as batch:
        batch.alter_column("offer_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("small_grant_offer_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_offer_versions_small_grant_offer_id", "small_grant_offers",
                                 ["small_grant_offer_id"], ["id"])
        batch.create_unique_constraint("uq_offer_versions_small_grant_offer_id_version",
                                       ["small_grant_offer_id", "version"])
        batch.create_check_constraint("ck_offer_versions_one_owner", ONE_OWNER)
    op.create_index("ix_offer_versions_small_grant_offer_id", "offer_versions", ["small_grant_offer_id"])
    with op.batch_alter_table("offer_drafts") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
    op.create_index("ux_offer_drafts_small_grant", "offer_drafts", ["organisation_id"], unique=True,
                    sqlite_where=sa.text("case_id IS NULL"), postgresql_where=sa.text("case_id IS NULL"))


def downgrade() -> None:
    op.drop_index("ux_offer_drafts_small_grant", table_name="offer_drafts")
    op.execute("DELETE FROM offer_drafts WHERE case_id IS NULL")
    with op.batch_alter_table("offer_drafts") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_offer_versions_small_grant_offer_id", table_name="offer_versions")
    op.execute("DELETE FROM offer_versions WHERE offer_id IS NULL")
    with op.batch_alter_table("offer_versions") as batch:
        batch.drop_constraint("ck_offer_versions_one_owner", type_="check")
        batch.drop_constraint("uq_offer_versions_small_grant_offer_id_version", type_="unique")
        batch.drop_constraint("fk_offer_versions_small_grant_offer_id", type_="foreignkey")
        batch.drop_column("small_grant_offer_id")
        batch.alter_column("offer_id", existing_type=sa.Integer(), nullable=False)
