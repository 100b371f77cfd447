"""The database: one SQLAlchemy engine, short transactions, and Alembic migrations applied at start-up.

SQLite is the embedded default (WAL journal, a busy timeout so that threads queue instead of failing);
PostgreSQL is the production database. Migrations on PostgreSQL run under a transaction-scoped advisory lock,
so replicas starting together upgrade the schema exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

#: Alembic's bookkeeping table, named for this service so that a shared database stays unambiguous.
VERSION_TABLE: Final = "verifier_alembic_version"
#: Advisory-lock key that serialises migrations of this service on PostgreSQL ("tawtiq-verifier").
_MIGRATION_LOCK_KEY: Final = 0x7461777469710001
_MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")  # short locks wait; longer ones answer 503
    cursor.close()


class Database:
    """Owns the engine. :meth:`session` gives a unit of work that commits on success and rolls back on error."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # hide_parameters: an error never carries the values bound to its statement (see common.service.database).
        options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if self.dialect == "sqlite":
            options["connect_args"] = {"check_same_thread": False, "timeout": 5}
        else:
            options.update(pool_size=10, max_overflow=20)
        self.engine: Engine = create_engine(parsed, **options)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with Session(self.engine, expire_on_commit=False) as session:
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

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent; safe with several replicas on PostgreSQL)."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def current_revision(self) -> str | None:
        """The applied migration, or None on an empty database."""
        with self.engine.connect() as connection:
            if not self.engine.dialect.has_table(connection, VERSION_TABLE):
                return None
            row = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()  # noqa: S608
            return str(row[0]) if row else None

    def dispose(self) -> None:
        self.engine.dispose()
