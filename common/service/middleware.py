"""The ASGI middleware every service wears: a request-body bound, security headers, and a request log.

* :class:`BodyLimit` reads each body up to its bound before the application sees it and answers 413 (or 400
  for a malformed ``Content-Length``) as a problem detail; a service with pages may answer browsers with a page.
* :class:`SecurityHeaders` adds ``nosniff``, ``no-referrer``, ``DENY`` framing and a Content-Security-Policy.
* :class:`RequestLog` logs one line per request with the route's template (``/offers/{offer_id}``), never the
  raw path or query, which may carry a capability (an offer id, a share link, a transaction id). A service that
  writes its own line for some routes names them in ``quiet_routes``: their answers below 400 are logged at DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Final

from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import PROBLEM_JSON, problem

#: The policy of a service without pages: nothing may load, nothing may frame it.
API_CONTENT_SECURITY_POLICY: Final = "default-src 'none'; frame-ancestors 'none'"

#: Renders the page a browser gets for a refused body: ``(scope, status, code) -> HTML``.
HtmlRefusal = Callable[[Scope, int, str], str]


class BodyLimit:
    """Bounds request bodies: ``max_body_bytes``, or a larger bound for the paths in ``larger``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        larger: Mapping[str, int] | None = None,
        html_refusal: HtmlRefusal | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger = dict(larger or {})
        self.html_refusal = html_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_body_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await self._refuse(scope, send, 400, "request.content_length", "Malformed Content-Length", found=None)
            return
        if declared is not None and int(declared) > limit:
            await self._refuse(scope, send, 413, "request.too_large", limit=limit, found=f"{int(declared)} bytes")
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._refuse(scope, send, 413, "request.too_large", limit=limit, found=f"more than {limit} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        status: int,
        code: str,
        title: str = "Request body too large",
        *,
        limit: int = 0,
        found: str | None,
    ) -> None:
        accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
        if self.html_refusal is not None and "text/html" in accept:
            page = HTMLResponse(self.html_refusal(scope, status, code), status_code=status, headers=_CLOSE)
            await page(scope, _disconnected, send)
            return
        if status == 413:
            content = problem(
                status=413,
                code=code,
                title=title,
                detail=f"the request body is larger than {limit} bytes",
                found=found,
                expected=f"at most {limit} bytes",
            )
        else:
            content = problem(status=status, code=code, title=title, detail="the Content-Length header is not a number")
        response = JSONResponse(content, status_code=status, media_type=PROBLEM_JSON, headers=_CLOSE)
        await response(scope, _disconnected, send)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the application ``body`` (already read whole) once, then defers to ``receive``."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


_CLOSE: Final = {"Connection": "close"}


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}


class SecurityHeaders:
    """Adds the security headers to every response (``content_security_policy`` per service)."""

    def __init__(self, app: ASGIApp, *, content_security_policy: str = API_CONTENT_SECURITY_POLICY) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", content_security_policy.encode("ascii")),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.headers
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestLog:
    """Logs one line per request: method, route template, status, duration (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, logger: logging.Logger, quiet_routes: Collection[str] = ()) -> None:
        self.app = app
        self.logger = logger
        self.quiet_routes = frozenset(quiet_routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            template = route_template(scope)
            quiet = status < 400 and template in self.quiet_routes
            level = logging.DEBUG if quiet else logging.INFO
            if self.logger.isEnabledFor(level):
                self.logger.log(
                    level,
                    "%s %s -> %d in %.1f ms",
                    scope.get("method", "?"),
                    template,
                    status,
                    (time.perf_counter() - started) * 1000,
                )


def route_template(scope: Scope) -> str:
    """The template of the route that served ``scope`` (``/s/{share_id}``), or ``(no route)``: never the raw path."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    return "(no route)"
