"""insert-only history: the audit log (and the daily anchors) refuse UPDATE, DELETE and TRUNCATE

The engine only ever inserts audit records (states.engine.append_audit; the case row keeps the chain's head,
not the log). From here on the database itself refuses any change to a written record:

- PostgreSQL: a trigger on ``audit_log`` and ``audit_anchors`` raises for every UPDATE and DELETE (row level)
  and TRUNCATE (statement level), whoever runs it, the tables' owner included. Only a role that may change
  the table itself (its owner, with ``ALTER TABLE … DISABLE TRIGGER``, a DDL statement of its own) or a
  superuser (``session_replication_role = replica``) gets past it: so the engine connects as a role of its
  own that owns nothing (docs/production.md, "The owner role"), and ``coop db upgrade`` run with
  ``COOP_DATABASE_OWNER_URL`` grants it INSERT and SELECT on these two tables only (models/roles.py).
- SQLite: the same refusal by triggers (``RAISE(ABORT, …)``). Whoever can write the file can drop them: on
  SQLite they stop a mistake, not an attacker (docs/trust-model.md).

``audit_anchors``: one row per day (Europe/Warsaw), the signed anchor of every case's chain head
(states/anchors.py); a tick inserts it once, the file of the day is written from it. Its public notice is an
outbox row of no case: ``notifications.case_id`` may be NULL from here on.

A later migration that rebuilds ``audit_log`` on SQLite (a batch ALTER copies the table) must create these
triggers again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INSERT_ONLY = ("audit_log", "audit_anchors")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION coop_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'coop: % on % refused: the history is insert-only (invariant 8)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in INSERT_ONLY:
            op.execute(f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION coop_insert_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION coop_insert_only()")
    else:
        for table in INSERT_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
                           f"SELECT RAISE(ABORT, 'coop: {verb} on {table} refused: the history is insert-only "
                           "(invariant 8)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in INSERT_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS coop_insert_only()")
    else:
        for table in INSERT_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    op.execute("DELETE FROM notifications WHERE case_id IS NULL")  # the anchors' notices go with them
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("audit_anchors")
