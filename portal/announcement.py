"""When the session's results are announced, read from the exam year at most once every few seconds.

Every result page needs the instant (to say "results are announced on …" before it); on results day that is one
read per page for a value that changes a few times a year. Keeping it for :data:`REFRESH_SECONDS` is safe: a
result never shows early, because :func:`exams.results.result_of` checks the instant itself on every read; an
instant that has passed can no longer be moved (the exam year refuses it), so a kept past instant is still right;
and an instant moved while still in the future shows, at worst, :data:`REFRESH_SECONDS` late.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine

from common.service.clock import Clock
from exams.results import publication_of

#: How long a read instant is kept, in seconds.
REFRESH_SECONDS: Final = 2.0


class Announcement:
    """The publication instant of one exam session (see the module docstring)."""

    def __init__(self, engine: Engine, *, session: str, clock: Clock, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._engine = engine
        self._session = session
        self._clock = clock
        self._refresh = timedelta(seconds=refresh_seconds)
        self._lock = threading.Lock()
        self._kept: tuple[datetime, datetime | None] | None = None

    def instant(self) -> datetime | None:
        """The instant the results are (or were) published, or None when it is not set yet."""
        now = self._clock.now()
        with self._lock:
            kept = self._kept
        if kept is not None and now < kept[0]:
            return kept[1]
        value = publication_of(self._engine, session=self._session)
        with self._lock:
            self._kept = (now + self._refresh, value)
        return value
