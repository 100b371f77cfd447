"""The one rule for URLs a party may talk to: https, or http on the loopback interface."""

from __future__ import annotations

import pytest

from vc.urls import (
    HTTPS_SCHEMES,
    is_absolute_url,
    is_loopback_host,
    is_secure_url,
    is_secure_web_url,
    is_web_url,
)


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://bac.example.ma/status/1", True),
        ("http://bac.example.ma/status/1", True),
        ("HTTPS://bac.example.ma", False),  # schemes in lower case only
        ("https://user@bac.example.ma", False),
        ("https://bac.example.ma:99999/", False),
        ("https://bac.example.ma/a b", False),
        ("https:///path", False),
        ("ftp://bac.example.ma", False),
        ("https://bac.example.ma/" + "a" * 2048, False),
        (None, False),
    ],
)
def test_well_formed_web_urls(value: object, expected: bool) -> None:
    assert is_web_url(value) is expected


def test_web_urls_of_one_scheme_and_secure_web_urls() -> None:
    assert not is_web_url("http://bac.example.ma", schemes=HTTPS_SCHEMES)
    assert is_secure_web_url("http://127.0.0.1:8100/status/1")
    assert not is_secure_web_url("http://bac.example.ma/status/1")
    assert not is_secure_web_url("https://user@bac.example.ma/status/1")


def test_absolute_urls_name_any_scheme() -> None:
    assert is_absolute_url("did:web:bac.example.ma")
    assert not is_absolute_url("bac.example.ma")
