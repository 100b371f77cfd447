"""OpenID4VP 1.0 endpoints, cross-device and same-device (the wire format is documented in :mod:`verifier.oid4vp`)."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from common.qr import qr_png, qr_svg
from common.service.problems import OAuthError
from verifier.deps import ClientAddress, OpenID4VPDep, RelyingPartiesDep
from verifier.oid4vp import REQUEST_OBJECT_MEDIA_TYPE

router = APIRouter(tags=["OpenID4VP"])

_NO_STORE: Final = {"Cache-Control": "no-store"}
_FORM: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


class CreateRequestBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    claims: list[str] | None = Field(
        default=None, description="Diploma claims to request; default: the claims disclosed by default"
    )


@router.post(
    "/oid4vp/requests",
    status_code=201,
    summary="Start a cross-device presentation request",
    description="The protected claims (cnie, birthDate, birthPlace, massarCode) need a relying party's token: "
    "`Authorization: Bearer <token>`; asked for anonymously they are refused with 403 `request.protected_claims`.",
)
def create_request(
    oid4vp: OpenID4VPDep,
    relying_parties: RelyingPartiesDep,
    client: ClientAddress,
    response: Response,
    body: CreateRequestBody | None = None,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    party = relying_parties.authenticate(authorization) if authorization is not None else None
    created = oid4vp.create(claims=body.claims if body is not None else None, client=client, relying_party=party)
    response.headers.update(_NO_STORE)
    base = f"/oid4vp/requests/{created.id}"
    return {
        "id": created.id,
        "status_uri": base,
        "client_id": created.client_id,
        "request_uri": created.request_uri,
        "authorization_request": created.authorization_request,
        "authorization_request_by_value": created.authorization_request_by_value,
        "expires_at": created.expires_at.isoformat(),
        "dcql_query": created.dcql_query,
        "qr": {"svg": f"{base}/qr.svg", "png": f"{base}/qr.png"},
    }


async def _form_fields(request: Request, *, what: str, max_fields: int = 16) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _FORM:
        raise OAuthError("invalid_request", f"the {what} must be application/x-www-form-urlencoded")
    try:
        async with request.form(max_files=0, max_fields=max_fields) as form:
            return {name: value for name, value in form.items() if isinstance(value, str)}
    except (StarletteHTTPException, MultiPartException, ValueError, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_request", "the form body cannot be parsed") from exc


@router.get("/oid4vp/request/{handle}", summary="Request Object, by reference (for the wallet)")
def request_object(handle: str, oid4vp: OpenID4VPDep) -> Response:
    return Response(oid4vp.request_object(handle), media_type=REQUEST_OBJECT_MEDIA_TYPE, headers=_NO_STORE)


@router.post(
    "/oid4vp/request/{handle}",
    summary="Request Object, by reference with request_uri_method=post (for the wallet)",
    description="Form fields `wallet_metadata` (JSON object) and `wallet_nonce`, both optional (OpenID4VP 1.0 §5.10); "
    "the answer is a freshly signed Request Object carrying the `wallet_nonce`.",
)
async def request_object_post(handle: str, request: Request, oid4vp: OpenID4VPDep) -> Response:
    # Some wallets send their metadata's members as form fields of their own, not as one wallet_metadata field.
    fields = await _form_fields(request, what="request", max_fields=64)
    token = await run_in_threadpool(
        oid4vp.request_object,
        handle,
        wallet_metadata=fields.get("wallet_metadata"),
        wallet_nonce=fields.get("wallet_nonce"),
    )
    return Response(token, media_type=REQUEST_OBJECT_MEDIA_TYPE, headers=_NO_STORE)


@router.post("/oid4vp/response", summary="Authorization Response, direct_post (for the wallet)")
async def wallet_response(request: Request, oid4vp: OpenID4VPDep) -> JSONResponse:
    fields = await _form_fields(request, what="response")
    redirect_uri = await oid4vp.respond(
        state=fields.get("state"),
        vp_token=fields.get("vp_token"),
        error=fields.get("error"),
        error_description=fields.get("error_description"),
    )
    return JSONResponse({"redirect_uri": redirect_uri} if redirect_uri else {}, headers=_NO_STORE)


@router.get("/oid4vp/requests/{transaction_id}", summary="State and result of a request (for its creator)")
def transaction(transaction_id: str, oid4vp: OpenID4VPDep, response: Response) -> dict[str, Any]:
    view = oid4vp.view(transaction_id)
    response.headers.update(_NO_STORE)
    answer: dict[str, Any] = {
        "status": view.status,
        "created_at": view.created_at.isoformat(),
        "expires_at": view.expires_at.isoformat(),
        "answered_at": view.answered_at.isoformat() if view.answered_at else None,
    }
    if view.wallet_error is not None:
        answer["wallet_error"] = view.wallet_error
    if view.result is not None:
        answer.update(view.result)
    return answer


@router.get("/oid4vp/requests/{transaction_id}/qr.svg", summary="QR code of the request (SVG)")
def request_qr_svg(transaction_id: str, oid4vp: OpenID4VPDep) -> Response:
    svg = qr_svg(oid4vp.authorization_request(transaction_id), title="OpenID4VP")
    return Response(svg, media_type="image/svg+xml", headers=_NO_STORE)


@router.get("/oid4vp/requests/{transaction_id}/qr.png", summary="QR code of the request (PNG)")
def request_qr_png(transaction_id: str, oid4vp: OpenID4VPDep) -> Response:
    return Response(qr_png(oid4vp.authorization_request(transaction_id)), media_type="image/png", headers=_NO_STORE)
