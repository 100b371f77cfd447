"""The development eID provider's FastAPI application, on the common service shape (:mod:`common.service`).

:func:`create_app` refuses to build it unless ``settings.development`` is true, then loads (or makes, at first
start) the signing key, reads the identities and clients files, and serves:

* ``GET /.well-known/openid-configuration`` (OpenID Connect Discovery 1.0) and ``GET /jwks``;
* ``GET /authorize`` — checks the request and shows the login page (Arabic by default, French with
  ``ui_locales=fr``); ``POST /authorize`` — the card number and PIN, then the redirect with the code;
* ``POST /token`` — the authorization code with its PKCE verifier, for the ID token;
* ``/health`` and ``/health/ready`` (``signing_key``).

There is no database: the state lives in the process (:mod:`eid.provider`), so it is served by one process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from common.service import Clock, SystemClock, service_app
from eid.directory import read_clients, read_identities
from eid.errors import DevelopmentModeRequiredError
from eid.pages import CONTENT_SECURITY_POLICY, locale_of, refusal_page
from eid.provider import LoginRefusedError, Provider
from eid.routes import router
from eid.settings import DEVELOPMENT_ONLY, Settings
from eid.signing import load_or_create


def _readiness(request: Request) -> dict[str, Callable[[], object]]:
    provider: Provider = request.app.state.provider
    return {"signing_key": lambda: provider.keys.jwks()}


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The application. ``settings`` default to the environment; ``clock`` is for tests.

    Raises :class:`DevelopmentModeRequiredError` without development mode, and :class:`vc.ConfigurationError`
    (``eid.identities``, ``eid.clients``, ``eid.key_unreadable``, ``key.passphrase_*``) for unusable files.
    """
    settings = settings or Settings()
    if not settings.development:
        raise DevelopmentModeRequiredError(
            DEVELOPMENT_ONLY, found="TAWTIQ_EID_DEVELOPMENT unset or false", expected="TAWTIQ_EID_DEVELOPMENT=true"
        )
    provider = Provider(
        settings=settings,
        keys=load_or_create(settings.data_dir, passphrase_file=settings.key_passphrase_file),
        people=read_identities(settings.identities_file),
        clients=read_clients(settings.clients_file),
        clock=clock or SystemClock(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield

    app = service_app(
        name="eid",
        title="Tawtiq development eID provider",
        summary="A development stand-in for the national eID provider (OpenID Connect). Not an identity provider.",
        lifespan=lifespan,
        routers=[router],
        readiness=_readiness,
        max_body_bytes=settings.max_body_bytes,
        content_security_policy=CONTENT_SECURITY_POLICY,
    )
    app.state.provider = provider

    async def login_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRefusedError)
        locale = getattr(request.state, "locale", None) or locale_of(request.query_params.get("ui_locales"))
        page = refusal_page(locale=locale, code=exc.code, status=exc.status)
        return HTMLResponse(page, status_code=exc.status, headers={"Cache-Control": "no-store"})

    app.add_exception_handler(LoginRefusedError, login_refused)
    return app
