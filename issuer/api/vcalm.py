"""W3C VCALM issuer routes for back-office clients (wire formats in :mod:`issuer.vcalm`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from issuer import vcalm
from issuer.api.deps import ChangingStatus, Issuing, JsonBody, Now, Services

router = APIRouter(tags=["vcalm"])


@router.post("/credentials/issue")
def issue(body: JsonBody, principal: Issuing, services: Services, now: Now) -> JSONResponse:
    """Sign a registered diploma as an unbound W3C ``vc+sd-jwt`` (enveloped)."""
    document = vcalm.issue_credential(
        services.engine, body=body, principal=principal, settings=services.settings, keyring=services.keyring, now=now
    )
    return JSONResponse(document, status_code=201, headers={"Cache-Control": "no-store"})


@router.post("/credentials/status")
def update_status(body: JsonBody, principal: ChangingStatus, services: Services, now: Now) -> JSONResponse:
    """Revoke, suspend or reinstate a diploma and all its copies."""
    return JSONResponse(vcalm.update_status(services.engine, body=body, principal=principal, now=now))
