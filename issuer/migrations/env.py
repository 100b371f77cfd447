"""Alembic environment of the issuer: runs the migrations on the connection :func:`issuer.db.upgrade` passes.

Run through ``tawtiq db upgrade`` (or at the start of ``tawtiq serve issuer``), never with a bare
``alembic`` command line, so that the engine gets the issuer's SQLite and PostgreSQL set-up.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from issuer.db import create_database_engine
from issuer.models import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # pragma: no cover - only when Alembic is driven directly
    engine = create_database_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as new_connection:
        _run(new_connection)
