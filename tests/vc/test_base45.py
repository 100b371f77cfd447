"""Base45 (vc.base45) against RFC 9285's examples, round trips, and every refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vc.base45 import Base45Error, b45decode, b45encode

#: RFC 9285 §4.3 and §5 examples.
RFC_EXAMPLES = [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0")]


@pytest.mark.parametrize(("data", "text"), RFC_EXAMPLES)
def test_rfc_9285_examples(data: bytes, text: str) -> None:
    assert b45encode(data) == text
    assert b45decode(text) == data


@given(st.binary(max_size=300))
def test_round_trip(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("GGW", "more than two bytes"),  # RFC 9285 §4.3: 65535 + 1
        ("BB8A", "3n + 1"),
        ("bb8", "not in the Base45 alphabet"),
        (":;", "not in the Base45 alphabet"),
        ("::", "more than a byte"),
    ],
)
def test_what_base45_never_produces_is_refused(text: str, reason: str) -> None:
    with pytest.raises(Base45Error) as caught:
        b45decode(text)
    assert reason in caught.value.reason


def test_empty() -> None:
    assert b45encode(b"") == ""
    assert b45decode("") == b""
