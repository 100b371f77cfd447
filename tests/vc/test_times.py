"""The engine's one reader and writer of dateTimeStamps and NumericDates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from vc.errors import ConfigurationError, FormatError, StatusError
from vc.times import (
    MAX_NUMERIC_DATE,
    aware_utc,
    from_numeric_date,
    parse_date_time_stamp,
    parse_numeric_date,
    to_date_time_stamp,
    to_numeric_date,
)


def test_a_date_time_stamp_keeps_its_offset() -> None:
    parsed = parse_date_time_stamp("2024-07-01T02:00:00+02:00", name="validFrom", code="vcdm.date_invalid")
    assert parsed == datetime(2024, 7, 1, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    "value",
    [
        "2024-07-01T00:00:00",  # no time zone
        "2024-07-01T00:00:00z",
        "2024-07-01T00:00:00+0200",
        "2024-02-30T00:00:00Z",
        "-2024-07-01T00:00:00Z",  # a datetime cannot hold it
        "12024-07-01T00:00:00Z",
        "٢٠٢٤-07-01T00:00:00Z",  # Arabic-Indic digits
        "2024-07-01T00:00:00Z\n",
        1719792000,
        None,
    ],
)
def test_anything_else_is_refused_with_the_callers_error(value: Any) -> None:
    with pytest.raises(StatusError) as caught:
        parse_date_time_stamp(value, name="validUntil", code="status.list_malformed", error=StatusError)
    assert caught.value.code == "status.list_malformed"
    assert caught.value.found == value
    assert "'validUntil' is not an XML Schema dateTimeStamp" in caught.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, datetime(1970, 1, 1, tzinfo=UTC)), (1.5, datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC))],
)
def test_numeric_dates(value: float, expected: datetime) -> None:
    assert parse_numeric_date(value, what="'iat'", code="validity.claim_malformed") == expected
    assert from_numeric_date(value) == expected


@pytest.mark.parametrize("value", [True, "1719792000", None, [1], 10**18, -(10**18), float("nan")])
def test_a_numeric_date_must_be_a_representable_number(value: Any) -> None:
    with pytest.raises(FormatError) as caught:
        parse_numeric_date(value, what="'exp'", code="validity.claim_malformed")
    assert caught.value.code == "validity.claim_malformed"
    assert caught.value.message.startswith("'exp' is not a NumericDate")


@pytest.mark.parametrize("value", [1.5, -1, MAX_NUMERIC_DATE + 1, True])
def test_whole_seconds_means_a_non_negative_integer(value: Any) -> None:
    with pytest.raises(FormatError) as caught:
        parse_numeric_date(value, what="keys[0] 'nbf'", code="key.jwk_time_invalid", whole_seconds=True)
    assert caught.value.expected == f"an integer number of seconds since 1970, 0 to {MAX_NUMERIC_DATE}"
    assert parse_numeric_date(MAX_NUMERIC_DATE, what="nbf", code="c", whole_seconds=True).year == 9999


def test_writers() -> None:
    moment = datetime(2024, 7, 1, 2, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    assert to_date_time_stamp(moment, what="valid_from", code="status.document_invalid") == (
        "2024-07-01T00:00:00.250000Z"
    )
    assert to_date_time_stamp(moment.replace(microsecond=0), what="valid_from", code="x") == "2024-07-01T00:00:00Z"
    assert to_numeric_date(moment, what="issued_at", code="x") == 1719792000


def test_a_naive_datetime_is_our_own_mistake() -> None:
    with pytest.raises(ConfigurationError) as caught:
        aware_utc(datetime(2024, 7, 1), what="issued_at", code="status.document_invalid")
    assert caught.value.code == "status.document_invalid"
    assert caught.value.expected == "datetime with tzinfo"
