"""Status list routes: the W3C Bitstring and IETF Token Status List publications (see :mod:`issuer.status`).

Every verifier revalidates each list once per TTL, so a ``304`` and a ``HEAD`` must cost little. The routes are
``async`` and take the services from the application's state (no dependency to resolve): while the process holds
the list's current document (:meth:`~issuer.status.StatusPublisher.held`, one indexed read of the shard's version on
a connection kept for reads) they answer on the event loop, without the hop to the thread pool; otherwise (a new
version to load or sign, an unknown shard) the publisher's :meth:`~issuer.status.StatusPublisher.load` runs in the
thread pool.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from issuer.api.deps import IssuerServices
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


async def _current(request: Request, *, shard: int, kind: ListKind) -> PublishedList:
    services: IssuerServices = request.app.state.services
    publisher, now = services.publisher, services.clock.now()
    held = publisher.held(shard=shard, kind=kind, now=now)
    if held is not None:
        return held
    return await run_in_threadpool(publisher.load, shard=shard, kind=kind, now=now)


@router.api_route("/status/bitstring/{name}", methods=["GET", "HEAD"])
async def bitstring_list(name: str, request: Request) -> Response:
    """``revocation-<n>`` or ``suspension-<n>``: a BitstringStatusListCredential as ``vc+jwt``."""
    shard, kind = parse_bitstring_name(name)
    return _respond(request, await _current(request, shard=shard, kind=kind))


@router.api_route("/status/tsl/{name}", methods=["GET", "HEAD"])
async def token_status_list(name: str, request: Request) -> Response:
    """``<n>``: a Token Status List as ``statuslist+jwt`` (2 bits: 0 valid, 1 invalid, 2 suspended)."""
    shard = parse_shard_number(name)
    return _respond(request, await _current(request, shard=shard, kind=ListKind.TOKEN))
