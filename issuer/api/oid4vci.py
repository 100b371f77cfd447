"""OpenID4VCI routes: offer, token, nonce, credential (wire protocol in :mod:`issuer.oid4vci`)."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from common.service.database import retry_on_disconnect
from issuer import oid4vci
from issuer.api.deps import AccessToken, CredentialRequestBody, Now, Services, TokenForm

router = APIRouter(tags=["openid4vci"])
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _no_store(document: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(document, status_code=status_code, headers=_NO_STORE)


def _language(request: Request) -> str:
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";", 1)[0].strip().lower()[:2]
        if tag in ("ar", "fr", "en"):
            return tag
    return "en"


@router.get("/offers/{offer_id}")
def credential_offer(offer_id: str, request: Request, services: Services, now: Now) -> JSONResponse:
    """The Credential Offer object an ``openid-credential-offer://`` URI refers to."""
    language = _language(request)
    document = retry_on_disconnect(
        lambda: oid4vci.offer_document(
            services.engine,
            offer_id=offer_id,
            settings=services.settings,
            secrets=services.secrets,
            now=now,
            language=language,
        )
    )
    return _no_store(document)


@router.post("/token")
def token(form: TokenForm, services: Services, now: Now) -> JSONResponse:
    """Token endpoint of the pre-authorized code grant."""
    request = oid4vci.parse_token_request(form)
    response = retry_on_disconnect(
        lambda: oid4vci.redeem(
            services.engine, request=request, settings=services.settings, secrets=services.secrets, now=now
        )
    )
    return _no_store(response)


@router.post("/nonce")
async def nonce(services: Services, now: Now) -> JSONResponse:
    """A fresh ``c_nonce`` for key proofs (no I/O: served on the event loop, without a threadpool hop)."""
    return _no_store({"c_nonce": oid4vci.new_nonce(secrets=services.secrets, settings=services.settings, now=now)})


@router.post("/credential")
def credential(body: CredentialRequestBody, access_token: AccessToken, services: Services, now: Now) -> JSONResponse:
    """Credential endpoint: one signed copy per key proof."""
    request = oid4vci.parse_credential_request(body, batch_size=services.settings.batch_size)
    credentials = retry_on_disconnect(
        lambda: oid4vci.issue_credentials(
            services.engine,
            access_token=access_token,
            request=request,
            settings=services.settings,
            secrets=services.secrets,
            keyring=services.keyring,
            now=now,
        )
    )
    return _no_store({"credentials": [{"credential": item} for item in credentials]})
