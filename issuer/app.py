"""The issuer's FastAPI application: routes, error handling, limits, and the services they share.

:func:`create_app` refuses to build an application that could not serve correctly: the database must be
at the current migration and the key store must open with the configured passphrase (a missing or
default passphrase is a :class:`vc.ConfigurationError`). Every error leaves as JSON: the issuer's error
body (``{"error", "error_description", "found", "expected"}``) or, on the OAuth endpoints, an OAuth error
object; an unexpected exception is logged (redacted) and answered 500 with a reference, never a trace.
Request bodies over ``TAWTIQ_MAX_BODY_BYTES`` are refused with 413 before they are read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.api import admin, oid4vci, status, vcalm, wellknown
from issuer.api.deps import IssuerServices
from issuer.db import create_database_engine, reading, require_current
from issuer.errors import OAuthError, PayloadTooLargeError, error_body, http_status
from issuer.issuance import pinned_contexts
from issuer.keyring import Keyring
from issuer.logs import AccessLog
from issuer.oid4vci import purge_expired
from issuer.secrets import load_secrets
from issuer.settings import Settings
from issuer.status import StatusPublisher
from vc.errors import TawtiqError

logger = logging.getLogger("tawtiq.issuer")
_PURGE_INTERVAL_SECONDS = 600


def utc_now() -> datetime:
    return datetime.now(UTC)


class BodyLimit:
    """ASGI middleware: 413 for a declared ``Content-Length`` over the bound, and for a body that grows past it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_json(
                    send, 400, {"error": "request.invalid", "error_description": "Content-Length is not a number"}
                )
                return
            if int(declared) > self.max_bytes:
                await _send_json(send, 413, self._too_large_body(int(declared)))
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLargeError(
                        "the request body is too large",
                        found=f"more than {self.max_bytes} bytes",
                        expected=f"at most {self.max_bytes} bytes",
                    )
            return message

        await self.app(scope, limited, send)

    def _too_large_body(self, size: int) -> dict[str, Any]:
        return {
            "error": "request.too_large",
            "error_description": "the request body is too large",
            "found": f"{size} bytes",
            "expected": f"at most {self.max_bytes} bytes",
        }


async def _send_json(send: Send, status_code: int, body: dict[str, Any]) -> None:
    response = JSONResponse(body, status_code=status_code)
    await send({"type": "http.response.start", "status": status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def build_services(
    settings: Settings,
    *,
    engine: Engine | None = None,
    keyring: Keyring | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> IssuerServices:
    """The services of one process. Raises :class:`vc.ConfigurationError` if it cannot serve correctly."""
    engine = engine or create_database_engine(settings.resolved_database_url)
    require_current(engine)
    if keyring is None:
        keyring = Keyring.from_settings(settings)
    with reading(engine) as db:
        secrets = load_secrets(db)
    publisher = StatusPublisher(engine=engine, settings=settings, keyring=keyring, contexts=pinned_contexts())
    return IssuerServices(
        settings=settings, engine=engine, keyring=keyring, secrets=secrets, publisher=publisher, clock=clock
    )


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    keyring: Keyring | None = None,
    clock: Callable[[], datetime] = utc_now,
    background_purge: bool = False,
) -> FastAPI:
    """The issuer application (see the module docstring)."""
    services = build_services(settings, engine=engine, keyring=keyring, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_purge_periodically(services)) if background_purge else None
        _warn_about_configuration(services)
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(
        title="Tawtiq issuer",
        description="Baccalaureate diplomas: issuer metadata, status lists, OpenID4VCI and VCALM.",
        version="1",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    for router in (wellknown.router, status.router, oid4vci.router, vcalm.router, admin.router):
        app.include_router(router)
    _install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "If-None-Match", "Accept-Language"],
        expose_headers=["ETag", "WWW-Authenticate"],
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    return app


def _warn_about_configuration(services: IssuerServices) -> None:
    try:
        services.keyring.signing_key(at=services.clock())
    except TawtiqError as exc:
        logger.warning("no key can sign now (%s): run `tawtiq keys create`; issuance answers 503 until then", exc.code)


async def _purge_periodically(services: IssuerServices) -> None:
    while True:
        await asyncio.sleep(_PURGE_INTERVAL_SECONDS)
        try:
            purged = await run_in_threadpool(purge_expired, services.engine, now=services.clock())
            logger.info("purged expired OpenID4VCI state: %s", purged)
        except Exception:  # pragma: no cover - logged and retried at the next interval
            logger.exception("purging expired OpenID4VCI state failed")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OAuthError)
    async def oauth_error(_request: Request, exc: OAuthError) -> JSONResponse:
        headers = {"Cache-Control": "no-store", **exc.headers}
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(TawtiqError)
    async def tawtiq_error(_request: Request, exc: TawtiqError) -> JSONResponse:
        status_code = http_status(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status_code == 401 else {}
        if status_code >= 500:
            logger.warning("refused with %d: [%s] %s", status_code, exc.code, exc.summary)
        return JSONResponse(error_body(exc), status_code=status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg')}" for error in exc.errors()
        ]
        return JSONResponse(
            {"error": "request.invalid", "error_description": "the request is malformed", "found": problems[:10]},
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            {"error": codes.get(exc.status_code, "request.invalid"), "error_description": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        logger.error("unexpected error, reference %s", reference, exc_info=exc)
        return JSONResponse(
            {"error": "server.error", "error_description": f"an unexpected error occurred; reference {reference}"},
            status_code=500,
        )


def app_from_environment() -> FastAPI:
    """The application built from ``TAWTIQ_*`` (uvicorn's factory for ``tawtiq serve issuer --workers N``)."""
    from issuer.logs import configure_logging
    from issuer.settings import load_settings

    configure_logging()
    return create_app(load_settings(), background_purge=True)
