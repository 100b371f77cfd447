"""Where the verifier waits for issuers: a bounded pool of fetch threads of its own, one fetch per key at a time.

A verification that needs an issuer's keys or status list (:class:`~verifier.errors.NeedsIOError`) does not block
a thread of the server's shared pool, which also serves every plain route (a share nonce, a QR code): the load runs
here, in at most ``fetch_workers`` threads, and the request awaits it without holding any thread. Requests needing
the same thing join the load already in flight instead of starting another, so one slow issuer occupies one thread
however many requests ask for it, and other issuers' loads go on beside it. A request waits for a load at most
``wait_seconds`` (the whole-fetch bound); past it the verification goes on without that data (``indeterminate``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from vc import TawtiqError

log = logging.getLogger(__name__)

T = TypeVar("T")


class FetchPool:
    """Runs blocking loads in a bounded pool, one per key at a time, awaited with a bound."""

    def __init__(self, *, workers: int, wait_seconds: float) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tawtiq-fetch")
        self._wait_seconds = wait_seconds
        self._in_flight: dict[str, Future[TawtiqError | None]] = {}
        self._guard = threading.Lock()

    @property
    def wait_seconds(self) -> float:
        return self._wait_seconds

    def in_flight(self) -> list[str]:
        """The keys being loaded now (for tests and diagnostics)."""
        with self._guard:
            return sorted(self._in_flight)

    async def load(self, key: str, load: Callable[[], object]) -> TawtiqError | None:
        """Run ``load`` for ``key`` in the pool, or join the load of ``key`` already in flight, and await it.

        Returns None once it succeeded, the :class:`~vc.TawtiqError` it raised, or raises :class:`TimeoutError`
        when it has not finished within ``wait_seconds`` (it goes on; a later request finds its result cached).
        """
        with self._guard:
            joined = self._in_flight.get(key)
            future = joined or self._executor.submit(_run, load)
            self._in_flight[key] = future
        if joined is None:  # outside the guard: a load already done runs the callback here, at once
            future.add_done_callback(partial(self._forget, key))
        waiting = asyncio.wrap_future(future)
        done, _pending = await asyncio.wait({waiting}, timeout=self._wait_seconds)
        if not done:  # the load goes on; only this request stops waiting for it
            raise TimeoutError(key)
        if waiting.cancelled():
            return None
        return waiting.result()

    def _forget(self, key: str, done: Future[TawtiqError | None]) -> None:
        with self._guard:
            if self._in_flight.get(key) is done:
                del self._in_flight[key]

    async def run(self, function: Callable[[], T]) -> T:
        """Run a blocking ``function`` in the pool (a verification that could not be done load by load)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _run(load: Callable[[], object]) -> TawtiqError | None:
    try:
        load()
    except TawtiqError as exc:  # the cache memoises it too; the waiting verifications report it
        return exc
    except Exception:  # a bug or the database: logged here, and the verification goes on without the data
        log.exception("a fetch for a verification failed unexpectedly")
    return None
