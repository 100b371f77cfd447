"""The verifier's FastAPI application: its routes and services on the common service shape (:mod:`common.service`).

:func:`create_app` builds it from a :class:`~verifier.settings.Settings` and a :class:`~common.service.Clock`;
start-up migrates the database (the common policy) and loads the trust list, and refuses to start if it cannot.
Errors are answered by the common handlers: RFC 9457 problem details, OAuth error objects on the OpenID4VP
endpoints. The verifier adds what its pages need: a Content-Security-Policy that lets its own scripts and styles
load, a larger body bound for the QR photo upload, and an HTML page for a browser whose upload was too large.
``/health/ready`` checks the database and the trust list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Final
from urllib.parse import parse_qs

import httpx
from fastapi import FastAPI, Request
from starlette.middleware import Middleware
from starlette.types import Scope

from common.service import Clock, service_app
from common.service.database import ping
from verifier.json_bodies import JsonDepthMiddleware
from verifier.messages import as_locale
from verifier.pages import error_page
from verifier.routes import api, oid4vp, pages, shares
from verifier.services import Services
from verifier.settings import Settings

#: Paths whose body may be as large as ``max_upload_bytes`` (the QR photo upload).
UPLOAD_PATHS: Final = frozenset({"/verify/qr"})
#: The pages load their own scripts, styles and QR images, and nothing else.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _refusal_page(scope: Scope, _status: int, code: str) -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return error_page(locale=as_locale(query.get("lang", [None])[0]), code=code, detail="too large")


def _readiness(request: Request) -> dict[str, Callable[[], object]]:
    services: Services = request.app.state.services
    return {"database": lambda: ping(services.database.engine), "trust_list": services.trust.current}


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

    app = service_app(
        name="verifier",
        title="Tawtiq verifier",
        summary="Verification of baccalaureate diplomas: VC-API, OpenID4VP, share links, verification page.",
        lifespan=lifespan,
        routers=[api.router, oid4vp.router, shares.router, pages.router],
        readiness=_readiness,
        max_body_bytes=services.settings.max_body_bytes,
        larger_bodies=dict.fromkeys(UPLOAD_PATHS, services.settings.max_upload_bytes),
        content_security_policy=CONTENT_SECURITY_POLICY,
        html_refusal=_refusal_page,
        middleware=[Middleware(JsonDepthMiddleware)],
        openapi_url="/api/openapi.json",
        # The verification's own line (verifier.verification) stands for the request's.
        quiet_routes=api.VERIFY_ROUTES if services.settings.log_verifications else (),
    )
    app.state.services = services
    return app
