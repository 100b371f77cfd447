"""A SQLite write lock held by another connection, as a bulk job holds it: for the tests of the 503 mapping."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url


@contextmanager
def held_write_lock(url: str) -> Iterator[None]:
    """Hold the write lock of the SQLite database at ``url`` (``BEGIN IMMEDIATE``) until the block ends."""
    path = make_url(url).database
    assert path, "a SQLite file, not an in-memory database"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()
