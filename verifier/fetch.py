"""Bounded HTTP GETs to issuers' servers: the only place the verifier talks to the network.

Every fetch is checked before a byte is sent (https, or plain http to a loopback host for development; the
caller decides which origins are trusted) and bounded while it runs: connect, read and whole-request timeouts,
no redirects, no content encoding (a compressed response could inflate without bound before we count it), a
refused ``Content-Length`` above the limit, and a running count of the bytes actually received.
"""

from __future__ import annotations

import re
import ssl
import time
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import certifi
import httpx

from vc.urls import is_loopback_host
from verifier.errors import FetchError, ResponseTooLargeError, UrlRefusedError
from verifier.settings import Settings

_MAX_AGE: Final = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d{1,10})\"?", re.IGNORECASE)
_NO_CACHE: Final = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}
_USER_AGENT: Final = "tawtiq-verifier"


def origin_of(url: str) -> str | None:
    """The origin (``scheme://host[:port]``, lower-case, default port omitted) of an absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    suffix = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{suffix}"


def check_fetchable(url: str) -> str:
    """Return the origin of ``url`` if its scheme may be fetched at all; raise :class:`UrlRefusedError` otherwise.

    ``https`` always; ``http`` only to a loopback host (a developer's issuer on the same machine).
    """
    origin = origin_of(url)
    if origin is None:
        raise UrlRefusedError(
            "not an absolute http(s) URL without credentials", found=url, expected="https://host/path"
        )
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UrlRefusedError("plain http is allowed only for loopback hosts", found=url, expected="https://…")
    return origin


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response we accepted: ``status`` 200 with its body, or 304 (not modified) with no body."""

    status: int
    body: bytes
    etag: str | None
    max_age_seconds: int | None
    content_type: str | None


def max_age_of(cache_control: str | None) -> int | None:
    """Seconds of freshness from ``Cache-Control`` (``no-store``/``no-cache`` → 0), or None when it says nothing."""
    if not cache_control:
        return None
    if _NO_CACHE.search(cache_control):
        return 0
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def http_client(settings: Settings) -> httpx.Client:
    """The shared client: system and certifi trust anchors plus ``ca_file``, no redirects, bounded timeouts."""
    context = ssl.create_default_context(cafile=certifi.where())
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    timeout = httpx.Timeout(
        connect=settings.http_connect_timeout_seconds,
        read=settings.http_read_timeout_seconds,
        write=settings.http_read_timeout_seconds,
        pool=settings.http_connect_timeout_seconds,
    )
    return httpx.Client(
        verify=context,
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"},
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
    )


class Fetcher:
    """GETs documents under the bounds above. Raises :class:`FetchError` (upstream fault, incl. too large)."""

    def __init__(self, *, client: httpx.Client, total_timeout_seconds: float) -> None:
        self._client = client
        self._total = total_timeout_seconds

    def get(self, url: str, *, accept: str, max_bytes: int, etag: str | None = None) -> Fetched:
        """Fetch ``url`` (already checked by the caller) with ``If-None-Match: etag`` when given.

        Raises :class:`UrlRefusedError` for a URL that may not be fetched, :class:`ResponseTooLargeError` past
        ``max_bytes``, and :class:`FetchError` for anything else that went wrong.
        """
        check_fetchable(url)
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        deadline = time.monotonic() + self._total
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                return self._read(url, response, max_bytes=max_bytes, deadline=deadline, sent_etag=etag)
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url} did not answer in time", code="fetch.timeout", found=type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url} could not be reached", code="fetch.unreachable", found=str(exc)) from exc

    def _read(
        self, url: str, response: httpx.Response, *, max_bytes: int, deadline: float, sent_etag: str | None
    ) -> Fetched:
        etag = response.headers.get("etag")
        max_age = max_age_of(response.headers.get("cache-control"))
        if response.status_code == 304 and sent_etag:
            return Fetched(304, b"", etag or sent_etag, max_age, None)
        if response.status_code != 200:
            raise FetchError(
                f"{url} answered HTTP {response.status_code}",
                code="fetch.redirect" if 300 <= response.status_code < 400 else "fetch.http_status",
                found=response.status_code,
                expected=200,
            )
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise FetchError(
                f"{url} sent a content-encoded body", code="fetch.encoding", found=encoding, expected="identity"
            )
        declared = response.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                raise FetchError(f"{url} sent a malformed Content-Length", code="fetch.malformed", found=declared)
            if int(declared) > max_bytes:
                raise ResponseTooLargeError(
                    f"{url} is larger than allowed", found=f"{declared} bytes", expected=f"at most {max_bytes} bytes"
                )
        chunks: list[bytes] = []
        received = 0
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > max_bytes:
                raise ResponseTooLargeError(
                    f"{url} is larger than allowed",
                    found=f"more than {max_bytes} bytes",
                    expected=f"at most {max_bytes} bytes",
                )
            if time.monotonic() > deadline:
                raise FetchError(f"{url} took too long to send its body", code="fetch.timeout")
            chunks.append(chunk)
        return Fetched(200, b"".join(chunks), etag, max_age, response.headers.get("content-type"))
