"""Back-office routes beyond VCALM: create an offer for a graduate, read a record, health checks.

``POST /admin/offers`` (role ``issuer``) with ``{"cnie": "BE123456", "session": "2024-normale"}``
(``session`` needed only if the graduate has records in several sessions; optional
``credential_configuration_ids``) answers 201 with ``{"offer_uri", "credential_offer_uri", "tx_code",
"expires_at", "credential_id", "credential_configuration_ids"}``: a school or results portal shows the
offer as a QR code and sends the transaction code by another channel. ``GET /admin/diplomas/{id}``
(role ``reader``) returns a record with its claims, status and slots. ``GET /health`` is a trivial
liveness probe; ``GET /health/ready`` checks the database and the signing key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

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


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: answers as soon as the process serves requests."""
    return {"status": "ok"}


@router.get("/health/ready")
def ready(services: Services, now: Now) -> JSONResponse:
    """Readiness: the database answers and a key can sign now."""
    checks: dict[str, str] = {}
    try:
        with reading(services.engine) as db:
            db.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        checks["signing_key"] = services.keyring.signing_key(at=now).kid or "ok"
    except Exception as exc:
        checks["signing_key"] = f"unavailable: {getattr(exc, 'code', type(exc).__name__)}"
    ok = checks["database"] == "ok" and not checks["signing_key"].startswith("unavailable")
    return JSONResponse({"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503)
