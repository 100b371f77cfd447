"""Alembic environment: migrations always run on a connection handed over by :data:`portal.db.MIGRATIONS`."""

from __future__ import annotations

from alembic import context

from portal.db import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run migrations with `tawtiq portal db-upgrade`, which supplies the connection")
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
