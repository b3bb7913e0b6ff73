"""Alembic environment: runs on the connection the engine hands over (models.db.upgrade)."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import models.schema  # noqa: F401  (registers every table on the metadata)

target_metadata = SQLModel.metadata


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(context.config.get_main_option("sqlalchemy.url")).begin() as conn:
        run(conn)
