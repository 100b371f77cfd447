"""The verifier's database: the common engine (:mod:`common.service.database`), a unit of work, its migrations.

Engines, SQLite pragmas and file modes, and the migration policy (applied at start-up under a lock, or refused
with ``TAWTIQ_VERIFIER_AUTO_MIGRATE=false``, naming ``tawtiq verifier db-upgrade``) are the common ones. The
verifier's migrations keep their own version table, so a database shared with another service stays unambiguous.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel

from common.service.database import Migrations, create_database_engine, for_writing

#: Alembic's bookkeeping table, named for this service so that a shared database stays unambiguous.
VERSION_TABLE: Final = "verifier_alembic_version"
#: The verifier's migrations; the advisory-lock key is the one it has always used ("tawtiq-verifier").
MIGRATIONS: Final = Migrations(
    directory=Path(__file__).resolve().parent / "migrations",
    command="tawtiq verifier db-upgrade",
    lock_key=0x7461777469710001,
    version_table=VERSION_TABLE,
)


class Database:
    """Owns the engine. :meth:`session` gives a unit of work that commits on success and rolls back on error."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_database_engine(url)
        self.dialect = self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises.

        On SQLite the transaction takes the write lock up front (``BEGIN IMMEDIATE``): a unit of work that reads
        and then writes must not fail when another connection wrote in between; units of work are short.
        """
        with Session(for_writing(self.engine), expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upsert(self, row: SQLModel, *, key: tuple[str, ...]) -> None:
        """Insert ``row`` or overwrite the row with the same ``key`` columns, atomically (safe between replicas)."""
        table = SQLModel.metadata.tables[str(row.__tablename__)]
        values = {column.name: getattr(row, column.name) for column in table.columns}
        insert = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=list(key), set_={name: value for name, value in values.items() if name not in key}
        )
        with self.session() as session:
            session.execute(statement)

    def prepare(self, *, auto_migrate: bool) -> str | None:
        """At start-up: migrate, or refuse an out-of-date schema (the common policy); returns the revision."""
        return MIGRATIONS.prepare(self.engine, auto_migrate=auto_migrate)

    def upgrade(self) -> str | None:
        """Bring the schema to the newest migration (idempotent; safe with several replicas on PostgreSQL)."""
        return MIGRATIONS.upgrade(self.engine)

    def current_revision(self) -> str | None:
        """The applied migration, or None on an empty database."""
        return MIGRATIONS.current(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
