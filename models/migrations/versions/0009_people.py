"""people: persons, their grants and personal tokens, and the hash-chained people log (invariant 9)

Who acts is proven: a person authenticates with a personal token (kept here as its SHA-256 only) and acts
under the roles granted to them, globally or for one case or one organisation. Every change of the registry
is a record of the people chain (models/people_tables.py), insert-only like the audit log (0008).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login"),
        sa.UniqueConstraint("display_name"),
    )
    op.create_table(
        "person_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=True),
        sa.Column("granted_by", sa.String(), nullable=False),
        _moment("granted_at"),
        sa.Column("revoked_by", sa.String(), nullable=True),
        _moment("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_person_grants_person_id", "person_grants", ["person_id"], unique=False)
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.String(), nullable=False),
        _moment("issued_at"),
        _moment("expires_at"),
        _moment("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_access_tokens_person_id", "access_tokens", ["person_id"], unique=False)
    op.create_table(
        "people_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _moment("at"),
        _moment("recorded_at"),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=True),
        sa.Column("basis", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    # The people chain is history too: insert-only like audit_log (0008's function and triggers).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER people_log_insert_only BEFORE UPDATE OR DELETE ON people_log "
                   "FOR EACH ROW EXECUTE FUNCTION coop_insert_only()")
        op.execute("CREATE TRIGGER people_log_no_truncate BEFORE TRUNCATE ON people_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION coop_insert_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER people_log_no_{verb.lower()} BEFORE {verb} ON people_log BEGIN "
                       f"SELECT RAISE(ABORT, 'coop: {verb} on people_log refused: the history is insert-only "
                       "(invariant 8)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS people_log_insert_only ON people_log")
        op.execute("DROP TRIGGER IF EXISTS people_log_no_truncate ON people_log")
    op.drop_table("people_log")
    op.drop_index("ix_access_tokens_person_id", table_name="access_tokens")
    op.drop_table("access_tokens")
    op.drop_index("ix_person_grants_person_id", table_name="person_grants")
    op.drop_table("person_grants")
    op.drop_table("persons")
