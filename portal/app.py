"""The portal's FastAPI application on the common service shape (:mod:`common.service`).

:func:`create_app` builds it from a :class:`~portal.settings.Settings`, a :class:`~common.service.Clock` and an
identity port (the OpenID Connect one from the settings unless a test passes another); start-up migrates the
portal's tables (the common policy). Every answer but ``/health`` is a page, refusals included: the common
handlers are replaced by ones that render :func:`portal.pages.error_page` with the error's status and stable code;
a browser without a session is sent to the login instead. ``/health/ready`` checks the database.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Final
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from common.fetch import Fetcher
from common.identity import IdentityPort
from common.service import Clock, service_app
from common.service.database import ping
from common.service.problems import database_unavailable, status_of
from issuer.settings import Settings as IssuerSettings
from portal import pages
from portal.deps import LANGUAGE_COOKIE, SESSION_COOKIE, viewer_of
from portal.messages import Locale, as_locale
from portal.routes import auth, candidate, complaints, diploma, scholarship, staff, welcome
from portal.routes.common import NO_STORE
from portal.services import Services
from portal.settings import Settings
from vc.errors import TawtiqError

logger = logging.getLogger("tawtiq.portal")

#: The pages load the portal's own style sheet and nothing else; no script at all; forms post only to the portal
#: (the login leaves with a redirect, which ``form-action`` does not govern).
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: Refusals that mean "log in (again)": the page offers the login.
_LOGIN_CODES: Final = frozenset(
    {"session.required", "session.unknown", "session.expired", "login.unknown", "login.expired"}
)


def _locale(request: Request) -> Locale:
    return as_locale(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


def _viewer(request: Request) -> pages.Viewer | None:
    """The viewer for an error page's header, if the browser has a live session (never raises)."""
    services: Services = request.app.state.services
    try:
        return viewer_of(services.sessions.current(request.cookies.get(SESSION_COOKIE)))
    except Exception:
        return None


def _error_page(request: Request, *, status: int, code: str, detail: str) -> HTMLResponse:
    locale = _locale(request)
    login = code in _LOGIN_CODES or code.startswith("identity.")
    viewer = None if login else _viewer(request)
    page = pages.error_page(locale=locale, code=code, detail=detail, viewer=viewer, login=login)
    return HTMLResponse(page, status_code=status, headers=NO_STORE)


def install_page_errors(app: FastAPI) -> None:
    """Answer every refusal with a page (see the module docstring)."""

    async def tawtiq_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TawtiqError)
        if exc.code == "session.required" and request.method == "GET":
            return RedirectResponse(
                f"/login?next={request.url.path}&lang={_locale(request)}", status_code=303, headers=NO_STORE
            )
        status = status_of(exc)
        if status >= 500:
            logger.warning("refused with %d: [%s] %s", status, exc.code, exc.summary)
        else:
            logger.info("refused with %d: [%s]", status, exc.code)
        response = _error_page(request, status=status, code=exc.code, detail=exc.summary)
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "request.not_found", 405: "request.method_not_allowed"}.get(exc.status_code, "request.http_error")
        return _error_page(request, status=exc.status_code, code=code, detail=str(exc.detail))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        where = ["/".join(str(part) for part in error.get("loc", ())) for error in exc.errors()][:5]
        return _error_page(request, status=400, code="request.invalid", detail="invalid: " + ", ".join(where))

    async def database_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SQLAlchemyError)
        return await tawtiq_error(request, database_unavailable(exc))

    app.add_exception_handler(TawtiqError, tawtiq_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(SQLAlchemyError, database_error)


def _refusal_page(scope: Scope, status: int, code: str) -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return pages.error_page(locale=as_locale(query.get("lang", [None])[0]), code=code, detail="refused", viewer=None)


def _readiness(request: Request) -> dict[str, Callable[[], object]]:
    services: Services = request.app.state.services
    return {"database": lambda: ping(services.engine)}


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    identity: IdentityPort | None = None,
    issuer: IssuerSettings | None = None,
    fetcher: Fetcher | None = None,
) -> FastAPI:
    """The application. ``settings`` default to the environment (``issuer`` to the issuer's, ``TAWTIQ_*``);
    ``clock``, ``identity`` and ``fetcher`` are for tests."""
    services = Services.build(settings or Settings(), clock=clock, identity=identity, issuer=issuer, fetcher=fetcher)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        services.start()
        try:
            yield
        finally:
            services.close()

    app = service_app(
        name="portal",
        title="Tawtiq candidate portal",
        summary="The candidates' e-services behind the eID login: personal data, convocation, results; staff pages.",
        lifespan=lifespan,
        routers=[
            candidate.results_router,
            welcome.router,
            auth.router,
            candidate.router,
            complaints.router,
            diploma.router,
            staff.router,
            scholarship.router,
        ],
        readiness=_readiness,
        max_body_bytes=services.settings.max_body_bytes,
        content_security_policy=CONTENT_SECURITY_POLICY,
        html_refusal=_refusal_page,
        openapi_url="",
    )
    install_page_errors(app)
    app.state.services = services
    return app
