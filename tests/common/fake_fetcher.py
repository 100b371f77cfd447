"""The in-memory fake of :class:`common.fetch.Fetcher`: a table of answers, the same URL and response rules.

One simulator for every party's tests (python-tuf's habit): it refuses the URLs the real fetcher refuses, and
applies the same checks to each answer (redirects, content encoding, declared and actual size), so a test that
passes against it exercises the caller's handling of exactly what :class:`common.fetch.HttpFetcher` returns or
raises. Requests are recorded; an answer may be a :class:`common.fetch.Response` template, a callable, or an
exception to raise (an outage).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from common.fetch import FetchError, Response, check_fetchable, check_response_head, too_large


@dataclass(frozen=True)
class Sent:
    """A request the fake received."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None


Answer = Response | Exception | Callable[[Sent], "Response | Exception"]


@dataclass
class FakeFetcher:
    """Answers from ``routes`` (keyed by URL, or ``"METHOD URL"``); anything else is unreachable."""

    routes: dict[str, Answer] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def json(self, url: str, document: Any, *, status: int = 200, **headers: str) -> None:
        """Serve ``document`` as JSON at ``url`` (extra headers by name, ``_`` for ``-``)."""
        extra = {name.replace("_", "-").lower(): value for name, value in headers.items()}
        self.routes[url] = Response(
            url, status, {"content-type": "application/json", **extra}, json.dumps(document).encode()
        )

    def text(self, url: str, text: str, *, content_type: str, status: int = 200) -> None:
        self.routes[url] = Response(url, status, {"content-type": content_type}, text.encode())

    def count(self, url: str) -> int:
        return sum(1 for request in self.sent if request.url == url)

    def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        check_fetchable(url)
        request = Sent(method, url, {name.lower(): value for name, value in (headers or {}).items()}, body)
        self.sent.append(request)
        answer = self.routes.get(f"{method} {url}", self.routes.get(url))
        if callable(answer) and not isinstance(answer, Response | Exception):
            answer = answer(request)
        if answer is None:
            raise FetchError(f"{url} could not be reached", code="fetch.unreachable", found="no such route")
        if isinstance(answer, Exception):
            raise answer
        check_response_head(url, answer.status, answer.headers, max_bytes=max_bytes)
        if len(answer.body) > max_bytes:
            raise too_large(url, found=f"more than {max_bytes} bytes", max_bytes=max_bytes)
        return Response(url=url, status=answer.status, headers=dict(answer.headers), body=answer.body)
