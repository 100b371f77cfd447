"""Back-office routes beyond VCALM: create an offer for a graduate, read a record.

``POST /admin/offers`` (role ``issuer``) with ``{"cnie": "BE123456", "session": "2024-normale"}``
(``session`` needed only if the graduate has records in several sessions; optional
``credential_configuration_ids``) answers 201 with ``{"offer_uri", "credential_offer_uri", "tx_code",
"expires_at", "credential_id", "credential_configuration_ids"}``: a school or results portal shows the
offer as a QR code and sends the transaction code by another channel. ``GET /admin/diplomas/{id}``
(role ``reader``) returns a record with its claims, status and slots. The health endpoints are the common
ones (:mod:`common.service.health`); the issuer's readiness checks are in :mod:`issuer.app`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from issuer import oid4vci
from issuer.api.deps import JsonBody, Now, Offering, Reading, Services
from issuer.db import reading, writing
from issuer.errors import InputError
from issuer.records import resolve, view

router = APIRouter(tags=["admin"])


@router.post("/admin/offers")
def create_offer(body: JsonBody, principal: Offering, services: Services, now: Now) -> JSONResponse:
    """Create a credential offer for a graduate's current record."""
    if not isinstance(body, dict) or not isinstance(body.get("cnie"), str):
        raise InputError(
            "the request must be a JSON object with 'cnie'", code="request.invalid", expected='{"cnie": "BE123456"}'
        )
    session = body.get("session")
    configurations = body.get("credential_configuration_ids")
    if session is not None and not isinstance(session, str):
        raise InputError("'session' must be a string like 2024-normale", code="request.invalid")
    if configurations is not None and (
        not isinstance(configurations, list) or not all(isinstance(c, str) for c in configurations)
    ):
        raise InputError("'credential_configuration_ids' must be an array of strings", code="request.invalid")
    with writing(services.engine) as db:
        diploma = resolve(db, body["cnie"], session_name=session)
        offer = oid4vci.create_offer(
            db,
            diploma=diploma,
            settings=services.settings,
            secrets=services.secrets,
            actor=principal.actor,
            now=now,
            configuration_ids=configurations,
        )
    document: dict[str, Any] = {
        "offer_uri": offer.offer_uri,
        "credential_offer_uri": offer.credential_offer_uri,
        "tx_code": offer.tx_code,
        "expires_at": offer.expires_at.isoformat(),
        "credential_id": offer.diploma_id,
        "credential_configuration_ids": list(offer.configuration_ids),
    }
    return JSONResponse(document, status_code=201, headers={"Cache-Control": "no-store"})


@router.get("/admin/diplomas/{credential_id}")
def show_diploma(credential_id: str, principal: Reading, services: Services) -> JSONResponse:
    """A record by credential id."""
    del principal
    with reading(services.engine) as db:
        record = view(db, resolve(db, credential_id)) if len(credential_id) <= 64 else None
    if record is None:
        raise InputError("not a credential id", code="request.invalid", found=credential_id[:40])
    return JSONResponse(record.as_dict(), headers={"Cache-Control": "no-store"})
