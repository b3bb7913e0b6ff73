"""local-initiative reports filed by the applicants (issue 22, art. 19b-19h; the agreement of art. 19e)

The applicants of a local initiative file its report through the portal, kept as an open call's and a small grant's
reports are, in ``reports``. The initiative has neither a ``contracts`` row nor an offer row: its agreement's facts
live in its application row (``local_initiatives``: the period, the number). ``local_initiative_id`` names that row,
and exactly one of the three owners is set.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TWO_OWNERS = "(contract_id IS NULL) <> (small_grant_offer_id IS NULL)"
ONE_OWNER = ("(CASE WHEN contract_id IS NULL THEN 0 ELSE 1 END + CASE WHEN small_grant_offer_id IS NULL THEN 0 "
             "ELSE 1 END + CASE WHEN local_initiative_id IS NULL THEN 0 ELSE 1 END) = 1")


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint("ck_reports_one_owner", type_="check")
        batch.add_column(sa.Column("local_initiative_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_reports_local_initiative_id", "local_initiatives", ["local_initiative_id"],
                                 ["id"])
        batch.create_check_constraint("ck_reports_one_owner", ONE_OWNER)
    op.create_index("ix_reports_local_initiative_id", "reports", ["local_initiative_id"])


def downgrade() -> None:
    op.drop_index("ix_reports_local_initiative_id", table_name="reports")
    op.execute("DELETE FROM reports WHERE local_initiative_id IS NOT NULL")
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint("ck_reports_one_owner", type_="check")
        batch.drop_constraint("fk_reports_local_initiative_id", type_="foreignkey")
        batch.drop_column("local_initiative_id")
        batch.create_check_constraint("ck_reports_one_owner", TWO_OWNERS)
