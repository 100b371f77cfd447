"""The verifier's layered cache on its own: memory, then database, then fetch; one fetch per key at a time; a stale
copy when the fetch fails; a memoised failure."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from vc import TawtiqError, UpstreamError
from verifier.cache import Entry, LayeredCache

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


class Rows:
    """The database layer, in memory; a stale copy may stand in for ``stale_seconds``."""

    def __init__(self, stale_seconds: int = 60) -> None:
        self.rows: dict[str, Entry[str]] = {}
        self.stale_seconds = stale_seconds

    def load(self, key: str, memory: Entry[str] | None, now: datetime) -> Entry[str] | None:
        return self.rows.get(key)

    def store(self, key: str, entry: Entry[str]) -> None:
        self.rows[key] = entry

    def usable_stale(self, entry: Entry[str], now: datetime) -> bool:
        return now - entry.fetched_at <= timedelta(seconds=self.stale_seconds)

    def failure(self, key: str, previous: Entry[str] | None, error: TawtiqError, now: datetime) -> TawtiqError:
        return UpstreamError(f"{key} cannot be had: {error.summary}", code="test.unavailable", found=key)


class Origin:
    """The issuer: counts fetches, answers ``value`` fresh for ``ttl`` seconds, or fails when ``down``."""

    def __init__(self) -> None:
        self.calls = 0
        self.down = False
        self.value = "v1"
        self.delay = 0.0

    def __call__(self, previous: Entry[str] | None, now: datetime) -> Entry[str]:
        self.calls += 1
        time.sleep(self.delay)
        if self.down:
            raise UpstreamError("connection refused", code="fetch.unreachable")
        return Entry(self.value, self.value, None, now, now + timedelta(seconds=10))


def cache(rows: Rows) -> LayeredCache[str]:
    return LayeredCache(layer=rows, what="thing", retry_seconds=5, wait_seconds=10)


def test_memory_then_database_then_fetch() -> None:
    rows, origin = Rows(), Origin()
    first = cache(rows)
    assert first.get("k", fetch=origin, now=NOW).value == "v1"
    assert first.get("k", fetch=origin, now=NOW + timedelta(seconds=9)).value == "v1"
    assert origin.calls == 1
    # Another replica finds the row in the database.
    assert cache(rows).get("k", fetch=origin, now=NOW + timedelta(seconds=9)).value == "v1"
    assert origin.calls == 1
    origin.value = "v2"
    assert first.get("k", fetch=origin, now=NOW + timedelta(seconds=10)).value == "v2"
    assert first.get("k", fetch=origin, now=NOW + timedelta(seconds=10), force=True).value == "v2"
    assert origin.calls == 3
    assert rows.rows["k"].value == "v2"


def test_a_stale_copy_stands_in_and_the_issuer_is_not_asked_again_before_the_retry_time() -> None:
    rows, origin = Rows(stale_seconds=60), Origin()
    held = cache(rows)
    held.get("k", fetch=origin, now=NOW)
    origin.down = True
    stale = held.get("k", fetch=origin, now=NOW + timedelta(seconds=30))
    assert (stale.value, stale.retry_at) == ("v1", NOW + timedelta(seconds=35))
    assert held.get("k", fetch=origin, now=NOW + timedelta(seconds=34)).value == "v1"
    assert origin.calls == 2
    with pytest.raises(UpstreamError) as caught:  # older than the layer accepts
        held.get("k", fetch=origin, now=NOW + timedelta(seconds=61))
    assert caught.value.code == "test.unavailable"
    assert isinstance(caught.value.__cause__, UpstreamError)


def test_a_failure_is_memoised_until_the_retry_time() -> None:
    origin = Origin()
    origin.down = True
    held = cache(Rows())
    for seconds in (0, 1, 4):
        with pytest.raises(UpstreamError, match="cannot be had"):
            held.get("k", fetch=origin, now=NOW + timedelta(seconds=seconds))
    assert origin.calls == 1
    origin.down = False
    assert held.get("k", fetch=origin, now=NOW + timedelta(seconds=5)).value == "v1"
    assert origin.calls == 2


def test_one_fetch_per_key_at_a_time() -> None:
    origin = Origin()
    origin.delay = 0.2
    held = cache(Rows())
    threads = [threading.Thread(target=held.get, args=("k",), kwargs={"fetch": origin, "now": NOW}) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert origin.calls == 1


def test_a_slow_key_holds_up_neither_other_keys_nor_its_own_waiters_past_the_bound() -> None:
    slow, release = Origin(), threading.Event()
    slow.fetch_started = threading.Event()  # type: ignore[attr-defined]

    def hanging(previous: Entry[str] | None, now: datetime) -> Entry[str]:
        slow.fetch_started.set()  # type: ignore[attr-defined]
        release.wait(10)
        return slow(previous, now)

    held: LayeredCache[str] = LayeredCache(layer=Rows(), what="thing", retry_seconds=5, wait_seconds=0.3)
    fetching = threading.Thread(target=held.get, args=("slow",), kwargs={"fetch": hanging, "now": NOW})
    fetching.start()
    assert slow.fetch_started.wait(5)  # type: ignore[attr-defined]
    try:
        assert held.get("other", fetch=Origin(), now=NOW).value  # not serialised behind the slow key
        with pytest.raises(UpstreamError) as waited:
            held.get("slow", fetch=hanging, now=NOW)
        assert waited.value.code == "fetch.in_flight"
        assert fetching.is_alive()  # refused while the slow fetch is still in flight
    finally:
        release.set()
        fetching.join()
