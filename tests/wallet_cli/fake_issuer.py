"""A fake issuer that speaks OpenID4VCI correctly but can hand out bad credentials, one way per mode.

It stands where a malicious or broken issuer would: the wallet must refuse what it issues in every mode but
``honest`` (the control that shows the fake itself is sound). Served over http on loopback, SD-JWT VC only.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import schemas
from keys import KeyEntry, KeyHistory
from vc import Profile, SigningKey, issue
from vc.encoding import b64url_encode, json_dumps
from vc.jose import PublicKey, parse_compact

MODES = ("honest", "foreign_key", "other_binding", "other_issuer", "unreferenced_disclosure", "not_a_diploma")
CONFIGURATION = "BaccalaureateDiploma_dc_sd_jwt"


def fake_issuer_app(url: str, mode: str) -> tuple[FastAPI, dict[str, str]]:
    """The app and the offer it makes (``offer_uri``, ``tx_code``)."""
    assert mode in MODES
    published = SigningKey.generate()
    signer = SigningKey.generate() if mode == "foreign_key" else published
    entry = KeyEntry(key=published.public, not_before=(datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0))
    history = KeyHistory((entry,))
    code, tx_code, token = secrets.token_urlsafe(16), "123456", secrets.token_urlsafe(16)
    app = FastAPI()

    @app.get("/offers/one")
    def offer() -> dict[str, Any]:
        return {
            "credential_issuer": url,
            "credential_configuration_ids": [CONFIGURATION],
            "grants": {
                "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                    "pre-authorized_code": code,
                    "tx_code": {"input_mode": "numeric", "length": 6},
                }
            },
        }

    @app.get("/.well-known/openid-credential-issuer")
    def metadata() -> dict[str, Any]:
        return {
            "credential_issuer": url,
            "credential_endpoint": f"{url}/credential",
            "nonce_endpoint": f"{url}/nonce",
            "display": [{"locale": "en", "name": "Not the ministry"}],
            "credential_configurations_supported": {
                CONFIGURATION: {
                    "format": "dc+sd-jwt",
                    "vct": schemas.DIPLOMA_VCT,
                    "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
                }
            },
        }

    @app.get("/.well-known/oauth-authorization-server")
    def authorization_server() -> dict[str, Any]:
        return {"issuer": url, "token_endpoint": f"{url}/token"}

    @app.get("/.well-known/jwt-vc-issuer")
    def keys() -> dict[str, Any]:
        return {"issuer": url, "jwks": history.to_jwks()}

    @app.post("/token")
    async def token_endpoint(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("pre-authorized_code") != code or form.get("tx_code") != tx_code:
            return JSONResponse({"error": "invalid_grant", "error_description": "wrong code"}, status_code=400)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 300})

    @app.post("/nonce")
    def nonce() -> dict[str, str]:
        return {"c_nonce": secrets.token_urlsafe(16)}

    @app.post("/credential")
    async def credential(request: Request) -> JSONResponse:
        body = await request.json()
        copies = []
        for proof in body["proofs"]["jwt"]:
            holder = PublicKey.from_jwk(parse_compact(proof).header["jwk"])
            if mode == "other_binding":
                holder = SigningKey.generate().public
            claims = schemas.sd_jwt_vc_claims(
                schemas.sample_subject(),
                issuer="https://bac.example.ma" if mode == "other_issuer" else url,
                status_index=7,
                status_uri=f"{url}/status/tsl/1",
            )
            if mode == "not_a_diploma":
                claims["vct"] = "urn:example:gym-membership"
            token_text = issue(
                claims,
                key=signer,
                issued_at=datetime.now(UTC),
                profile=Profile.DC_SD_JWT,
                disclosable=schemas.SD_JWT_VC_DISCLOSABLE,
                holder=holder,
            )
            if mode == "unreferenced_disclosure":
                stray = b64url_encode(json_dumps([secrets.token_urlsafe(16), "cnie", "XX000000"]))
                token_text = token_text + stray + "~"
            copies.append({"credential": token_text})
        return JSONResponse({"credentials": copies})

    return app, {"offer_uri": f"openid-credential-offer://?credential_offer_uri={url}/offers/one", "tx_code": tx_code}
