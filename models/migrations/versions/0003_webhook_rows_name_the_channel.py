"""webhook rows name their channel, not its URL

A public notice's row used to carry ``COOP_WEBHOOK_URL`` (a token in its path) in ``recipient``, and so showed
it to everyone who lists the outbox (invariant 12). The URL is now read from the settings at send time and
the row names the channel: ``public-portal``. Rows written before keep nothing of the URL: an error stored
with one (an HTTP library's message may quote the URL it failed on) has it replaced by ``***`` first. Downgrading
leaves the names: the URL is a secret the database must not hold again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PUBLIC_PORTAL = "public-portal"  # notifications.rules.PUBLIC_PORTAL at the time of writing


def upgrade() -> None:
    notifications = sa.table("notifications", sa.column("channel", sa.String), sa.column("recipient", sa.String),
                             sa.column("last_error", sa.String))
    holding_url = (notifications.c.channel == "webhook", notifications.c.recipient != "",
                   notifications.c.recipient != PUBLIC_PORTAL)
    op.execute(notifications.update()
               .where(*holding_url, notifications.c.last_error.is_not(None))
               .values(last_error=sa.func.replace(notifications.c.last_error, notifications.c.recipient, "***")))
    op.execute(notifications.update().where(*holding_url).values(recipient=PUBLIC_PORTAL))


def downgrade() -> None:
    pass
