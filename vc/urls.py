"""Which URLs a party may talk to: https, or plain http on this machine's loopback interface.

One rule for the whole platform (issuer identifiers, status lists, metadata, offers, verifier URLs):
loopback traffic never leaves the machine, which is why browsers treat it as a secure context too, so it
serves local development; everything else needs TLS.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})


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
