"""Bounded HTTP for every party: which URLs may be fetched, and one fetcher that keeps every bound while it reads.

A URL may be fetched when it is ``https``, or plain ``http`` to a loopback host (:mod:`vc.urls`: a developer's
server on the same machine), with a host and without credentials. Origins are computed carefully (scheme and host
lower-cased, default port dropped, IPv6 bracketed) and two URLs are the same origin only when both have one and
they are equal, so a URL that cannot be parsed is never "the same origin" as anything.

Every fetch is bounded while it runs: connect and per-read timeouts, a whole-request time bound enforced on every
socket operation (a server trickling one byte at a time is cut at the bound, not after it), no redirects (an
issuer's server cannot send us elsewhere), no content encoding (a compressed body could inflate without bound
before it is counted), a ``Content-Length`` above the size bound refused before reading, and a running count of
the bytes actually received.

:class:`Fetcher` is the interface the parties use; :class:`HttpFetcher` speaks HTTP through ``httpx``, and tests
use one in-memory fake of the same interface (``tests/common/fake_fetcher.py``). Errors are the engine's, split
by who is at fault: :class:`UrlRefusedError` (the URL we were handed, a :class:`vc.CredentialError`) and
:class:`FetchError` (the server, a :class:`vc.UpstreamError`); each party maps them to its own wording.
"""

from __future__ import annotations

import contextvars
import re
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx

from vc.errors import ConfigurationError, CredentialError, UpstreamError
from vc.urls import is_loopback_host

_DEFAULT_PORTS: Final = {"https": 443, "http": 80}
_MAX_AGE: Final = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d{1,10})\"?", re.IGNORECASE)
_NO_CACHE: Final = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)


class FetchError(UpstreamError):
    """A server could not be reached in time, answered with a redirect, or sent something we do not read."""

    default_code = "fetch.failed"


class ResponseTooLargeError(FetchError):
    """A response exceeds its size bound (by ``Content-Length`` or by the bytes actually received)."""

    default_code = "fetch.too_large"


class UrlRefusedError(CredentialError):
    """A URL may not be fetched: not https (or http to a loopback host), no host, or credentials in it."""

    default_code = "fetch.url_refused"


# ---------------------------------------------------------------------------------------------- URLs and origins


def origin_of(url: str) -> str | None:
    """The origin (``scheme://host[:port]``, lower-case, default port omitted) of an absolute http(s) URL.

    None for anything else (not a string, another scheme, no host, a bad port, or user information:
    ``user@host``). Kept for the last 1,024 URLs: every verification asks it of the same few status-list and issuer
    URLs, several times.
    """
    return _origin_of(url) if isinstance(url, str) else None


@lru_cache(maxsize=1024)
def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None or "@" in parts.netloc:
        return None
    host = parts.hostname.lower().rstrip(".")
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    suffix = f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{suffix}"


def same_origin(first: str, second: str) -> bool:
    """Whether both URLs have an origin (:func:`origin_of`) and it is the same one."""
    origin = origin_of(first)
    return origin is not None and origin == origin_of(second)


def check_fetchable(url: str) -> str:
    """Return the origin of ``url`` if it may be fetched at all; raise :class:`UrlRefusedError` otherwise.

    ``https`` always; ``http`` only to a loopback host. Codes: ``fetch.url_invalid`` (not an absolute http(s) URL
    with a host and without credentials) and ``fetch.url_insecure`` (plain http to another host).
    """
    origin = origin_of(url) if isinstance(url, str) else None
    if origin is None:
        raise UrlRefusedError(
            "not an absolute http(s) URL without credentials",
            code="fetch.url_invalid",
            found=url,
            expected="https://host/path",
        )
    if origin.startswith("http:") and not is_loopback_host(urlsplit(url).hostname):
        raise UrlRefusedError(
            "plain http is allowed only for loopback hosts",
            code="fetch.url_insecure",
            found=url,
            expected="an https URL (http only to 127.0.0.1, ::1 or localhost)",
        )
    return origin


def max_age_of(cache_control: str | None) -> int | None:
    """Seconds of freshness from ``Cache-Control`` (``no-store``/``no-cache`` → 0), or None when it says nothing."""
    if not cache_control:
        return None
    if _NO_CACHE.search(cache_control):
        return 0
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------- the interface


@dataclass(frozen=True, slots=True)
class Response:
    """A whole response within the bounds: any status but a redirect, its headers (lower-case names), its body."""

    url: str
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case ('' when none was sent)."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def etag(self) -> str | None:
        return self.header("etag")

    @property
    def max_age_seconds(self) -> int | None:
        return max_age_of(self.header("cache-control"))


class Fetcher(Protocol):
    """Sends one request and returns the whole response, within the bounds the module docstring lists.

    Raises :class:`UrlRefusedError` before anything is sent to a URL that may not be fetched,
    :class:`ResponseTooLargeError` past ``max_bytes``, and :class:`FetchError` for everything else: unreachable
    (``fetch.unreachable``, ``fetch.tls``), too slow (``fetch.timeout``), a redirect (``fetch.redirect``), an
    encoded or malformed answer (``fetch.encoding``, ``fetch.malformed``).
    """

    def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response: ...


