"""Issuance in each profile: headers, added claims, and the claims that are never selectively disclosable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import schemas
from vc import issue, sdjwt
from vc.claims import claim_paths
from vc.encoding import json_object
from vc.errors import ConfigurationError, FormatError
from vc.jose import SigningKey, parse_compact
from vc.profiles import Profile, issue_sd_jwt_vc, issue_w3c, issuer_of
from vc.statuslist import TokenStatusReference
from vc.vcdm import ContextRegistry

ISSUER = "https://bac.example.ma"
KEY = SigningKey.generate(kid="bac-2026-1")
HOLDER = SigningKey.generate()
ISSUED_AT = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
CONTEXTS = ContextRegistry(schemas.pinned_contexts())


def diploma() -> dict[str, Any]:
    return {
        "@context": [schemas.CREDENTIALS_V2_CONTEXT_URL, schemas.DIPLOMA_CONTEXT_URL],
        "type": ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE],
        "issuer": ISSUER,
        "validFrom": "2024-07-01T00:00:00Z",
        "credentialSubject": schemas.sample_subject(),
        "credentialStatus": [
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "94567",
                "statusListCredential": f"{ISSUER}/status/1",
            }
        ],
    }


def decoded(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    jwt = token.split("~")[0]
    jws = parse_compact(jwt)
    KEY.public.verify(algorithm=jws.algorithm, message=jws.signing_input, signature=jws.signature)
    return jws.header, json_object(jws.payload, what="payload")


def test_profile_properties() -> None:
    assert [p.value for p in Profile if p.selective] == ["vc+sd-jwt", "dc+sd-jwt", "vp+sd-jwt"]
    assert [p.value for p in Profile if p.presentation] == ["vp+jwt", "vp+sd-jwt", "vp+cose"]
    assert [p.value for p in Profile if p.cose] == ["vc+cose", "vp+cose"]
    assert [p.content_type for p in Profile] == ["vc", None, "vc", "vp", "vp", "vc", "vp"]
    assert Profile.DC_SD_JWT.media_type == "application/dc+sd-jwt"
    assert Profile.VC_COSE.media_type == "application/vc+cose"


def test_w3c_sd_jwt_header_and_payload() -> None:
    token = issue(
        diploma(),
        key=KEY,
        issued_at=ISSUED_AT,
        contexts=CONTEXTS,
        disclosable=["credentialSubject.cnie", "credentialSubject.birthDate"],
        holder=HOLDER.public,
    )
    header, payload = decoded(token)
    assert header == {"alg": "ES256", "kid": "bac-2026-1", "typ": "vc+sd-jwt", "cty": "vc"}
    assert payload["iss"] == ISSUER
    assert payload["iat"] == int(ISSUED_AT.timestamp())
    assert "vc" not in payload
    assert "vp" not in payload
    assert payload["@context"] == diploma()["@context"]
    assert "cnie" not in payload["credentialSubject"]
    assert len(payload["credentialSubject"]["_sd"]) >= 2
    assert set(payload["cnf"]["jwk"]) == {"kty", "crv", "x", "y"}


def test_w3c_jwt_has_no_disclosures() -> None:
    token = issue(diploma(), key=KEY, issued_at=ISSUED_AT, profile=Profile.VC_JWT, contexts=CONTEXTS)
    header, payload = decoded(token)
    assert "~" not in token
    assert header["typ"] == "vc+jwt"
    assert payload["credentialSubject"] == schemas.sample_subject()
    with pytest.raises(ConfigurationError) as caught:
        issue(
            diploma(),
            key=KEY,
            issued_at=ISSUED_AT,
            profile=Profile.VC_JWT,
            contexts=CONTEXTS,
            disclosable=["credentialSubject.cnie"],
        )
    assert caught.value.code == "issue.profile"


def test_w3c_issuance_validates_the_document_and_needs_contexts() -> None:
    with pytest.raises(FormatError) as caught:
        issue({**diploma(), "graduationParty": True}, key=KEY, issued_at=ISSUED_AT, contexts=CONTEXTS)
    assert caught.value.code == "vcdm.term_undefined"
    with pytest.raises(ConfigurationError) as missing:
        issue(diploma(), key=KEY, issued_at=ISSUED_AT)
    assert missing.value.code == "issue.contexts_missing"
    with pytest.raises(ConfigurationError) as wrong:
        issue_w3c(diploma(), profile=Profile.DC_SD_JWT, key=KEY, contexts=CONTEXTS, issued_at=ISSUED_AT)
    assert wrong.value.code == "issue.profile"


@pytest.mark.parametrize(
    "path",
    [
        "@context",
        "type",
        "type[1]",
        "issuer",
        "validFrom",
        "credentialStatus",
        "credentialStatus[0]",
        "credentialStatus[0].statusListIndex",
    ],
)
def test_w3c_claims_that_are_never_disclosable(path: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        issue(diploma(), key=KEY, issued_at=ISSUED_AT, contexts=CONTEXTS, disclosable=[path])
    assert caught.value.code == "issue.not_disclosable"
    assert caught.value.found == [path]


def sd_jwt_vc_claims() -> dict[str, Any]:
    return {"iss": ISSUER, "vct": schemas.DIPLOMA_VCT, "givenName": "Salma", "mention": "bien"}


def test_sd_jwt_vc_header_and_registered_claims() -> None:
    status = {"status_list": {"idx": 12, "uri": f"{ISSUER}/status/tsl/1"}}
    token = issue(
        {**sd_jwt_vc_claims(), "status": status},
        key=KEY,
        issued_at=ISSUED_AT,
        profile=Profile.DC_SD_JWT,
        disclosable=["givenName"],
        holder=HOLDER.public,
    )
    header, payload = decoded(token)
    assert header == {"alg": "ES256", "kid": "bac-2026-1", "typ": "dc+sd-jwt"}
    assert (payload["iss"], payload["vct"], payload["iat"]) == (ISSUER, schemas.DIPLOMA_VCT, int(ISSUED_AT.timestamp()))
    assert payload["status"] == status
    assert payload["mention"] == "bien"
    assert "givenName" not in payload
    parsed = sdjwt.parse(token)
    assert sdjwt.process(payload, parsed.disclosures).payload["givenName"] == "Salma"


def test_sd_jwt_vc_needs_iss_and_vct() -> None:
    for missing in ("iss", "vct"):
        claims = {k: v for k, v in sd_jwt_vc_claims().items() if k != missing}
        with pytest.raises(ConfigurationError) as caught:
            issue(claims, key=KEY, issued_at=ISSUED_AT, profile=Profile.DC_SD_JWT)
        assert caught.value.code == "issue.registered_claim"


@pytest.mark.parametrize("name", ["iat", "cnf", "status"])
def test_sd_jwt_vc_registered_claims_come_from_arguments(name: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        issue_sd_jwt_vc(
            {"givenName": "Salma", name: 1}, issuer=ISSUER, vct=schemas.DIPLOMA_VCT, key=KEY, issued_at=ISSUED_AT
        )
    assert caught.value.code == "issue.registered_claim"


@pytest.mark.parametrize("path", ["iss", "vct", "cnf", "status", "status.status_list", "status.status_list.idx"])
def test_sd_jwt_vc_claims_that_are_never_disclosable(path: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        issue_sd_jwt_vc(
            {"givenName": "Salma"},
            issuer=ISSUER,
            vct=schemas.DIPLOMA_VCT,
            key=KEY,
            issued_at=ISSUED_AT,
            disclosable=claim_paths([path]),
            status=TokenStatusReference(index=12, uri=f"{ISSUER}/status/tsl/1"),
        )
    assert caught.value.code == "issue.not_disclosable"


def test_issuer_of() -> None:
    assert issuer_of({"iss": ISSUER, "issuer": "https://other.example"}) == ISSUER
    assert issuer_of({"issuer": {"id": ISSUER}}) == ISSUER
    assert issuer_of({"holder": "did:example:graduate"}) == "did:example:graduate"
    assert issuer_of({"iss": 7}) is None
