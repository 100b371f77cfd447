"""Issuer metadata: JWKS with windows, did:web, OpenID4VCI and authorization server metadata."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

import schemas
from issuer.metadata import did_of
from issuer.oid4vci import DC_SD_JWT_CONFIGURATION, PRE_AUTHORIZED_GRANT, VC_SD_JWT_CONFIGURATION
from issuer.settings import load_settings
from keys import InMemoryKeyStore, KeyHistory
from tests.issuer.conftest import ISSUER, Clock


def test_the_key_history_is_published_three_ways(client: TestClient, store: InMemoryKeyStore, clock: Clock) -> None:
    old = store.history().entries[0].kid
    rotated = store.rotate(at=clock() - timedelta(days=1))
    compromised = store.create(not_before=clock() - timedelta(hours=2))
    store.compromise(compromised.kid, at=clock() - timedelta(hours=1))

    issuer_metadata = client.get("/.well-known/jwt-vc-issuer")
    assert issuer_metadata.status_code == 200
    assert issuer_metadata.json()["issuer"] == ISSUER
    history = KeyHistory.from_jwks(issuer_metadata.json()["jwks"])
    assert history == store.history()
    assert history.entry(old).retired_at is not None
    assert history.entry(compromised.kid).compromised_at is not None
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.headers["content-type"] == "application/jwk-set+json"
    assert jwks.json() == issuer_metadata.json()["jwks"]
    assert all("d" not in key for key in jwks.json()["keys"])
    # A standard verifier reads 'keys' only: the compromised key is not there, so what it signed fails everywhere.
    assert compromised.kid not in {key["kid"] for key in jwks.json()["keys"]}
    [listed] = jwks.json()["tawtiq_compromised_keys"]
    assert (listed["kid"], listed["revoked"]["reason"]) == (compromised.kid, "compromised")

    did = client.get("/.well-known/did.json").json()
    assert did["id"] == "did:web:bac.example.ma"
    method_ids = [method["id"] for method in did["verificationMethod"]]
    assert method_ids == [f"did:web:bac.example.ma#{old}", f"did:web:bac.example.ma#{rotated.kid}"]
    assert did["assertionMethod"] == method_ids
    assert all(
        method["type"] == "JsonWebKey" and method["controller"] == did["id"] for method in did["verificationMethod"]
    )


def test_did_web_encodes_a_port() -> None:
    settings = load_settings({"TAWTIQ_ISSUER_URL": "http://127.0.0.1:8100"})
    assert did_of(settings) == "did:web:127.0.0.1%3A8100"


def test_openid4vci_metadata_describes_both_profiles_in_three_languages(client: TestClient) -> None:
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == ISSUER
    assert metadata["credential_endpoint"] == f"{ISSUER}/credential"
    assert metadata["nonce_endpoint"] == f"{ISSUER}/nonce"
    assert metadata["batch_credential_issuance"] == {"batch_size": 10}
    assert {item["locale"] for item in metadata["display"]} == {"ar", "fr", "en"}
    configurations = metadata["credential_configurations_supported"]
    assert set(configurations) == {DC_SD_JWT_CONFIGURATION, VC_SD_JWT_CONFIGURATION}
    sd_jwt_vc, w3c = configurations[DC_SD_JWT_CONFIGURATION], configurations[VC_SD_JWT_CONFIGURATION]
    assert (sd_jwt_vc["format"], sd_jwt_vc["vct"]) == ("dc+sd-jwt", schemas.DIPLOMA_VCT)
    assert w3c["format"] == "vc+sd-jwt"
    assert w3c["credential_definition"]["type"] == ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE]
    for configuration, prefix in ((sd_jwt_vc, []), (w3c, ["credentialSubject"])):
        assert configuration["cryptographic_binding_methods_supported"] == ["jwk"]
        assert configuration["credential_signing_alg_values_supported"] == ["ES256"]
        assert "ES256" in configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
        display = configuration["credential_metadata"]["display"]
        assert {item["locale"] for item in display} == {"ar", "fr", "en"}
        claims = configuration["credential_metadata"]["claims"]
        top = {tuple(claim["path"]) for claim in claims if len(claim["path"]) == len(prefix) + 1}
        assert top == {(*prefix, name) for name in schemas.SUBJECT_CLAIMS}, "every claim is described"
        for claim in claims:
            assert {item["locale"] for item in claim["display"]} == {"ar", "fr", "en"}, claim["path"]
            assert all(item["name"] for item in claim["display"])
    server = client.get("/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == ISSUER
    assert server["token_endpoint"] == f"{ISSUER}/token"
    assert server["grant_types_supported"] == [PRE_AUTHORIZED_GRANT]
    assert server["pre-authorized_grant_anonymous_access_supported"] is True


def test_an_http_development_issuer_on_loopback_offers_both_profiles(tmp_path: object, engine: object) -> None:
    # Loopback traffic never leaves the machine: Token Status Lists may be served over http there.
    from issuer.metadata import credential_issuer
    from issuer.oid4vci import CONFIGURATIONS

    settings = load_settings({"TAWTIQ_ISSUER_URL": "http://127.0.0.1:8100"})
    metadata = credential_issuer(settings, InMemoryKeyStore().history())
    assert list(metadata["credential_configurations_supported"]) == list(CONFIGURATIONS)
    assert VC_SD_JWT_CONFIGURATION in CONFIGURATIONS
