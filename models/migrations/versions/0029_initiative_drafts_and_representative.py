"""local-initiative drafts and the group's portal representative (issue 22, art. 19b-19h)

A local-initiative application may be saved unfinished in the portal, as an offer: its draft is kept in
``offer_drafts`` beside the offers' (``form`` = ``local_initiative``), without a case (filing makes it), owned by
the organisation it is for or, for a group of residents, by the person preparing it (``person``: exactly one of
the two owners is set). The unique index of drafts without a case becomes one an organisation and form; a person
has one draft a form.

An application typed in from paper has no filer: ``local_initiatives.portal_representative`` keeps the login of the
portal account the officer named as the residents' representative (``name_representative``), who may then file the
report through the portal (the relation ``filer``).

Revision ID: 0029
Revises: 0025
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0025"
branch_labels = None
depends_on = None

ONE_OWNER = "(organisation_id IS NULL) <> (person IS NULL)"


def upgrade() -> None:
    op.drop_index("ux_offer_drafts_small_grant", table_name="offer_drafts")
    with op.batch_alter_table("offer_drafts") as batch:
        batch.add_column(sa.Column("form", sa.String(length=32), nullable=False, server_default="offer"))
        batch.add_column(sa.Column("person", sa.String(length=64), nullable=True))
        batch.alter_column("organisation_id", existing_type=sa.Integer(), nullable=True)
        batch.create_check_constraint("ck_offer_drafts_one_owner", ONE_OWNER)
    op.create_index("ux_offer_drafts_no_case", "offer_drafts", ["form", "organisation_id"], unique=True,
                    sqlite_where=sa.text("case_id IS NULL AND organisation_id IS NOT NULL"),
                    postgresql_where=sa.text("case_id IS NULL AND organisation_id IS NOT NULL"))
    op.create_index("ux_offer_drafts_person", "offer_drafts", ["form", "person"], unique=True,
                    sqlite_where=sa.text("person IS NOT NULL"), postgresql_where=sa.text("person IS NOT NULL"))
    with op.batch_alter_table("local_initiatives") as batch:
        batch.add_column(sa.Column("portal_representative", sa.String(length=64), nullable=True))
    op.create_index("ix_local_initiatives_portal_representative", "local_initiatives", ["portal_representative"])


def downgrade() -> None:
    op.drop_index("ix_local_initiatives_portal_representative", table_name="local_initiatives")
    with op.batch_alter_table("local_initiatives") as batch:
        batch.drop_column("portal_representative")
    op.drop_index("ux_offer_drafts_person", table_name="offer_drafts")
    op.drop_index("ux_offer_drafts_no_case", table_name="offer_drafts")
    op.execute("DELETE FROM offer_drafts WHERE form <> 'offer'")
    with op.batch_alter_table("offer_drafts") as batch:
        batch.drop_constraint("ck_offer_drafts_one_owner", type_="check")
        batch.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("person")
        batch.drop_column("form")
    op.create_index("ux_offer_drafts_small_grant", "offer_drafts", ["organisation_id"], unique=True,
                    sqlite_where=sa.text("case_id IS NULL"), postgresql_where=sa.text("case_id IS NULL"))
