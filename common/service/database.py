"""Database access for every service: engines for SQLite and PostgreSQL, transactions, and Alembic migrations.

SQLite is the embedded default and PostgreSQL the production database; the same code runs on both.

* :func:`create_database_engine` sets both up once: SQLite files are created ``0600`` in directories created
  ``0700`` (the database holds personal data), with WAL journaling, a 5 s busy timeout for services (a lock held
  longer answers 503 with ``Retry-After``, :func:`common.service.problems.database_unavailable`; one-shot commands
  wait 30 s, :data:`COMMAND_SQLITE_BUSY_SECONDS`) and foreign keys;
  PostgreSQL connections are pooled (``pool_size`` + as many overflow) and recycled before common idle limits, and
  a new one gives up after :data:`POSTGRESQL_CONNECT_SECONDS` unless the URL names its own ``connect_timeout`` (a
  database host that does not answer is an error in seconds, not a request — or an event loop reading through
  :mod:`common.service.reads` — held for the minutes of TCP's retries); they are not pinged before each use (a
  round trip per transaction): a connection found dead is discarded with every older one (SQLAlchemy's disconnect
  handling) and :func:`retry_on_disconnect` runs the work again when the connection died before the work sent any
  COMMIT (after one, the outcome is unknown: it does not).
  No error of either carries the values bound to its statement (``hide_parameters``: the graduates' CNIE
  numbers and names stay out of messages and logs); :func:`database_error_summary` is what may be shown of an
  error.
* :func:`writing` opens a write transaction, which on SQLite starts with ``BEGIN IMMEDIATE`` (the write lock
  is taken up front, so two writers queue instead of failing when one upgrades a read lock); it commits when
  its block ends and rolls back on any exception, including a ``KeyboardInterrupt``. :func:`reading` and
  :func:`snapshot` read (:func:`reading` without a transaction on PostgreSQL).
* :class:`Migrations` holds one service's Alembic scripts. **The policy, the same for every service:** a
  service applies pending migrations when it starts (:meth:`Migrations.prepare`), under a lock (a PostgreSQL
  advisory lock; the SQLite write lock), so replicas starting together upgrade the schema exactly once; with
  ``auto_migrate`` off it refuses an out-of-date database with ``db.not_migrated`` naming the command that
  migrates. One-shot commands that read or write data refuse an out-of-date database the same way
  (:meth:`Migrations.require_current`), and each service's ``db upgrade`` command migrates explicitly. Start-up
  migration keeps a fresh deployment and ``make demo`` one step; the refusal keeps a command from writing into
  a schema it does not know.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar, cast

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, CursorResult, Engine, Result, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from common.private_files import PRIVATE_FILE_MODE, make_private_directories
from vc.errors import ConfigurationError

_T = TypeVar("_T")
_WRITE_OPTION: Final = "tawtiq_write"
#: Seconds a service's SQLite connection waits for a lock before failing (the request then answers 503).
SQLITE_BUSY_SECONDS: Final = 5
#: Seconds a one-shot command's SQLite connection waits: it has no client to answer 503 to, so it waits longer.
COMMAND_SQLITE_BUSY_SECONDS: Final = 30
#: Seconds after which a pooled PostgreSQL connection is replaced (below common server and proxy idle limits).
_POOL_RECYCLE_SECONDS: Final = 1800
#: Seconds a new PostgreSQL connection may take (libpq's ``connect_timeout``) unless the URL sets its own.
POSTGRESQL_CONNECT_SECONDS: Final = 5


def database_url(url: str | URL) -> URL:
    """``url`` parsed, with ``postgresql://`` read as ``postgresql+psycopg://`` (the driver we ship).

    Raises :class:`ConfigurationError` ``db.url_invalid`` for anything but SQLite and PostgreSQL.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            "unsupported database URL", code="db.url_invalid", found=backend, expected="sqlite, postgresql"
        )
    return parsed


def create_database_engine(
    url: str | URL, *, pool_size: int = 10, sqlite_busy_seconds: float = SQLITE_BUSY_SECONDS
) -> Engine:
    """An engine for ``url`` set up as the module docstring says; SQLite waits ``sqlite_busy_seconds`` for a lock.

    Raises :class:`ConfigurationError` ``db.url_invalid`` (see :func:`database_url`).
    """
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private_file(Path(parsed.database))
        engine = create_engine(
            parsed,
            hide_parameters=True,
            connect_args={"timeout": sqlite_busy_seconds, "check_same_thread": False},
        )
        _configure_sqlite(engine, busy_milliseconds=int(sqlite_busy_seconds * 1000))
        return engine
    return create_engine(
        parsed,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=_POOL_RECYCLE_SECONDS,
        connect_args={} if "connect_timeout" in parsed.query else {"connect_timeout": POSTGRESQL_CONNECT_SECONDS},
    )


def database_error_summary(exc: BaseException) -> str:
    """What a command or a log may say of a database error: its class and SQLSTATE, never its text.

    The text of a driver's error can hold row values whatever ``hide_parameters`` does (PostgreSQL's
    ``DETAIL: Failing row contains (…)`` or ``Key (cnie)=(…) already exists``), so it is left out.
    """
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    kind = type(exc).__name__
    return f"{kind} (SQLSTATE {state})" if isinstance(state, str) and state else kind


