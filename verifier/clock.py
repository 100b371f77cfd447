"""Time as a dependency: the verifier reads the clock only through the common :class:`~common.service.Clock`."""

from __future__ import annotations

from common.service.clock import Clock, FixedClock, SystemClock

__all__ = ["Clock", "FixedClock", "SystemClock"]
