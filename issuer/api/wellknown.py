"""Issuer metadata routes (wire formats in :mod:`issuer.metadata`).

The documents depend only on the settings and the key history, so each is rendered once and kept until
the key history changes (a rotation, a compromise: :class:`keys.KeyHistory` is immutable and replaced on
every change, so the cache compares it by identity). The routes do no I/O beyond the key ring's change
check and are served on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from issuer import metadata
from issuer.api.deps import IssuerServices, Services
from issuer.settings import Settings
from keys import KeyHistory

router = APIRouter(tags=["metadata"])
_CACHE: Final = {"Cache-Control": "public, max-age=300"}


@dataclass(frozen=True)
class _Rendered:
    settings: Settings
    history: KeyHistory
    body: bytes


#: Route name -> the last rendering of its document and what it was rendered from.
_rendered: dict[str, _Rendered] = {}


def _document(
    name: str, services: IssuerServices, build: Callable[[Settings, KeyHistory], Any], media_type: str
) -> Response:
    """The document ``build`` makes, rendered once per (settings, key history)."""
    history = services.keyring.history()
    cached = _rendered.get(name)
    if cached is None or cached.settings is not services.settings or cached.history is not history:
        body = JSONResponse(build(services.settings, history)).body
        cached = _Rendered(settings=services.settings, history=history, body=bytes(body))
        _rendered[name] = cached
    return Response(cached.body, media_type=media_type, headers=_CACHE)


@router.get("/.well-known/jwt-vc-issuer")
async def jwt_vc_issuer(services: Services) -> Response:
    """SD-JWT VC issuer metadata: the issuer identifier and its key history as a JWK Set."""
    return _document("jwt-vc-issuer", services, metadata.jwt_vc_issuer, "application/json")


@router.get("/.well-known/jwks.json")
async def jwks(services: Services) -> Response:
    """The key history as a JWK Set (with validity windows)."""
    return _document("jwks", services, lambda _settings, history: history.to_jwks(), "application/jwk-set+json")


@router.get("/.well-known/did.json")
async def did_document(services: Services) -> Response:
    """The did:web document of the issuer host."""
    return _document("did", services, metadata.did_document, "application/did+json")


@router.get("/.well-known/openid-credential-issuer")
async def credential_issuer(services: Services) -> Response:
    """OpenID4VCI 1.0 credential issuer metadata."""
    return _document("openid-credential-issuer", services, metadata.credential_issuer, "application/json")


@router.get("/.well-known/oauth-authorization-server")
async def authorization_server(services: Services) -> Response:
    """RFC 8414 authorization server metadata (the token endpoint)."""
    return _document(
        "oauth-authorization-server",
        services,
        lambda settings, _history: metadata.authorization_server(settings),
        "application/json",
    )
