"""The two ways credentials write a time, read and written in one place: the XML Schema ``dateTimeStamp`` of
VCDM 2.0 (``validFrom``, ``validUntil``) and the RFC 7519 ``NumericDate`` of JWTs (``iat``, ``exp``, ``nbf``).

Readers take untrusted JSON values and raise the caller's error class and code, so each format keeps the
codes its reports and tests know; writers take aware datetimes.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any, Final

from vc.errors import ConfigurationError, FormatError, TawtiqError

#: XML Schema 1.1 ``dateTimeStamp`` as Python can hold it: a four-digit year, ASCII digits, optional
#: fractional seconds and a mandatory time zone (``Z`` or ``±hh:mm``).
DATE_TIME_STAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
#: The largest NumericDate a datetime can hold: 9999-12-31T23:59:59Z.
MAX_NUMERIC_DATE: Final = 253_402_300_799


def parse_date_time_stamp(value: Any, *, name: str, code: str, error: type[TawtiqError] = FormatError) -> datetime:
    """Parse an XML Schema ``dateTimeStamp`` (VCDM 2.0 §4.6) into an aware datetime, keeping its offset.

    Raises ``error`` with ``code`` for anything else: not a string, no time zone, a lower-case ``z``, a
    compact offset, an impossible date such as 2024-02-30.
    """
    if isinstance(value, str) and DATE_TIME_STAMP.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise error(
        f"'{name}' is not an XML Schema dateTimeStamp",
        code=code,
        found=value,
        expected="YYYY-MM-DDThh:mm:ss[.s] with Z or a ±hh:mm offset, e.g. 2024-07-01T00:00:00Z",
    )


def from_numeric_date(value: float) -> datetime | None:
    """The UTC datetime of a NumericDate, or None when a datetime cannot hold it (outside years 1 to 9999)."""
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_numeric_date(
    value: Any, *, what: str, code: str, error: type[TawtiqError] = FormatError, whole_seconds: bool = False
) -> datetime:
    """Parse an RFC 7519 §2 NumericDate: a JSON number (never a boolean) of seconds since the epoch.

    With ``whole_seconds`` only a non-negative JSON integer is accepted (the precision of the JWKS times).
    Raises ``error`` with ``code`` for any other value, or one a datetime cannot hold; its message starts with
    ``what`` (e.g. ``"'iat'"``).
    """
    if whole_seconds:
        acceptable = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        expected = f"an integer number of seconds since 1970, 0 to {MAX_NUMERIC_DATE}"
    else:
        acceptable = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "seconds since 1970-01-01T00:00:00Z as a JSON number, within the years 1 to 9999"
    moment = from_numeric_date(value) if acceptable else None
    if moment is None:
        raise error(f"{what} is not a NumericDate", code=code, found=value, expected=expected)
    return moment


def aware_utc(value: Any, *, what: str, code: str) -> datetime:
    """``value`` in UTC; anything but an aware datetime is our own mistake (:class:`ConfigurationError`)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ConfigurationError(
            f"{what} must be a timezone-aware datetime", code=code, found=value, expected="datetime with tzinfo"
        )
    return value.astimezone(UTC)


def to_date_time_stamp(value: datetime, *, what: str, code: str) -> str:
    """An XML Schema dateTimeStamp in UTC with ``Z``, as VCDM 2.0 §4.6 requires (microseconds only if any)."""
    utc = aware_utc(value, what=what, code=code).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def to_numeric_date(value: datetime, *, what: str, code: str) -> int:
    """RFC 7519 NumericDate: whole seconds since the epoch, rounded down."""
    return math.floor(aware_utc(value, what=what, code=code).timestamp())
