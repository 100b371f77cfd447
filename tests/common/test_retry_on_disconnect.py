"""A unit of work runs again on a dead connection only when it sent no COMMIT: once a COMMIT went out, its answer may
be what was lost, and a second run could do the work twice. On SQLite and PostgreSQL, the connection really closed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from common.service.database import reading, retry_on_disconnect, writing

_METADATA = MetaData()
_WORK = Table("retry_probe", _METADATA, Column("id", Integer, primary_key=True))


@pytest.fixture
def engine(database_engine: Engine) -> Engine:
    _METADATA.create_all(database_engine)
    return database_engine


def _rows(engine: Engine) -> int:
    with reading(engine) as db:
        return int(db.execute(select(func.count()).select_from(_WORK)).scalar_one())


def _close_connection(db: Session) -> None:
    """Close the DBAPI connection under the session, as a server restart or a network cut would."""
    db.connection().connection.dbapi_connection.close()  # type: ignore[union-attr]


def _commit_then_lose_the_answer(engine: Engine, monkeypatch: pytest.MonkeyPatch, *, times: int = 1) -> None:
    """The next ``times`` COMMITs reach the database, then the connection dies before their answer is read."""
    real = engine.dialect.do_commit
    left = [times]

    def do_commit(pooled: Any) -> None:
        real(pooled)
        if left[0] > 0:
            left[0] -= 1
            pooled.dbapi_connection.close()
            pooled.dbapi_connection.commit()  # the driver's own error for a connection that is gone

    monkeypatch.setattr(engine.dialect, "do_commit", do_commit)


def test_a_connection_dead_before_the_commit_runs_the_work_again(engine: Engine) -> None:
    runs: list[int] = []

    def work() -> int:
        runs.append(1)
        with writing(engine) as db:
            db.execute(insert(_WORK).values(id=1))
            if len(runs) == 1:
                _close_connection(db)
            db.execute(select(func.count()).select_from(_WORK))
        return len(runs)

    assert retry_on_disconnect(work) == 2
    assert _rows(engine) == 1  # the first run's insert was never committed


def test_no_second_run_after_a_commit_was_sent(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[int] = []

    def work() -> None:
        runs.append(1)
        with writing(engine) as db:
            db.execute(insert(_WORK).values(id=len(runs)))

    _commit_then_lose_the_answer(engine, monkeypatch)
    with pytest.raises(DBAPIError) as lost:
        retry_on_disconnect(work)
    assert lost.value.connection_invalidated
    assert len(runs) == 1
    assert _rows(engine) == 1  # committed once; a second run would have written row 2


def test_a_later_transaction_dying_does_not_repeat_an_earlier_committed_one(engine: Engine) -> None:
    runs: list[int] = []

    def work() -> None:
        runs.append(1)
        with writing(engine) as db:
            db.execute(insert(_WORK).values(id=len(runs)))
        with writing(engine) as db:
            _close_connection(db)
            db.execute(select(func.count()).select_from(_WORK))

    with pytest.raises(DBAPIError) as dead:
        retry_on_disconnect(work)
    assert dead.value.connection_invalidated
    assert len(runs) == 1
    assert _rows(engine) == 1


def test_a_commit_sent_in_an_inner_unit_of_work_counts_for_the_outer_one(engine: Engine) -> None:
    runs: list[int] = []

    def inner() -> None:
        with writing(engine) as db:
            db.execute(insert(_WORK).values(id=len(runs)))

    def outer() -> None:
        runs.append(1)
        retry_on_disconnect(inner)
        with writing(engine) as db:
            _close_connection(db)
            db.execute(select(func.count()).select_from(_WORK))

    with pytest.raises(DBAPIError):
        retry_on_disconnect(outer)
    assert len(runs) == 1
    assert _rows(engine) == 1


def test_idempotent_work_runs_again_even_after_its_commit(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[int] = []

    def work() -> int:
        runs.append(1)
        with writing(engine) as db:
            db.execute(_WORK.delete().where(_WORK.c.id == 1))
            db.execute(insert(_WORK).values(id=1))
        return len(runs)

    _commit_then_lose_the_answer(engine, monkeypatch)
    assert retry_on_disconnect(work, idempotent=True) == 2
    assert _rows(engine) == 1


def test_other_database_errors_are_not_retried(engine: Engine) -> None:
    with writing(engine) as db:
        db.execute(insert(_WORK).values(id=1))
    runs: list[int] = []

    def work() -> None:
        runs.append(1)
        with writing(engine) as db:
            db.execute(insert(_WORK).values(id=1))

    with pytest.raises(IntegrityError):
        retry_on_disconnect(work)
    assert len(runs) == 1
