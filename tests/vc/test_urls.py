"""The one rule for URLs a party may talk to: https, or http on the loopback interface."""

from __future__ import annotations

import pytest

from vc.urls import is_loopback_host, is_secure_url


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.1.2.3", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    [
        None,
        "",
        "10.0.0.1",
        "0.0.0.0",  # noqa: S104 - a host name under test, not a bind address
        "localhost.evil.example",
        "127.0.0.1.evil.example",
        "bac.example.ma",
    ],
)
def test_other_hosts(host: str | None) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("https://bac.example.ma/status/tsl/1", True),
        ("https://bac.example.ma:8443", True),
        ("http://127.0.0.1:8100/status/tsl/1", True),
        ("http://localhost:8200", True),
        ("http://[::1]:8200/s/x", True),
        ("http://bac.example.ma/status/tsl/1", False),
        ("http://127.0.0.1.evil.example/", False),
        ("ftp://127.0.0.1/", False),
        ("https://", False),
        ("https://[::1", False),
        ("not a url", False),
    ],
)
def test_secure_urls(url: str, secure: bool) -> None:
    assert is_secure_url(url) is secure
