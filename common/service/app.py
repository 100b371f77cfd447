"""The application factory every service builds on: one FastAPI app with the common middleware and error answers.

:func:`service_app` gives a service its shape; the service adds its routers (thin: parse, call the domain, shape
the answer) and keeps its own state in ``app.state.services``. What every service then has:

* the middleware of :mod:`common.service.middleware`: the request log (outermost), security headers, the body
  bound, then the service's own (CORS, for instance);
* errors answered once, here, never built in routes: the engine's and the service's errors as RFC 9457 problem
  details (:func:`common.service.problems.problem_of`), :class:`~common.service.problems.OAuthError` as an OAuth
  error object, malformed requests as a 400 problem that never echoes the values sent, an unreachable database
  or busy database as a 503 problem with ``Retry-After`` (:func:`~common.service.problems.database_unavailable`),
  and anything unexpected as a 500 problem with a reference, whose
  traceback goes to the (redacted) log only;
* ``/health`` and ``/health/ready`` (:mod:`common.service.health`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware

from vc.errors import TawtiqError

from .health import ReadinessChecks, health_router
from .middleware import API_CONTENT_SECURITY_POLICY, BodyLimit, HtmlRefusal, RequestLog, SecurityHeaders
from .problems import PROBLEM_JSON, OAuthError, database_unavailable, problem, problem_of, status_of

#: Codes of the HTTP errors the framework raises itself (unknown path, wrong method, ...).
_HTTP_CODES = {404: "request.not_found", 405: "request.method_not_allowed"}


def service_app(
    *,
    name: str,
    title: str,
    summary: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    routers: Sequence[APIRouter],
    readiness: ReadinessChecks,
    max_body_bytes: int,
    larger_bodies: Mapping[str, int] | None = None,
    content_security_policy: str = API_CONTENT_SECURITY_POLICY,
    html_refusal: HtmlRefusal | None = None,
    middleware: Sequence[Middleware] = (),
    openapi_url: str = "/openapi.json",
    quiet_routes: Collection[str] = (),
) -> FastAPI:
    """A service's application (see the module docstring); ``name`` names its loggers ``tawtiq.<name>``.

    The request log writes the answers below 400 of ``quiet_routes`` (route templates) at DEBUG: for routes whose
    service logs each request its own way."""
    logger = logging.getLogger(f"tawtiq.{name}")
    app = FastAPI(
        title=title,
        summary=summary,
        version="1",
        lifespan=lifespan,
        openapi_url=openapi_url,
        docs_url=None,  # Swagger UI loads scripts from a CDN, which the Content-Security-Policy rightly refuses
        redoc_url=None,
        # No OpenTelemetry from the framework: spans would carry raw paths, and those may hold capabilities.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        middleware=[
            Middleware(RequestLog, logger=logger, quiet_routes=quiet_routes),
            Middleware(SecurityHeaders, content_security_policy=content_security_policy),
            Middleware(BodyLimit, max_body_bytes=max_body_bytes, larger=larger_bodies, html_refusal=html_refusal),
            *middleware,
        ],
    )
    install_error_handlers(app, logger=logger)
    app.include_router(health_router(readiness))
    for router in routers:
        app.include_router(router)
    return app


def problem_response(content: dict[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A problem detail as a response (``application/problem+json``, status from the body)."""
    return JSONResponse(content, status_code=int(content["status"]), media_type=PROBLEM_JSON, headers=headers)


def install_error_handlers(app: FastAPI, *, logger: logging.Logger) -> None:
    """Answer every error once (see the module docstring); ``logger`` gets refusals ≥ 500 and unexpected errors."""

    async def oauth_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OAuthError)
        headers = {"Cache-Control": "no-store", **exc.headers}
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)

    async def tawtiq_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TawtiqError)
        status = status_of(exc)
        headers = dict(getattr(exc, "headers", None) or {})
        if status == 401:
            headers.setdefault("WWW-Authenticate", "Bearer")
        if status >= 500:
            logger.warning("refused with %d: [%s] %s", status, exc.code, exc.summary)
        return problem_response(problem_of(exc), headers)

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # Never echo the submitted values back: they may hold personal data.
        errors = [
            {"location": [str(part) for part in error.get("loc", ())], "message": str(error.get("msg", ""))}
            for error in exc.errors()
        ][:20]
        found = [f"{'.'.join(error['location'])}: {error['message']}" for error in errors]
        content = problem(
            status=400,
            code="request.invalid",
            title="The request is malformed",
            detail="; ".join(found),
            found=found,
            errors=errors,
        )
        return problem_response(content)

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "request.http_error")
        content = problem(status=exc.status_code, code=code, title=str(exc.detail), detail=str(exc.detail))
        return problem_response(content, exc.headers)

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SQLAlchemyError)
        return await tawtiq_error(request, database_unavailable(exc))

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        logger.error("unexpected error, reference %s", reference, exc_info=exc)
        content = problem(
            status=500,
            code="server.error",
            title="Internal error",
            detail=f"an unexpected error occurred; reference {reference}",
            reference=reference,
        )
        return problem_response(content)

    app.add_exception_handler(OAuthError, oauth_error)
    app.add_exception_handler(TawtiqError, tawtiq_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SQLAlchemyError, database_error)
    app.add_exception_handler(Exception, unexpected)
