"""The verifier's side of the shared fetcher (:mod:`common.fetch`): its user agent and bounds, and GETs of
issuers' documents that accept only ``200`` (or ``304`` to a conditional request).

Which issuers' origins may be asked at all is decided by the callers (the trust list); every URL is also checked
by the shared rules (https, or http to a loopback host) before a byte is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import httpx

from common import fetch
from common.fetch import FetchError, Timeouts
from verifier.settings import Settings

_USER_AGENT: Final = "tawtiq-verifier"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response we accepted: ``status`` 200 with its body, or 304 (not modified) with no body."""

    status: int
    body: bytes
    etag: str | None
    max_age_seconds: int | None
    content_type: str | None


def http_client(settings: Settings) -> httpx.Client:
    """The shared client: certifi's trust anchors plus ``ca_file``, no redirects, the configured timeouts."""
    timeouts = Timeouts(
        connect_seconds=settings.http_connect_timeout_seconds,
        read_seconds=settings.http_read_timeout_seconds,
        total_seconds=settings.http_total_timeout_seconds,
    )
    return fetch.http_client(timeouts=timeouts, user_agent=_USER_AGENT, ca_file=settings.ca_file)


class Fetcher:
    """GETs issuers' documents. Raises :class:`common.fetch.FetchError` (upstream fault, incl. too large)."""

    def __init__(self, fetcher: fetch.Fetcher) -> None:
        self._fetcher = fetcher

    @property
    def bounded(self) -> fetch.Fetcher:
        """The shared fetcher underneath, for the shared readers (:mod:`common.issuer_keys`)."""
        return self._fetcher

    def get(self, url: str, *, accept: str, max_bytes: int, etag: str | None = None) -> Fetched:
        """Fetch ``url`` with ``If-None-Match: etag`` when given.

        Raises :class:`common.fetch.UrlRefusedError` for a URL that may not be fetched,
        :class:`common.fetch.ResponseTooLargeError` past ``max_bytes``, and :class:`common.fetch.FetchError` for
        anything else that went wrong, including any status but 200 (and 304 when ``etag`` was sent).
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        response = self._fetcher.fetch(url, max_bytes=max_bytes, headers=headers)
        if response.status == 304 and etag:
            return Fetched(304, b"", response.etag or etag, response.max_age_seconds, None)
        if response.status != 200:
            raise FetchError(
                f"{url} answered HTTP {response.status}", code="fetch.http_status", found=response.status, expected=200
            )
        return Fetched(200, response.body, response.etag, response.max_age_seconds, response.header("content-type"))
