"""Issuer metadata routes (wire formats in :mod:`issuer.metadata`)."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from issuer import metadata
from issuer.api.deps import Services

router = APIRouter(tags=["metadata"])
_CACHE: Final = {"Cache-Control": "public, max-age=300"}


def _json(document: Any, media_type: str = "application/json") -> JSONResponse:
    return JSONResponse(document, media_type=media_type, headers=_CACHE)


@router.get("/.well-known/jwt-vc-issuer")
def jwt_vc_issuer(services: Services) -> JSONResponse:
    """SD-JWT VC issuer metadata: the issuer identifier and its key history as a JWK Set."""
    return _json(metadata.jwt_vc_issuer(services.settings, services.keyring.history()))


@router.get("/.well-known/jwks.json")
def jwks(services: Services) -> JSONResponse:
    """The key history as a JWK Set (with validity windows)."""
    return _json(services.keyring.history().to_jwks(), "application/jwk-set+json")


@router.get("/.well-known/did.json")
def did_document(services: Services) -> JSONResponse:
    """The did:web document of the issuer host."""
    return _json(metadata.did_document(services.settings, services.keyring.history()), "application/did+json")


@router.get("/.well-known/openid-credential-issuer")
def credential_issuer(services: Services) -> JSONResponse:
    """OpenID4VCI 1.0 credential issuer metadata."""
    return _json(metadata.credential_issuer(services.settings, services.keyring.history()))


@router.get("/.well-known/oauth-authorization-server")
def authorization_server(services: Services) -> JSONResponse:
    """RFC 8414 authorization server metadata (the token endpoint)."""
    return _json(metadata.authorization_server(services.settings))
