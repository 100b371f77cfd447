"""The verifier's FastAPI application: routes, body-size bounds, security headers, request log, error answers.

:func:`create_app` builds it from a :class:`~verifier.settings.Settings` and a :class:`~verifier.clock.Clock`;
start-up applies the database migrations and loads the trust list (and refuses to start if it cannot). Errors
are answered once, here: the engine's and the service's errors as RFC 9457 problem details, OAuth errors of the
OpenID4VP endpoints in their OAuth form, anything unexpected as a bare 500 problem whose details stay in the log.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final
from urllib.parse import parse_qs

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.service.problems import database_unavailable
from vc import TawtiqError
from verifier.clock import Clock
from verifier.errors import http_status_of, problem
from verifier.json_bodies import JsonDepthMiddleware
from verifier.messages import as_locale
from verifier.oid4vp import OAuthError
from verifier.pages import error_page
from verifier.routes import api, oid4vp, pages, shares
from verifier.services import Services
from verifier.settings import Settings

log = logging.getLogger("verifier.access")
errors_log = logging.getLogger("verifier.errors")

PROBLEM_JSON: Final = "application/problem+json"
#: Paths whose body may be as large as ``max_upload_bytes`` (the QR photo upload).
UPLOAD_PATHS: Final = frozenset({"/verify/qr"})
_CAPABILITY_SEGMENTS: Final = re.compile(
    r"^(/s|/shares(?!/nonce$)|/oid4vp/requests|/oid4vp/request|/oid4vp(?!/(?:response|start|requests?)(?:/|$)))/[^/]+"
)
_SECURITY_HEADERS: Final = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
        b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
]


def redact_path(path: str) -> str:
    """A path with its capability segment (share id, transaction id, request handle) replaced, for logs."""
    return _CAPABILITY_SEGMENTS.sub(lambda match: f"{match.group(1)}/…", path)


class BodyLimitMiddleware:
    """Reads each request body up to its bound before the application sees it; larger bodies get a 413 problem."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if scope["path"] in UPLOAD_PATHS else self.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, send, limit, malformed=not declared.isdigit())
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
                await self._refuse(scope, send, limit, malformed=False)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int, *, malformed: bool) -> None:
        accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
        if "text/html" in accept and not malformed:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            locale = as_locale(query.get("lang", [None])[0])
            page = error_page(locale=locale, code="request.too_large", detail="too large")
            html = HTMLResponse(page, status_code=413, headers={"Connection": "close"})
            await html(scope, _drain, send)
            return
        if malformed:
            content = problem(
                status=400,
                code="request.content_length",
                title="Malformed Content-Length",
                detail="the Content-Length header is not a number",
            )
            status = 400
        else:
            content = problem(
                status=413,
                code="request.too_large",
                title="Request body too large",
                detail=f"the request body is larger than {limit} bytes",
            )
            status = 413
        response = JSONResponse(content, status_code=status, media_type=PROBLEM_JSON, headers={"Connection": "close"})
        await response(scope, _drain, send)


async def _drain() -> Message:
    return {"type": "http.disconnect"}


class HeadersAndLogMiddleware:
    """Adds security headers to every response and writes one access-log line with capability ids redacted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = list(message.get("headers", [])) + _SECURITY_HEADERS
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info(
                "%s %s %s %.1fms",
                scope.get("method"),
                redact_path(scope.get("path", "")),
                status,
                (time.perf_counter() - started) * 1000,
            )


def _problem_response(status: int, content: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(content, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _tawtiq_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TawtiqError)
    status = http_status_of(exc)
    if isinstance(exc, OAuthError):
        return JSONResponse(
            {"error": exc.error, "error_description": exc.summary},
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )
    headers = getattr(exc, "headers", None) or None
    content = problem(
        status=status,
        code=exc.code,
        title=exc.summary,
        detail=exc.message,
        problem_type=getattr(exc, "problem_type", None),
    )
    return _problem_response(status, content, headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Never echo the submitted values back: they may hold personal data.
    errors = [
        {"location": [str(part) for part in error.get("loc", ())], "message": str(error.get("msg", ""))}
        for error in exc.errors()
    ][:20]
    content = problem(
        status=400,
        code="request.invalid",
        title="The request is malformed",
        detail="; ".join(f"{'.'.join(e['location'])}: {e['message']}" for e in errors),
        errors=errors,
    )
    return _problem_response(400, content)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "request.not_found", 405: "request.method_not_allowed"}.get(exc.status_code, "request.http_error")
    content = problem(status=exc.status_code, code=code, title=str(exc.detail), detail=str(exc.detail))
    return _problem_response(exc.status_code, content, dict(exc.headers or {}))


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SQLAlchemyError)
    unavailable = database_unavailable(exc)  # the common mapping: 503 with Retry-After, never a 500
    errors_log.error("database unavailable: %s [%s]", type(exc).__name__, unavailable.code)
    return await _tawtiq_error(request, unavailable)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    errors_log.exception("unexpected error", exc_info=exc)
    content = problem(
        status=500,
        code="server.error",
        title="Internal error",
        detail="the verifier failed unexpectedly; the incident is logged",
    )
    return _problem_response(500, content)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, http: httpx.Client | None = None
) -> FastAPI:
    """The application. ``settings`` default to the environment; ``clock`` and ``http`` are for tests."""
    services = Services.build(settings or Settings(), clock=clock, http=http)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        services.start()
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="Tawtiq verifier",
        summary="Verification of baccalaureate diplomas: VC-API, OpenID4VP, share links, verification page.",
        version="1.0",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads scripts from a CDN, which the Content-Security-Policy rightly refuses
        redoc_url=None,
        openapi_url="/api/openapi.json",
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.services = services
    app.add_exception_handler(TawtiqError, _tawtiq_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(api.router)
    app.include_router(oid4vp.router)
    app.include_router(shares.router)
    app.include_router(pages.router)
    app.add_middleware(JsonDepthMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=services.settings.max_body_bytes,
        max_upload_bytes=services.settings.max_upload_bytes,
    )
    app.add_middleware(HeadersAndLogMiddleware)
    return app