def check_response_head(url: str, status: int, headers: Mapping[str, str], *, max_bytes: int) -> None:
    """The checks made on a response before its body is read (``headers`` with lower-case names).

    Raises :class:`FetchError` for a redirect or a content-encoded body, :class:`ResponseTooLargeError` for a
    declared length above ``max_bytes``.
    """
    if 300 <= status < 400 and status != 304:
        raise FetchError(
            f"{url} answered with a redirect, which is never followed",
            code="fetch.redirect",
            found=f"HTTP {status} to {headers.get('location')}",
            expected="a direct answer",
        )
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchError(
            f"{url} sent a content-encoded body", code="fetch.encoding", found=encoding, expected="identity"
        )
    declared = headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise FetchError(f"{url} sent a malformed Content-Length", code="fetch.malformed", found=declared)
        if int(declared) > max_bytes:
            raise too_large(url, found=f"{declared.strip()} bytes", max_bytes=max_bytes)


def too_large(url: str, *, found: str, max_bytes: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(f"{url} is larger than allowed", found=found, expected=f"at most {max_bytes} bytes")


# ---------------------------------------------------------------------------------------------- over HTTP


@dataclass(frozen=True, slots=True)
class Timeouts:
    """The time bounds of one request, in seconds: connecting, each read or write, and the whole request."""

    connect_seconds: float
    read_seconds: float
    total_seconds: float


#: The monotonic time the request running in this thread (or task) must be done by; None outside a request.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("tawtiq_fetch_deadline", default=None)


def _bounded(timeout: float | None) -> float | None:
    """``timeout`` shortened to what is left of the current request's whole-time bound."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the whole-request time bound is reached")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, with :class:`_DeadlineStream` streams."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _bounded(timeout), local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over :class:`_DeadlineBackend`.

    httpx does not take a network backend, so its connection pool is rebuilt with ours (same settings); the
    trickle test in ``tests/common/test_fetch.py`` fails if a later httpx stops honouring it.
    """

    def __init__(self, *, context: ssl.SSLContext, limits: httpx.Limits) -> None:
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """Certificate checking against certifi's roots, plus the certificates in ``ca_file`` (a development CA).

    Raises :class:`vc.ConfigurationError` ``fetch.ca_file_unreadable`` when ``ca_file`` cannot be used.
    """
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"the CA file {ca_file} cannot be used: {exc}",
                code="fetch.ca_file_unreadable",
                found=str(ca_file),
                expected="a file of PEM certificates",
            ) from exc
    return context


def http_client(
    *,
    timeouts: Timeouts,
    user_agent: str,
    ca_file: Path | None = None,
    transport: httpx.BaseTransport | None = None,
    max_connections: int = 50,
) -> httpx.Client:
    """An ``httpx`` client for :class:`HttpFetcher`: no redirects, no proxies from the environment, identity
    encoding, the timeouts, and the whole-request bound on every socket operation.

    ``transport`` replaces the network (tests); the whole-request bound is then checked between chunks only.
    Raises :class:`vc.ConfigurationError` for an unusable ``ca_file``.
    """
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=10)
    context = tls_context(ca_file)
    return httpx.Client(
        timeout=httpx.Timeout(
            connect=timeouts.connect_seconds,
            read=timeouts.read_seconds,
            write=timeouts.read_seconds,
            pool=timeouts.connect_seconds,
        ),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
        transport=transport or _DeadlineTransport(context=context, limits=limits),
    )


@contextmanager
def _deadline(seconds: float) -> Iterator[float]:
    deadline = time.monotonic() + seconds
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


class HttpFetcher:
    """The :class:`Fetcher` over HTTP, on a client from :func:`http_client`."""

    def __init__(self, client: httpx.Client, *, total_timeout_seconds: float) -> None:
        self._client = client
        self._total = total_timeout_seconds

    def close(self) -> None:
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        """See :class:`Fetcher`."""
        check_fetchable(url)
        try:
            with (
                _deadline(self._total) as deadline,
                self._client.stream(method, url, headers=dict(headers or {}), content=body) as response,
            ):
                return self._read(url, response, max_bytes=max_bytes, deadline=deadline)
        except httpx.TimeoutException as exc:
            raise FetchError(
                f"{url} did not answer in time",
                code="fetch.timeout",
                found=type(exc).__name__,
                expected=f"a whole answer within {self._total:g} s",
            ) from exc
        except httpx.ConnectError as exc:
            if "CERTIFICATE" in str(exc).upper():
                raise FetchError(
                    f"{url} presented a TLS certificate that is not trusted", code="fetch.tls", found=_reason(exc)
                ) from exc
            raise FetchError(f"{url} could not be reached", code="fetch.unreachable", found=_reason(exc)) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url} could not be reached", code="fetch.unreachable", found=_reason(exc)) from exc

    def _read(self, url: str, response: httpx.Response, *, max_bytes: int, deadline: float) -> Response:
        headers = {name.lower(): value for name, value in response.headers.items()}
        check_response_head(url, response.status_code, headers, max_bytes=max_bytes)
        chunks: list[bytes] = []
        received = 0
        # The encoding is refused above, so iter_bytes hands over the bytes as received.
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise too_large(url, found=f"more than {max_bytes} bytes", max_bytes=max_bytes)
            if time.monotonic() > deadline:
                raise FetchError(
                    f"{url} took too long to send its body",
                    code="fetch.timeout",
                    expected=f"a whole answer within {self._total:g} s",
                )
            chunks.append(chunk)
        return Response(url=url, status=response.status_code, headers=headers, body=b"".join(chunks))


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__
