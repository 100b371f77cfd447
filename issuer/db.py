"""Database access: engines for SQLite and PostgreSQL, read and write transactions, migrations.

SQLite is the embedded default and PostgreSQL the production database; the same code runs on both.
Two rules make concurrent writers safe on both:

* every transaction that writes is opened with :func:`writing`, which on SQLite starts with
  ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two writers queue instead of failing when
  one upgrades a read lock) and on PostgreSQL is a plain transaction whose writers lock the rows they
  serialise on (``SELECT ... FOR UPDATE``);
* a transaction commits all it did or nothing: :func:`writing` commits when its block ends and rolls
  back on any exception, including a ``KeyboardInterrupt``.

SQLite connections use WAL journaling, a 30 s busy timeout and foreign keys; PostgreSQL connections
are pooled and pinged before use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Final, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Engine, Result, make_url
from sqlmodel import Session

from vc.errors import ConfigurationError

_WRITE_OPTION: Final = "tawtiq_write"
_MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"


def create_database_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``) set up as described above.

    A SQLite database's directory is created if missing. Raises :class:`ConfigurationError`
    ``db.url_invalid`` for any other kind of URL.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    raise ConfigurationError(
        "unsupported database URL",
        code="db.url_invalid",
        found=parsed.get_backend_name(),
        expected="sqlite, postgresql",
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not open transactions on its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk inserts into random-key indexes stay in memory
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def affected(result: Result[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE touched."""
    return cast("CursorResult[Any]", result).rowcount


def bind_time(session: Session, moment: datetime) -> Any:
    """``moment`` as the database stores it, for raw SQL parameters (see :class:`issuer.models.UTCDateTime`)."""
    from issuer.models import UTCDateTime

    return UTCDateTime().process_bind_param(moment, session.get_bind().dialect)


def is_sqlite(bind: Engine | Connection | Session) -> bool:
    """Whether ``bind`` talks to SQLite."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "sqlite"


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A session in a write transaction: committed when the block ends, rolled back if it raises."""
    with (
        Session(engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False) as session,
        session.begin(),
    ):
        yield session


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A session whose every statement sees the same committed state (for checks that read several tables).

    PostgreSQL's default READ COMMITTED takes a new snapshot per statement, so a report assembled from
    several queries could mix states; this uses REPEATABLE READ there. A SQLite read transaction (WAL)
    already reads one snapshot.
    """
    bind = (
        engine.execution_options(isolation_level="REPEATABLE READ") if engine.dialect.name == "postgresql" else engine
    )
    with Session(bind, expire_on_commit=False) as session:
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads; its transaction ends (rolled back) when the block ends, objects stay loaded."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def alembic_config(url: str) -> Any:
    """The Alembic configuration of the issuer's migrations, pointed at ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, *, revision: str = "head") -> str | None:
    """Apply the migrations up to ``revision``; returns the database's revision afterwards.

    Safe to run on every start-up and from several processes: on PostgreSQL an advisory lock
    serialises concurrent upgrades, on SQLite the write lock does.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.execution_options(**{_WRITE_OPTION: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7403170001)")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return MigrationContext.configure(connection).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this code."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def require_current(engine: Engine) -> None:
    """Raise :class:`ConfigurationError` ``db.not_migrated`` unless the database is at the head revision."""
    found = current_revision(engine)
    expected = head_revision()
    if found != expected:
        raise ConfigurationError(
            "the database schema is not up to date; run `tawtiq db upgrade`",
            code="db.not_migrated",
            found=found or "an empty database",
            expected=f"revision {expected}",
        )