def _create_private_file(path: Path) -> None:
    """Create missing directories ``0700`` and the database file ``0600`` (SQLite gives its WAL the same mode)."""
    make_private_directories(path.absolute().parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))


def _configure_sqlite(engine: Engine, *, busy_milliseconds: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not open transactions on its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_milliseconds}")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk inserts into random-key indexes stay in memory
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def for_writing(engine: Engine) -> Engine:
    """``engine`` marked so that its transactions take the write lock up front on SQLite."""
    return engine.execution_options(**{_WRITE_OPTION: True})


def affected(result: Result[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE touched."""
    return cast("CursorResult[Any]", result).rowcount


def is_sqlite(bind: Engine | Connection | Session) -> bool:
    """Whether ``bind`` talks to SQLite."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "sqlite"


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A session in a write transaction: committed when the block ends, rolled back if it raises."""
    with Session(for_writing(engine), expire_on_commit=False) as session, session.begin():
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
    """A session for reads; objects stay loaded after the block.

    On PostgreSQL its statements run in autocommit: each already reads its own snapshot under READ COMMITTED,
    so the result is the same, without the ``BEGIN`` and ``ROLLBACK`` round trips around them (use
    :func:`snapshot` to read several tables in one state). On SQLite it is a read transaction, rolled back
    when the block ends.
    """
    bind = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
    with Session(bind, expire_on_commit=False) as session:
        yield session


@dataclass
class _Commits:
    """Whether a COMMIT was sent while a :func:`retry_on_disconnect` ran its work (and those it runs within)."""

    outer: _Commits | None
    sent: bool = False


_COMMITS: ContextVar[_Commits | None] = ContextVar("tawtiq_commits", default=None)


@event.listens_for(Engine, "commit")
def _note_commit(_connection: Connection) -> None:
    # Every engine's: SQLAlchemy calls this just before it sends COMMIT, so a COMMIT whose answer is lost counts.
    commits = _COMMITS.get()
    while commits is not None:
        commits.sent = True
        commits = commits.outer


def retry_on_disconnect(work: Callable[[], _T], *, idempotent: bool = False) -> _T:
    """``work()``, run once more if the database connection it used turned out dead before any COMMIT was sent.

    SQLAlchemy has then invalidated that connection and the pool's older ones, and rolled the transaction
    back, so the second run starts on a fresh connection. Once ``work`` has sent a COMMIT, a dead connection
    leaves that transaction committed or not (the answer may be what was lost), and a second run could do it
    twice: the error is raised instead. ``idempotent`` says that running ``work`` again after its COMMIT has the
    same effect as running it once, and lets the second run happen whenever the connection was found dead.
    """
    commits = _Commits(_COMMITS.get())
    token = _COMMITS.set(commits)
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated or (commits.sent and not idempotent):
            raise
    finally:
        _COMMITS.reset(token)
    return work()


def ping(engine: Engine) -> None:
    """Run ``SELECT 1``; raises SQLAlchemy's error when the database does not answer (readiness checks)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@dataclass(frozen=True)
class Migrations:
    """One service's Alembic migrations and the policy of the module docstring.

    ``version_table`` names Alembic's bookkeeping table (distinct per service, so services may share a
    database), ``lock_key`` the PostgreSQL advisory lock serialising upgrades, ``command`` the command line
    that migrates (named in the refusal).
    """

    directory: Path
    command: str
    lock_key: int
    version_table: str = "alembic_version"

    def config(self, url: str = "sqlite://") -> Any:
        """The Alembic configuration, pointed at ``url``."""
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(self.directory))
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        return config

    def upgrade(self, engine: Engine, *, revision: str = "head") -> str | None:
        """Apply the migrations up to ``revision`` under the lock; returns the database's revision afterwards.

        Safe on every start-up and from several processes at once.
        """
        from alembic import command

        config = self.config(engine.url.render_as_string(hide_password=False))
        with for_writing(engine).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.lock_key})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            return self._revision(connection)

    def current(self, engine: Engine) -> str | None:
        """The revision the database is at (``None`` before the first migration)."""
        with engine.connect() as connection:
            return self._revision(connection)

    def _revision(self, connection: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
        return context.get_current_revision()

    def head(self) -> str:
        """The newest revision shipped with this code."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self.config()).get_current_head()
        if head is None:  # pragma: no cover - a service always ships its first migration
            raise ConfigurationError("no migrations found", code="db.no_migrations", found=str(self.directory))
        return head

    def require_current(self, engine: Engine) -> None:
        """Raise :class:`ConfigurationError` ``db.not_migrated``, naming the command, unless the database is at head."""
        found = self.current(engine)
        expected = self.head()
        if found != expected:
            raise ConfigurationError(
                f"the database schema is not up to date; run `{self.command}`",
                code="db.not_migrated",
                found=found or "an empty database",
                expected=f"revision {expected}",
            )

    def prepare(self, engine: Engine, *, auto_migrate: bool) -> str | None:
        """At a service's start: migrate (``auto_migrate``) or refuse an out-of-date database; returns the revision."""
        if auto_migrate:
            return self.upgrade(engine)
        self.require_current(engine)
        return self.current(engine)
