"""A fixed-window rate limiter in the database.

Counting in the database, not in process memory, makes the limit hold across replicas and restarts: a client
cannot multiply its allowance by reaching another replica. Buckets are keyed by the action and a keyed hash of
the client address, so no address is stored. One upsert per counted request; old windows are purged.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel, col

from verifier.clock import Clock
from verifier.db import Database
from verifier.errors import RateLimitedError
from verifier.models import RateBucketRow
from verifier.verification import LogHasher


class RateLimiter:
    """Allows ``limit`` hits per ``window_seconds`` for each (action, client)."""

    def __init__(self, *, database: Database, clock: Clock, hasher: LogHasher) -> None:
        self._database = database
        self._clock = clock
        self._hasher = hasher

    def hit(self, *, action: str, client: str, limit: int, window_seconds: int) -> None:
        """Count one request. Raises :class:`RateLimitedError` (with the seconds to wait) past the limit."""
        now = int(self._clock.now().timestamp())
        window = now - now % window_seconds
        key = f"{action}:{self._hasher(client)}"
        table = SQLModel.metadata.tables[RateBucketRow.__tablename__]
        insert = postgresql_insert if self._database.dialect == "postgresql" else sqlite_insert
        statement = (
            insert(table)
            .values(key=key, window_start=window, count=1)
            .on_conflict_do_update(index_elements=["key", "window_start"], set_={"count": table.c.count + 1})
            .returning(table.c.count)
        )
        with self._database.session() as session:
            count = session.execute(statement).scalar_one()
        if count > limit:
            raise RateLimitedError(
                f"too many requests: at most {limit} per {window_seconds} s",
                retry_after_seconds=window + window_seconds - now,
                found=count,
                expected=f"at most {limit}",
            )

    def purge(self, *, older_than_seconds: int) -> int:
        """Delete windows that ended more than ``older_than_seconds`` ago; returns how many rows went."""
        cutoff = int(self._clock.now().timestamp()) - older_than_seconds
        with self._database.session() as session:
            result = session.execute(delete(RateBucketRow).where(col(RateBucketRow.window_start) < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
