"""Durations as people type them: ``90m``, ``1h``, ``7d``, ``2w`` (minutes, hours, days, weeks)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

from wallet_cli.errors import UsageError

_UNITS: Final = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PATTERN: Final = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$", re.IGNORECASE)
#: The longest duration the wallet accepts (verifiers set their own, usually shorter, limits).
MAX_DURATION: Final = timedelta(days=366)


def parse_duration(text: str, *, option: str = "--expires") -> timedelta:
    """``timedelta`` of ``text``. Raises :class:`UsageError` ``duration.invalid`` with examples."""
    match = _PATTERN.match(text)
    examples = "a number and a unit: 90m, 1h, 12h, 7d, 30d or 2w"
    if match is None:
        raise UsageError(f"{option} is not a duration", code="duration.invalid", found=text, expected=examples)
    amount, unit = int(match.group(1)), match.group(2).lower()
    duration = timedelta(**{_UNITS[unit]: amount})
    if duration <= timedelta(0):
        raise UsageError(f"{option} must be longer than zero", code="duration.invalid", found=text, expected=examples)
    if duration > MAX_DURATION:
        raise UsageError(
            f"{option} is too long", code="duration.invalid", found=text, expected=f"at most {MAX_DURATION.days}d"
        )
    return duration


def describe(duration: timedelta) -> str:
    """``7 days``, ``12 hours``, ``90 minutes``."""
    seconds = int(duration.total_seconds())
    for size, name in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {name}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
