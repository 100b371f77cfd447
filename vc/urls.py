"""Every URL check of the engine, in one place: absolute identifiers, well-formed web URLs, and which URLs a
party may talk to (https, or plain http on this machine's loopback interface).

The last is one rule for the whole platform (issuer identifiers, status lists, metadata, offers, verifier
URLs): loopback traffic never leaves the machine, which is why browsers treat it as a secure context too, so
it serves local development; everything else needs TLS.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any, Final, TypeGuard
from urllib.parse import urlsplit

#: The schemes a web URL may have.
HTTP_SCHEMES: Final = frozenset({"http", "https"})
#: Only TLS.
HTTPS_SCHEMES: Final = frozenset({"https"})
#: Longest web URL accepted (the common limit of browsers and servers).
MAX_URL_LENGTH: Final = 2048

_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})
_URL_FORBIDDEN: Final = re.compile(r"[\x00-\x20\x7f]")
_ABSOLUTE_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?!/*$)\S+")


def is_absolute_url(value: Any) -> TypeGuard[str]:
    """True for an absolute URL (a scheme and something after it), e.g. ``https://…``, ``did:…``, ``urn:…``.

    The shape VCDM 2.0 asks of identifiers (``issuer``, ``id``, ``holder``); nothing is said about reaching it.
    """
    return isinstance(value, str) and _ABSOLUTE_URL.fullmatch(value) is not None


def is_web_url(value: Any, *, schemes: frozenset[str] = HTTP_SCHEMES) -> TypeGuard[str]:
    """An absolute URL with one of ``schemes`` (lower case), a host, a valid port, no user info, no spaces or
    control characters, and at most :data:`MAX_URL_LENGTH` characters. Never raises.

    Kept for the last 1,024 URLs (of at most :data:`MAX_URL_LENGTH` characters each): every verification asks it of
    the same few status-list URLs."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        return False
    return _is_web_url(value, schemes)


@lru_cache(maxsize=1024)
def _is_web_url(value: str, schemes: frozenset[str]) -> bool:
    if _URL_FORBIDDEN.search(value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    return (
        parts.scheme in schemes
        and value.startswith(f"{parts.scheme}://")
        and bool(parts.hostname)
        and parts.username is None
    )


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback IP literals (``127.0.0.0/8``, ``::1``, with or without brackets)."""
    if not host:
        return False
    if host.lower().rstrip(".") in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_secure_url(url: str) -> bool:
    """An https URL with a host, or an http URL whose host is loopback. Never raises."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if not host:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(host))


def is_secure_web_url(value: Any) -> TypeGuard[str]:
    """A well-formed web URL (:func:`is_web_url`) that is also secure (:func:`is_secure_url`)."""
    return is_web_url(value) and is_secure_url(value)
