"""Alembic environment: migrations always run on a connection handed over by :meth:`verifier.db.Database.upgrade`."""

from __future__ import annotations

from alembic import context

from verifier.db import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run migrations with `tawtiq verifier db-upgrade`, which supplies the connection")
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
