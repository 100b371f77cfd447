"""Status list routes: the W3C Bitstring and IETF Token Status List publications (see :mod:`issuer.status`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from issuer.api.deps import Now, Services
from issuer.status import ListKind, PublishedList, parse_bitstring_name, parse_shard_number

router = APIRouter(tags=["status"])


def _etag_matches(header: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2 If-None-Match: weak comparison against a list of entity tags, or ``*``."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in header.split(","))


def _respond(request: Request, published: PublishedList) -> Response:
    headers = {
        "ETag": published.etag,
        "Cache-Control": f"public, max-age={published.ttl_seconds}",
        "Last-Modified": published.issued_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
    }
    if _etag_matches(request.headers.get("if-none-match"), published.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=published.token, media_type=published.media_type, headers=headers)


@router.api_route("/status/bitstring/{name}", methods=["GET", "HEAD"])
def bitstring_list(name: str, request: Request, services: Services, now: Now) -> Response:
    """``revocation-<n>`` or ``suspension-<n>``: a BitstringStatusListCredential as ``vc+jwt``."""
    shard, kind = parse_bitstring_name(name)
    return _respond(request, services.publisher.get(shard=shard, kind=kind, now=now))


@router.api_route("/status/tsl/{name}", methods=["GET", "HEAD"])
def token_status_list(name: str, request: Request, services: Services, now: Now) -> Response:
    """``<n>``: a Token Status List as ``statuslist+jwt`` (2 bits: 0 valid, 1 invalid, 2 suspended)."""
    shard = parse_shard_number(name)
    return _respond(request, services.publisher.get(shard=shard, kind=ListKind.TOKEN, now=now))
