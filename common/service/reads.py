"""Cheap reads for hot, read-only pages: Core SELECTs compiled once into the driver's SQL, run on DB-API connections
kept open beside the engine's pool.

A statement through :meth:`Engine.connect` pays, every time, for the pool checkout, the connection's events (on
SQLite our ``BEGIN``), the compiled-cache lookup, the execution context and the result object — several times the
work of the database itself for a lookup by a unique index. A page that runs on every request of a peak (the
portal's session check, the results page) reads through this module instead:

* :class:`Query` is a Core ``SELECT`` compiled once per dialect into the driver's SQL text (``?`` for SQLite,
  ``%(name)s`` for psycopg, which prepares a statement it has run a few times) with the bind and result processors
  of its columns' types, so its rows hold exactly what SQLAlchemy would return (aware datetimes, booleans...).
  Rows are named tuples (attribute access, ``_asdict()``). Expanding (``IN``) parameters are refused.
* :meth:`Reads.of` gives the engine's :class:`Reads`: DB-API connections taken from the engine (its ``connect``
  events have run: SQLite's pragmas) and detached from its pool, kept in a small free list and reused. The reads
  are closed when the engine is disposed (:meth:`Engine.dispose`), or by :meth:`Reads.close`; they do not keep
  the engine alive (an engine dropped without a dispose takes its reads, and their connections, with it).
* :meth:`Reads.one` and :meth:`Reads.all` run one statement outside any transaction (autocommit: the statement reads
  one committed state); :meth:`Reads.snapshot` runs several in one read-only transaction that sees one committed
  state (``REPEATABLE READ READ ONLY`` on PostgreSQL, a deferred read transaction on SQLite), rolled back at the end.
  Nothing is cached between calls: every call reads the database.

Errors are SQLAlchemy's, as for every other read: a driver error is raised as its :class:`sqlalchemy.exc.DBAPIError`
(``OperationalError``...) without the bound values (``hide_parameters``), so the services' handlers answer it the
same way (a busy or unreachable database: 503). A connection that fails is never reused; when the driver says it is
dead (a database restarted, a dropped link) the read runs once more on a new connection, as
:func:`common.service.database.retry_on_disconnect` does for units of work (a read is safe to run again).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select

from vc.errors import ConfigurationError

_T = TypeVar("_T")
#: Idle connections a :class:`Reads` keeps for reuse; more (after a burst of concurrent reads) are closed.
MAX_IDLE_CONNECTIONS: Final = 4

#: Seconds after which a connection is replaced (below common server and proxy idle limits, as the engine's pool).
RECYCLE_SECONDS: Final = 1800

_Processor = Callable[[Any], Any] | None
#: A parameter without a value of its own in the statement.
_REQUIRED: Final = object()


class _Compiled:
    """A :class:`Query` as one dialect runs it."""

    __slots__ = ("binds", "names", "positional", "rows", "simple", "sql")

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.positional: bool = compiled.positional
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        binds: list[tuple[str, Any, _Processor]] = []
        for name in names:
            bind = compiled.binds[name]
            if bind.expanding:
                raise ValueError(f"an expanding parameter cannot be read through common.service.reads: {name}")
            default = bind.effective_value if not bind.required else _REQUIRED
            binds.append((name, default, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        self.binds = tuple(binds)
        self.names = tuple(names)
        #: Every parameter is the caller's and goes to the driver as it is (the common case: strings and numbers).
        self.simple = all(default is _REQUIRED and processor is None for _name, default, processor in binds)
        columns = list(statement.selected_columns)
        record = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
        make = functools.partial(tuple.__new__, record)
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        active = tuple((index, processor) for index, processor in enumerate(processors) if processor is not None)

        def rows(fetched: list[tuple[Any, ...]]) -> list[Any]:
            if not active:
                return [make(values) for values in fetched]
            made = []
            for values in fetched:
                items = list(values)
                for index, processor in active:
                    items[index] = processor(items[index])
                made.append(make(items))
            return made

        self.rows: Callable[[list[tuple[Any, ...]]], list[Any]] = rows

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """What the driver gets for ``values``. Raises KeyError for a parameter without a value."""
        if self.simple and self.positional:
            return tuple([values[name] for name in self.names])
        bound = []
        for name, default, processor in self.binds:
            value = values.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"no value for the parameter {name!r}")
            bound.append((name, value if processor is None else processor(value)))
        if self.positional:
            return tuple(value for _name, value in bound)
        return dict(bound)


class Query:
    """A Core ``SELECT`` to run through :class:`Reads`: compiled on first use by each dialect, then kept."""

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._by_dialect: dict[tuple[str, str, str], _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        """The statement for ``dialect`` (compiled once; a race compiles it twice, to the same result)."""
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._by_dialect.get(key)
        if found is None:
            found = self._by_dialect[key] = _Compiled(self.statement, dialect)
        return found


class Snapshot:
    """Statements in one read-only transaction on one connection (see :meth:`Reads.snapshot`)."""

    __slots__ = ("_connection", "_reads")

    def __init__(self, reads: Reads, connection: _Connection) -> None:
        self._reads = reads
        self._connection = connection

    def one(self, query: Query, **parameters: Any) -> Any | None:
        """The first row of ``query`` (a named tuple), or None."""
        rows = self._reads._run(self._connection, query, parameters)
        return rows[0] if rows else None

    def all(self, query: Query, **parameters: Any) -> list[Any]:
        """Every row of ``query`` (named tuples)."""
        return self._reads._run(self._connection, query, parameters)


class _Connection:
    """A DB-API connection of :class:`Reads` and when it was opened (it is replaced after
    :data:`RECYCLE_SECONDS`, like the engine's pooled ones)."""

    __slots__ = ("born", "dbapi")

    def __init__(self, dbapi: Any) -> None:
        self.dbapi = dbapi
        self.born = time.monotonic()

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a connection that cannot even close is dropped all the same
            self.dbapi.close()


class Reads:
    """Reads of one engine on connections of their own (see the module docstring). Safe to share between threads:
    each read takes a connection from the free list (or opens one) and gives it back."""

    _registry: Final[weakref.WeakKeyDictionary[Engine, Reads]] = weakref.WeakKeyDictionary()
    _registry_lock: Final = threading.Lock()

    def __init__(self, engine: Engine) -> None:
        """Raises :class:`ConfigurationError` ``db.reads_in_memory`` for an in-memory SQLite database (a connection
        of its own would be another, empty, database)."""
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            raise ConfigurationError(
                "reads on connections of their own need a database file",
                code="db.reads_in_memory",
                found="an in-memory SQLite database",
                expected="a SQLite file or PostgreSQL",
            )
        # A weak reference: the registry is keyed weakly by the engine, which its reads must not keep alive.
        self._engine = weakref.ref(engine)
        self._dialect = engine.dialect
        self._error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._postgresql = engine.dialect.name == "postgresql"
        self._begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if self._postgresql else "BEGIN"
        self._idle: list[_Connection] = []
        self._closed = False

    @classmethod
    def of(cls, engine: Engine) -> Reads:
        """The reads of ``engine``: one per engine object, made on first use, closed when it is disposed."""
        reads = cls._registry.get(engine)
        if reads is not None:
            return reads
        with cls._registry_lock:
            reads = cls._registry.get(engine)
            if reads is None:
                reads = cls._registry[engine] = cls(engine)
                if not event.contains(engine, "engine_disposed", _forget):
                    event.listen(engine, "engine_disposed", _forget)
        return reads

    def one(self, query: Query, **parameters: Any) -> Any | None:
        """The first row of ``query`` (a named tuple), or None; one statement, outside any transaction."""
        rows = self._retried(lambda connection: self._run(connection, query, parameters))
        return rows[0] if rows else None

    def all(self, query: Query, **parameters: Any) -> list[Any]:
        """Every row of ``query`` (named tuples); one statement, outside any transaction."""
        return self._retried(lambda connection: self._run(connection, query, parameters))

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Several reads in one read-only transaction that sees one committed state, rolled back when the block
        ends. A connection found dead by the ``BEGIN`` is replaced once, as in :meth:`one`; a failure inside the
        block is raised (the block may have done other work), and its connection is not reused."""
        connection = self._retried(self._begun, give_back=False)
        try:
            yield Snapshot(self, connection)
            self._execute(connection, "ROLLBACK")
        except BaseException:
            connection.close()
            raise
        self._give(connection)

    def close(self) -> None:
        """Close the idle connections now, and the others when they are given back."""
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    # ------------------------------------------------------------------------------------------------ internals

    def _execute(self, connection: _Connection, sql: str, parameters: Any = ()) -> Any:
        """The driver's cursor after ``sql``; a driver error raised as SQLAlchemy's (see the module docstring)."""
        try:
            return connection.dbapi.execute(sql, parameters)
        except self._error as exc:
            dead = self._dialect.is_disconnect(exc, connection.dbapi, None)  # type: ignore[arg-type]
            raise DBAPIError.instance(
                sql, None, exc, self._error, hide_parameters=True, connection_invalidated=dead, dialect=self._dialect
            ) from exc

    def _run(self, connection: _Connection, query: Query, parameters: Mapping[str, Any]) -> list[Any]:
        compiled = query.compiled(self._dialect)
        cursor = self._execute(connection, compiled.sql, compiled.parameters(parameters))
        try:
            fetched = cursor.fetchall()
        except self._error as exc:  # pragma: no cover - the rows of a SELECT arrive with its execution
            raise DBAPIError.instance(compiled.sql, None, exc, self._error, hide_parameters=True) from exc
        return compiled.rows(fetched)

    def _begun(self, connection: _Connection) -> _Connection:
        self._execute(connection, self._begin)
        return connection

    def _retried(self, read: Callable[[_Connection], _T], *, give_back: bool = True) -> _T:
        """``read(connection)``, once more on a new connection if the first was found dead; a connection that
        failed is closed, never reused."""
        for attempt in (1, 2):
            connection = self._take()
            try:
                found = read(connection)
            except DBAPIError as exc:
                connection.close()
                if exc.connection_invalidated and attempt == 1:
                    continue
                raise
            except BaseException:
                connection.close()
                raise
            if give_back:
                self._give(connection)
            return found
        raise AssertionError("unreachable")  # pragma: no cover

    def _take(self) -> _Connection:
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                break
            if time.monotonic() - connection.born < RECYCLE_SECONDS:
                return connection
            connection.close()
        return self._open()

    def _open(self) -> _Connection:
        engine = self._engine()
        if engine is None:  # pragma: no cover - a caller reads through an engine it holds
            raise ConfigurationError("the engine of these reads is gone", code="db.reads_engine_gone")
        proxied = engine.raw_connection()
        proxied.detach()  # ours from now on: the pool neither counts it nor resets it
        dbapi = proxied.dbapi_connection
        if self._postgresql:
            dbapi.autocommit = True  # type: ignore[union-attr]  # each statement its own snapshot; BEGIN is explicit
        return _Connection(dbapi)

    def _give(self, connection: _Connection) -> None:
        if self._closed or len(self._idle) >= MAX_IDLE_CONNECTIONS:
            connection.close()
        else:
            self._idle.append(connection)


def _forget(engine: Engine) -> None:
    """``engine_disposed``: close the engine's reads (the next :meth:`Reads.of` opens new connections)."""
    with Reads._registry_lock:
        reads = Reads._registry.pop(engine, None)
    if reads is not None:
        reads.close()
