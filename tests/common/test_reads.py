"""Reads on connections of their own (common.service.reads): the same rows as SQLAlchemy's, one committed state per
snapshot, driver errors as SQLAlchemy's without the bound values, a dead connection replaced once, and the
connections closed with the engine — on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from common.service import reads as reads_module
from common.service.database import create_database_engine
from common.service.reads import MAX_IDLE_CONNECTIONS, Query, Reads
from issuer.models import UTCDateTime
from vc.errors import ConfigurationError

METADATA = MetaData()
PEOPLE = Table(
    "reads_people",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("staff", Boolean, nullable=False),
    Column("seen_at", UTCDateTime, nullable=True),
)
MISSING = Table("reads_missing", MetaData(), Column("id", Integer, primary_key=True))
SEEN = datetime(2025, 6, 14, 8, 30, 15, 123456, tzinfo=UTC)

BY_ID = Query(select(PEOPLE).where(PEOPLE.c.id == bindparam("id")))
ALL = Query(select(PEOPLE.c.id, PEOPLE.c.name).order_by(PEOPLE.c.id))
SEEN_AFTER = Query(select(PEOPLE.c.id).where(PEOPLE.c.seen_at > bindparam("after", type_=UTCDateTime)))
WITH_LITERAL = Query(select(PEOPLE.c.id, literal("x").label("tag")).where(PEOPLE.c.name == "Salma"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = create_database_engine(database_url)
    METADATA.create_all(made)
    with made.begin() as connection:
        connection.execute(
            insert(PEOPLE),
            [
                {"id": 1, "name": "Salma", "staff": False, "seen_at": SEEN},
                {"id": 2, "name": "Yassine <b>", "staff": True, "seen_at": None},
            ],
        )
    yield made
    made.dispose()


def _sqlalchemy_rows(engine: Engine, query: Query, **parameters: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query.statement, parameters)]


def test_rows_are_what_sqlalchemy_returns(engine: Engine) -> None:
    reads = Reads.of(engine)
    for key in (1, 2, 3):
        found = reads.one(BY_ID, id=key)
        expected = _sqlalchemy_rows(engine, BY_ID, id=key)
        assert ([tuple(found)] if found is not None else []) == expected
    first = reads.one(BY_ID, id=1)
    assert first is not None
    assert first.seen_at == SEEN
    assert first.seen_at.tzinfo is UTC
    assert first.staff is False
    assert first._asdict()["name"] == "Salma"
    assert [tuple(row) for row in reads.all(ALL)] == [(1, "Salma"), (2, "Yassine <b>")]
    assert [row.id for row in reads.all(SEEN_AFTER, after=SEEN - timedelta(seconds=1))] == [1]
    assert reads.all(SEEN_AFTER, after=SEEN) == []
    assert [tuple(row) for row in reads.all(WITH_LITERAL)] == [(1, "x")]
    assert Reads.of(engine) is reads, "one per engine"


def test_a_snapshot_sees_one_committed_state(engine: Engine) -> None:
    reads = Reads.of(engine)
    with reads.snapshot() as read:
        before = read.one(BY_ID, id=1)
        with engine.begin() as connection:
            connection.execute(update(PEOPLE).where(PEOPLE.c.id == 1).values(name="Changed"))
        assert read.one(BY_ID, id=1) == before
        assert [row.name for row in read.all(ALL)] == ["Salma", "Yassine <b>"]
    after = reads.one(BY_ID, id=1)
    assert after is not None
    assert after.name == "Changed", "outside the snapshot: the committed state"


def test_a_driver_error_is_sqlalchemys_without_the_bound_values(engine: Engine) -> None:
    reads = Reads.of(engine)
    missing = Query(select(MISSING).where(MISSING.c.id == bindparam("id")))
    reads.one(BY_ID, id=1)
    idle = list(reads._idle)
    with pytest.raises(DBAPIError) as raised:
        reads.one(missing, id=987654321)
    assert not raised.value.connection_invalidated
    assert "987654321" not in str(raised.value)
    assert all(connection not in reads._idle for connection in idle), "the failed connection is not reused"
    assert reads.one(BY_ID, id=1) is not None, "the next read opens a new connection"
    with pytest.raises(DBAPIError), reads.snapshot() as read:
        read.one(missing, id=987654321)
    assert reads.one(BY_ID, id=1) is not None


def test_a_dead_connection_is_replaced_once(engine: Engine) -> None:
    reads = Reads.of(engine)
    reads.one(BY_ID, id=1)
    (idle,) = reads._idle
    idle.dbapi.close()  # as a restarted server or a dropped link leaves it
    found = reads.one(BY_ID, id=1)
    assert found is not None
    assert found.name == "Salma"
    assert idle not in reads._idle
    (idle,) = reads._idle
    idle.dbapi.close()
    with reads.snapshot() as read:
        assert read.one(BY_ID, id=2) is not None


def test_a_connection_dead_twice_in_a_row_is_an_error(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads.of(engine)
    opened = reads._open

    def dead() -> Any:
        connection = opened()
        connection.dbapi.close()
        return connection

    monkeypatch.setattr(reads, "_open", dead)
    with pytest.raises(DBAPIError) as raised:
        reads.one(BY_ID, id=1)
    assert raised.value.connection_invalidated
    assert reads._idle == []


def test_an_error_inside_a_snapshot_drops_its_connection(engine: Engine) -> None:
    reads = Reads.of(engine)

    def failing_page() -> None:
        with reads.snapshot() as read:
            read.one(BY_ID, id=1)
            raise RuntimeError("the page failed")

    with pytest.raises(RuntimeError):
        failing_page()
    assert reads._idle == []
    assert reads.one(BY_ID, id=1) is not None


def test_idle_connections_are_bounded_and_recycled(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads.of(engine)

    def nested(depth: int) -> None:
        if depth:
            with reads.snapshot() as read:
                assert read.one(BY_ID, id=1) is not None
                nested(depth - 1)

    nested(MAX_IDLE_CONNECTIONS + 2)
    assert len(reads._idle) == MAX_IDLE_CONNECTIONS
    kept = reads._idle[-1]
    monkeypatch.setattr(reads_module, "RECYCLE_SECONDS", 0)
    reads.one(BY_ID, id=1)
    assert kept not in reads._idle, "an old connection is replaced"
    assert len(reads._idle) == 1


def test_disposing_the_engine_closes_its_reads(engine: Engine) -> None:
    reads = Reads.of(engine)
    with reads.snapshot() as read:
        reads.one(BY_ID, id=1)
        engine.dispose()
        assert reads._idle == []
        assert read.one(BY_ID, id=2) is not None, "a read under way finishes"
    assert reads._idle == [], "and its connection is closed when given back"
    again = Reads.of(engine)
    assert again is not reads
    assert again.one(BY_ID, id=1) is not None


def test_reads_do_not_keep_their_engine_alive(database_url: str) -> None:
    engine = create_database_engine(database_url)
    METADATA.create_all(engine)
    Reads.of(engine).one(BY_ID, id=1)
    gone = weakref.ref(engine)
    del engine
    gc.collect()
    assert gone() is None


def test_parameters_are_checked(engine: Engine) -> None:
    with pytest.raises(KeyError, match="'id'"):
        Reads.of(engine).one(BY_ID)
    expanding = Query(select(PEOPLE).where(PEOPLE.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="expanding"):
        Reads.of(engine).all(expanding, ids=[1])


def test_an_in_memory_database_is_refused() -> None:
    engine = create_database_engine("sqlite://")
    try:
        with pytest.raises(ConfigurationError) as refused:
            Reads.of(engine)
        assert refused.value.code == "db.reads_in_memory"
    finally:
        engine.dispose()
