"""The fetch pool: one load per key however many await it, a bounded wait, failures returned, no thread held."""

from __future__ import annotations

import asyncio
import threading

import pytest

from vc import UpstreamError
from verifier.fetch_pool import FetchPool


def test_concurrent_requests_for_one_key_share_one_load() -> None:
    calls, release = [], threading.Event()

    def load() -> None:
        calls.append(1)
        release.wait(5)

    async def main() -> list[UpstreamError | None]:
        pool = FetchPool(workers=2, wait_seconds=5)
        waiting = [asyncio.create_task(pool.load("keys of issuer A", load)) for _ in range(20)]
        await asyncio.sleep(0.1)
        assert pool.in_flight() == ["keys of issuer A"]
        release.set()
        results = await asyncio.gather(*waiting)
        pool.close()
        return list(results)  # type: ignore[arg-type]

    assert asyncio.run(main()) == [None] * 20
    assert calls == [1]


def test_a_load_that_finishes_at_once_is_forgotten_without_deadlock() -> None:
    async def main() -> None:
        pool = FetchPool(workers=1, wait_seconds=5)
        for _ in range(50):
            assert await pool.load("quick", lambda: None) is None
        assert pool.in_flight() == []
        pool.close()

    asyncio.run(asyncio.wait_for(main(), timeout=20))


def test_a_failed_load_is_returned_and_a_slow_one_is_awaited_at_most_the_bound() -> None:
    release = threading.Event()

    def failing() -> None:
        raise UpstreamError("down", code="key.issuer_unreachable")

    async def main() -> None:
        pool = FetchPool(workers=2, wait_seconds=0.2)
        error = await pool.load("keys of issuer B", failing)
        assert isinstance(error, UpstreamError)
        assert error.code == "key.issuer_unreachable"
        with pytest.raises(TimeoutError):
            await pool.load("keys of issuer C", lambda: release.wait(5))
        assert pool.in_flight() == ["keys of issuer C"]  # it goes on; the request stopped waiting
        release.set()
        pool.close()

    asyncio.run(main())
