"""Dependencies of the routes, as ``Annotated`` aliases so a route's signature says what it needs.

Bodies are read and parsed here, never in the routes: :data:`JsonBody` for the issuer's own endpoints
(errors as problem details), :data:`CredentialRequestBody` and :data:`TokenForm` for the OpenID4VCI
endpoints (errors as OAuth error objects). Each refuses a wrong ``Content-Type`` and malformed input with a
400; a body over ``TAWTIQ_MAX_BODY_BYTES`` never gets here (413, :class:`common.service.BodyLimit`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

import orjson
from fastapi import Depends, Request
from sqlalchemy import Engine

from common.identity import IdentityPort
from common.service.clock import Clock
from issuer.apitokens import Permission, Principal, authenticate
from issuer.errors import InputError, OAuthError
from issuer.keyring import Keyring
from issuer.secrets import IssuerSecrets
from issuer.settings import Settings
from issuer.status import StatusPublisher


@dataclass
class IssuerServices:
    """Everything a request may need, built once per process by :func:`issuer.app.create_app`."""

    settings: Settings
    engine: Engine
    keyring: Keyring
    secrets: IssuerSecrets
    publisher: StatusPublisher
    clock: Clock
    #: The eID login of the authorization code flow (``None`` when ``TAWTIQ_IDENTITY_*`` is not configured).
    identity: IdentityPort | None = None


def _services(request: Request) -> IssuerServices:
    services: IssuerServices = request.app.state.services
    return services


# The dependencies below are ``async`` because they only read the request: FastAPI runs a plain ``def``
# dependency in the threadpool, a hop (two thread switches) per dependency per request.
async def _services_dependency(request: Request) -> IssuerServices:
    return _services(request)


async def _now(request: Request) -> datetime:
    return _services(request).clock.now()


Services = Annotated[IssuerServices, Depends(_services_dependency)]
Now = Annotated[datetime, Depends(_now)]


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _json_body(request: Request) -> Any:
    if _media_type(request) != "application/json":
        raise InputError(
            "the request body must be JSON",
            code="request.media_type",
            found=_media_type(request) or "none",
            expected="application/json",
        )
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise InputError(
            "the request body is not valid JSON", code="request.json_invalid", found=str(exc)[:120]
        ) from None


async def _credential_request_body(request: Request) -> Any:
    if _media_type(request) != "application/json":
        raise OAuthError("invalid_credential_request", "the credential request must be application/json")
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise OAuthError("invalid_credential_request", "the credential request is not valid JSON") from None


async def _token_form(request: Request) -> dict[str, list[str]]:
    if _media_type(request) != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the token request must be application/x-www-form-urlencoded")
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
        return parse_qs(text, keep_blank_values=False, strict_parsing=bool(text), max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the token request body is not a valid form") from None


JsonBody = Annotated[Any, Depends(_json_body)]
CredentialRequestBody = Annotated[Any, Depends(_credential_request_body)]
TokenForm = Annotated[dict[str, list[str]], Depends(_token_form)]


def bearer_token(request: Request) -> str | None:
    """The bearer token of the ``Authorization`` header, if any (OpenID4VCI access tokens)."""
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def _bearer_token_dependency(request: Request) -> str | None:
    return bearer_token(request)


AccessToken = Annotated[str | None, Depends(_bearer_token_dependency)]


def require(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency that authenticates the back-office caller and checks ``permission``."""

    def dependency(request: Request) -> Principal:
        services = _services(request)
        return authenticate(
            services.engine, request.headers.get("authorization"), permission=permission, now=services.clock.now()
        )

    return dependency


Issuing = Annotated[Principal, Depends(require(Permission.ISSUE))]
Offering = Annotated[Principal, Depends(require(Permission.OFFER))]
ChangingStatus = Annotated[Principal, Depends(require(Permission.STATUS))]
Reading = Annotated[Principal, Depends(require(Permission.READ))]
