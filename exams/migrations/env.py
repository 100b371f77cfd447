"""Alembic environment of the exam year: runs on the connection :func:`exams.db.upgrade` passes, with its own
version table (``exams_alembic_version``), so it shares the ministry's database with the issuer's migrations."""

from __future__ import annotations

from alembic import context

from exams.db import VERSION_TABLE
from exams.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run migrations with `tawtiq exam db-upgrade`, which supplies the connection")
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
