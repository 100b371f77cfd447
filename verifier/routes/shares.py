"""Share-link endpoints (the flow and the holder-binding design are documented in :mod:`verifier.shares`).

The state-changing ones refuse a request a browser sends from another site (:mod:`verifier.csrf`).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from common.qr import qr_png, qr_svg
from verifier import pages
from verifier.deps import ClientAddress, LocaleDep, SameSiteOnly, SharesDep
from verifier.errors import GoneError, NotFoundError, RequestError
from verifier.reporting import verification_response

router = APIRouter(tags=["share links"])

_NO_STORE: Final = {"Cache-Control": "no-store"}


class CreateShareBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    presentation: str = Field(min_length=1, max_length=64 * 1024, description="SD-JWT+KB for the share audience")
    expires_in: int | None = Field(default=None, description="Lifetime of the link in seconds")


def wants_json(request: Request) -> bool:
    """True when the client asks for JSON rather than a page (``Accept: application/json``)."""
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


@router.post("/shares/nonce", summary="A fresh nonce for a share presentation", dependencies=[SameSiteOnly])
def share_nonce(shares: SharesDep, client: ClientAddress, response: Response) -> dict[str, Any]:
    issued = shares.issue_nonce(client=client)
    response.headers.update(_NO_STORE)
    return {
        "nonce": issued.nonce,
        "audience": issued.audience,
        "expires_in": issued.expires_in,
        "expires_at": issued.expires_at.isoformat(),
    }


@router.post("/shares", status_code=201, summary="Make a share link from a presentation", dependencies=[SameSiteOnly])
async def create_share(
    body: CreateShareBody, shares: SharesDep, client: ClientAddress, response: Response
) -> dict[str, Any]:
    created = await shares.create(presentation=body.presentation, expires_in=body.expires_in, client=client)
    response.headers.update(_NO_STORE)
    response.headers["Location"] = created.url
    return {
        "id": created.id,
        "url": created.url,
        "expires_at": created.expires_at.isoformat(),
        "revoke_token": created.revoke_token,
        "qr": {"svg": f"/s/{created.id}/qr.svg", "png": f"/s/{created.id}/qr.png"},
        **verification_response(created.verification.report, created.verification.trusted),
    }


@router.get("/s/{share_id}", summary="Open a share link: verified live (page, or JSON)", response_model=None)
async def open_share(share_id: str, request: Request, shares: SharesDep, locale: LocaleDep) -> Response:
    try:
        view = await shares.view(share_id)
    except (GoneError, NotFoundError) as exc:
        if wants_json(request):
            raise
        status = 410 if isinstance(exc, GoneError) else 404
        return HTMLResponse(
            pages.gone_page(locale=locale, code=exc.code, path=request.url.path), status_code=status, headers=_NO_STORE
        )
    if wants_json(request):
        answer = verification_response(view.verification.report, view.verification.trusted)
        answer["share"] = {"created_at": view.created_at.isoformat(), "expires_at": view.expires_at.isoformat()}
        return JSONResponse(answer, headers=_NO_STORE)
    html = pages.result_page(
        view.verification, locale=locale, path=request.url.path, shared=(view.created_at, view.expires_at)
    )
    return HTMLResponse(html, headers=_NO_STORE)


def _open_link(share_id: str, shares: SharesDep) -> str:
    shares.view_exists(share_id)
    return shares.url(share_id)


@router.get("/s/{share_id}/qr.svg", summary="QR code of a share link (SVG)")
def share_qr_svg(share_id: str, shares: SharesDep) -> Response:
    return Response(qr_svg(_open_link(share_id, shares), title="Tawtiq"), media_type="image/svg+xml", headers=_NO_STORE)


@router.get("/s/{share_id}/qr.png", summary="QR code of a share link (PNG)")
def share_qr_png(share_id: str, shares: SharesDep) -> Response:
    return Response(qr_png(_open_link(share_id, shares)), media_type="image/png", headers=_NO_STORE)


@router.delete(
    "/shares/{share_id}",
    status_code=204,
    summary="End a share link with its revoke token",
    dependencies=[SameSiteOnly],
)
def revoke_share(share_id: str, shares: SharesDep, authorization: Annotated[str | None, Header()] = None) -> Response:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError(
            "send the revoke token as Authorization: Bearer <revoke_token>",
            code="share.revoke_token_missing",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="share"'},
        )
    shares.revoke(share_id, revoke_token=token.strip())
    return Response(status_code=204)
