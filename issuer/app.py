"""The issuer's FastAPI application: its routes and services on the common service shape (:mod:`common.service`).

:func:`create_app` refuses to build an application that could not serve correctly: the database is migrated at
start-up (or, with ``TAWTIQ_AUTO_MIGRATE=false``, must already be at the current migration) and the key store
must open with the configured passphrase (a missing or default passphrase is a :class:`vc.ConfigurationError`).
Errors leave as RFC 9457 problem details, except on the OAuth and OpenID4VCI endpoints, which answer with OAuth
error objects; an unexpected exception is logged (redacted) and answered 500 with a reference, never a trace.
Request bodies over ``TAWTIQ_MAX_BODY_BYTES`` are refused with 413 before they are read. ``/health/ready``
checks the database and that a key can sign now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware

from common.diploma import diploma_contexts
from common.fetch import UrlRefusedError
from common.identity import IdentityPort, OidcSettings, http_identity_port
from common.service import Clock, SystemClock, service_app
from common.service.database import ping
from issuer import audit, consent_page
from issuer.api import admin, oid4vci, status, vcalm, wellknown
from issuer.api.deps import IssuerServices
from issuer.db import MIGRATIONS, create_database_engine, reading
from issuer.keyring import Keyring
from issuer.oid4vci import purge_expired
from issuer.secrets import load_secrets
from issuer.settings import Settings
from issuer.status import StatusPublisher, expire_lists_with_other_ttl
from vc.errors import ConfigurationError, TawtiqError

logger = logging.getLogger("tawtiq.issuer")
_PURGE_INTERVAL_SECONDS = 600


def build_services(
    settings: Settings,
    *,
    engine: Engine | None = None,
    keyring: Keyring | None = None,
    clock: Clock | None = None,
    identity: IdentityPort | None = None,
) -> IssuerServices:
    """The services of one process. Raises :class:`vc.ConfigurationError` if it cannot serve correctly."""
    engine = engine or create_database_engine(settings.resolved_database_url)
    if not audit.has_audit_key(engine):
        engine = audit.with_audit_key(engine, audit.audit_key_source(settings))
    MIGRATIONS.prepare(engine, auto_migrate=settings.auto_migrate)
    clock = clock or SystemClock()
    expire_lists_with_other_ttl(engine, ttl_seconds=settings.status_ttl_seconds, now=clock.now())
    audit.audit_key_of(engine)  # a missing audit key stops the service before its first write
    if keyring is None:
        keyring = Keyring.from_settings(settings)
    with reading(engine) as db:
        secrets = load_secrets(db)
    publisher = StatusPublisher(engine=engine, settings=settings, keyring=keyring, contexts=diploma_contexts())
    return IssuerServices(
        settings=settings,
        engine=engine,
        keyring=keyring,
        secrets=secrets,
        publisher=publisher,
        clock=clock,
        identity=identity if identity is not None else _identity_port(settings, clock=clock),
    )


def _identity_port(settings: Settings, *, clock: Clock) -> IdentityPort | None:
    """The eID login of the authorization code flow, when ``TAWTIQ_IDENTITY_*`` configures one."""
    if settings.identity_discovery_url is None or settings.identity_client_id is None:
        return None
    try:
        oidc = OidcSettings(
            discovery_url=settings.identity_discovery_url,
            client_id=settings.identity_client_id,
            client_secret=settings.identity_secret(),
            required_acr=settings.identity_required_acr,
        )
    except (ValueError, UrlRefusedError) as exc:
        raise ConfigurationError(
            "the eID login settings cannot be used",
            code="identity.settings",
            found=str(exc)[:200],
            expected="TAWTIQ_IDENTITY_DISCOVERY_URL (https, or http to a loopback host) and a known required acr",
        ) from exc
    return http_identity_port(oidc, clock=clock)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    keyring: Keyring | None = None,
    clock: Clock | None = None,
    background_purge: bool = False,
    identity: IdentityPort | None = None,
) -> FastAPI:
    """The issuer application (see the module docstring); ``identity`` replaces the configured eID login (tests)."""
    services = build_services(settings, engine=engine, keyring=keyring, clock=clock, identity=identity)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_purge_periodically(services)) if background_purge else None
        _warn_about_configuration(services)
        yield
        if task is not None:
            task.cancel()

    app = service_app(
        name="issuer",
        title="Tawtiq issuer",
        summary="Baccalaureate diplomas: issuer metadata, status lists, OpenID4VCI and VCALM.",
        lifespan=lifespan,
        routers=[wellknown.router, status.router, oid4vci.router, vcalm.router, admin.router],
        readiness=_readiness,
        max_body_bytes=settings.max_body_bytes,
        # The API's policy, plus the consent page's own style sheet; never framed either way.
        content_security_policy=consent_page.CONTENT_SECURITY_POLICY,
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "If-None-Match", "Accept-Language"],
                expose_headers=["ETag", "WWW-Authenticate"],
            )
        ],
    )
    app.state.services = services
    return app


def _readiness(request: Request) -> dict[str, Callable[[], object]]:
    services: IssuerServices = request.app.state.services
    return {
        "database": lambda: ping(services.engine),
        "signing_key": lambda: services.keyring.signing_key(at=services.clock.now()),
    }


def _warn_about_configuration(services: IssuerServices) -> None:
    try:
        services.keyring.signing_key(at=services.clock.now())
    except TawtiqError as exc:
        logger.warning("no key can sign now (%s): run `tawtiq keys create`; issuance answers 503 until then", exc.code)


async def _purge_periodically(services: IssuerServices) -> None:
    while True:
        await asyncio.sleep(_PURGE_INTERVAL_SECONDS)
        try:
            purged = await run_in_threadpool(purge_expired, services.engine, now=services.clock.now())
            logger.info("purged expired OpenID4VCI state: %s", purged)
        except Exception:  # pragma: no cover - logged and retried at the next interval
            logger.exception("purging expired OpenID4VCI state failed")


def app_from_environment() -> FastAPI:
    """The application built from ``TAWTIQ_*`` (uvicorn's factory for ``tawtiq serve issuer --workers N``)."""
    from common.redaction import configure_logging
    from issuer.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings, background_purge=True)
