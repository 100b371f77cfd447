"""The issuer's published metadata, all built from the key history and the diploma's type metadata.

* ``GET /.well-known/jwt-vc-issuer`` — SD-JWT VC issuer metadata: ``{"issuer": ISS, "jwks": JWKS}``.
  ``jwks`` is :meth:`keys.KeyHistory.to_jwks`: under ``keys`` every key the issuer ever had that is not
  compromised, with its window as JWK members (``nbf``; ``tawtiq_retired_at``), so a verifier rebuilds the
  history with :meth:`keys.KeyHistory.from_jwks` and verifies a 2024 diploma with the key that was valid in
  2024. Compromised keys are only under the set's ``tawtiq_compromised_keys`` member, with
  ``revoked: {revoked_at, reason}``: a standard verifier never sees them and refuses what they signed, ours
  says when the issuer declared them compromised.
* ``GET /.well-known/jwks.json`` — the same JWK Set.
* ``GET /.well-known/did.json`` — the ``did:web`` document of the issuer host (``did:web:bac.example.ma``;
  a port is percent-encoded: ``did:web:127.0.0.1%3A8100``) with one ``JsonWebKey`` verification method
  per key, ``id`` = ``<did>#<kid>``, listed under ``assertionMethod``. A DID document has no notion of
  validity windows, so compromised keys are left out of it entirely (the JWKS lists them apart, marked).
* ``GET /.well-known/openid-credential-issuer`` — OpenID4VCI 1.0 credential issuer metadata (§12.2):
  endpoints, ``batch_credential_issuance``, Arabic/French/English ``display`` and one configuration
  per profile with ``credential_metadata.display`` and ``credential_metadata.claims`` (labels from
  :func:`schemas.diploma_type_metadata`).
* ``GET /.well-known/oauth-authorization-server`` — RFC 8414 metadata of the token endpoint (this
  issuer is its own authorization server): the pre-authorized code grant, anonymous, and with the eID login
  configured the authorization code grant (PKCE S256, ``scope`` = a configuration id, :mod:`issuer.authorization`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

import schemas
from issuer.oid4vci import (
    CONFIGURATIONS,
    DC_SD_JWT_CONFIGURATION,
    PRE_AUTHORIZED_GRANT,
    VC_SD_JWT_CONFIGURATION,
)
from issuer.settings import Settings
from keys import KeyHistory

ISSUER_DISPLAY: Final = (
    {"locale": "ar", "name": "وزارة التربية الوطنية والتعليم الأولي والرياضة"},
    {"locale": "fr", "name": "Ministère de l'Éducation Nationale, du Préscolaire et des Sports"},
    {"locale": "en", "name": "Ministry of National Education, Preschool and Sports"},
)
_DID_CONTEXTS: Final = ["https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1"]


def did_of(settings: Settings) -> str:
    """The ``did:web`` identifier of the issuer host."""
    return "did:web:" + quote(settings.issuer_host, safe="")


def jwt_vc_issuer(settings: Settings, history: KeyHistory) -> dict[str, Any]:
    """SD-JWT VC issuer metadata."""
    return {"issuer": settings.issuer_url, "jwks": history.to_jwks()}


def did_document(settings: Settings, history: KeyHistory) -> dict[str, Any]:
    """The did:web document (compromised keys omitted)."""
    did = did_of(settings)
    jwks = {jwk["kid"]: jwk for jwk in history.to_jwks()["keys"]}
    methods = []
    for entry in history.entries:
        if entry.compromised_at is not None:
            continue
        methods.append(
            {
                "id": f"{did}#{entry.kid}",
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": jwks[entry.kid],
            }
        )
    return {
        "@context": _DID_CONTEXTS,
        "id": did,
        "alsoKnownAs": [settings.issuer_url],
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def _claims(prefix: tuple[str, ...]) -> list[dict[str, Any]]:
    """Claims description objects (OpenID4VCI §B.2) from the type metadata: path, mandatory, display."""
    claims = []
    for entry in schemas.diploma_type_metadata().get("claims", []):
        path = list(entry["path"])
        if path[0] not in schemas.SUBJECT_CLAIMS:
            continue
        description: dict[str, Any] = {"path": [*prefix, *path]}
        if entry.get("mandatory"):
            description["mandatory"] = True
        display = [
            {"name": item["label"], "locale": item["locale"]} for item in entry.get("display", []) if "label" in item
        ]
        if display:
            description["display"] = display
        claims.append(description)
    return claims


def _credential_display() -> list[dict[str, Any]]:
    metadata: Mapping[str, Any] = schemas.diploma_type_metadata()
    return [
        {
            "name": item["name"],
            "locale": item["locale"],
            "description": item.get("description", ""),
            "background_color": "#006233",
            "text_color": "#FFFFFF",
        }
        for item in metadata.get("display", [])
    ]


def credential_issuer(settings: Settings, history: KeyHistory) -> dict[str, Any]:
    """OpenID4VCI 1.0 credential issuer metadata."""
    signing_algorithms = sorted({entry.algorithm for entry in history.entries}) or ["ES256"]
    proof_types = {"jwt": {"proof_signing_alg_values_supported": list(settings.proof_algorithms)}}
    common = {
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": signing_algorithms,
        "proof_types_supported": proof_types,
    }
    configurations: dict[str, Any] = {
        DC_SD_JWT_CONFIGURATION: {
            "format": "dc+sd-jwt",
            "scope": DC_SD_JWT_CONFIGURATION,
            "vct": schemas.DIPLOMA_VCT,
            **common,
            "credential_metadata": {"display": _credential_display(), "claims": _claims(())},
        },
        VC_SD_JWT_CONFIGURATION: {
            "format": "vc+sd-jwt",
            "scope": VC_SD_JWT_CONFIGURATION,
            "credential_definition": {
                "@context": [schemas.CREDENTIALS_V2_CONTEXT_URL, schemas.DIPLOMA_CONTEXT_URL],
                "type": ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE],
            },
            **common,
            "credential_metadata": {"display": _credential_display(), "claims": _claims(("credentialSubject",))},
        },
    }
    return {
        "credential_issuer": settings.issuer_url,
        "credential_endpoint": settings.url("/credential"),
        "nonce_endpoint": settings.url("/nonce"),
        "batch_credential_issuance": {"batch_size": settings.batch_size},
        "display": [dict(item) for item in ISSUER_DISPLAY],
        "credential_configurations_supported": {name: configurations[name] for name in CONFIGURATIONS},
    }


def authorization_server(settings: Settings) -> dict[str, Any]:
    """RFC 8414 metadata of the (built-in) authorization server; the authorization code grant, whose login is the
    eID's, only when it is configured."""
    document: dict[str, Any] = {
        "issuer": settings.issuer_url,
        "token_endpoint": settings.url("/token"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
        "authorization_details_types_supported": ["openid_credential"],
    }
    if settings.eid_login:
        document["authorization_endpoint"] = settings.url("/authorize")
        document["grant_types_supported"] = [PRE_AUTHORIZED_GRANT, "authorization_code"]
        document["response_types_supported"] = ["code"]
        document["response_modes_supported"] = ["query"]
        document["code_challenge_methods_supported"] = ["S256"]
        document["scopes_supported"] = list(CONFIGURATIONS)
        document["authorization_response_iss_parameter_supported"] = True
    return document
