"""One layered cache for what the verifier fetches from issuers (their keys, their status lists).

Three layers answer, fastest first: this process's memory, the database (shared by replicas, kept across
restarts), the issuer. A copy is used until its ``fresh_until``; then one request per key at a time (a per-key lock,
so a burst of verifications makes one fetch, and other keys are not held up) asks the database and, if its copy is
not fresh either, the issuer; another request for the same key waits for that fetch at most ``wait_seconds`` (the
whole-fetch bound), then goes on without it.
When the issuer fails, a stale copy the :class:`Layer` still accepts stands in, and is used without asking again
until ``retry_seconds`` later; without one, the layer's error is raised and memoised for as long, so a dead issuer
is not asked again by every request.

What is cached and which error is raised are the :class:`Layer`'s business; this module only orders the layers,
and gives the layers the database-as-a-cache reads and writes they share (:func:`stored_row`, :func:`store_row`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from vc import TawtiqError, UpstreamError
from verifier.db import Database
from verifier.io_context import require_io

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """A cached copy: the value, a digest of what it was read from, its ETag, when it was fetched, until when it
    is fresh, and, after a failed refresh, until when it is served stale without asking the issuer again."""

    value: T
    digest: str
    etag: str | None
    fetched_at: datetime
    fresh_until: datetime
    retry_at: datetime | None = None


class Layer(Protocol[T]):
    """What differs between cached things: the database rows, when a stale copy may stand in, the error."""

    def load(self, key: str, memory: Entry[T] | None, now: datetime) -> Entry[T] | None:
        """The database's copy (reusing ``memory``'s value when the digest matches), or None. Never raises."""
        ...

    def store(self, key: str, entry: Entry[T]) -> None:
        """Keep ``entry`` in the database. Never raises: the database is a cache here."""
        ...

    def usable_stale(self, entry: Entry[T], now: datetime) -> bool:
        """Whether ``entry`` may still be served when the issuer cannot give a fresh one."""
        ...

    def failure(self, key: str, previous: Entry[T] | None, error: TawtiqError, now: datetime) -> TawtiqError:
        """The error to raise (and memoise) when the fetch failed with ``error`` and no stale copy may stand in."""
        ...


def fresh_until_for(entry: Entry[T], max_age: timedelta | None) -> datetime:
    """Until when ``entry`` is fresh, for a caller that accepts copies at most ``max_age`` old (None: any)."""
    return entry.fresh_until if max_age is None else min(entry.fresh_until, entry.fetched_at + max_age)


#: Fetches a fresh copy of a key from the issuer, given the copy held (for a conditional request) and ``now``.
Fetch = Callable[[Entry[T] | None, datetime], Entry[T]]


class LayeredCache(Generic[T]):
    """Memory, then database, then fetch, with a per-key lock, stale-on-error and a memoised failure."""

    def __init__(self, *, layer: Layer[T], what: str, retry_seconds: int, wait_seconds: float) -> None:
        self._layer = layer
        self._what = what
        self._retry = timedelta(seconds=retry_seconds)
        self._wait_seconds = wait_seconds
        self._memory: dict[str, Entry[T]] = {}
        self._failures: dict[str, tuple[datetime, TawtiqError]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def get(
        self, key: str, *, fetch: Fetch[T], now: datetime, force: bool = False, max_age: timedelta | None = None
    ) -> Entry[T]:
        """The copy to use for ``key`` at ``now``; ``force`` skips fresh copies and asks the issuer, ``max_age``
        counts a copy fetched longer ago than that as no longer fresh (it is revalidated, and stands in if that
        fails as any stale copy does).

        Raises the memoised or the layer's :meth:`Layer.failure` error when nothing usable is held, and
        :class:`verifier.errors.NeedsIOError` when it would need I/O inside a memory-only verification.
        """
        if not force and (answer := self._from_memory(key, now, max_age)) is not None:
            return answer
        require_io(
            f"{self._what} {key}" + (" (refresh)" if force else ""),
            load=lambda: self.get(key, fetch=fetch, now=now, force=force, max_age=max_age),
        )
        with self._locked(key):
            if not force and (answer := self._from_memory(key, now, max_age)) is not None:
                return answer
            memory = self._memory.get(key)
            stored = self._layer.load(key, memory, now)
            if stored is not None and not force and now < fresh_until_for(stored, max_age):
                self._memory[key] = stored
                return stored
            previous = stored or memory
            try:
                fresh = fetch(previous, now)
            except TawtiqError as exc:
                return self._stale_or_raise(key, previous, exc, now)
            self._memory[key] = fresh
            self._failures.pop(key, None)
            self._layer.store(key, fresh)
            return fresh

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        """Hold ``key``'s lock; waiting for another request's fetch of it at most ``wait_seconds``.

        Raises :class:`~vc.UpstreamError` ``fetch.in_flight`` when that fetch has not finished by then.
        """
        with self._locks_guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=self._wait_seconds):
            raise UpstreamError(
                f"another request is fetching the {self._what} {key} and has not finished",
                code="fetch.in_flight",
                found=f"still fetching after {self._wait_seconds:g} s",
                expected=f"an answer within {self._wait_seconds:g} s",
            )
        try:
            yield
        finally:
            lock.release()

    def _from_memory(self, key: str, now: datetime, max_age: timedelta | None) -> Entry[T] | None:
        memory = self._memory.get(key)
        if memory is not None and (
            now < fresh_until_for(memory, max_age) or (memory.retry_at is not None and now < memory.retry_at)
        ):
            return memory
        failure = self._failures.get(key)
        if failure is not None and now < failure[0]:
            error = failure[1]
            raise type(error)(error.summary, code=error.code, found=error.found, expected=error.expected)
        return None

    def _stale_or_raise(self, key: str, previous: Entry[T] | None, exc: TawtiqError, now: datetime) -> Entry[T]:
        retry_at = now + self._retry
        if previous is not None and self._layer.usable_stale(previous, now):
            log.warning(
                "%s %s could not be refreshed (%s); using the copy fetched at %s",
                self._what,
                key,
                exc.code,
                previous.fetched_at.isoformat(),
            )
            stale = replace(previous, retry_at=retry_at)
            self._memory[key] = stale
            return stale
        error = self._layer.failure(key, previous, exc, now)
        self._failures[key] = (retry_at, error)
        raise error from exc


RowT = TypeVar("RowT", bound=SQLModel)


def stored_row(database: Database, model: type[RowT], key: str, *, what: str) -> RowT | None:
    """The row of ``model`` stored under ``key``; None when there is none or the database cannot be read (logged:
    the database is a cache here, verification goes on without it)."""
    try:
        with database.session() as session:
            return session.get(model, key)
    except SQLAlchemyError as exc:
        log.error("could not read the stored %s %s: %s", what, key, type(exc).__name__)
        return None


def store_row(database: Database, row: SQLModel, *, key: tuple[str, ...], what: str, name: str) -> None:
    """Insert or replace ``row`` (its ``key`` columns); a database error is logged, not raised (a cache)."""
    try:
        database.upsert(row, key=key)
    except SQLAlchemyError as exc:
        log.error("could not store the %s %s: %s", what, name, type(exc).__name__)
